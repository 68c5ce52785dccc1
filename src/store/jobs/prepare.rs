//! Cards as both backends store them from an extraction: trimmed, NFC, with their dedup hash.

use crate::domain::card::{CardDraft, CardFormat};
use crate::domain::normalize::{dedup_hash, nfc};

/// One extracted card ready to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PreparedCard {
    pub format: CardFormat,
    pub cue: String,
    pub fact: String,
    pub cloze_text: Option<String>,
    pub evidence: String,
    pub dedup_hash: String,
}

impl PreparedCard {
    pub(crate) fn new(question_id: i64, draft: &CardDraft) -> Self {
        let fact = nfc(draft.fact.trim());
        PreparedCard {
            format: draft.format,
            cue: nfc(draft.cue.trim()),
            cloze_text: draft
                .cloze_text
                .as_deref()
                .map(|t| nfc(t.trim()))
                .filter(|t| !t.is_empty()),
            evidence: nfc(draft.evidence.trim()),
            dedup_hash: dedup_hash(Some(question_id), draft.format, &fact),
            fact,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_normalizes_and_hashes_like_the_guards() {
        let draft = CardDraft {
            format: CardFormat::Cloze,
            cue: " 한국사 ".into(),
            fact: " \u{1112}\u{1161}\u{11AB}글 ".into(),
            cloze_text: Some(" {{blank}}은 문자다. ".into()),
            evidence: " 한글은 문자다. ".into(),
        };
        let card = PreparedCard::new(7, &draft);
        assert_eq!(card.fact, "한글");
        assert_eq!(card.cue, "한국사");
        assert_eq!(card.cloze_text.as_deref(), Some("{{blank}}은 문자다."));
        assert_eq!(
            card.dedup_hash,
            dedup_hash(Some(7), CardFormat::Cloze, &draft.fact)
        );
    }
}
