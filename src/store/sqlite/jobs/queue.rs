//! SQLite: the poller's insert and claims with lease rescue.

use crate::store::QuestionId;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::super::{DbFile, begin_immediate, from_opt_ms, to_ms};
use crate::domain::extract::SourceContext;
use crate::store::jobs::{LEASE_EXPIRED_ON_LAST_ATTEMPT, job_input, lease_delta};
use crate::store::{
    CARD_EXTRACT, ClaimedJob, EnqueueReport, JobKind, Lease, StoreError, StoreResult, UserId,
};

pub(crate) async fn enqueue_ready(
    pool: &SqlitePool,
    file: &DbFile,
    batch: u32,
    max_attempts: u16,
    now: DateTime<Utc>,
) -> StoreResult<EnqueueReport> {
    let now = to_ms(now);
    // The write lock is taken first: no other poller runs between the insert and the
    // marking, so both statements see the same candidates. The unique key and ON CONFLICT
    // still guard the insert (a job may exist for a version the marker does not record).
    let mut tx = begin_immediate(pool, file).await?;
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

pub(crate) async fn claim_jobs(
    pool: &SqlitePool,
    file: &DbFile,
    worker_id: &str,
    lease: Duration,
    now: DateTime<Utc>,
    limit: u32,
) -> StoreResult<Vec<ClaimedJob>> {
    let expires = to_ms(now + lease_delta(lease)?);
    let now = to_ms(now);
    let mut tx = begin_immediate(pool, file).await?;
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
        "SELECT j.id, j.user_id, j.kind, j.source_id, j.source_version, j.attempts, j.max_attempts, \
           j.claims, q.ai_explanation_status, q.question_text, q.choices, q.correct_choice, q.ai_explanation, t.name AS topic \
         FROM study_memo_card_jobs j \
         LEFT JOIN study_questions q ON q.id = j.source_id AND q.user_id = j.user_id \
           AND q.deleted_at IS NULL AND (j.kind = 'explanation' OR (q.ai_explanation_status = 'ready' \
           AND q.ai_explanation_generated_at = j.source_version)) \
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

/// A claimed row with its question (for a card job, at the job's version: the joins find
/// nothing when it is not ready at that version any more).
fn claimed_job(row: &SqliteRow) -> StoreResult<ClaimedJob> {
    let question_id: i64 = row.try_get("source_id")?;
    let topic: Option<String> = row.try_get("topic")?;
    let question = match topic {
        Some(topic) => {
            let choices: String = row.try_get("choices")?;
            let correct: i64 = row.try_get("correct_choice")?;
            Some(SourceContext {
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
        None => None,
    };
    let kind: String = row.try_get("kind")?;
    let kind: JobKind = kind.parse()?;
    let status: Option<String> = row.try_get("ai_explanation_status")?;
    let input = job_input(kind, question, status.as_deref() == Some("ready"));
    Ok(ClaimedJob {
        lease: Lease {
            job_id: row.try_get("id")?,
            token: row.try_get("claims")?,
        },
        user: UserId(row.try_get("user_id")?),
        kind,
        question_id: QuestionId(question_id),
        source_version: from_opt_ms(row.try_get("source_version")?)?,
        attempt: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        input,
    })
}
