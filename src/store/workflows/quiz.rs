//! The question quiz: start a session, answer, finalize (progress, learning pattern, ladder),
//! review a missed question. Thin: load rows, call `domain::quiz`, write rows, in one
//! transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::quiz_rows::{
    AttemptDbRow, ProgressDbRow, attempt_columns, load_session, progress_columns, questions_by_ids,
    session_head,
};
use super::rows::write_outbox;
use crate::domain::card::Outcome;
use crate::domain::quiz::{self, Attempt, Candidate, FinalizeInput, QuestionProgress};
use crate::store::quiz::{AttemptRow, PendingQuestion, QuizSession, QuizSummary, SessionStatus};
use crate::store::snapshot::question_progress_outbox;
use crate::store::sql::{Connected, Db, Tx, query_for_update};
use crate::store::{Question, QuestionId, StoreError, StoreResult, TopicId, UserId};

const ALREADY_UNDER_WAY: &str = "a quiz is already under way: finish or abandon it first";

async fn active_id(on: &mut impl Connected, user: UserId) -> StoreResult<Option<i64>> {
    on.query("SELECT id FROM study_quiz_sessions WHERE user_id = $1 AND status = 'active'")
        .bind(user.0)
        .scalar_optional(on)
        .await
}

pub(super) async fn active(db: &Db, user: UserId) -> StoreResult<Option<QuizSession>> {
    let mut conn = db.read().await?;
    let Some(id) = active_id(&mut conn, user).await? else {
        return Ok(None);
    };
    let head = session_head(&mut conn, user, id).await?;
    Ok(Some(load_session(&mut conn, user, head).await?))
}

pub(super) async fn session(db: &Db, user: UserId, session_id: i64) -> StoreResult<QuizSession> {
    let mut conn = db.read().await?;
    let head = session_head(&mut conn, user, session_id).await?;
    load_session(&mut conn, user, head).await
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: i64,
    #[sqlx(flatten)]
    progress: ProgressDbRow,
}

pub(super) async fn start(
    db: &Db,
    user: UserId,
    topic: Option<TopicId>,
    size: u32,
    now: DateTime<Utc>,
) -> StoreResult<QuizSession> {
    let mut tx = db.write().await?;
    if active_id(&mut tx, user).await?.is_some() {
        return tx
            .abandon(StoreError::Refused(ALREADY_UNDER_WAY.into()))
            .await;
    }
    let rows: Vec<CandidateRow> = tx
        .query(concat!(
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
        .fetch_all(&mut tx)
        .await?;
    let candidates = rows
        .iter()
        .map(|r| {
            Ok(Candidate {
                question_id: r.id,
                progress: r.progress.progress()?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let ids = quiz::next_session(&candidates, now, size);
    if ids.is_empty() {
        return tx
            .abandon(StoreError::Refused("there are no questions to ask".into()))
            .await;
    }
    let inserted = tx
        .query(
            "INSERT INTO study_quiz_sessions (user_id, study_topic_id, status, question_ids, started_at) \
             VALUES ($1, $2, 'active', $3, $4) RETURNING id",
        )
        .bind(user.0)
        .bind(topic)
        .bind(Json(&ids))
        .bind(now)
        .scalar::<i64>(&mut tx)
        .await;
    let id = match inserted {
        // Another device started one meanwhile (the one-active-session index).
        Err(StoreError::Database(e))
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            return tx
                .abandon(StoreError::Refused(ALREADY_UNDER_WAY.into()))
                .await;
        }
        other => other?,
    };
    let head = session_head(&mut tx, user, id).await?;
    let session = load_session(&mut tx, user, head).await?;
    tx.commit().await?;
    Ok(session)
}

pub(super) async fn answer(
    db: &Db,
    user: UserId,
    session_id: i64,
    question_id: QuestionId,
    chosen: Option<i16>,
    marked_unsure: bool,
    now: DateTime<Utc>,
) -> StoreResult<AttemptRow> {
    let mut tx = db.write().await?;
    let head = session_head(&mut tx, user, session_id).await?;
    if head.status == SessionStatus::Done {
        return tx
            .abandon(StoreError::Refused("this quiz is already finished".into()))
            .await;
    }
    if !head.question_ids.contains(&question_id.0) {
        return tx
            .abandon(StoreError::NotFound("question of this quiz"))
            .await;
    }
    let Some(question) = questions_by_ids(&mut tx, user, &[question_id.0])
        .await?
        .pop()
    else {
        return tx.abandon(StoreError::NotFound("question")).await;
    };
    let choices = i16::try_from(question.choices.len()).unwrap_or(i16::MAX);
    if let Some(c) = chosen.filter(|c| !(1..=choices).contains(c)) {
        return tx
            .abandon(StoreError::Invalid(format!(
                "choice {c} does not exist (1 to {choices})"
            )))
            .await;
    }
    let outcome = quiz::grade(question.correct_choice, chosen, marked_unsure);
    let row: AttemptDbRow = tx
        .query(concat!(
            "INSERT INTO study_question_attempts (user_id, study_topic_id, study_question_id, \
             quiz_session_id, chosen_choice, outcome, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING ",
            attempt_columns!()
        ))
        .bind(user.0)
        .bind(question.topic_id)
        .bind(question_id)
        .bind(session_id)
        .bind(chosen)
        .bind(outcome.as_str())
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
    let attempt = row.row()?;
    tx.commit().await?;
    Ok(attempt)
}

/// The session's questions' recent attempts: the last three not skipped and the last two of
/// all, which is what `domain::quiz::finalize` reads.
const RECENT_ATTEMPTS: &str = concat!(
    "SELECT ",
    attempt_columns!(),
    " FROM ( \
       SELECT a.id, a.study_question_id, a.study_topic_id, a.chosen_choice, a.outcome, a.answered_at, \
         ROW_NUMBER() OVER (PARTITION BY a.study_question_id ORDER BY a.answered_at DESC, a.id DESC) AS nth, \
         ROW_NUMBER() OVER (PARTITION BY a.study_question_id, a.outcome = 'skipped' \
                            ORDER BY a.answered_at DESC, a.id DESC) AS nth_kind \
       FROM study_question_attempts a \
       WHERE a.user_id = $1 AND a.study_question_id IN \
         (SELECT s.study_question_id FROM study_question_attempts s WHERE s.quiz_session_id = $2 AND s.user_id = $1) \
     ) recent WHERE nth <= 2 OR (outcome <> 'skipped' AND nth_kind <= 3) \
     ORDER BY study_question_id, answered_at, id"
);

/// The conflict clause of the progress upsert: a row already there takes every new value
/// but its creation time.
macro_rules! progress_upsert {
    () => {
        " ON CONFLICT (user_id, study_topic_id, study_question_id) DO UPDATE SET \
           last_outcome = excluded.last_outcome, last_attempted_at = excluded.last_attempted_at, \
           last_attempt_id = excluded.last_attempt_id, last_reviewed_at = excluded.last_reviewed_at, \
           pattern_state = excluded.pattern_state, pattern_updated_at = excluded.pattern_updated_at, \
           pattern_window_attempts = excluded.pattern_window_attempts, due_at = excluded.due_at, \
           review_stage = excluded.review_stage, updated_at = excluded.updated_at \
         RETURNING id, study_question_id"
    };
}

/// Upserts progress rows in one statement (a session's rows would otherwise cost a round
/// trip each, most of a finalize on PostgreSQL) and, when publishing is on, writes each to
/// the outbox in the same transaction (like a card's progress row).
async fn write_progress(
    tx: &mut Tx,
    publish: bool,
    user: UserId,
    rows: &[QuestionProgress],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let dialect = tx.dialect();
    let time = |at| dialect.json_time(at);
    let batch: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "topic_id": row.topic_id, "question_id": row.question_id,
                "last_outcome": row.last_outcome.map(Outcome::as_str),
                "last_attempted_at": time(row.last_attempted_at),
                "last_attempt_id": row.last_attempt_id,
                "last_reviewed_at": time(row.last_reviewed_at),
                "pattern_state": row.pattern_state.map(quiz::PatternState::as_str),
                "pattern_updated_at": time(row.pattern_updated_at),
                "pattern_window_attempts": row.pattern_window_attempts,
                "due_at": time(row.due_at), "review_stage": row.review_stage,
            })
        })
        .collect();
    let written: Vec<(i64, i64)> = tx
        .query_pick(
            concat!(
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_question_progress (user_id, study_topic_id, study_question_id, \
               last_outcome, last_attempted_at, last_attempt_id, last_reviewed_at, pattern_state, \
               pattern_updated_at, pattern_window_attempts, due_at, review_stage, created_at, updated_at) \
             SELECT $1, v ->> 'topic_id', v ->> 'question_id', v ->> 'last_outcome', \
               v ->> 'last_attempted_at', v ->> 'last_attempt_id', v ->> 'last_reviewed_at', \
               v ->> 'pattern_state', v ->> 'pattern_updated_at', v ->> 'pattern_window_attempts', \
               v ->> 'due_at', v ->> 'review_stage', $3, $3 FROM batch WHERE true ORDER BY key",
            progress_upsert!(),
        ),
            concat!(
            "INSERT INTO study_question_progress (user_id, study_topic_id, study_question_id, \
               last_outcome, last_attempted_at, last_attempt_id, last_reviewed_at, pattern_state, \
               pattern_updated_at, pattern_window_attempts, due_at, review_stage, created_at, updated_at) \
             SELECT $1, (value ->> 'topic_id')::BIGINT, (value ->> 'question_id')::BIGINT, \
               value ->> 'last_outcome', (value ->> 'last_attempted_at')::TIMESTAMPTZ, \
               (value ->> 'last_attempt_id')::BIGINT, (value ->> 'last_reviewed_at')::TIMESTAMPTZ, \
               value ->> 'pattern_state', (value ->> 'pattern_updated_at')::TIMESTAMPTZ, \
               (value ->> 'pattern_window_attempts')::SMALLINT, (value ->> 'due_at')::TIMESTAMPTZ, \
               (value ->> 'review_stage')::SMALLINT, $3, $3 \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
            progress_upsert!(),
        ),
        )
        .bind(user.0)
        .bind(Json(batch))
        .bind(now)
        .fetch_all(tx)
        .await?;
    if publish {
        let ids: HashMap<i64, i64> = written.into_iter().map(|(id, q)| (q, id)).collect();
        for row in rows {
            let id = ids.get(&row.question_id).copied().ok_or_else(|| {
                StoreError::Corrupt("a progress row written was not returned".into())
            })?;
            write_outbox(tx, user, &question_progress_outbox(id, row), now).await?;
        }
    }
    Ok(())
}

pub(super) async fn finalize(
    db: &Db,
    user: UserId,
    session_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<QuizSummary> {
    let mut tx = db.write().await?;
    let head = session_head(&mut tx, user, session_id).await?;
    if head.status == SessionStatus::Done {
        tx.rollback().await?;
        return Ok(head.summary);
    }
    let rows: Vec<AttemptDbRow> = tx
        .query(concat!(
            "SELECT ",
            attempt_columns!(),
            " FROM study_question_attempts WHERE quiz_session_id = $1 AND user_id = $2 \
             ORDER BY answered_at, id"
        ))
        .bind(session_id)
        .bind(user.0)
        .fetch_all(&mut tx)
        .await?;
    let session = rows
        .iter()
        .map(AttemptDbRow::attempt)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut recent: HashMap<i64, Vec<Attempt>> = HashMap::new();
    let recent_rows: Vec<AttemptDbRow> = tx
        .query(RECENT_ATTEMPTS)
        .bind(user.0)
        .bind(session_id)
        .fetch_all(&mut tx)
        .await?;
    for row in &recent_rows {
        let attempt = row.attempt()?;
        recent.entry(attempt.question_id).or_default().push(attempt);
    }
    let progress_rows: Vec<ProgressDbRow> = query_for_update!(
        tx,
        "SELECT ",
        progress_columns!(),
        " FROM study_question_progress p WHERE p.user_id = $1 \
         AND p.study_question_id IN \
           (SELECT s.study_question_id FROM study_question_attempts s WHERE s.quiz_session_id = $2 AND s.user_id = $1)"
    )
    .bind(user.0)
    .bind(session_id)
    .fetch_all(&mut tx)
    .await?;
    let mut progress = HashMap::new();
    for row in &progress_rows {
        if let Some(p) = row.progress()? {
            progress.insert(p.question_id, p);
        }
    }
    let done = quiz::finalize(FinalizeInput {
        session: &session,
        recent: &recent,
        progress: &progress,
        now,
    });
    write_progress(&mut tx, db.publish, user, &done.rows, now).await?;
    super::explain::request(&mut tx, user, &done.missed, now).await?;
    let (pending_review, chronic, regressed): (i64, i64, i64) = tx
        .query(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN last_outcome IN ('wrong', 'unsure') AND (last_reviewed_at IS NULL \
                 OR last_reviewed_at < last_attempted_at) THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN pattern_state = 'chronic_wrong' THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN pattern_state = 'regressed' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM study_question_progress WHERE user_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR study_topic_id = $2)",
        )
        .bind(user.0)
        .bind(head.topic_id)
        .fetch_one(&mut tx)
        .await?;
    let summary = QuizSummary {
        session: done.counts,
        pending_review,
        chronic,
        regressed,
    };
    let c = summary.session;
    tx.query(
        "UPDATE study_quiz_sessions SET status = 'done', finished_at = $3, correct_count = $4, \
         wrong_count = $5, unsure_count = $6, skipped_count = $7, newly_correct_count = $8, \
         relapsed_count = $9, recovered_count = $10, chronic_remaining_count = $11, \
         pending_review_count = $12, chronic_count = $13, regressed_count = $14 \
         WHERE id = $1 AND user_id = $2",
    )
    .bind(session_id)
    .bind(user.0)
    .bind(now)
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
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(summary)
}

/// Progress rows of the user's live questions in `topic` (or all); only those waiting for
/// review (oldest miss first) when `pending_only`.
pub(super) async fn progress_rows(
    on: &mut impl Connected,
    user: UserId,
    topic: Option<TopicId>,
    pending_only: bool,
) -> StoreResult<Vec<QuestionProgress>> {
    let rows: Vec<ProgressDbRow> = on
        .query(concat!(
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
        .fetch_all(on)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.extend(row.progress()?);
    }
    Ok(out)
}

pub(super) async fn pending(
    db: &Db,
    user: UserId,
    topic: Option<TopicId>,
) -> StoreResult<Vec<PendingQuestion>> {
    let mut conn = db.read().await?;
    let rows = progress_rows(&mut conn, user, topic, true).await?;
    let ids: Vec<i64> = rows.iter().map(|p| p.question_id).collect();
    let mut questions: HashMap<i64, Question> = questions_by_ids(&mut conn, user, &ids)
        .await?
        .into_iter()
        .map(|q| (q.id.0, q))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|progress| {
            questions
                .remove(&progress.question_id)
                .map(|question| PendingQuestion { question, progress })
        })
        .collect())
}

pub(super) async fn mark_reviewed(
    db: &Db,
    user: UserId,
    question_id: QuestionId,
    now: DateTime<Utc>,
) -> StoreResult<QuestionProgress> {
    let mut tx = db.write().await?;
    let row: Option<ProgressDbRow> = query_for_update!(
        tx,
        "SELECT ",
        progress_columns!(),
        " FROM study_question_progress p WHERE p.user_id = $1 AND p.study_question_id = $2"
    )
    .bind(user.0)
    .bind(question_id)
    .fetch_optional(&mut tx)
    .await?;
    let Some(before) = row
        .as_ref()
        .map(ProgressDbRow::progress)
        .transpose()?
        .flatten()
    else {
        return tx.abandon(StoreError::NotFound("answered question")).await;
    };
    let after = quiz::mark_reviewed(&before, now);
    write_progress(&mut tx, db.publish, user, std::slice::from_ref(&after), now).await?;
    tx.commit().await?;
    Ok(after)
}

#[derive(sqlx::FromRow)]
struct PublishedProgressRow {
    id: i64,
    #[sqlx(flatten)]
    progress: ProgressDbRow,
}

/// Backfill: every question progress row of the user to the outbox. Returns how many.
pub(super) async fn publish_all_progress(
    tx: &mut Tx,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let rows: Vec<PublishedProgressRow> = tx
        .query(concat!(
            "SELECT p.id, ",
            progress_columns!(),
            " FROM study_question_progress p WHERE p.user_id = $1 ORDER BY p.id"
        ))
        .bind(user.0)
        .fetch_all(tx)
        .await?;
    let mut written = 0;
    for row in &rows {
        if let Some(progress) = row.progress.progress()? {
            write_outbox(tx, user, &question_progress_outbox(row.id, &progress), now).await?;
            written += 1;
        }
    }
    Ok(written)
}
