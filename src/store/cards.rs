//! The learner's card workflows part of the Store API: review queue, due deck and rating,
//! cram deck, undo (DESIGN §1.3–1.5).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Card, CardId, QuestionId, ReviewStamp, StoreResult, UserId};
use crate::domain::card::{CardFormat, Outcome};
use crate::domain::schedule::LadderState;

/// What a review group is keyed by: its source question, or a manual card's material.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum GroupKey {
    Question(QuestionId),
    Material(String),
}

/// In-review cards of one source question (or one material), in id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewGroup {
    pub key: GroupKey,
    /// The question's text, for question groups (the UI titles material groups itself).
    pub question: Option<String>,
    /// The correct choice's text, for question groups.
    pub correct_answer: Option<String>,
    pub cards: Vec<Card>,
}

pub use crate::domain::card::CardEdit;

/// A card typed in by the learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewManualCard {
    pub material: String,
    pub format: CardFormat,
    pub cue: String,
    pub fact: String,
    pub cloze_text: Option<String>,
}

/// A card of the due deck with its place on the ladder (`None`: never rated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCard {
    pub card: Card,
    pub ladder: Option<LadderState>,
    /// The question the card was extracted from, shown with the answer.
    pub source: Option<SourceQuestion>,
}

/// A source question as the Due reveal shows it: its text and correct choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceQuestion {
    pub text: String,
    pub correct_answer: Option<String>,
}

/// What a rating did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingResult {
    pub card_id: CardId,
    pub outcome: Outcome,
    pub before: Option<LadderState>,
    pub after: LadderState,
}

/// Optional filters of the cram deck.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CramFilter {
    pub material: Option<String>,
    pub format: Option<CardFormat>,
    /// Only cards of this topic.
    pub topic: Option<super::TopicId>,
}

/// The kinds of action that can be undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndoKind {
    Approve,
    ApproveQuestion,
    Edit,
    Delete,
    Flag,
    Rate,
    /// A manual card added.
    Add,
    /// A card's schedule reset (Browse).
    Forget,
}

impl UndoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UndoKind::Approve => "approve",
            UndoKind::ApproveQuestion => "approve_question",
            UndoKind::Edit => "edit",
            UndoKind::Delete => "delete",
            UndoKind::Flag => "flag",
            UndoKind::Rate => "rate",
            UndoKind::Add => "add",
            UndoKind::Forget => "forget",
        }
    }
}

/// An action that [`CardStore::undo_last`] reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undone {
    pub kind: UndoKind,
    pub card_ids: Vec<CardId>,
}

/// Review, due, cram and undo. Card ids of another user, or of deleted cards, are "not found".
#[async_trait]
pub trait CardStore: Send + Sync + 'static {
    /// Live in-review cards grouped by source question (manual cards by material), groups in
    /// order of their first card.
    async fn review_queue(&self, user: UserId) -> StoreResult<Vec<ReviewGroup>>;

    /// The review queue's fingerprint, with how many live cards wait for review (the
    /// badge). One pass over the in-review cards' index, far cheaper than the listing, so
    /// a periodic refresh reloads the listing only when this has changed.
    async fn review_stamp(&self, user: UserId) -> StoreResult<ReviewStamp>;

    /// One live card.
    async fn get_card(&self, user: UserId, card_id: CardId) -> StoreResult<Card>;

    /// Approves one in-review card.
    async fn approve_card(
        &self,
        user: UserId,
        card_id: CardId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// [`CardStore::approve_card`] of the card as it was shown: refused with
    /// [`super::StoreError::Changed`] when its `updated_at` is no longer `shown`.
    async fn approve_card_as_shown(
        &self,
        user: UserId,
        card_id: CardId,
        shown: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Approves every in-review card of one source question; returns their ids.
    async fn approve_question(
        &self,
        user: UserId,
        question_id: QuestionId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CardId>>;

    /// Replaces cue/fact/cloze, recomputes the dedup hash, marks the card reviewed and clears
    /// its flag. A collision with another live card's answer is [`super::StoreError::DuplicateAnswer`]
    /// and changes nothing.
    async fn edit_card(
        &self,
        user: UserId,
        card_id: CardId,
        edit: &CardEdit,
        now: DateTime<Utc>,
    ) -> StoreResult<Card>;

    /// [`CardStore::edit_card`] of the card as it was shown: refused with
    /// [`super::StoreError::Changed`] when its `updated_at` is no longer `shown`.
    async fn edit_card_as_shown(
        &self,
        user: UserId,
        card_id: CardId,
        shown: DateTime<Utc>,
        edit: &CardEdit,
        now: DateTime<Utc>,
    ) -> StoreResult<Card>;

    /// Soft-deletes a card.
    async fn delete_card(
        &self,
        user: UserId,
        card_id: CardId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Sends an approved card back to review (`flagged_by = user`).
    async fn flag_card(&self, user: UserId, card_id: CardId, now: DateTime<Utc>)
    -> StoreResult<()>;

    /// Adds a manual card (in review, like every new card), with the same dedup rule.
    async fn create_manual_card(
        &self,
        user: UserId,
        card: &NewManualCard,
        now: DateTime<Utc>,
    ) -> StoreResult<Card>;

    /// Approved live cards due now (by due date) then new ones (by id), at most `limit`.
    async fn due_deck(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueCard>>;

    /// Rates a card (DESIGN §1.4) and appends to the review log. Cards in review are refused.
    async fn rate_card(
        &self,
        user: UserId,
        card_id: CardId,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<RatingResult>;

    /// [`CardStore::rate_card`] of the card in the state it was shown in (`None`: new, else
    /// its place on the ladder), checked inside the rating's transaction: a card rated or
    /// changed meanwhile is refused with [`super::StoreError::Changed`] and nothing is written.
    async fn rate_card_as_shown(
        &self,
        user: UserId,
        card_id: CardId,
        shown: Option<LadderState>,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<RatingResult>;

    /// Approved live cards, least recently viewed first (never viewed first).
    async fn cram_deck(
        &self,
        user: UserId,
        filter: &CramFilter,
        limit: u32,
    ) -> StoreResult<Vec<Card>>;

    /// Records that a card was shown in the cram deck.
    async fn record_view(
        &self,
        user: UserId,
        card_id: CardId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The materials of the user's approved manual cards, for the cram filter.
    async fn materials(&self, user: UserId) -> StoreResult<Vec<String>>;

    /// Reverts the user's most recent undoable action that is not yet undone; `None` when
    /// there is nothing to undo.
    async fn undo_last(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<Option<Undone>>;
}
