//! Text on its way to a terminal: control characters made visible (`\u{1b}`), so that a
//! file name, config key, import field or server message cannot move the cursor, set the
//! window title or the clipboard (OSC 52) when amgi prints it.

use std::borrow::Cow;
use std::io::{IsTerminal as _, Write as _};

/// Prints a formatted line on stdout, escaped, ending the process quietly if the reader
/// has gone (`amgi doctor | head -1`).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::terminal_text::print_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints a formatted line on stderr, escaped; a closed stderr is ignored.
#[macro_export]
macro_rules! say_err {
    ($($arg:tt)*) => {
        $crate::terminal_text::print_stderr(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes `text` to stdout with control characters escaped (line breaks kept). A closed pipe
/// ends the process quietly with success: the reader asked for no more.
pub fn print_stdout(text: &str) {
    write_stdout(&escape_lines(text));
}

/// Writes machine-readable `text` (JSON lines) to stdout: as it is into a pipe or file, escaped
/// when a person reads it in a terminal.
pub fn print_data(text: &str) {
    if std::io::stdout().is_terminal() {
        print_stdout(text);
    } else {
        write_stdout(text);
    }
}

fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Writes `text` to stderr with control characters escaped (line breaks kept).
pub fn print_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(escape_lines(text).as_bytes());
}

/// `text` with every control character (C0, DEL, C1), line and paragraph separator and bidi
/// control written as `\u{..}`; everything else, Hangul included, is kept. For one-line
/// messages: a line break is escaped too.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_with(text, false)
}

/// Like [`escape`], but keeps `\n` (and `\r\n`'s `\n`): for multi-line output.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_with(text, true)
}

fn escape_with(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| is_unsafe(c) && !(keep_newlines && c == '\n');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters a terminal acts on instead of drawing, or that reorder or break the line.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_and_text_stays() {
        let osc52 = "field \u{1b}]52;c;aGk=\u{7} 한국어";
        assert_eq!(escape(osc52), "field \\u{1b}]52;c;aGk=\\u{7} 한국어");
        assert_eq!(
            escape("csi \u{9b}2J del \u{7f}"),
            "csi \\u{9b}2J del \\u{7f}"
        );
        assert_eq!(escape("a\nb\tc"), "a\\u{a}b\\u{9}c");
        assert_eq!(escape_lines("a\nb\u{1b}c\n"), "a\nb\\u{1b}c\n");
        assert_eq!(escape("rtl \u{202e}x"), "rtl \\u{202e}x");
        assert!(matches!(escape("plain 텍스트"), Cow::Borrowed(_)));
    }
}
