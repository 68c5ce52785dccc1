//! Cards as both backends store them from an extraction: cleaned (one line each, no control
//! or invisible characters, NFC), with their dedup hash.

use crate::domain::card::{CardDraft, CardFormat};
use crate::domain::guard::clean_draft;
use crate::domain::normalize::{DedupScope, dedup_hash};

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
        let clean = clean_draft(draft);
        PreparedCard {
            format: clean.format,
            dedup_hash: dedup_hash(DedupScope::Question(question_id), clean.format, &clean.fact),
            cue: clean.cue,
            fact: clean.fact,
            cloze_text: clean.cloze_text,
            evidence: clean.evidence,
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
            cue: " 한국\u{200B}사\u{1b}[2J ".into(),
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
            dedup_hash(DedupScope::Question(7), CardFormat::Cloze, &draft.fact)
        );
    }
}
