//! The rows and reports the Store API hands out, shared by both backends.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::card::{CardFormat, ExplanationStatus, SourceKind};

/// Typed row ids: a card id and a question id are both numbers, and passing one where the
/// other belongs must not compile. Stored and serialized as the plain number.
macro_rules! row_id {
    ($(#[$doc:meta] $name:ident),+ $(,)?) => {$(
        #[$doc]
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

row_id!(
    /// The user every operation is scoped to.
    UserId,
    /// A memo card.
    CardId,
    /// A study question.
    QuestionId,
    /// A topic of questions.
    TopicId,
    /// An extraction job.
    JobId,
);

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub id: TopicId,
    pub name: String,
    pub focused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    pub id: QuestionId,
    pub topic_id: TopicId,
    pub question_text: String,
    pub choices: Vec<String>,
    /// 1-based.
    pub correct_choice: i16,
    pub ai_explanation: Option<String>,
    pub ai_explanation_status: ExplanationStatus,
    /// The explanation's version.
    pub ai_explanation_generated_at: Option<DateTime<Utc>>,
}

/// A question to insert (from an import file or the demo set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuestion {
    pub question_text: String,
    pub choices: Vec<String>,
    pub correct_choice: i16,
    pub explanation: Option<String>,
    pub explanation_generated_at: Option<DateTime<Utc>>,
}

/// Topics with their questions, validated, ready to import in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportSet {
    pub topics: Vec<(String, Vec<NewQuestion>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ImportReport {
    pub topics_created: u64,
    pub questions_created: u64,
    /// Questions already present (same topic and text): their text and choices are left
    /// as they were.
    pub questions_skipped: u64,
    /// Questions already present whose explanation the file replaced: its
    /// `explanation_generated_at` is newer than the stored one (a new version, extracted anew).
    pub explanations_updated: u64,
    /// Questions already present whose explanation in the file differs from the stored one
    /// but is not newer: the stored one was kept (the import says so).
    pub explanations_kept: u64,
}

/// A memo card as the panes show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Card {
    pub id: CardId,
    pub source_kind: SourceKind,
    pub source_question_id: Option<QuestionId>,
    pub topic_id: Option<TopicId>,
    pub format: CardFormat,
    pub cue: String,
    pub fact: String,
    pub cloze_text: Option<String>,
    pub needs_review: bool,
    pub flagged_by: Option<String>,
    pub material: Option<String>,
    pub view_count: i32,
    pub last_viewed_at: Option<DateTime<Utc>>,
    /// When the card last changed: a change made from what was shown is checked against it.
    pub updated_at: DateTime<Utc>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub source_type: String,
    pub source_id: Option<i64>,
    pub snippet: Option<String>,
}

/// A fingerprint of a user's review queue, to tell whether a listing is still current: it
/// changes when a card enters or leaves the queue (the count or the sum of ids moves) or a
/// card in it is changed (the latest `updated_at` moves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReviewStamp {
    /// Live cards waiting for review (the badge).
    pub cards: i64,
    pub id_sum: i64,
    pub last_change: Option<DateTime<Utc>>,
}

/// What the database holds for one user, for `amgi demo` and `amgi doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub topics: i64,
    pub questions: i64,
    pub ready_explanations: i64,
    pub cards_in_review: i64,
    pub cards_approved: i64,
    pub jobs_pending: i64,
    pub jobs_processing: i64,
    pub jobs_failed: i64,
}
