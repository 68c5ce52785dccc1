//! The Browse part of the Store API (issue 18): every live card of a user, filtered, searched
//! and sorted, read a page at a time with a keyset cursor; and "forget", which puts a card
//! back to new while its review log stays.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Card, CardId, StoreResult, TopicId, UserId};
use crate::domain::card::CardFormat;
use crate::domain::schedule::{LadderState, MASTERED_STAGE};

/// Where a card stands, as the Browse filter and list name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BrowseState {
    /// Waiting for the learner's approval (extracted, added, or sent back).
    InReview,
    /// In review because the learner or a guard sent it back.
    Flagged,
    /// Approved and never rated: the due deck's first recall.
    New,
    /// Approved and on the ladder at this stage (0–3), with a due date.
    Learning(i16),
    /// Approved and off the ladder: mastered, or known on first sight.
    Mastered,
}

impl BrowseState {
    /// The filter's cycle, in order (`None`, all cards, comes before the first).
    pub const CYCLE: [BrowseState; 8] = [
        BrowseState::InReview,
        BrowseState::Flagged,
        BrowseState::New,
        BrowseState::Learning(0),
        BrowseState::Learning(1),
        BrowseState::Learning(2),
        BrowseState::Learning(3),
        BrowseState::Mastered,
    ];

    /// The state of a card with its progress row's ladder (`None`: never rated).
    pub fn of(card: &Card, ladder: Option<LadderState>) -> BrowseState {
        if card.needs_review {
            return if card.flagged_by.is_some() {
                BrowseState::Flagged
            } else {
                BrowseState::InReview
            };
        }
        match ladder {
            None => BrowseState::New,
            Some(LadderState {
                due_at: Some(_),
                stage,
            }) => BrowseState::Learning(stage.unwrap_or(0).min(MASTERED_STAGE - 1)),
            Some(_) => BrowseState::Mastered,
        }
    }

    pub fn label(self) -> String {
        match self {
            BrowseState::InReview => "in review".to_owned(),
            BrowseState::Flagged => "flagged".to_owned(),
            BrowseState::New => "new".to_owned(),
            BrowseState::Learning(stage) => format!("stage {stage}"),
            BrowseState::Mastered => "mastered".to_owned(),
        }
    }
}

/// The order of the list; each ends with the card id, so every order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BrowseSort {
    /// Oldest card first.
    #[default]
    Id,
    /// Soonest due first; cards without a due date after.
    Due,
    /// Most recently reviewed first; never reviewed after.
    LastReview,
    /// Most viewed (cram) first.
    Views,
}

impl BrowseSort {
    pub fn next(self) -> BrowseSort {
        match self {
            BrowseSort::Id => BrowseSort::Due,
            BrowseSort::Due => BrowseSort::LastReview,
            BrowseSort::LastReview => BrowseSort::Views,
            BrowseSort::Views => BrowseSort::Id,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BrowseSort::Id => "id",
            BrowseSort::Due => "due date",
            BrowseSort::LastReview => "last review",
            BrowseSort::Views => "views",
        }
    }
}

/// What to list. `None` filters and an empty search list every live card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowseFilter {
    pub state: Option<BrowseState>,
    pub topic: Option<TopicId>,
    pub format: Option<CardFormat>,
    pub material: Option<String>,
    /// Text searched in cue, answer and cloze, case- and width-insensitively.
    pub search: String,
    pub sort: BrowseSort,
}

/// Where a page starts: just after this row in the list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrowseCursor {
    /// The row's sort key (the order's value folded into one integer).
    pub key: i64,
    pub id: CardId,
}

/// One card of the list with what the columns show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseRow {
    pub card: Card,
    /// Its progress row's ladder (`None`: never rated).
    pub ladder: Option<LadderState>,
    pub last_reviewed_at: Option<DateTime<Utc>>,
    pub state: BrowseState,
}

/// One page of the list and where the next starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrowsePage {
    pub rows: Vec<BrowseRow>,
    pub next: Option<BrowseCursor>,
}

/// Browse and forget. Every read and write is scoped to the user.
#[async_trait]
pub trait BrowseStore: Send + Sync + 'static {
    /// At most `limit` live cards matching `filter`, in its order, after `after`.
    async fn browse(
        &self,
        user: UserId,
        filter: &BrowseFilter,
        after: Option<BrowseCursor>,
        limit: u32,
    ) -> StoreResult<BrowsePage>;

    /// Resets a card's schedule: its progress row goes, so it is new again (the due deck's
    /// first recall); the review log stays. Undoable; a card never rated is refused.
    async fn forget_card(
        &self,
        user: UserId,
        card_id: CardId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}
