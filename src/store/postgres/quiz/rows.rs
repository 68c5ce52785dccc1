//! PostgreSQL: reading the quiz's rows (sessions, attempts, progress, questions). The same text as
//! `sqlite/quiz/rows.rs` below the timestamp, choice and id-list helpers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};

use crate::domain::card::Outcome;
use crate::domain::quiz::{self, Attempt, QuestionProgress};
use crate::store::quiz::{AttemptRow, QuizSession, QuizSummary, SessionStatus};
use crate::store::{Question, StoreError, StoreResult, UserId};

/// A timestamp as PostgreSQL stores it: as it is.
pub(super) fn ts(t: DateTime<Utc>) -> DateTime<Utc> {
    t
}

pub(super) fn get_ts(row: &PgRow, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(row.try_get(column)?)
}

pub(super) fn get_choices(row: &PgRow) -> StoreResult<Vec<String>> {
    let Json(choices): Json<Vec<String>> = row.try_get("choices")?;
    Ok(choices)
}

/// What locks the rows a write reads first: `FOR UPDATE` (outside a transaction the lock
/// ends with the statement).
macro_rules! lock_rows {
    () => {
        " FOR UPDATE"
    };
}
pub(super) use lock_rows;

/// The session row, locked for the rest of the transaction.
pub(super) const SESSION_FOR_UPDATE: &str = concat!(
    "SELECT id, study_topic_id, status, question_ids, started_at, finished_at, \
     correct_count, wrong_count, unsure_count, skipped_count, newly_correct_count, relapsed_count, \
     recovered_count, chronic_remaining_count, pending_review_count, chronic_count, regressed_count \
     FROM study_quiz_sessions WHERE id = $1 AND user_id = $2",
    lock_rows!()
);

/// The live questions among `ids`, in any order.
pub(super) async fn questions_by_ids(
    conn: &mut PgConnection,
    user: UserId,
    ids: &[i64],
) -> StoreResult<Vec<Question>> {
    let rows = sqlx::query(
        "SELECT id, study_topic_id, question_text, choices, correct_choice, ai_explanation, \
         ai_explanation_status, ai_explanation_generated_at FROM study_questions \
         WHERE user_id = $1 AND deleted_at IS NULL AND id IN (SELECT value::BIGINT FROM jsonb_array_elements_text($2))",
    )
    .bind(user.0)
    .bind(Json(ids))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(question_from_row).collect()
}

pub(super) fn question_from_row(row: &PgRow) -> StoreResult<Question> {
    let status: String = row.try_get("ai_explanation_status")?;
    Ok(Question {
        id: row.try_get("id")?,
        topic_id: row.try_get("study_topic_id")?,
        question_text: row.try_get("question_text")?,
        choices: get_choices(row)?,
        correct_choice: row.try_get("correct_choice")?,
        ai_explanation: row.try_get("ai_explanation")?,
        ai_explanation_status: status.parse()?,
        ai_explanation_generated_at: get_ts(row, "ai_explanation_generated_at")?,
    })
}

// ---- From here on the text is the same as postgres/quiz.rs. ----

pub(super) fn outcome_of(row: &PgRow, column: &str) -> StoreResult<Option<Outcome>> {
    let stored: Option<String> = row.try_get(column)?;
    Ok(stored.map(|s| Outcome::from_stored(&s)).transpose()?)
}

pub(super) fn attempt_from_row(row: &PgRow) -> StoreResult<Attempt> {
    Ok(Attempt {
        id: row.try_get("id")?,
        question_id: row.try_get("study_question_id")?,
        topic_id: row.try_get("study_topic_id")?,
        outcome: outcome_of(row, "outcome")?.ok_or(StoreError::NotFound("outcome"))?,
        answered_at: get_ts(row, "answered_at")?.ok_or(StoreError::NotFound("answered_at"))?,
    })
}

pub(super) fn attempt_row_from_row(row: &PgRow) -> StoreResult<AttemptRow> {
    let attempt = attempt_from_row(row)?;
    Ok(AttemptRow {
        id: attempt.id,
        question_id: attempt.question_id,
        chosen_choice: row.try_get("chosen_choice")?,
        outcome: attempt.outcome,
        answered_at: attempt.answered_at,
    })
}

/// The progress columns every progress query selects, prefixed `p_` so that they can sit
/// beside a question's columns.
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

pub(super) fn progress_from_row(row: &PgRow) -> StoreResult<Option<QuestionProgress>> {
    let Some(question_id) = row.try_get::<Option<i64>, _>("p_question")? else {
        return Ok(None);
    };
    let pattern: Option<String> = row.try_get("p_pattern_state")?;
    Ok(Some(QuestionProgress {
        question_id,
        topic_id: row.try_get("p_topic")?,
        last_outcome: outcome_of(row, "p_last_outcome")?,
        last_attempted_at: get_ts(row, "p_last_attempted_at")?,
        last_attempt_id: row.try_get("p_last_attempt_id")?,
        last_reviewed_at: get_ts(row, "p_last_reviewed_at")?,
        pattern_state: pattern.map(|s| s.parse()).transpose()?,
        pattern_updated_at: get_ts(row, "p_pattern_updated_at")?,
        pattern_window_attempts: row.try_get("p_window")?,
        due_at: get_ts(row, "p_due_at")?,
        review_stage: row.try_get("p_stage")?,
    }))
}

/// A session row as read: its head and, once done, its snapshot.
pub(super) struct SessionHead {
    pub(super) id: i64,
    pub(super) topic_id: Option<i64>,
    pub(super) status: SessionStatus,
    pub(super) question_ids: Vec<i64>,
    pub(super) started_at: DateTime<Utc>,
    pub(super) finished_at: Option<DateTime<Utc>>,
    pub(super) summary: QuizSummary,
}

pub(super) async fn session_head(
    conn: &mut PgConnection,
    user: UserId,
    session_id: i64,
) -> StoreResult<SessionHead> {
    let row = sqlx::query(SESSION_FOR_UPDATE)
        .bind(session_id)
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("quiz session"))?;
    let status: String = row.try_get("status")?;
    let Json(question_ids): Json<Vec<i64>> = row.try_get("question_ids")?;
    let count = |c: &str| -> StoreResult<i64> { Ok(row.try_get(c)?) };
    Ok(SessionHead {
        id: row.try_get("id")?,
        topic_id: row.try_get("study_topic_id")?,
        status: SessionStatus::from_stored(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("session status {status:?}")))?,
        question_ids,
        started_at: get_ts(&row, "started_at")?.ok_or(StoreError::NotFound("started_at"))?,
        finished_at: get_ts(&row, "finished_at")?,
        summary: QuizSummary {
            session: quiz::SessionCounts {
                correct: count("correct_count")?,
                wrong: count("wrong_count")?,
                unsure: count("unsure_count")?,
                skipped: count("skipped_count")?,
                newly_correct: count("newly_correct_count")?,
                relapsed: count("relapsed_count")?,
                recovered: count("recovered_count")?,
                chronic_remaining: count("chronic_remaining_count")?,
            },
            pending_review: count("pending_review_count")?,
            chronic: count("chronic_count")?,
            regressed: count("regressed_count")?,
        },
    })
}

/// The whole session: its live questions in order and its answers.
pub(super) async fn load_session(
    conn: &mut PgConnection,
    user: UserId,
    head: SessionHead,
) -> StoreResult<QuizSession> {
    let mut by_id: HashMap<i64, Question> = questions_by_ids(conn, user, &head.question_ids)
        .await?
        .into_iter()
        .map(|q| (q.id, q))
        .collect();
    let questions = head
        .question_ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .collect();
    let rows = sqlx::query(
        "SELECT id, study_question_id, study_topic_id, chosen_choice, outcome, answered_at \
         FROM study_question_attempts WHERE quiz_session_id = $1 AND user_id = $2 \
         ORDER BY answered_at, id",
    )
    .bind(head.id)
    .bind(user.0)
    .fetch_all(&mut *conn)
    .await?;
    let attempts = rows
        .iter()
        .map(attempt_row_from_row)
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
