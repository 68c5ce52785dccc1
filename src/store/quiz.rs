//! The question quiz part of the Store API (DESIGN §1.7): sessions, answers, finalize,
//! reviewing a missed question. The workflow (`workflows/quiz.rs`) loads the rows, calls the
//! pure functions of [`crate::domain::quiz`] and writes what they return, in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Question, QuestionId, StoreResult, TopicId, UserId};
use crate::domain::card::Outcome;
use crate::domain::quiz::{QuestionProgress, SessionCounts};

/// Whether a session is still being answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    Active,
    Done,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::Done => "done",
        }
    }

    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "active" => Some(SessionStatus::Active),
            "done" => Some(SessionStatus::Done),
            _ => None,
        }
    }
}

/// The counts of a finalized session, stored on its row (the snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct QuizSummary {
    pub session: SessionCounts,
    /// In the session's topic (all topics for an all-topics session): questions waiting for
    /// review after the session.
    pub pending_review: i64,
    pub chronic: i64,
    pub regressed: i64,
}

/// One answer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptRow {
    pub id: i64,
    pub question_id: QuestionId,
    pub chosen_choice: Option<i16>,
    pub outcome: Outcome,
    pub answered_at: DateTime<Utc>,
}

/// A quiz session: its questions in the order asked, the answers given so far and, once
/// done, its summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizSession {
    pub id: i64,
    /// `None`: all topics.
    pub topic_id: Option<TopicId>,
    pub status: SessionStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The questions still live, in the order they are asked.
    pub questions: Vec<Question>,
    /// The session's answers, oldest first.
    pub attempts: Vec<AttemptRow>,
    /// Set once the session is done.
    pub summary: Option<QuizSummary>,
}

impl QuizSession {
    /// The questions not answered yet, in order.
    pub fn remaining(&self) -> impl Iterator<Item = &Question> {
        self.questions
            .iter()
            .filter(|q| !self.attempts.iter().any(|a| a.question_id == q.id))
    }
}

/// A question waiting for review, with its progress row (for the summary's review list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingQuestion {
    pub question: Question,
    pub progress: QuestionProgress,
}

/// Sessions, answers, finalize and review. Question and session ids of another user are
/// "not found".
#[async_trait]
pub trait QuizStore: Send + Sync + 'static {
    /// The user's active session, if any (a quiz left mid-way).
    async fn active_quiz(&self, user: UserId) -> StoreResult<Option<QuizSession>>;

    /// Starts a session of at most `size` questions of `topic` (or all topics), in the order
    /// of [`crate::domain::quiz::next_session`]. Refused while another session is active.
    async fn start_quiz(
        &self,
        user: UserId,
        topic: Option<TopicId>,
        size: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<QuizSession>;

    /// One session, active or done.
    async fn quiz_session(&self, user: UserId, session_id: i64) -> StoreResult<QuizSession>;

    /// Records an answer (`chosen`: `None` skips) graded against the stored correct choice.
    /// Refused when the session is done or the question is not one of its questions.
    async fn answer_question(
        &self,
        user: UserId,
        session_id: i64,
        question_id: QuestionId,
        chosen: Option<i16>,
        marked_unsure: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<AttemptRow>;

    /// Finalizes a session (DESIGN §1.7) with what was answered, in one transaction, and
    /// marks it done. Idempotent: a done session changes nothing and returns its snapshot.
    async fn finalize_quiz(
        &self,
        user: UserId,
        session_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<QuizSummary>;

    /// Questions waiting for review in `topic` (or all topics), oldest miss first.
    async fn pending_questions(
        &self,
        user: UserId,
        topic: Option<TopicId>,
    ) -> StoreResult<Vec<PendingQuestion>>;

    /// Marks a question reviewed: `last_reviewed_at = now` and, if it is not in the ladder,
    /// enters it at stage 0, due in a day. A question never answered is "not found".
    async fn mark_question_reviewed(
        &self,
        user: UserId,
        question_id: QuestionId,
        now: DateTime<Utc>,
    ) -> StoreResult<QuestionProgress>;

    /// The progress rows of `topic` (or all topics), by question id.
    async fn question_progress(
        &self,
        user: UserId,
        topic: Option<TopicId>,
    ) -> StoreResult<Vec<QuestionProgress>>;
}
