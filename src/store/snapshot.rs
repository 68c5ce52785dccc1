//! Backend-neutral pieces of the card workflows: full card rows, the exact prior state that
//! undo restores, publish payloads, review-queue grouping, and the checks of a change made
//! from what was shown.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Card, CardId, GroupKey, QuestionId, ReviewGroup, StoreError, StoreResult, TopicId};
use crate::domain::card::Outcome;
use crate::domain::quiz::{PatternState, QuestionProgress};
use crate::domain::schedule::LadderState;

/// The read-model kind of a card.
pub const KIND_CARD: &str = "study_card";
/// The read-model kind of a card's progress row.
pub const KIND_CARD_PROGRESS: &str = "study_card_progress";
/// The read-model kind of a question's progress row (the quiz).
pub const KIND_QUESTION_PROGRESS: &str = "study_question_progress";

/// A card with the columns that workflows change and the panes do not show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRecord {
    pub card: Card,
    pub state: CardState,
}

/// Every column of a card that a workflow action changes: undo restores exactly these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardState {
    pub id: CardId,
    pub needs_review: bool,
    pub flagged_by: Option<String>,
    pub flagged_at: Option<DateTime<Utc>>,
    pub cue: String,
    pub fact: String,
    pub cloze_text: Option<String>,
    pub dedup_hash: String,
    pub deleted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A progress row's mutable columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressState {
    pub id: i64,
    pub card_id: CardId,
    pub last_outcome: Option<String>,
    pub last_reviewed_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub review_stage: Option<i16>,
    pub updated_at: DateTime<Utc>,
}

impl ProgressState {
    pub fn ladder(&self) -> LadderState {
        LadderState {
            stage: self.review_stage,
            due_at: self.due_at,
        }
    }
}

/// What the undo journal keeps for one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UndoData {
    /// Card rows as they were before an approve, edit, delete or flag.
    Cards { cards: Vec<CardState> },
    /// A manual card added: undone by deleting it.
    Added { card_id: CardId },
    /// A rating: the progress row before (`None`: it did not exist) and the log row added.
    Rate {
        card_id: CardId,
        progress_id: i64,
        before: Option<ProgressState>,
        review_id: i64,
    },
    /// A card's schedule reset: its progress row as it was, put back by undo.
    Forget {
        progress: ProgressState,
        created_at: DateTime<Utc>,
    },
}

/// One outbox row to write in the same transaction as the change it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub kind: &'static str,
    pub source_id: i64,
    pub payload: serde_json::Value,
    pub payload_hash: String,
    pub deleted: bool,
}

#[derive(Serialize)]
struct CardPayload<'a> {
    id: CardId,
    topic_id: Option<TopicId>,
    source_question_id: Option<QuestionId>,
    format: &'a str,
    cue: &'a str,
    fact: &'a str,
    cloze_text: Option<&'a str>,
    material: Option<&'a str>,
}

#[derive(Serialize)]
struct ProgressPayload<'a> {
    card_id: CardId,
    topic_id: Option<TopicId>,
    last_outcome: Option<&'a str>,
    last_reviewed_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    review_stage: Option<i16>,
}

/// An approved live card is published; anything else (in review, deleted) is a tombstone.
pub fn card_outbox(record: &CardRecord) -> OutboxEntry {
    let card = &record.card;
    if record.state.needs_review || record.state.deleted_at.is_some() {
        return tombstone(KIND_CARD, card.id.0);
    }
    let payload = CardPayload {
        id: card.id,
        topic_id: card.topic_id,
        source_question_id: card.source_question_id,
        format: card.format.as_str(),
        cue: &record.state.cue,
        fact: &record.state.fact,
        cloze_text: record.state.cloze_text.as_deref(),
        material: card.material.as_deref(),
    };
    entry(
        KIND_CARD,
        card.id.0,
        serde_json::to_value(payload).unwrap_or_default(),
        false,
    )
}

/// Every progress row is published, `due_at = NULL` sentinels included.
pub fn progress_outbox(progress: &ProgressState, topic_id: Option<TopicId>) -> OutboxEntry {
    let payload = ProgressPayload {
        card_id: progress.card_id,
        topic_id,
        last_outcome: progress.last_outcome.as_deref(),
        last_reviewed_at: progress.last_reviewed_at,
        due_at: progress.due_at,
        review_stage: progress.review_stage,
    };
    entry(
        KIND_CARD_PROGRESS,
        progress.id,
        serde_json::to_value(payload).unwrap_or_default(),
        false,
    )
}

#[derive(Serialize)]
struct QuestionProgressPayload<'a> {
    question_id: QuestionId,
    topic_id: TopicId,
    last_outcome: Option<&'a str>,
    last_attempted_at: Option<DateTime<Utc>>,
    last_reviewed_at: Option<DateTime<Utc>>,
    pattern_state: Option<&'a str>,
    pattern_window_attempts: i16,
    due_at: Option<DateTime<Utc>>,
    review_stage: Option<i16>,
}

/// A question's progress row (`id`: its row id) as the read model gets it: every row, like
/// card progress. `pattern_updated_at` is left out: it moves at every finalize, and a row
/// that did not change otherwise is not a change to publish.
pub fn question_progress_outbox(id: i64, progress: &QuestionProgress) -> OutboxEntry {
    let payload = QuestionProgressPayload {
        question_id: QuestionId(progress.question_id),
        topic_id: TopicId(progress.topic_id),
        last_outcome: progress.last_outcome.map(Outcome::as_str),
        last_attempted_at: progress.last_attempted_at,
        last_reviewed_at: progress.last_reviewed_at,
        pattern_state: progress.pattern_state.map(PatternState::as_str),
        pattern_window_attempts: progress.pattern_window_attempts,
        due_at: progress.due_at,
        review_stage: progress.review_stage,
    };
    entry(
        KIND_QUESTION_PROGRESS,
        id,
        serde_json::to_value(payload).unwrap_or_default(),
        false,
    )
}

pub fn tombstone(kind: &'static str, source_id: i64) -> OutboxEntry {
    entry(kind, source_id, serde_json::json!({}), true)
}

fn entry(
    kind: &'static str,
    source_id: i64,
    payload: serde_json::Value,
    deleted: bool,
) -> OutboxEntry {
    // serde_json keeps struct field order, so equal content always hashes alike.
    let text = payload.to_string();
    let digest = Sha256::digest(text.as_bytes());
    let payload_hash = digest.iter().map(|b| format!("{b:02x}")).collect();
    OutboxEntry {
        kind,
        source_id,
        payload,
        payload_hash,
        deleted,
    }
}

/// Groups in-review cards (already in display order) by source question, manual cards by
/// material. `questions` maps question id → (text, correct answer).
pub fn group_review_queue(
    mut cards: Vec<Card>,
    questions: &HashMap<QuestionId, (String, Option<String>)>,
) -> Vec<ReviewGroup> {
    // Question groups first, manual cards after (a stable sort keeps the query's order).
    cards.sort_by_key(|c| c.source_question_id.is_none());
    let mut groups: Vec<ReviewGroup> = Vec::new();
    let mut index: HashMap<GroupKey, usize> = HashMap::new();
    for card in cards {
        let key = match card.source_question_id {
            Some(id) => GroupKey::Question(id),
            None => GroupKey::Material(card.material.clone().unwrap_or_default()),
        };
        let slot = *index.entry(key.clone()).or_insert_with(|| {
            let (question, correct_answer) = match &key {
                GroupKey::Question(id) => questions
                    .get(id)
                    .cloned()
                    .map_or((None, None), |(text, answer)| (Some(text), answer)),
                GroupKey::Material(_) => (None, None),
            };
            groups.push(ReviewGroup {
                key: key.clone(),
                question,
                correct_answer,
                cards: Vec::new(),
            });
            groups.len() - 1
        });
        groups[slot].cards.push(card);
    }
    groups
}

/// Refuses a change to a card that moved since it was shown (`shown`: its `updated_at` then;
/// `None`: unchecked).
pub fn check_shown(card: &CardState, shown: Option<DateTime<Utc>>) -> StoreResult<()> {
    match shown {
        Some(at) if at != card.updated_at => Err(StoreError::Changed(
            "this card was changed elsewhere after it was shown; nothing was saved".into(),
        )),
        _ => Ok(()),
    }
}

/// Refuses a rating of a card whose place on the ladder is no longer the one shown
/// (`shown`: `Some(None)` for a new card; `None`: unchecked).
pub fn check_ladder_shown(
    progress: Option<&ProgressState>,
    shown: Option<Option<LadderState>>,
) -> StoreResult<()> {
    match shown {
        Some(shown) if progress.map(ProgressState::ladder) != shown => Err(StoreError::Changed(
            "this card was rated elsewhere after it was shown; your rating was not saved".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_payloads_hash_alike_and_tombstones_are_marked() {
        let p = ProgressState {
            id: 3,
            card_id: CardId(9),
            last_outcome: Some("correct".into()),
            last_reviewed_at: None,
            due_at: None,
            review_stage: None,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        };
        let a = progress_outbox(&p, Some(TopicId(1)));
        let b = progress_outbox(
            &ProgressState {
                updated_at: Utc::now(),
                ..p.clone()
            },
            Some(TopicId(1)),
        );
        assert_eq!(
            a.payload_hash, b.payload_hash,
            "updated_at must not change the hash"
        );
        assert!(!a.deleted);
        assert_eq!(a.payload["due_at"], serde_json::Value::Null);
        let t = tombstone(KIND_CARD, 9);
        assert!(t.deleted);
        assert_ne!(t.payload_hash, a.payload_hash);
    }
}
