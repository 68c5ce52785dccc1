//! SQLite: the question quiz (issue 17). Thin: load rows, call `domain::quiz`, write rows, in
//! one transaction. The SQL is the same text as `postgres/quiz.rs`; only the row helpers of
//! `quiz/rows.rs` (timestamps, JSON id lists) and the locking differ (an immediate transaction
//! here, `FOR UPDATE` there).

mod rows;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Row, SqliteConnection};

use self::rows::{
    attempt_from_row, attempt_row_from_row, load_session, lock_rows, progress_columns,
    progress_from_row, questions_by_ids, session_head, ts,
};
use super::SqliteStore;
use crate::domain::card::Outcome;
use crate::domain::quiz::{self, Attempt, Candidate, FinalizeInput, QuestionProgress};
use crate::store::quiz::{
    AttemptRow, PendingQuestion, QuizSession, QuizStore, QuizSummary, SessionStatus,
};
use crate::store::{Question, StoreError, StoreResult, UserId};

async fn active_id(conn: &mut SqliteConnection, user: UserId) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM study_quiz_sessions WHERE user_id = $1 AND status = 'active'",
    )
    .bind(user.0)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn start(
    store: &SqliteStore,
    user: UserId,
    topic: Option<i64>,
    size: u32,
    now: DateTime<Utc>,
) -> StoreResult<QuizSession> {
    let mut tx = store.begin_write().await?;
    if active_id(&mut tx, user).await?.is_some() {
        return Err(StoreError::Refused(
            "a quiz is already under way: finish or abandon it first".into(),
        ));
    }
    let rows = sqlx::query(concat!(
        "SELECT q.id, ",
        progress_columns!(),
        " FROM study_questions q \
         LEFT JOIN study_question_progress p ON p.user_id = q.user_id \
           AND p.study_topic_id = q.study_topic_id AND p.study_question_id = q.id \
         WHERE q.user_id = $1 AND q.deleted_at IS NULL \
           AND (CAST($2 AS BIGINT) IS NULL OR q.study_topic_id = $2)"
    ))
    .bind(user.0)
    .bind(topic)
    .fetch_all(&mut *tx)
    .await?;
    let candidates = rows
        .iter()
        .map(|r| {
            Ok(Candidate {
                question_id: r.try_get("id")?,
                progress: progress_from_row(r)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let ids = quiz::next_session(&candidates, now, size);
    if ids.is_empty() {
        return Err(StoreError::Refused("there are no questions to ask".into()));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO study_quiz_sessions (user_id, study_topic_id, status, question_ids, started_at) \
         VALUES ($1, $2, 'active', $3, $4) RETURNING id",
    )
    .bind(user.0)
    .bind(topic)
    .bind(Json(&ids))
    .bind(ts(now))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match e.as_database_error() {
        // Another device started one meanwhile (the one-active-session index).
        Some(db) if db.is_unique_violation() => {
            StoreError::Refused("a quiz is already under way: finish or abandon it first".into())
        }
        _ => StoreError::from(e),
    })?;
    let head = session_head(&mut tx, user, id).await?;
    let session = load_session(&mut tx, user, head).await?;
    tx.commit().await?;
    Ok(session)
}

async fn answer(
    store: &SqliteStore,
    user: UserId,
    session_id: i64,
    question_id: i64,
    chosen: Option<i16>,
    marked_unsure: bool,
    now: DateTime<Utc>,
) -> StoreResult<AttemptRow> {
    let mut tx = store.begin_write().await?;
    let head = session_head(&mut tx, user, session_id).await?;
    if head.status == SessionStatus::Done {
        return Err(StoreError::Refused("this quiz is already finished".into()));
    }
    if !head.question_ids.contains(&question_id) {
        return Err(StoreError::NotFound("question of this quiz"));
    }
    let question = questions_by_ids(&mut tx, user, &[question_id])
        .await?
        .pop()
        .ok_or(StoreError::NotFound("question"))?;
    let choices = i16::try_from(question.choices.len()).unwrap_or(i16::MAX);
    if let Some(c) = chosen.filter(|c| !(1..=choices).contains(c)) {
        return Err(StoreError::Invalid(format!(
            "choice {c} does not exist (1 to {choices})"
        )));
    }
    let outcome = quiz::grade(question.correct_choice, chosen, marked_unsure);
    let row = sqlx::query(
        "INSERT INTO study_question_attempts (user_id, study_topic_id, study_question_id, \
         quiz_session_id, chosen_choice, outcome, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         RETURNING id, study_question_id, study_topic_id, chosen_choice, outcome, answered_at",
    )
    .bind(user.0)
    .bind(question.topic_id)
    .bind(question_id)
    .bind(session_id)
    .bind(chosen)
    .bind(outcome.as_str())
    .bind(ts(now))
    .fetch_one(&mut *tx)
    .await?;
    let attempt = attempt_row_from_row(&row)?;
    tx.commit().await?;
    Ok(attempt)
}

/// The session's questions: their recent attempts (the last three not skipped, and the last
/// two of all, which is what `domain::quiz::finalize` reads) and their progress rows.
const RECENT_ATTEMPTS: &str = "SELECT id, study_question_id, study_topic_id, outcome, answered_at FROM ( \
       SELECT a.id, a.study_question_id, a.study_topic_id, a.outcome, a.answered_at, \
         ROW_NUMBER() OVER (PARTITION BY a.study_question_id ORDER BY a.answered_at DESC, a.id DESC) AS nth, \
         ROW_NUMBER() OVER (PARTITION BY a.study_question_id, a.outcome = 'skipped' \
                            ORDER BY a.answered_at DESC, a.id DESC) AS nth_kind \
       FROM study_question_attempts a \
       WHERE a.user_id = $1 AND a.study_question_id IN \
         (SELECT s.study_question_id FROM study_question_attempts s WHERE s.quiz_session_id = $2 AND s.user_id = $1) \
     ) recent WHERE nth <= 2 OR (outcome <> 'skipped' AND nth_kind <= 3) \
     ORDER BY study_question_id, answered_at, id";

const UPSERT_PROGRESS: &str = "INSERT INTO study_question_progress (user_id, study_topic_id, study_question_id, \
       last_outcome, last_attempted_at, last_attempt_id, last_reviewed_at, pattern_state, pattern_updated_at, \
       pattern_window_attempts, due_at, review_stage, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
     ON CONFLICT (user_id, study_topic_id, study_question_id) DO UPDATE SET \
       last_outcome = excluded.last_outcome, last_attempted_at = excluded.last_attempted_at, \
       last_attempt_id = excluded.last_attempt_id, last_reviewed_at = excluded.last_reviewed_at, \
       pattern_state = excluded.pattern_state, pattern_updated_at = excluded.pattern_updated_at, \
       pattern_window_attempts = excluded.pattern_window_attempts, due_at = excluded.due_at, \
       review_stage = excluded.review_stage, updated_at = excluded.updated_at";

async fn write_progress(
    conn: &mut SqliteConnection,
    user: UserId,
    row: &QuestionProgress,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(UPSERT_PROGRESS)
        .bind(user.0)
        .bind(row.topic_id)
        .bind(row.question_id)
        .bind(row.last_outcome.map(Outcome::as_str))
        .bind(row.last_attempted_at.map(ts))
        .bind(row.last_attempt_id)
        .bind(row.last_reviewed_at.map(ts))
        .bind(row.pattern_state.map(quiz::PatternState::as_str))
        .bind(row.pattern_updated_at.map(ts))
        .bind(row.pattern_window_attempts)
        .bind(row.due_at.map(ts))
        .bind(row.review_stage)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn finalize(
    store: &SqliteStore,
    user: UserId,
    session_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<QuizSummary> {
    let mut tx = store.begin_write().await?;
    let head = session_head(&mut tx, user, session_id).await?;
    if head.status == SessionStatus::Done {
        return Ok(head.summary);
    }
    let rows = sqlx::query(
        "SELECT id, study_question_id, study_topic_id, outcome, answered_at FROM study_question_attempts \
         WHERE quiz_session_id = $1 AND user_id = $2 ORDER BY answered_at, id",
    )
    .bind(session_id)
    .bind(user.0)
    .fetch_all(&mut *tx)
    .await?;
    let session = rows
        .iter()
        .map(attempt_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut recent: HashMap<i64, Vec<Attempt>> = HashMap::new();
    for row in sqlx::query(RECENT_ATTEMPTS)
        .bind(user.0)
        .bind(session_id)
        .fetch_all(&mut *tx)
        .await?
    {
        let attempt = attempt_from_row(&row)?;
        recent.entry(attempt.question_id).or_default().push(attempt);
    }
    let mut progress = HashMap::new();
    for row in sqlx::query(concat!(
        "SELECT ",
        progress_columns!(),
        " FROM study_question_progress p WHERE p.user_id = $1 \
         AND p.study_question_id IN \
           (SELECT s.study_question_id FROM study_question_attempts s WHERE s.quiz_session_id = $2 AND s.user_id = $1)",
        lock_rows!()
    ))
    .bind(user.0)
    .bind(session_id)
    .fetch_all(&mut *tx)
    .await?
    {
        if let Some(p) = progress_from_row(&row)? {
            progress.insert(p.question_id, p);
        }
    }
    let done = quiz::finalize(FinalizeInput {
        session: &session,
        recent: &recent,
        progress: &progress,
        now,
    });
    for row in &done.rows {
        write_progress(&mut tx, user, row, now).await?;
    }
    let topic = sqlx::query(
        "SELECT \
           COALESCE(SUM(CASE WHEN last_outcome IN ('wrong', 'unsure') AND (last_reviewed_at IS NULL \
             OR last_reviewed_at < last_attempted_at) THEN 1 ELSE 0 END), 0) AS pending, \
           COALESCE(SUM(CASE WHEN pattern_state = 'chronic_wrong' THEN 1 ELSE 0 END), 0) AS chronic, \
           COALESCE(SUM(CASE WHEN pattern_state = 'regressed' THEN 1 ELSE 0 END), 0) AS regressed \
         FROM study_question_progress WHERE user_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR study_topic_id = $2)",
    )
    .bind(user.0)
    .bind(head.topic_id)
    .fetch_one(&mut *tx)
    .await?;
    let summary = QuizSummary {
        session: done.counts,
        pending_review: topic.try_get("pending")?,
        chronic: topic.try_get("chronic")?,
        regressed: topic.try_get("regressed")?,
    };
    let c = summary.session;
    sqlx::query(
        "UPDATE study_quiz_sessions SET status = 'done', finished_at = $3, correct_count = $4, \
         wrong_count = $5, unsure_count = $6, skipped_count = $7, newly_correct_count = $8, \
         relapsed_count = $9, recovered_count = $10, chronic_remaining_count = $11, \
         pending_review_count = $12, chronic_count = $13, regressed_count = $14 \
         WHERE id = $1 AND user_id = $2",
    )
    .bind(session_id)
    .bind(user.0)
    .bind(ts(now))
    .bind(c.correct)
    .bind(c.wrong)
    .bind(c.unsure)
    .bind(c.skipped)
    .bind(c.newly_correct)
    .bind(c.relapsed)
    .bind(c.recovered)
    .bind(c.chronic_remaining)
    .bind(summary.pending_review)
    .bind(summary.chronic)
    .bind(summary.regressed)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(summary)
}

/// Progress rows of the user's live questions in `topic` (or all), with the question.
async fn progress_rows(
    conn: &mut SqliteConnection,
    user: UserId,
    topic: Option<i64>,
    pending_only: bool,
) -> StoreResult<Vec<(i64, QuestionProgress)>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        progress_columns!(),
        " FROM study_question_progress p \
         JOIN study_questions q ON q.id = p.study_question_id AND q.user_id = p.user_id \
         WHERE p.user_id = $1 AND q.deleted_at IS NULL \
           AND (CAST($2 AS BIGINT) IS NULL OR p.study_topic_id = $2) \
           AND (NOT $3 OR (p.last_outcome IN ('wrong', 'unsure') \
             AND (p.last_reviewed_at IS NULL OR p.last_reviewed_at < p.last_attempted_at))) \
         ORDER BY CASE WHEN $3 THEN p.last_attempted_at END, p.study_question_id"
    ))
    .bind(user.0)
    .bind(topic)
    .bind(pending_only)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(p) = progress_from_row(row)? {
            out.push((p.question_id, p));
        }
    }
    Ok(out)
}

async fn pending(
    store: &SqliteStore,
    user: UserId,
    topic: Option<i64>,
) -> StoreResult<Vec<PendingQuestion>> {
    let mut conn = store.pool.acquire().await?;
    let rows = progress_rows(&mut conn, user, topic, true).await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let mut questions: HashMap<i64, Question> = questions_by_ids(&mut conn, user, &ids)
        .await?
        .into_iter()
        .map(|q| (q.id, q))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, progress)| {
            questions
                .remove(&id)
                .map(|question| PendingQuestion { question, progress })
        })
        .collect())
}

async fn mark_reviewed(
    store: &SqliteStore,
    user: UserId,
    question_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<QuestionProgress> {
    let mut tx = store.begin_write().await?;
    let row = sqlx::query(concat!(
        "SELECT ",
        progress_columns!(),
        " FROM study_question_progress p \
         WHERE p.user_id = $1 AND p.study_question_id = $2",
        lock_rows!()
    ))
    .bind(user.0)
    .bind(question_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("answered question"))?;
    let before = progress_from_row(&row)?.ok_or(StoreError::NotFound("answered question"))?;
    let after = quiz::mark_reviewed(&before, now);
    write_progress(&mut tx, user, &after, now).await?;
    tx.commit().await?;
    Ok(after)
}

#[async_trait]
impl QuizStore for SqliteStore {
    async fn active_quiz(&self, user: UserId) -> StoreResult<Option<QuizSession>> {
        let mut conn = self.pool.acquire().await?;
        let Some(id) = active_id(&mut conn, user).await? else {
            return Ok(None);
        };
        let head = session_head(&mut conn, user, id).await?;
        Ok(Some(load_session(&mut conn, user, head).await?))
    }

    async fn start_quiz(
        &self,
        user: UserId,
        topic: Option<i64>,
        size: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<QuizSession> {
        start(self, user, topic, size, now).await
    }

    async fn quiz_session(&self, user: UserId, session_id: i64) -> StoreResult<QuizSession> {
        let mut conn = self.pool.acquire().await?;
        let head = session_head(&mut conn, user, session_id).await?;
        load_session(&mut conn, user, head).await
    }

    async fn answer_question(
        &self,
        user: UserId,
        session_id: i64,
        question_id: i64,
        chosen: Option<i16>,
        marked_unsure: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<AttemptRow> {
        answer(
            self,
            user,
            session_id,
            question_id,
            chosen,
            marked_unsure,
            now,
        )
        .await
    }

    async fn finalize_quiz(
        &self,
        user: UserId,
        session_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<QuizSummary> {
        finalize(self, user, session_id, now).await
    }

    async fn pending_questions(
        &self,
        user: UserId,
        topic: Option<i64>,
    ) -> StoreResult<Vec<PendingQuestion>> {
        pending(self, user, topic).await
    }

    async fn mark_question_reviewed(
        &self,
        user: UserId,
        question_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<QuestionProgress> {
        mark_reviewed(self, user, question_id, now).await
    }

    async fn question_progress(
        &self,
        user: UserId,
        topic: Option<i64>,
    ) -> StoreResult<Vec<QuestionProgress>> {
        let mut conn = self.pool.acquire().await?;
        let rows = progress_rows(&mut conn, user, topic, false).await?;
        Ok(rows.into_iter().map(|(_, p)| p).collect())
    }
}
