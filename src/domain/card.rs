//! Card, rating and job vocabulary shared by the store, the worker and the UI.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A memo card's shape: a cue → fact pair, or a sentence with the fact blanked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardFormat {
    Qa,
    Cloze,
}

impl CardFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            CardFormat::Qa => "qa",
            CardFormat::Cloze => "cloze",
        }
    }
}

impl fmt::Display for CardFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CardFormat {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "qa" => Ok(CardFormat::Qa),
            "cloze" => Ok(CardFormat::Cloze),
            other => Err(DomainError::UnknownFormat(other.to_owned())),
        }
    }
}

/// Where a card came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Question,
    SubjectNote,
    Document,
    Manual,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Question => "question",
            SourceKind::SubjectNote => "subject_note",
            SourceKind::Document => "document",
            SourceKind::Manual => "manual",
        }
    }
}

impl FromStr for SourceKind {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "question" => Ok(SourceKind::Question),
            "subject_note" => Ok(SourceKind::SubjectNote),
            "document" => Ok(SourceKind::Document),
            "manual" => Ok(SourceKind::Manual),
            other => Err(DomainError::UnknownSourceKind(other.to_owned())),
        }
    }
}

/// The result of one recall attempt, in the seeds' vocabulary (`last_outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Correct,
    Unsure,
    Wrong,
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Correct => "correct",
            Outcome::Unsure => "unsure",
            Outcome::Wrong => "wrong",
            Outcome::Skipped => "skipped",
        }
    }

    /// The learner-facing label of a rating (암 / 애매 / 모름).
    pub fn korean_label(self) -> &'static str {
        match self {
            Outcome::Correct => "암",
            Outcome::Unsure => "애매",
            Outcome::Wrong => "모름",
            Outcome::Skipped => "건너뜀",
        }
    }

    /// Parses a stored `last_outcome` value (all four outcomes).
    pub fn from_stored(s: &str) -> Result<Self, DomainError> {
        match s {
            "correct" => Ok(Outcome::Correct),
            "unsure" => Ok(Outcome::Unsure),
            "wrong" => Ok(Outcome::Wrong),
            "skipped" => Ok(Outcome::Skipped),
            other => Err(DomainError::UnknownRating(other.to_owned())),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a learner's rating: 암/애매/모름 or correct/unsure/wrong. Anything else is refused,
/// including `skipped`, which is not something a learner rates a card with.
pub fn parse_rating(input: &str) -> Result<Outcome, DomainError> {
    match input.trim() {
        "암" | "correct" => Ok(Outcome::Correct),
        "애매" | "unsure" => Ok(Outcome::Unsure),
        "모름" | "wrong" => Ok(Outcome::Wrong),
        other => Err(DomainError::UnknownRating(other.to_owned())),
    }
}

/// The status of a question's AI explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExplanationStatus {
    None,
    Pending,
    Ready,
    Failed,
}

impl ExplanationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExplanationStatus::None => "none",
            ExplanationStatus::Pending => "pending",
            ExplanationStatus::Ready => "ready",
            ExplanationStatus::Failed => "failed",
        }
    }
}

impl FromStr for ExplanationStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Self::None),
            "pending" => Ok(Self::Pending),
            "ready" => Ok(Self::Ready),
            "failed" => Ok(Self::Failed),
            other => Err(DomainError::UnknownStatus(other.to_owned())),
        }
    }
}

/// A card as an extractor proposes it, before the guards and before it has an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardDraft {
    pub format: CardFormat,
    /// The prompt (qa) or a short context line (cloze).
    pub cue: String,
    /// The answer: what the learner must recall.
    pub fact: String,
    /// For cloze cards: the sentence with the answer replaced by [`CLOZE_BLANK`].
    pub cloze_text: Option<String>,
    /// A verbatim quote from the source that the card was built from.
    pub evidence: String,
}

/// The marker that stands for the hidden answer in a cloze sentence.
pub const CLOZE_BLANK: &str = "{{blank}}";

/// Errors of pure domain parsing and validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("unknown rating {0:?}: use 암/애매/모름 or correct/unsure/wrong")]
    UnknownRating(String),
    #[error("unknown card format {0:?}: use qa or cloze")]
    UnknownFormat(String),
    #[error("unknown source kind {0:?}")]
    UnknownSourceKind(String),
    #[error("unknown status {0:?}")]
    UnknownStatus(String),
    /// A card's new text that does not fit its format.
    #[error("{0}")]
    InvalidCard(String),
}

/// New text for a card: an edit is the learner's confirmed version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardEdit {
    pub cue: String,
    pub fact: String,
    pub cloze_text: Option<String>,
}

impl CardEdit {
    /// The edit cleaned (one line each, NFC, no control characters) and checked against
    /// the card's format: cue and fact are required; a cloze card needs its sentence with
    /// exactly one blank; a QA card has none.
    pub fn prepared(&self, format: CardFormat) -> Result<CardEdit, DomainError> {
        use crate::domain::text::clean_line;
        let cue = clean_line(&self.cue);
        let fact = clean_line(&self.fact);
        let cloze_text = self
            .cloze_text
            .as_deref()
            .map(clean_line)
            .filter(|c| !c.is_empty());
        let invalid = |why: String| Err(DomainError::InvalidCard(why));
        if cue.is_empty() {
            return invalid("the cue is empty".into());
        }
        if fact.is_empty() {
            return invalid("the answer is empty".into());
        }
        match (format, &cloze_text) {
            (CardFormat::Cloze, None) => {
                return invalid(format!(
                    "a cloze card needs its sentence with {CLOZE_BLANK}"
                ));
            }
            (CardFormat::Cloze, Some(text)) if text.matches(CLOZE_BLANK).count() != 1 => {
                return invalid(format!(
                    "the cloze sentence needs exactly one {CLOZE_BLANK}"
                ));
            }
            (CardFormat::Qa, Some(_)) => {
                return invalid("a question/answer card has no cloze sentence".into());
            }
            _ => {}
        }
        Ok(CardEdit {
            cue,
            fact,
            cloze_text,
        })
    }
}

/// The correct choice's text from a question's choices and its 1-based correct index.
pub fn correct_answer(choices: &[String], correct_choice: i16) -> Option<String> {
    usize::try_from(correct_choice)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| choices.get(i))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correct_answer_is_one_based() {
        let choices = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(correct_answer(&choices, 2).as_deref(), Some("b"));
        assert_eq!(correct_answer(&choices, 0), None);
        assert_eq!(correct_answer(&choices, 3), None);
    }

    #[test]
    fn ratings_accept_korean_and_english_labels() {
        assert_eq!(parse_rating("암"), Ok(Outcome::Correct));
        assert_eq!(parse_rating("애매"), Ok(Outcome::Unsure));
        assert_eq!(parse_rating("모름"), Ok(Outcome::Wrong));
        assert_eq!(parse_rating("correct"), Ok(Outcome::Correct));
        assert_eq!(parse_rating(" unsure "), Ok(Outcome::Unsure));
        assert_eq!(parse_rating("wrong"), Ok(Outcome::Wrong));
    }

    #[test]
    fn ratings_refuse_anything_else() {
        for bad in ["", "skipped", "know", "Correct", "암기", "?"] {
            assert!(
                matches!(parse_rating(bad), Err(DomainError::UnknownRating(_))),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn stored_values_round_trip() {
        for o in [
            Outcome::Correct,
            Outcome::Unsure,
            Outcome::Wrong,
            Outcome::Skipped,
        ] {
            assert_eq!(Outcome::from_stored(o.as_str()), Ok(o));
        }
        for f in [CardFormat::Qa, CardFormat::Cloze] {
            assert_eq!(f.as_str().parse::<CardFormat>(), Ok(f));
        }
        assert!("essay".parse::<CardFormat>().is_err());
    }
}
