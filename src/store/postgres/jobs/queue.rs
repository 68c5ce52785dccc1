//! PostgreSQL: the poller's insert, claims with lease rescue, heartbeats and failed attempts.

use crate::store::QuestionId;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgPool, Row};

use crate::domain::extract::SourceContext;
use crate::store::jobs::{LEASE_EXPIRED_ON_LAST_ATTEMPT, job_input, lease_delta};
use crate::store::{
    CARD_EXTRACT, ClaimedJob, EnqueueReport, JOBS_CHANNEL, JobKind, Lease, StoreError, StoreResult,
    UserId,
};

pub(crate) async fn enqueue_ready(
    pool: &PgPool,
    batch: u32,
    max_attempts: u16,
    now: DateTime<Utc>,
) -> StoreResult<EnqueueReport> {
    let max_attempts = i16::try_from(max_attempts)
        .map_err(|_| StoreError::Invalid(format!("max_attempts {max_attempts} is too large")))?;
    // One statement. The candidates are the questions whose ready version differs from the
    // marker (a partial index holds just those), locked with SKIP LOCKED so concurrent
    // pollers take disjoint batches; the unique version key and ON CONFLICT still make any
    // overlap harmless. Marking records the version a job now exists for.
    let row = sqlx::query(
        "WITH candidates AS ( \
           SELECT q.id, q.user_id, q.ai_explanation_generated_at AS version \
           FROM study_questions q \
           WHERE q.deleted_at IS NULL AND q.ai_explanation_status = 'ready' \
             AND q.ai_explanation_generated_at IS NOT NULL \
             AND q.card_job_version IS DISTINCT FROM q.ai_explanation_generated_at \
           ORDER BY q.ai_explanation_generated_at DESC, q.id DESC \
           LIMIT $2 \
           FOR UPDATE SKIP LOCKED), \
         inserted AS ( \
           INSERT INTO study_memo_card_jobs (user_id, source_kind, source_id, source_version, kind, \
             status, max_attempts, created_at, run_after) \
           SELECT user_id, 'question', id, version, $1, 'pending', $3, $4, $4 FROM candidates \
           ON CONFLICT ON CONSTRAINT study_memo_card_jobs_version_key DO NOTHING \
           RETURNING 1), \
         marked AS ( \
           UPDATE study_questions q SET card_job_version = c.version \
           FROM candidates c WHERE q.id = c.id) \
         SELECT (SELECT COUNT(*) FROM candidates) AS candidates, \
                (SELECT COUNT(*) FROM inserted) AS enqueued",
    )
    .bind(CARD_EXTRACT)
    .bind(i64::from(batch))
    .bind(max_attempts)
    .bind(now)
    .fetch_one(pool)
    .await?;
    let report = EnqueueReport {
        candidates: count(row.try_get("candidates")?),
        enqueued: count(row.try_get("enqueued")?),
    };
    if report.enqueued > 0 {
        notify_jobs(pool).await?;
    }
    Ok(report)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Wakes listening workers.
pub(crate) async fn notify_jobs(pool: &PgPool) -> StoreResult<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(JOBS_CHANNEL)
        .execute(pool)
        .await?;
    Ok(())
}

pub(crate) async fn claim_jobs(
    pool: &PgPool,
    worker_id: &str,
    lease: Duration,
    now: DateTime<Utc>,
    limit: u32,
) -> StoreResult<Vec<ClaimedJob>> {
    let expires = now + lease_delta(lease)?;
    // One statement: fail the jobs whose last attempt lost its lease, claim the next ones
    // (SKIP LOCKED: concurrent workers take disjoint jobs) and read each job's question at
    // its version. The two updates touch disjoint rows (`attempts >= max_attempts` against
    // `attempts < max_attempts`); a data-modifying CTE runs even when nothing reads it.
    // The commit does not wait for its WAL flush (a flush costs 0.5–4 ms on this kind of
    // disk, BENCHMARKS.md). A claim that a server crash loses leaves the job pending, so it
    // is claimed again; whichever attempt finishes first is applied and the other is stale,
    // because a finish needs the job still `processing`.
    let rows = sqlx::query(
        "WITH expired AS ( \
           UPDATE study_memo_card_jobs SET status = 'failed', error_code = 'lease_lost', \
             error_message = $5, completed_at = $2, lease_expires_at = NULL \
           WHERE id IN (SELECT id FROM study_memo_card_jobs \
             WHERE status = 'processing' AND lease_expires_at < $2 AND attempts >= max_attempts \
             FOR UPDATE SKIP LOCKED)), \
         next_jobs AS ( \
           SELECT id FROM study_memo_card_jobs \
           WHERE (status = 'pending' AND run_after <= $2) \
              OR (status = 'processing' AND lease_expires_at < $2 AND attempts < max_attempts) \
           ORDER BY run_after, id \
           LIMIT $4 \
           FOR UPDATE SKIP LOCKED), \
         claimed AS ( \
           UPDATE study_memo_card_jobs AS j SET status = 'processing', attempts = j.attempts + 1, \
             claims = j.claims + 1, started_at = $2, lease_expires_at = $3, worker_id = $1 \
           FROM next_jobs WHERE j.id = next_jobs.id \
           RETURNING j.id, j.user_id, j.kind, j.source_id, j.source_version, j.attempts, \
             j.max_attempts, j.claims, j.run_after) \
         SELECT c.id, c.user_id, c.kind, c.source_id, c.source_version, c.attempts, c.max_attempts, \
           c.claims, q.ai_explanation_status, q.question_text, q.choices, q.correct_choice, q.ai_explanation, t.name AS topic, \
           set_config('synchronous_commit', 'off', true) AS commit_mode \
         FROM claimed c \
         LEFT JOIN study_questions q ON q.id = c.source_id AND q.user_id = c.user_id \
           AND q.deleted_at IS NULL AND (c.kind = 'explanation' OR (q.ai_explanation_status = 'ready' \
           AND q.ai_explanation_generated_at = c.source_version)) \
         LEFT JOIN study_topics t ON t.id = q.study_topic_id \
         ORDER BY c.run_after, c.id",
    )
    .bind(worker_id)
    .bind(now)
    .bind(expires)
    .bind(i64::from(limit))
    .bind(LEASE_EXPIRED_ON_LAST_ATTEMPT)
    .fetch_all(pool)
    .await?;
    rows.iter().map(claimed_job).collect()
}

/// A claimed row with its question (for a card job, at the job's version: the joins find
/// nothing when it is not ready at that version any more).
fn claimed_job(row: &PgRow) -> StoreResult<ClaimedJob> {
    let question_id: i64 = row.try_get("source_id")?;
    let topic: Option<String> = row.try_get("topic")?;
    let question = match topic {
        Some(topic) => {
            let Json(choices): Json<Vec<String>> = row.try_get("choices")?;
            let correct: i16 = row.try_get("correct_choice")?;
            Some(SourceContext {
                question_id,
                topic,
                question_text: row.try_get("question_text")?,
                choices,
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
        source_version: row.try_get("source_version")?,
        attempt: i32::from(row.try_get::<i16, _>("attempts")?),
        max_attempts: i32::from(row.try_get::<i16, _>("max_attempts")?),
        input,
    })
}
