//! The check of an explanation before it is stored: clean text of a sensible length.

use crate::domain::text::clean_block;

/// Shorter than this says nothing about why the answer is right.
pub const EXPLANATION_MIN_CHARS: usize = 10;
/// Longer than this is not an explanation of one question (a runaway generation).
pub const EXPLANATION_MAX_CHARS: usize = 4_000;

/// Why a generated explanation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplanationError {
    #[error("the explanation is empty")]
    Empty,
    #[error("the explanation is too short ({0} characters, at least {EXPLANATION_MIN_CHARS})")]
    TooShort(usize),
    #[error("the explanation is too long ({0} characters, at most {EXPLANATION_MAX_CHARS})")]
    TooLong(usize),
}

/// The explanation as it is stored (cleaned: NFC, no control or invisible characters), or
/// why it is refused.
pub fn check_explanation(raw: &str) -> Result<String, ExplanationError> {
    let text = clean_block(raw);
    let chars = text.chars().count();
    match chars {
        0 => Err(ExplanationError::Empty),
        n if n < EXPLANATION_MIN_CHARS => Err(ExplanationError::TooShort(n)),
        n if n > EXPLANATION_MAX_CHARS => Err(ExplanationError::TooLong(n)),
        _ => Ok(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explanations_are_cleaned_and_bounded() {
        let ok = "훈민정음은 1446년에 반포되었다.";
        let cases: Vec<(String, Result<String, ExplanationError>)> = vec![
            (ok.to_owned(), Ok(ok.to_owned())),
            (format!("  \u{1b}[31m{ok}\u{200B}\r\n\n"), Ok(ok.to_owned())),
            (
                "첫 줄입니다.\r\n둘째 줄입니다.".to_owned(),
                Ok("첫 줄입니다.\n둘째 줄입니다.".to_owned()),
            ),
            (String::new(), Err(ExplanationError::Empty)),
            (" \u{200B}\n\t".to_owned(), Err(ExplanationError::Empty)),
            ("정답은 2번".to_owned(), Err(ExplanationError::TooShort(6))),
            (
                "가".repeat(EXPLANATION_MAX_CHARS),
                Ok("가".repeat(EXPLANATION_MAX_CHARS)),
            ),
            (
                "가".repeat(EXPLANATION_MAX_CHARS + 1),
                Err(ExplanationError::TooLong(EXPLANATION_MAX_CHARS + 1)),
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(check_explanation(&raw), want, "{raw:?}");
        }
    }
}
