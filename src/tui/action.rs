//! What `update` consumes: the learner's commands and keys, and events from effects and the
//! background engine, each carrying its data.

use crate::store::{CardId, QuestionId, TopicId};
use crossterm::event::KeyEvent;

use super::keymap::Command;
use crate::store::{Card, Counts, DueCard, RatingResult, ReviewGroup, ReviewStamp, Topic, Undone};

/// What a write effect changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Approved {
        card_id: CardId,
    },
    ApprovedQuestion {
        question_id: QuestionId,
        card_ids: Vec<CardId>,
    },
    Deleted {
        card_id: CardId,
    },
    SentBack {
        card_id: CardId,
    },
    /// The editor's save of an existing card.
    Edited(Box<Card>),
    /// The editor's new manual card.
    Added(Box<Card>),
    /// A cram view was recorded.
    Viewed {
        card_id: CardId,
    },
    /// A card's schedule was reset (Browse).
    Forgot {
        card_id: CardId,
    },
}

#[derive(Debug, Clone)]
pub enum Action {
    /// A bound key.
    Command(Command),
    /// An unbound key while the editor is open: text input.
    Key(KeyEvent),
    /// Pasted text while the editor is open.
    Paste(String),
    /// The polling fallback's tick: refresh what other processes may have changed.
    Tick,
    /// Another process changed this user's data (PostgreSQL NOTIFY).
    ExternalChange,
    /// The background extraction reported something (already worded for the status bar).
    Extraction {
        message: String,
        cards_added: bool,
    },

    /// An explanation job ended `no_llm`: explanations need an LLM endpoint.
    ExplanationsNeedLlm,

    /// The background extraction started in this process.
    ExtractionStarted,

    /// The background extraction could not read or write the database.
    ExtractionError(String),

    /// The review listing, with the queue's stamp read just before it.
    ReviewLoaded {
        groups: Vec<ReviewGroup>,
        stamp: ReviewStamp,
    },
    /// A fresh due deck (replaces the held one).
    DueLoaded(Vec<DueCard>),
    /// The first cards of the deck at start (replace the held ones), read narrowed to
    /// `topic` (the focus remembered in the database); the rest of the batch follows.
    FirstDueLoaded {
        deck: Vec<DueCard>,
        topic: Option<TopicId>,
    },
    /// More due cards (appended, without duplicates).
    DueRefilled(Vec<DueCard>),
    /// Reading the due deck failed: the next refresh tries again.
    DueRefillFailed(String),
    CramLoaded(Vec<Card>),
    MaterialsLoaded(Vec<String>),
    CountsLoaded(Counts),
    /// A change went through: what changed, with its data. `update` words it and decides
    /// what to reload.
    Changed(Change),
    /// An effect failed; the message goes to the status bar.
    Failed(String),
    /// A change was not written; the message goes to the status bar.
    WriteFailed(String),
    /// A write effect ended (after its outcome was reported).
    WriteSettled,
    /// The editor's save was refused; the editor stays open with its text.
    EditRefused(String),
    Rated(RatingResult),
    /// A rating failed: the card goes back to the front of the deck.
    RateFailed {
        card: Box<DueCard>,
        error: String,
    },
    /// A rating was refused because the card changed since it was shown (another device
    /// rated it): the card is not put back; the deck is reloaded.
    RateRefused {
        card_id: CardId,
        error: String,
    },
    Undone(Option<Undone>),
    /// The learner's topics, with `focused_at` (the remembered focus), or why they could not
    /// be read (the decks are then read for all topics).
    TopicsLoaded(Result<Vec<Topic>, String>),
    /// The Statistics pane's figures.
    StatsLoaded(Box<super::study::LoadedStats>),
    /// Computing the statistics failed.
    StatsFailed(String),
    /// A Quiz pane effect reported back.
    Quiz(super::quiz::QuizEvent),
    /// A Browse pane read reported back.
    Browse(super::browse::BrowseEvent),
}
