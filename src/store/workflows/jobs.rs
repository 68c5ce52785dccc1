//! The user's jobs (list, show, retry, counts) and the fenced steps of a claimed job
//! (heartbeat, failed attempt, release, skip). Claims, the poller's insert and the batch
//! finish are per backend, where they differ for speed.

use crate::store::JobId;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::store::jobs::{clip_message, lease_delta};
use crate::store::sql::{Connected, Db, Stamp, query_for_update};
use crate::store::{
    AttemptFailure, Fenced, Job, JobCounts, JobStatus, Lease, StoreError, StoreResult, UserId,
};

/// The job columns [`JobRow`] reads, as a literal so queries stay static strings.
macro_rules! job_columns {
    () => {
        "id, user_id, source_kind, source_id, source_version, kind, status, attempts, \
         max_attempts, error_code, error_message, payload, created_at, started_at, \
         completed_at, run_after, lease_expires_at, worker_id"
    };
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: JobId,
    user_id: i64,
    source_kind: String,
    source_id: i64,
    source_version: Option<Stamp>,
    kind: String,
    status: String,
    attempts: i16,
    max_attempts: i16,
    error_code: Option<String>,
    error_message: Option<String>,
    payload: Option<Json<serde_json::Value>>,
    created_at: Stamp,
    started_at: Option<Stamp>,
    completed_at: Option<Stamp>,
    run_after: Stamp,
    lease_expires_at: Option<Stamp>,
    worker_id: Option<String>,
}

impl JobRow {
    fn job(self) -> StoreResult<Job> {
        Ok(Job {
            id: self.id,
            user: UserId(self.user_id),
            source_kind: self.source_kind,
            source_id: self.source_id,
            source_version: self.source_version.map(Into::into),
            kind: self.kind,
            status: self.status.parse()?,
            attempts: i32::from(self.attempts),
            max_attempts: i32::from(self.max_attempts),
            error_code: self.error_code.map(|c| c.parse()).transpose()?,
            error_message: self.error_message,
            payload: self.payload.map(|Json(p)| p),
            created_at: self.created_at.into(),
            started_at: self.started_at.map(Into::into),
            completed_at: self.completed_at.map(Into::into),
            run_after: self.run_after.into(),
            lease_expires_at: self.lease_expires_at.map(Into::into),
            worker_id: self.worker_id,
        })
    }
}

pub(super) async fn list_jobs(
    db: &Db,
    user: UserId,
    status: Option<JobStatus>,
    limit: u32,
) -> StoreResult<Vec<Job>> {
    let mut conn = db.read().await?;
    let rows: Vec<JobRow> = conn
        .query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM study_memo_card_jobs \
             WHERE user_id = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2) ORDER BY id DESC LIMIT $3"
        ))
        .bind(user.0)
        .bind(status.map(JobStatus::as_str))
        .bind(i64::from(limit))
        .fetch_all(&mut conn)
        .await?;
    rows.into_iter().map(JobRow::job).collect()
}

pub(super) async fn get_job(db: &Db, user: UserId, job_id: JobId) -> StoreResult<Job> {
    let mut conn = db.read().await?;
    conn.query(concat!(
        "SELECT ",
        job_columns!(),
        " FROM study_memo_card_jobs WHERE id = $1 AND user_id = $2"
    ))
    .bind(job_id)
    .bind(user.0)
    .fetch_optional::<JobRow>(&mut conn)
    .await?
    .ok_or(StoreError::NotFound("job"))?
    .job()
}

/// The columns a retry resets: the job runs again from its first attempt, now.
macro_rules! retry_set {
    () => {
        "UPDATE study_memo_card_jobs SET status = 'pending', attempts = 0, run_after = $2, \
           error_code = NULL, error_message = NULL, completed_at = NULL, lease_expires_at = NULL "
    };
}

pub(super) async fn retry_job(
    db: &Db,
    user: UserId,
    job_id: JobId,
    now: DateTime<Utc>,
) -> StoreResult<Job> {
    let mut tx = db.write().await?;
    let status: Option<String> = query_for_update!(
        tx,
        "SELECT status FROM study_memo_card_jobs WHERE id = $1 AND user_id = $2"
    )
    .bind(job_id)
    .bind(user.0)
    .scalar_optional(&mut tx)
    .await?;
    let status: JobStatus = match status {
        Some(status) => status.parse()?,
        None => return tx.abandon(StoreError::NotFound("job")).await,
    };
    if status != JobStatus::Failed {
        return tx
            .abandon(StoreError::Refused(format!(
                "job {job_id} is {status}; only failed jobs can be retried"
            )))
            .await;
    }
    tx.query(concat!(
        retry_set!(),
        "WHERE user_id = $1 AND id = $3 AND status = 'failed'"
    ))
    .bind(user.0)
    .bind(now)
    .bind(job_id)
    .execute(&mut tx)
    .await?;
    tx.notify_jobs().await?;
    tx.commit().await?;
    get_job(db, user, job_id).await
}

pub(super) async fn retry_failed_jobs(
    db: &Db,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut tx = db.write().await?;
    let retried = tx
        .query(concat!(
            retry_set!(),
            "WHERE user_id = $1 AND status = 'failed'"
        ))
        .bind(user.0)
        .bind(now)
        .execute(&mut tx)
        .await?;
    if retried > 0 {
        tx.notify_jobs().await?;
    }
    tx.commit().await?;
    Ok(retried)
}

pub(super) async fn job_counts(db: &Db, user: UserId) -> StoreResult<JobCounts> {
    let mut conn = db.read().await?;
    let rows: Vec<(String, i64)> = conn
        .query(
            "SELECT status, COUNT(*) FROM study_memo_card_jobs WHERE user_id = $1 GROUP BY status",
        )
        .bind(user.0)
        .fetch_all(&mut conn)
        .await?;
    let mut counts = JobCounts::default();
    for (status, n) in rows {
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

/// `Applied` when the statement changed the leased row, `Stale` when the lease was lost.
fn fenced(changed: u64) -> Fenced<()> {
    if changed == 1 {
        Fenced::Applied(())
    } else {
        Fenced::Stale
    }
}

pub(super) async fn heartbeat(
    db: &Db,
    lease: Lease,
    duration: Duration,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let mut conn = db.write_one().await?;
    let updated = conn
        .query(
            "UPDATE study_memo_card_jobs SET lease_expires_at = $3 \
             WHERE id = $1 AND claims = $2 AND status = 'processing'",
        )
        .bind(lease.job_id)
        .bind(lease.token)
        .bind(now + lease_delta(duration)?)
        .execute(&mut conn)
        .await?;
    Ok(updated == 1)
}

pub(super) async fn fail_attempt(
    db: &Db,
    lease: Lease,
    failure: &AttemptFailure,
    now: DateTime<Utc>,
) -> StoreResult<Fenced<JobStatus>> {
    let message = failure.checked_message()?;
    let mut conn = db.write_one().await?;
    let status: Option<String> = conn
        .query(
            "UPDATE study_memo_card_jobs SET \
               status = CASE WHEN CAST($3 AS TIMESTAMPTZ) IS NOT NULL AND attempts < max_attempts \
                 THEN 'pending' ELSE 'failed' END, \
               run_after = CASE WHEN CAST($3 AS TIMESTAMPTZ) IS NOT NULL AND attempts < max_attempts \
                 THEN CAST($3 AS TIMESTAMPTZ) ELSE run_after END, \
               completed_at = CASE WHEN CAST($3 AS TIMESTAMPTZ) IS NOT NULL AND attempts < max_attempts \
                 THEN NULL ELSE $6 END, \
               error_code = $4, error_message = $5, lease_expires_at = NULL \
             WHERE id = $1 AND claims = $2 AND status = 'processing' \
             RETURNING status",
        )
        .bind(lease.job_id)
        .bind(lease.token)
        .bind(failure.retry_at)
        .bind(failure.code.as_str())
        .bind(message)
        .bind(now)
        .scalar_optional(&mut conn)
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
    db: &Db,
    lease: Lease,
    now: DateTime<Utc>,
) -> StoreResult<Fenced<()>> {
    let mut conn = db.write_one().await?;
    let updated = conn
        .query(
            "UPDATE study_memo_card_jobs SET status = 'pending', attempts = attempts - 1, \
               run_after = $3, lease_expires_at = NULL, worker_id = NULL \
             WHERE id = $1 AND claims = $2 AND status = 'processing' AND attempts > 0",
        )
        .bind(lease.job_id)
        .bind(lease.token)
        .bind(now)
        .execute(&mut conn)
        .await?;
    Ok(fenced(updated))
}

pub(super) async fn skip_job(
    db: &Db,
    lease: Lease,
    message: &str,
    now: DateTime<Utc>,
) -> StoreResult<Fenced<()>> {
    let mut conn = db.write_one().await?;
    let updated = conn
        .query(
            "UPDATE study_memo_card_jobs SET status = 'skipped', error_code = 'no_ready_explanation', \
               error_message = $3, completed_at = $4, lease_expires_at = NULL \
             WHERE id = $1 AND claims = $2 AND status = 'processing'",
        )
        .bind(lease.job_id)
        .bind(lease.token)
        .bind(clip_message(message))
        .bind(now)
        .execute(&mut conn)
        .await?;
    Ok(fenced(updated))
}

pub(super) async fn earliest_pending_at(db: &Db) -> StoreResult<Option<DateTime<Utc>>> {
    let mut conn = db.read().await?;
    let earliest: Option<Stamp> = conn
        .query("SELECT MIN(run_after) FROM study_memo_card_jobs WHERE status = 'pending'")
        .scalar(&mut conn)
        .await?;
    Ok(earliest.map(Into::into))
}
