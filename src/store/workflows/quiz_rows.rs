//! The quiz's rows as both databases return them: sessions, attempts, question progress, and
//! the questions a session asks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::content::{QuestionRow, question_columns};
use crate::domain::card::Outcome;
use crate::domain::quiz::{self, Attempt, QuestionProgress};
use crate::store::quiz::{AttemptRow, QuizSession, QuizSummary, SessionStatus};
use crate::store::sql::{Connected, IdList, Stamp, query_for_update};
use crate::store::{Question, QuestionId, StoreError, StoreResult, TopicId, UserId};

fn outcome(stored: &str) -> StoreResult<Outcome> {
    Ok(Outcome::from_stored(stored)?)
}

/// The attempt columns every attempt query selects.
macro_rules! attempt_columns {
    () => {
        "id, study_question_id, study_topic_id, chosen_choice, outcome, answered_at"
    };
}
pub(super) use attempt_columns;

#[derive(sqlx::FromRow)]
pub(super) struct AttemptDbRow {
    id: i64,
    study_question_id: i64,
    study_topic_id: i64,
    chosen_choice: Option<i16>,
    outcome: String,
    answered_at: Stamp,
}

impl AttemptDbRow {
    pub(super) fn attempt(&self) -> StoreResult<Attempt> {
        Ok(Attempt {
            id: self.id,
            question_id: self.study_question_id,
            topic_id: self.study_topic_id,
            outcome: outcome(&self.outcome)?,
            answered_at: self.answered_at.into(),
        })
    }

    pub(super) fn row(&self) -> StoreResult<AttemptRow> {
        Ok(AttemptRow {
            id: self.id,
            question_id: QuestionId(self.study_question_id),
            chosen_choice: self.chosen_choice,
            outcome: outcome(&self.outcome)?,
            answered_at: self.answered_at.into(),
        })
    }
}

/// The progress columns every progress query selects, prefixed `p_` so that they can sit
/// beside a question's columns (all NULL for a question never answered).
macro_rules! progress_columns {
    () => {
        "p.study_question_id AS p_question, p.study_topic_id AS p_topic, \
         p.last_outcome AS p_last_outcome, p.last_attempted_at AS p_last_attempted_at, \
         p.last_attempt_id AS p_last_attempt_id, p.last_reviewed_at AS p_last_reviewed_at, \
         p.pattern_state AS p_pattern_state, p.pattern_updated_at AS p_pattern_updated_at, \
         p.pattern_window_attempts AS p_window, p.due_at AS p_due_at, p.review_stage AS p_stage"
    };
}
pub(super) use progress_columns;

#[derive(sqlx::FromRow)]
pub(super) struct ProgressDbRow {
    p_question: Option<i64>,
    p_topic: Option<i64>,
    p_last_outcome: Option<String>,
    p_last_attempted_at: Option<Stamp>,
    p_last_attempt_id: Option<i64>,
    p_last_reviewed_at: Option<Stamp>,
    p_pattern_state: Option<String>,
    p_pattern_updated_at: Option<Stamp>,
    p_window: Option<i16>,
    p_due_at: Option<Stamp>,
    p_stage: Option<i16>,
}

impl ProgressDbRow {
    /// The progress row, `None` where the join found none.
    pub(super) fn progress(&self) -> StoreResult<Option<QuestionProgress>> {
        let (Some(question_id), Some(topic_id)) = (self.p_question, self.p_topic) else {
            return Ok(None);
        };
        Ok(Some(QuestionProgress {
            question_id,
            topic_id,
            last_outcome: self.p_last_outcome.as_deref().map(outcome).transpose()?,
            last_attempted_at: self.p_last_attempted_at.map(Into::into),
            last_attempt_id: self.p_last_attempt_id,
            last_reviewed_at: self.p_last_reviewed_at.map(Into::into),
            pattern_state: self
                .p_pattern_state
                .as_deref()
                .map(str::parse)
                .transpose()?,
            pattern_updated_at: self.p_pattern_updated_at.map(Into::into),
            pattern_window_attempts: self.p_window.unwrap_or(0),
            due_at: self.p_due_at.map(Into::into),
            review_stage: self.p_stage,
        }))
    }
}

/// The user's live questions among `ids`, in any order.
pub(super) async fn questions_by_ids(
    on: &mut impl Connected,
    user: UserId,
    ids: &[i64],
) -> StoreResult<Vec<Question>> {
    let rows: Vec<QuestionRow> = on
        .query_pick(
            concat!(
                "SELECT ",
                question_columns!(),
                " FROM study_questions WHERE user_id = $1 AND deleted_at IS NULL \
                 AND id IN (SELECT value FROM json_each($2))"
            ),
            concat!(
                "SELECT ",
                question_columns!(),
                " FROM study_questions WHERE user_id = $1 AND deleted_at IS NULL AND id = ANY($2)"
            ),
        )
        .bind(user.0)
        .bind(IdList(ids.to_vec()))
        .fetch_all(on)
        .await?;
    rows.into_iter().map(QuestionRow::question).collect()
}

/// The session columns every session query selects.
macro_rules! session_columns {
    () => {
        "id, study_topic_id, status, question_ids, started_at, finished_at, \
         correct_count, wrong_count, unsure_count, skipped_count, newly_correct_count, relapsed_count, \
         recovered_count, chronic_remaining_count, pending_review_count, chronic_count, regressed_count"
    };
}
pub(super) use session_columns;

/// One row of [`session_columns!`].
#[derive(sqlx::FromRow)]
pub(super) struct SessionDbRow {
    pub(super) id: i64,
    pub(super) study_topic_id: Option<TopicId>,
    pub(super) status: String,
    pub(super) question_ids: Json<Vec<i64>>,
    pub(super) started_at: Stamp,
    pub(super) finished_at: Option<Stamp>,
    pub(super) correct_count: i64,
    pub(super) wrong_count: i64,
    pub(super) unsure_count: i64,
    pub(super) skipped_count: i64,
    pub(super) newly_correct_count: i64,
    pub(super) relapsed_count: i64,
    pub(super) recovered_count: i64,
    pub(super) chronic_remaining_count: i64,
    pub(super) pending_review_count: i64,
    pub(super) chronic_count: i64,
    pub(super) regressed_count: i64,
}

/// A session row as read: its head and, once done, its snapshot.
pub(super) struct SessionHead {
    pub(super) id: i64,
    pub(super) topic_id: Option<TopicId>,
    pub(super) status: SessionStatus,
    pub(super) question_ids: Vec<i64>,
    pub(super) started_at: DateTime<Utc>,
    pub(super) finished_at: Option<DateTime<Utc>>,
    pub(super) summary: QuizSummary,
}

/// The session row; in a PostgreSQL write transaction it is locked for the rest of it.
pub(super) async fn session_head(
    on: &mut impl Connected,
    user: UserId,
    session_id: i64,
) -> StoreResult<SessionHead> {
    let row: SessionDbRow = query_for_update!(
        on,
        "SELECT ",
        session_columns!(),
        " FROM study_quiz_sessions WHERE id = $1 AND user_id = $2"
    )
    .bind(session_id)
    .bind(user.0)
    .fetch_optional(on)
    .await?
    .ok_or(StoreError::NotFound("quiz session"))?;
    Ok(SessionHead {
        id: row.id,
        topic_id: row.study_topic_id,
        status: SessionStatus::from_stored(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("session status {:?}", row.status)))?,
        question_ids: row.question_ids.0,
        started_at: row.started_at.into(),
        finished_at: row.finished_at.map(Into::into),
        summary: QuizSummary {
            session: quiz::SessionCounts {
                correct: row.correct_count,
                wrong: row.wrong_count,
                unsure: row.unsure_count,
                skipped: row.skipped_count,
                newly_correct: row.newly_correct_count,
                relapsed: row.relapsed_count,
                recovered: row.recovered_count,
                chronic_remaining: row.chronic_remaining_count,
            },
            pending_review: row.pending_review_count,
            chronic: row.chronic_count,
            regressed: row.regressed_count,
        },
    })
}

/// The whole session: its live questions in order and its answers.
pub(super) async fn load_session(
    on: &mut impl Connected,
    user: UserId,
    head: SessionHead,
) -> StoreResult<QuizSession> {
    let mut by_id: HashMap<i64, Question> = questions_by_ids(on, user, &head.question_ids)
        .await?
        .into_iter()
        .map(|q| (q.id.0, q))
        .collect();
    let questions = head
        .question_ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .collect();
    let rows: Vec<AttemptDbRow> = on
        .query(concat!(
            "SELECT ",
            attempt_columns!(),
            " FROM study_question_attempts WHERE quiz_session_id = $1 AND user_id = $2 \
             ORDER BY answered_at, id"
        ))
        .bind(head.id)
        .bind(user.0)
        .fetch_all(on)
        .await?;
    let attempts = rows
        .iter()
        .map(AttemptDbRow::row)
        .collect::<StoreResult<Vec<_>>>()?;
    let done = head.status == SessionStatus::Done;
    Ok(QuizSession {
        id: head.id,
        topic_id: head.topic_id,
        status: head.status,
        started_at: head.started_at,
        finished_at: head.finished_at,
        questions,
        attempts,
        summary: done.then_some(head.summary),
    })
}
