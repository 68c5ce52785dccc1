//! Fact normalization and the dedup hash: two cards with the same answer for the same
//! question must hash alike however they are spaced, cased or punctuated.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::card::CardFormat;

/// NFC, lower case, punctuation and symbols dropped, runs of white space folded to one space.
pub fn normalize_fact(fact: &str) -> String {
    let mut out = String::with_capacity(fact.len());
    let mut pending_space = false;
    for ch in fact.nfc().flat_map(char::to_lowercase) {
        if ch.is_whitespace() || is_punctuation(ch) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(ch);
    }
    out
}

fn is_punctuation(ch: char) -> bool {
    ch.is_ascii_punctuation()
        || matches!(
            ch,
            '·' | '…'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '「'
                | '」'
                | '『'
                | '』'
                | '《'
                | '》'
                | '〈'
                | '〉'
                | '、'
                | '。'
                | '，'
                | '：'
                | '；'
                | '！'
                | '？'
                | '（'
                | '）'
                | '―'
                | '—'
                | '–'
        )
}

/// Normalizes text to NFC (what the editor stores, so Korean jamo typed by an IME compare
/// equal to precomposed syllables).
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// SHA-256 (hex) of (source question, format, normalized fact). Manual cards have no source
/// question and share one namespace.
pub fn dedup_hash(source_question_id: Option<i64>, format: CardFormat, fact: &str) -> String {
    let key = format!(
        "{}|{}|{}",
        source_question_id.map_or_else(|| "manual".to_owned(), |id| id.to_string()),
        format.as_str(),
        normalize_fact(fact)
    );
    let digest = Sha256::digest(key.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write;
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_case_space_and_punctuation() {
        assert_eq!(
            normalize_fact("  Mitochondria,  the  Powerhouse! "),
            "mitochondria the powerhouse"
        );
        assert_eq!(normalize_fact("세종대왕 (1397년)"), "세종대왕 1397년");
        assert_eq!(normalize_fact("「훈민정음」"), "훈민정음");
    }

    #[test]
    fn nfc_makes_decomposed_hangul_equal() {
        let decomposed = "\u{1112}\u{1161}\u{11AB}"; // 한 as jamo
        assert_eq!(normalize_fact(decomposed), "한");
        assert_eq!(
            dedup_hash(Some(1), CardFormat::Qa, decomposed),
            dedup_hash(Some(1), CardFormat::Qa, "한")
        );
    }

    #[test]
    fn hash_depends_on_question_and_format() {
        let a = dedup_hash(Some(1), CardFormat::Qa, "1443");
        assert_ne!(a, dedup_hash(Some(2), CardFormat::Qa, "1443"));
        assert_ne!(a, dedup_hash(Some(1), CardFormat::Cloze, "1443"));
        assert_ne!(a, dedup_hash(None, CardFormat::Qa, "1443"));
        assert_eq!(a.len(), 64);
    }

    proptest! {
        #[test]
        fn normalization_is_idempotent(s in "\\PC{0,40}") {
            let once = normalize_fact(&s);
            prop_assert_eq!(normalize_fact(&once), once);
        }

        #[test]
        fn insensitive_to_spacing_and_case(words in proptest::collection::vec("[a-zA-Z가-힣0-9]{1,8}", 1..6)) {
            let plain = words.join(" ");
            let noisy = format!("  {}  ", words.iter().map(|w| w.to_uppercase()).collect::<Vec<_>>().join("   \t"));
            prop_assert_eq!(
                dedup_hash(Some(7), CardFormat::Qa, &plain),
                dedup_hash(Some(7), CardFormat::Qa, &noisy)
            );
        }

        #[test]
        fn different_facts_differ(a in "[a-z가-힣0-9]{1,12}", b in "[a-z가-힣0-9]{1,12}") {
            prop_assume!(a != b);
            prop_assert_ne!(dedup_hash(Some(1), CardFormat::Qa, &a), dedup_hash(Some(1), CardFormat::Qa, &b));
        }
    }
}
