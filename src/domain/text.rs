//! Text hygiene for anything shown on screen that came from a database or an LLM.

/// Removes control characters (escape sequences, carriage returns, bells…) so that stored or
/// generated text cannot move the cursor or recolour the terminal. Newlines become spaces
/// unless `keep_newlines` is set; tabs become a space.
pub fn strip_controls(input: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for ch in input.chars() {
        match ch {
            '\n' if keep_newlines => out.push('\n'),
            '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            // Bidirectional overrides can reorder what the learner sees.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_removed() {
        assert_eq!(strip_controls("a\u{1b}[31mred\u{7}", false), "a[31mred");
        assert_eq!(strip_controls("줄\r\n바꿈", false), "줄 바꿈");
        assert_eq!(strip_controls("줄\n바꿈", true), "줄\n바꿈");
        assert_eq!(strip_controls("\u{202E}abc", false), "abc");
    }
}
