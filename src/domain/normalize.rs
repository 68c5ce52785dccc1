//! The one normalisation every guard and the dedup hash compare text by, and the dedup hash:
//! two cards with the same answer for the same question must hash alike however they are
//! written (full-width letters, zero-width spaces, case, spacing, punctuation).

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::card::CardFormat;
use super::text::{is_bidi_control, is_invisible};

/// The shared normalisation: NFKC (full-width and compatibility forms become plain ones),
/// invisible and control characters removed, case folded where the script has case, runs of
/// white space folded to one space, trimmed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.nfkc() {
        if ch.is_whitespace() || matches!(ch, '\u{2028}' | '\u{2029}') {
            pending_space = !out.is_empty();
            continue;
        }
        if ch.is_control() || is_invisible(ch) || is_bidi_control(ch) {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// The fact as the dedup hash sees it: [`fold`]ed, punctuation and symbols dropped.
pub fn normalize_fact(fact: &str) -> String {
    let mut out = String::with_capacity(fact.len());
    let mut pending_space = false;
    for ch in fold(fact).chars() {
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

/// Punctuation and the symbols that decorate rather than mean (quotes, brackets, dashes).
pub fn is_punctuation(ch: char) -> bool {
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
                | '―'
                | '—'
                | '–'
                | '‐'
                | '‑'
                | '«'
                | '»'
                | '【'
                | '】'
                | '〔'
                | '〕'
                | '・'
                | '‧'
                | '•'
                | '※'
                | '★'
                | '☆'
                | '→'
                | '←'
                | '⇒'
                | '✓'
                | '✔'
                | '❌'
        )
}

/// Normalizes text to NFC (what the editor stores, so Korean jamo typed by an IME compare
/// equal to precomposed syllables).
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// Which cards one card must not duplicate: those of its source question, or (manual cards)
/// those typed from the same material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupScope<'a> {
    Question(i64),
    Material(&'a str),
}

impl<'a> DedupScope<'a> {
    /// The scope of a stored card: its source question, else its material.
    pub fn of(source_question_id: Option<i64>, material: Option<&'a str>) -> Self {
        match source_question_id {
            Some(id) => DedupScope::Question(id),
            None => DedupScope::Material(material.unwrap_or_default()),
        }
    }

    fn key(self) -> String {
        match self {
            DedupScope::Question(id) => id.to_string(),
            DedupScope::Material(material) => format!("manual:{}", normalize_fact(material)),
        }
    }
}

/// The version of [`dedup_hash`]'s normalisation; stored hashes of an older version are
/// recomputed when the store opens.
pub const DEDUP_HASH_VERSION: i64 = 2;

/// SHA-256 (hex) of (scope, format, normalized fact).
pub fn dedup_hash(scope: DedupScope<'_>, format: CardFormat, fact: &str) -> String {
    let key = format!(
        "{}|{}|{}",
        scope.key(),
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
            dedup_hash(DedupScope::Question(1), CardFormat::Qa, decomposed),
            dedup_hash(DedupScope::Question(1), CardFormat::Qa, "한")
        );
    }

    #[test]
    fn hash_depends_on_question_and_format() {
        let a = dedup_hash(DedupScope::Question(1), CardFormat::Qa, "1443");
        assert_ne!(
            a,
            dedup_hash(DedupScope::Question(2), CardFormat::Qa, "1443")
        );
        assert_ne!(
            a,
            dedup_hash(DedupScope::Question(1), CardFormat::Cloze, "1443")
        );
        assert_ne!(
            a,
            dedup_hash(DedupScope::Material(""), CardFormat::Qa, "1443")
        );
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn fold_sees_through_width_invisibles_and_case() {
        assert_eq!(fold("ＴＣＰ\u{200B} ｉｓ"), "tcp is");
        assert_eq!(fold("엽\u{00AD}록\u{2060}체\u{FEFF}"), "엽록체");
        assert_eq!(fold("  Mito\tCHONDRIA\u{2028}x "), "mito chondria x");
        assert_eq!(fold("１４４６년"), "1446년");
        assert_eq!(
            dedup_hash(DedupScope::Question(3), CardFormat::Qa, "ＤＮＡ"),
            dedup_hash(DedupScope::Question(3), CardFormat::Qa, "d\u{200B}na")
        );
    }

    #[test]
    fn manual_cards_dedup_within_their_material() {
        let a = dedup_hash(DedupScope::Material("생물 노트"), CardFormat::Qa, "엽록체");
        assert_eq!(
            a,
            dedup_hash(
                DedupScope::Material(" 생물  노트"),
                CardFormat::Qa,
                "엽록체"
            )
        );
        assert_ne!(
            a,
            dedup_hash(DedupScope::Material("화학 노트"), CardFormat::Qa, "엽록체")
        );
        assert_eq!(DedupScope::of(Some(4), Some("x")), DedupScope::Question(4));
        assert_eq!(DedupScope::of(None, Some("x")), DedupScope::Material("x"));
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
                dedup_hash(DedupScope::Question(7), CardFormat::Qa, &plain),
                dedup_hash(DedupScope::Question(7), CardFormat::Qa, &noisy)
            );
        }

        #[test]
        fn different_facts_differ(a in "[a-z가-힣0-9]{1,12}", b in "[a-z가-힣0-9]{1,12}") {
            prop_assume!(a != b);
            prop_assert_ne!(dedup_hash(DedupScope::Question(1), CardFormat::Qa, &a), dedup_hash(DedupScope::Question(1), CardFormat::Qa, &b));
        }
    }
}
