//! PostgreSQL: the extraction job queue. Claims take rows with `FOR UPDATE SKIP LOCKED`,
//! so any number of workers on any number of machines share it; polls NOTIFY `amgi_jobs`.

mod finish;
mod listing;
mod queue;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::store::{
    AttemptFailure, ClaimedJob, EnqueueReport, ExtractionFinish, Fenced, FinishedExtraction,
    JOBS_CHANNEL, Job, JobCounts, JobListener, JobStatus, JobStore, Lease, StoreResult, UserId,
};

#[async_trait]
impl JobStore for PgStore {
    async fn enqueue_ready(
        &self,
        batch: u32,
        max_attempts: u16,
        now: DateTime<Utc>,
    ) -> StoreResult<EnqueueReport> {
        queue::enqueue_ready(&self.pool, batch, max_attempts, now).await
    }

    async fn claim_jobs(
        &self,
        worker_id: &str,
        lease: Duration,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedJob>> {
        queue::claim_jobs(&self.pool, worker_id, lease, now, limit).await
    }

    async fn heartbeat(
        &self,
        lease: Lease,
        duration: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        queue::heartbeat(&self.pool, lease, duration, now).await
    }

    async fn finish_extractions(
        &self,
        finishes: &[ExtractionFinish],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Fenced<FinishedExtraction>>> {
        finish::finish_extractions(&self.pool, finishes, now).await
    }

    async fn fail_attempt(
        &self,
        lease: Lease,
        failure: &AttemptFailure,
        now: DateTime<Utc>,
    ) -> StoreResult<Fenced<JobStatus>> {
        queue::fail_attempt(&self.pool, lease, failure, now).await
    }

    async fn skip_job(
        &self,
        lease: Lease,
        message: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Fenced<()>> {
        queue::skip_job(&self.pool, lease, message, now).await
    }

    async fn release_job(&self, lease: Lease, now: DateTime<Utc>) -> StoreResult<Fenced<()>> {
        queue::release_job(&self.pool, lease, now).await
    }

    async fn retry_failed_jobs(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<u64> {
        listing::retry_failed_jobs(&self.pool, user, now).await
    }

    async fn earliest_pending_at(&self) -> StoreResult<Option<DateTime<Utc>>> {
        queue::earliest_pending_at(&self.pool).await
    }

    async fn job_listener(&self) -> StoreResult<Option<JobListener>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(JOBS_CHANNEL).await?;
        Ok(Some(JobListener::new(listener)))
    }

    async fn list_jobs(
        &self,
        user: UserId,
        status: Option<JobStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Job>> {
        listing::list_jobs(&self.pool, user, status, limit).await
    }

    async fn get_job(&self, user: UserId, job_id: i64) -> StoreResult<Job> {
        listing::get_job(&self.pool, user, job_id).await
    }

    async fn retry_job(&self, user: UserId, job_id: i64, now: DateTime<Utc>) -> StoreResult<Job> {
        listing::retry_job(&self.pool, user, job_id, now).await
    }

    async fn job_counts(&self, user: UserId) -> StoreResult<JobCounts> {
        listing::job_counts(&self.pool, user).await
    }
}
