//! SQLite: the user's jobs: list, show, retry, counts.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::super::{SqliteStore, from_ms, from_opt_ms, to_ms};
use crate::store::{Job, JobCounts, JobStatus, StoreError, StoreResult, UserId};

/// The job columns `job_from_row` reads, as a literal so queries stay static strings.
macro_rules! job_columns {
    () => {
        "id, user_id, source_kind, source_id, source_version, kind, status, attempts, \
         max_attempts, error_code, error_message, payload, created_at, started_at, \
         completed_at, run_after, lease_expires_at, worker_id"
    };
}

pub(super) async fn list_jobs(
    pool: &SqlitePool,
    user: UserId,
    status: Option<JobStatus>,
    limit: u32,
) -> StoreResult<Vec<Job>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        job_columns!(),
        " FROM study_memo_card_jobs \
         WHERE user_id = $1 AND ($2 IS NULL OR status = $2) ORDER BY id DESC LIMIT $3"
    ))
    .bind(user.0)
    .bind(status.map(JobStatus::as_str))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(job_from_row).collect()
}

pub(super) async fn get_job(pool: &SqlitePool, user: UserId, job_id: i64) -> StoreResult<Job> {
    let row = sqlx::query(concat!(
        "SELECT ",
        job_columns!(),
        " FROM study_memo_card_jobs WHERE id = $1 AND user_id = $2"
    ))
    .bind(job_id)
    .bind(user.0)
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound("job"))?;
    job_from_row(&row)
}

pub(super) async fn retry_job(
    store: &SqliteStore,
    user: UserId,
    job_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<Job> {
    let mut tx = store.begin_write().await?;
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM study_memo_card_jobs WHERE id = $1 AND user_id = $2",
    )
    .bind(job_id)
    .bind(user.0)
    .fetch_optional(&mut *tx)
    .await?;
    let status: JobStatus = status.ok_or(StoreError::NotFound("job"))?.parse()?;
    if status != JobStatus::Failed {
        // Rolled back here, not when the dropped transaction's connection is next used: the
        // row lock would otherwise outlive the call, and a claim (SKIP LOCKED) would pass the
        // job over meanwhile.
        tx.rollback().await?;
        return Err(StoreError::Refused(format!(
            "job {job_id} is {status}; only failed jobs can be retried"
        )));
    }
    sqlx::query(
        "UPDATE study_memo_card_jobs SET status = 'pending', attempts = 0, run_after = $3, \
           error_code = NULL, error_message = NULL, completed_at = NULL, lease_expires_at = NULL \
         WHERE id = $1 AND user_id = $2 AND status = 'failed'",
    )
    .bind(job_id)
    .bind(user.0)
    .bind(to_ms(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    get_job(&store.pool, user, job_id).await
}

pub(super) async fn retry_failed_jobs(
    pool: &SqlitePool,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE study_memo_card_jobs SET status = 'pending', attempts = 0, run_after = $2, \
           error_code = NULL, error_message = NULL, completed_at = NULL, lease_expires_at = NULL \
         WHERE user_id = $1 AND status = 'failed'",
    )
    .bind(user.0)
    .bind(to_ms(now))
    .execute(pool)
    .await?
    .rows_affected())
}

pub(super) async fn job_counts(pool: &SqlitePool, user: UserId) -> StoreResult<JobCounts> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS n FROM study_memo_card_jobs WHERE user_id = $1 GROUP BY status",
    )
    .bind(user.0)
    .fetch_all(pool)
    .await?;
    let mut counts = JobCounts::default();
    for row in rows {
        let status: String = row.try_get("status")?;
        let n: i64 = row.try_get("n")?;
        match status.parse()? {
            JobStatus::Pending => counts.pending = n,
            JobStatus::Processing => counts.processing = n,
            JobStatus::Completed => counts.completed = n,
            JobStatus::Failed => counts.failed = n,
            JobStatus::Skipped => counts.skipped = n,
        }
    }
    Ok(counts)
}

fn job_from_row(row: &SqliteRow) -> StoreResult<Job> {
    let status: String = row.try_get("status")?;
    let error_code: Option<String> = row.try_get("error_code")?;
    let payload: Option<String> = row.try_get("payload")?;
    Ok(Job {
        id: row.try_get("id")?,
        user: UserId(row.try_get("user_id")?),
        source_kind: row.try_get("source_kind")?,
        source_id: row.try_get("source_id")?,
        source_version: from_opt_ms(row.try_get("source_version")?)?,
        kind: row.try_get("kind")?,
        status: status.parse()?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        error_code: error_code.map(|c| c.parse()).transpose()?,
        error_message: row.try_get("error_message")?,
        payload: payload.map(|p| serde_json::from_str(&p)).transpose()?,
        created_at: from_ms(row.try_get("created_at")?)?,
        started_at: from_opt_ms(row.try_get("started_at")?)?,
        completed_at: from_opt_ms(row.try_get("completed_at")?)?,
        run_after: from_ms(row.try_get("run_after")?)?,
        lease_expires_at: from_opt_ms(row.try_get("lease_expires_at")?)?,
        worker_id: row.try_get("worker_id")?,
    })
}
