//! SQLite: the poller's insert, claims with lease rescue, heartbeats and failed attempts.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::super::{SqliteStore, from_opt_ms, to_ms};
use crate::domain::extract::SourceContext;
use crate::store::jobs::{LEASE_EXPIRED_ON_LAST_ATTEMPT, clip_message, lease_delta};
use crate::store::{
    AttemptFailure, CARD_EXTRACT, ClaimedJob, EnqueueReport, Fenced, JobInput, JobStatus, Lease,
    StoreError, StoreResult, UserId,
};

pub(super) async fn enqueue_ready(
    store: &SqliteStore,
    batch: u32,
    max_attempts: u16,
    now: DateTime<Utc>,
) -> StoreResult<EnqueueReport> {
    let now = to_ms(now);
    // The write lock is taken first: no other poller runs between the insert and the
    // marking, so both statements see the same candidates. The unique key and ON CONFLICT
    // still guard the insert (a job may exist for a version the marker does not record).
    let mut tx = store.begin_write().await?;
    let enqueued = sqlx::query(
        "WITH candidates AS ( \
           SELECT q.id, q.user_id, q.ai_explanation_generated_at AS version \
           FROM study_questions q \
           WHERE q.deleted_at IS NULL AND q.ai_explanation_status = 'ready' \
             AND q.ai_explanation_generated_at IS NOT NULL \
             AND q.card_job_version IS NOT q.ai_explanation_generated_at \
           ORDER BY q.ai_explanation_generated_at DESC, q.id DESC \
           LIMIT $2) \
         INSERT INTO study_memo_card_jobs (user_id, source_kind, source_id, source_version, kind, \
           status, max_attempts, created_at, run_after) \
         SELECT user_id, 'question', id, version, $1, 'pending', $3, $4, $4 FROM candidates WHERE true \
         ON CONFLICT (source_kind, source_id, source_version, kind) DO NOTHING",
    )
    .bind(CARD_EXTRACT)
    .bind(i64::from(batch))
    .bind(i64::from(max_attempts))
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let candidates = sqlx::query(
        "UPDATE study_questions SET card_job_version = ai_explanation_generated_at \
         WHERE id IN (SELECT q.id FROM study_questions q \
           WHERE q.deleted_at IS NULL AND q.ai_explanation_status = 'ready' \
             AND q.ai_explanation_generated_at IS NOT NULL \
             AND q.card_job_version IS NOT q.ai_explanation_generated_at \
           ORDER BY q.ai_explanation_generated_at DESC, q.id DESC \
           LIMIT $1)",
    )
    .bind(i64::from(batch))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(EnqueueReport {
        candidates,
        enqueued,
    })
}

pub(super) async fn claim_jobs(
    store: &SqliteStore,
    worker_id: &str,
    lease: Duration,
    now: DateTime<Utc>,
    limit: u32,
) -> StoreResult<Vec<ClaimedJob>> {
    let expires = to_ms(now + lease_delta(lease)?);
    let now = to_ms(now);
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "UPDATE study_memo_card_jobs SET status = 'failed', error_code = 'lease_lost', \
           error_message = $2, completed_at = $1, lease_expires_at = NULL \
         WHERE status = 'processing' AND lease_expires_at < $1 AND attempts >= max_attempts",
    )
    .bind(now)
    .bind(LEASE_EXPIRED_ON_LAST_ATTEMPT)
    .execute(&mut *tx)
    .await?;
    let claimed: Vec<i64> = sqlx::query_scalar(
        "UPDATE study_memo_card_jobs SET status = 'processing', attempts = attempts + 1, \
           claims = claims + 1, started_at = $2, lease_expires_at = $3, worker_id = $1 \
         WHERE id IN (SELECT id FROM study_memo_card_jobs \
           WHERE (status = 'pending' AND run_after <= $2) \
              OR (status = 'processing' AND lease_expires_at < $2 AND attempts < max_attempts) \
           ORDER BY run_after, id LIMIT $4) \
         RETURNING id",
    )
    .bind(worker_id)
    .bind(now)
    .bind(expires)
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await?;
    if claimed.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    // The claimed jobs with each one's question at its version (NULLs when it is gone).
    let rows = sqlx::query(
        "SELECT j.id, j.user_id, j.source_id, j.source_version, j.attempts, j.max_attempts, \
           j.claims, q.question_text, q.choices, q.correct_choice, q.ai_explanation, t.name AS topic \
         FROM study_memo_card_jobs j \
         LEFT JOIN study_questions q ON q.id = j.source_id AND q.user_id = j.user_id \
           AND q.deleted_at IS NULL AND q.ai_explanation_status = 'ready' \
           AND q.ai_explanation_generated_at = j.source_version \
         LEFT JOIN study_topics t ON t.id = q.study_topic_id \
         WHERE j.id IN (SELECT value FROM json_each($1)) \
         ORDER BY j.run_after, j.id",
    )
    .bind(serde_json::to_string(&claimed)?)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.iter().map(claimed_job).collect()
}

/// A claimed row with its question; `NoReadyExplanation` when the question is not ready at
/// the job's version any more (the joins found nothing).
fn claimed_job(row: &SqliteRow) -> StoreResult<ClaimedJob> {
    let question_id: i64 = row.try_get("source_id")?;
    let topic: Option<String> = row.try_get("topic")?;
    let input = match topic {
        Some(topic) => {
            let choices: String = row.try_get("choices")?;
            let correct: i64 = row.try_get("correct_choice")?;
            JobInput::Ready(SourceContext {
                question_id,
                topic,
                question_text: row.try_get("question_text")?,
                choices: serde_json::from_str(&choices)?,
                correct_choice: usize::try_from(correct)
                    .map_err(|_| StoreError::Corrupt(format!("correct_choice {correct}")))?,
                explanation: row
                    .try_get::<Option<String>, _>("ai_explanation")?
                    .unwrap_or_default(),
            })
        }
        None => JobInput::NoReadyExplanation,
    };
    Ok(ClaimedJob {
        lease: Lease {
            job_id: row.try_get("id")?,
            token: row.try_get("claims")?,
        },
        user: UserId(row.try_get("user_id")?),
        question_id,
        source_version: from_opt_ms(row.try_get("source_version")?)?,
        attempt: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        input,
    })
}

pub(super) async fn heartbeat(
    pool: &SqlitePool,
    lease: Lease,
    duration: Duration,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let expires = to_ms(now + lease_delta(duration)?);
    let updated = sqlx::query(
        "UPDATE study_memo_card_jobs SET lease_expires_at = $3 \
         WHERE id = $1 AND claims = $2 AND status = 'processing'",
    )
    .bind(lease.job_id)
    .bind(lease.token)
    .bind(expires)
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub(super) async fn fail_attempt(
    pool: &SqlitePool,
    lease: Lease,
    failure: &AttemptFailure,
    now: DateTime<Utc>,
) -> StoreResult<Fenced<JobStatus>> {
    let message = failure.checked_message()?;
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE study_memo_card_jobs SET \
           status = CASE WHEN $3 IS NOT NULL AND attempts < max_attempts THEN 'pending' ELSE 'failed' END, \
           run_after = CASE WHEN $3 IS NOT NULL AND attempts < max_attempts THEN $3 ELSE run_after END, \
           completed_at = CASE WHEN $3 IS NOT NULL AND attempts < max_attempts THEN NULL ELSE $6 END, \
           error_code = $4, error_message = $5, lease_expires_at = NULL \
         WHERE id = $1 AND claims = $2 AND status = 'processing' \
         RETURNING status",
    )
    .bind(lease.job_id)
    .bind(lease.token)
    .bind(failure.retry_at.map(to_ms))
    .bind(failure.code.as_str())
    .bind(message)
    .bind(to_ms(now))
    .fetch_optional(pool)
    .await?;
    match status {
        Some(status) => Ok(Fenced::Applied(status.parse()?)),
        None => Ok(Fenced::Stale),
    }
}

/// Gives a claimed job back untouched by this attempt: `pending` again, due now, with the
/// attempt the claim counted returned. Fenced on the lease, so a job taken over meanwhile is
/// left to its new holder.
pub(super) async fn release_job(
    pool: &SqlitePool,
    lease: Lease,
    now: DateTime<Utc>,
) -> StoreResult<Fenced<()>> {
    let updated = sqlx::query(
        "UPDATE study_memo_card_jobs SET status = 'pending', attempts = attempts - 1, \
           run_after = $3, lease_expires_at = NULL, worker_id = NULL \
         WHERE id = $1 AND claims = $2 AND status = 'processing' AND attempts > 0",
    )
    .bind(lease.job_id)
    .bind(lease.token)
    .bind(to_ms(now))
    .execute(pool)
    .await?;
    Ok(if updated.rows_affected() == 1 {
        Fenced::Applied(())
    } else {
        Fenced::Stale
    })
}

pub(super) async fn skip_job(
    pool: &SqlitePool,
    lease: Lease,
    message: &str,
    now: DateTime<Utc>,
) -> StoreResult<Fenced<()>> {
    let updated = sqlx::query(
        "UPDATE study_memo_card_jobs SET status = 'skipped', error_code = 'no_ready_explanation', \
           error_message = $3, completed_at = $4, lease_expires_at = NULL \
         WHERE id = $1 AND claims = $2 AND status = 'processing'",
    )
    .bind(lease.job_id)
    .bind(lease.token)
    .bind(clip_message(message))
    .bind(to_ms(now))
    .execute(pool)
    .await?;
    Ok(if updated.rows_affected() == 1 {
        Fenced::Applied(())
    } else {
        Fenced::Stale
    })
}

pub(super) async fn earliest_pending_at(pool: &SqlitePool) -> StoreResult<Option<DateTime<Utc>>> {
    let earliest: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(run_after) FROM study_memo_card_jobs WHERE status = 'pending'",
    )
    .fetch_one(pool)
    .await?;
    from_opt_ms(earliest)
}
