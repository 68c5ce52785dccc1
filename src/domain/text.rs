//! Text hygiene: what may be stored and drawn. Every text field is cleaned before it is
//! stored (whatever path wrote it: import, extraction, the editor, a paste) and again before
//! it is drawn, so neither the database nor the terminal ever sees control characters.

use unicode_normalization::UnicodeNormalization;

/// Whether `ch` is a character that draws nothing and that no learner types on purpose:
/// zero-width spaces and joiners, the soft hyphen, the word joiner and invisible operators,
/// the byte-order mark, and the left-to-right / right-to-left / Arabic letter marks.
pub fn is_invisible(ch: char) -> bool {
    matches!(
        ch,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// Whether `ch` reorders or embeds text (bidirectional overrides, embeddings and isolates):
/// such characters can make a card read differently from what is stored.
pub fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Removes control characters (escape sequences, carriage returns, bells, NUL…), bidi
/// overrides and invisible characters, so that stored or generated text cannot move the
/// cursor, recolour the terminal or hide what it says. Line and paragraph separators become
/// line breaks; line breaks become spaces unless `keep_newlines` is set; tabs become a space.
pub fn strip_controls(input: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(ch) = chars.next() {
        if matches!(ch, '\u{1b}' | '\u{9b}' | '\u{9d}') {
            skip_escape_sequence(ch, &mut chars);
            continue;
        }
        match ch {
            '\n' | '\u{2028}' | '\u{2029}' | '\u{85}' if keep_newlines => out.push('\n'),
            '\n' | '\t' | '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{0B}' | '\u{0C}' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) || is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips the rest of a terminal escape sequence whose introducer was `first`: a CSI
/// (`ESC [` or U+009B, parameters up to a final byte), an OSC (`ESC ]` or U+009D, up to BEL
/// or `ESC \`), or a two-character escape. What the sequence would have done (move the
/// cursor, set the clipboard or the window title) is dropped with it.
fn skip_escape_sequence(first: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    let kind = match first {
        '\u{9b}' => '[',
        '\u{9d}' => ']',
        _ => match chars.next() {
            Some(c @ ('[' | ']' | 'P' | '_' | '^')) => c,
            // Character-set designation: one more character.
            Some('(' | ')' | '*' | '+') => {
                chars.next();
                return;
            }
            _ => return,
        },
    };
    if kind == '[' {
        // Parameter and intermediate bytes, then one final byte.
        for c in chars.by_ref() {
            if ('\u{40}'..='\u{7e}').contains(&c) {
                return;
            }
        }
        return;
    }
    // OSC, DCS, APC, PM: a string ended by BEL or ST (ESC \).
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// A one-line field as it is stored: NFC, controls and invisible characters removed, line
/// breaks and tabs turned into spaces, trimmed.
pub fn clean_line(input: &str) -> String {
    let nfc: String = input.nfc().collect();
    strip_controls(&nfc, false).trim().to_owned()
}

/// A multi-line field (a question, an explanation) as it is stored: like [`clean_line`] but
/// keeping line breaks (CR LF and lone CR become LF), with trailing spaces of each line and
/// blank lines at both ends removed.
pub fn clean_block(input: &str) -> String {
    let unified = input.replace("\r\n", "\n").replace('\r', "\n");
    let nfc: String = unified.nfc().collect();
    let stripped = strip_controls(&nfc, true);
    let lines: Vec<&str> = stripped.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_owned()
}

/// Whether `text` holds a character that [`clean_block`] would remove (a line break is fine).
pub fn has_forbidden(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n') || is_bidi_control(c) || is_invisible(c) || c == '\u{2028}'
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_are_removed() {
        assert_eq!(strip_controls("a\u{1b}[31mred\u{7}", false), "ared");
        assert_eq!(
            strip_controls("\u{1b}]52;c;SGVsbG8=\u{7}x\u{1b}]0;title\u{1b}\\y", false),
            "xy"
        );
        assert_eq!(strip_controls("\u{9b}2Jz\u{1b}(Bw", false), "zw");
        assert_eq!(strip_controls("줄\r\n바꿈", false), "줄 바꿈");
        assert_eq!(strip_controls("줄\n바꿈", true), "줄\n바꿈");
        assert_eq!(strip_controls("\u{202E}abc", false), "abc");
    }

    #[test]
    fn invisible_and_separator_characters_are_removed() {
        assert_eq!(clean_line("엽\u{200B}록\u{00AD}체\u{2060}"), "엽록체");
        assert_eq!(clean_line("\u{FEFF}TCP\u{200F}\u{061C}"), "TCP");
        assert_eq!(clean_line("a\u{2028}b\u{2029}c"), "a b c");
        assert_eq!(clean_line("\u{0}\u{1b}]52;c;SGVsbG8=\u{7}x"), "x");
        assert_eq!(clean_block("a\u{2028}b\r\nc\rd  \n\n"), "a\nb\nc\nd");
        assert_eq!(clean_line(" \u{200B}\u{200D} "), "");
    }

    #[test]
    fn cleaning_composes_hangul() {
        assert_eq!(clean_line("\u{1112}\u{1161}\u{11AB}글"), "한글");
    }

    proptest! {
        #[test]
        fn cleaned_text_has_nothing_forbidden(s in "\\PC{0,30}|[\\x00-\\x1f\\u{200b}-\\u{200f}\\u{2028}\\u{202a}-\\u{202e}a가]{0,30}") {
            let line = clean_line(&s);
            prop_assert!(!has_forbidden(&line) && !line.contains('\n'));
            prop_assert!(!has_forbidden(&clean_block(&s)));
            prop_assert_eq!(clean_line(&line), line.clone());
        }
    }
}
