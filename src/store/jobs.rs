//! The extraction job queue part of the Store API (DESIGN §1.1–1.2): the version-keyed
//! poller, leased claims fenced on a claim token, completion with the cards in one
//! transaction, and the job listing that `amgi jobs` shows.
//!
//! Every method takes `now`, so the queue's time rules are testable without waiting. The
//! poller, claims and leases are global (a worker serves every user; each job carries its
//! user); the listing methods are scoped to one user.

mod model;
pub(crate) mod prepare;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use model::*;

use super::{JobId, StoreError, StoreResult, UserId};
use crate::domain::card::CardDraft;

/// The PostgreSQL channel a poll notifies when it enqueued jobs.
pub const JOBS_CHANNEL: &str = "amgi_jobs";

/// Poller, claim, lease, completion and job listing.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Enqueues a `card_extract` job for up to `batch` live questions whose explanation is
    /// ready with a non-NULL version and which have no job for that version, newest
    /// explanations first (DESIGN §1.1). Race-free: the version key is unique and inserts do
    /// nothing on conflict. On PostgreSQL a poll that enqueued jobs notifies [`JOBS_CHANNEL`].
    async fn enqueue_ready(
        &self,
        batch: u32,
        max_attempts: u16,
        now: DateTime<Utc>,
    ) -> StoreResult<EnqueueReport>;

    /// Claims up to `limit` due jobs, oldest `run_after` first (pending with
    /// `run_after <= now`, or processing with a lease expired before `now` and attempts left):
    /// each gets one more attempt, a new lease until `now + lease` and a new fencing token.
    /// Jobs whose last attempt lost its lease are failed first. Each job comes with its
    /// question as it stands at the job's version. One round trip for the whole batch, so a
    /// dispatcher fills all its free slots at once.
    async fn claim_jobs(
        &self,
        worker_id: &str,
        lease: Duration,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedJob>>;

    /// Claims the next due job: [`JobStore::claim_jobs`] with a limit of one.
    async fn claim_job(
        &self,
        worker_id: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ClaimedJob>> {
        Ok(self.claim_jobs(worker_id, lease, now, 1).await?.pop())
    }

    /// Extends a lease to `now + lease`; false when the lease has been fenced out.
    async fn heartbeat(
        &self,
        lease: Lease,
        duration: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// In one transaction, for each finish in order, fenced on its lease: retires review
    /// cards of older versions of the question (approved cards are kept), stores its cards
    /// (in review, with evidence; a card colliding with a live card, or repeating one of the
    /// batch, is counted as a dedup drop: the guards' dedup against live cards happens here),
    /// and completes the job (`all_dropped` when no card was stored). One result per finish,
    /// in order. A batch completer commits several finished jobs at once this way; on
    /// PostgreSQL the round trips do not grow with the number of jobs or cards.
    async fn finish_extractions(
        &self,
        finishes: &[ExtractionFinish],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Fenced<FinishedExtraction>>>;

    /// Finishes one extraction: [`JobStore::finish_extractions`] with a batch of one.
    async fn finish_extraction(
        &self,
        lease: Lease,
        cards: &[CardDraft],
        report: &ExtractionReport,
        now: DateTime<Utc>,
    ) -> StoreResult<Fenced<FinishedExtraction>> {
        let finish = ExtractionFinish {
            lease,
            cards: cards.to_vec(),
            report: report.clone(),
        };
        let mut results = self.finish_extractions(&[finish], now).await?;
        results
            .pop()
            .ok_or_else(|| StoreError::Corrupt("a finish of one job returned no result".into()))
    }

    /// Records a failed attempt: back to `pending` until `retry_at` when a retry is asked for
    /// and attempts are left, otherwise `failed`. Returns the job's new status.
    async fn fail_attempt(
        &self,
        lease: Lease,
        failure: &AttemptFailure,
        now: DateTime<Utc>,
    ) -> StoreResult<Fenced<JobStatus>>;

    /// Finishes an `explanation` job, fenced on its lease, in one transaction: a written
    /// explanation becomes the question's ready explanation with a new version (now), unless
    /// the question was deleted or explained meanwhile (then nothing is written and the job
    /// is `skipped`); without an LLM the job is `skipped` / `no_llm`.
    async fn finish_explanation(
        &self,
        lease: Lease,
        finish: &ExplanationFinish,
        now: DateTime<Utc>,
    ) -> StoreResult<Fenced<FinishedExplanation>>;

    /// Finishes a job `skipped` with `no_ready_explanation`.
    async fn skip_job(
        &self,
        lease: Lease,
        message: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Fenced<()>>;

    /// Gives a claimed job back after a graceful stop (the app quits, a worker is asked to
    /// stop): `pending` again and due at `now`, and the attempt its claim counted is not
    /// spent. Fenced on the lease: a job taken over or finished meanwhile is left alone.
    async fn release_job(&self, lease: Lease, now: DateTime<Utc>) -> StoreResult<Fenced<()>>;

    /// The earliest `run_after` of any pending job (all users): when a worker should look again.
    async fn earliest_pending_at(&self) -> StoreResult<Option<DateTime<Utc>>>;

    /// A listener woken by polls that enqueued jobs (PostgreSQL); `None` where there is no
    /// such channel (SQLite: workers poll).
    async fn job_listener(&self) -> StoreResult<Option<JobListener>>;

    /// The user's jobs, newest first, optionally of one status.
    async fn list_jobs(
        &self,
        user: UserId,
        status: Option<JobStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Job>>;

    /// One of the user's jobs.
    async fn get_job(&self, user: UserId, job_id: JobId) -> StoreResult<Job>;

    /// Puts one of the user's failed jobs back to `pending` with its attempts reset
    /// (`max_attempts` kept). Any other status is refused.
    async fn retry_job(&self, user: UserId, job_id: JobId, now: DateTime<Utc>) -> StoreResult<Job>;

    /// Puts every failed job of the user back to `pending` with its attempts reset, whatever
    /// its final failure (`lease_lost` after a worker died, `auth_fail` after a key was
    /// fixed, …). Returns how many.
    async fn retry_failed_jobs(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<u64>;

    /// The user's jobs by status.
    async fn job_counts(&self, user: UserId) -> StoreResult<JobCounts>;
}

/// Wake-ups for workers: a PostgreSQL connection listening on [`JOBS_CHANNEL`]. It holds one
/// connection of the store's pool until dropped, so closing that pool waits for it.
pub struct JobListener {
    inner: sqlx::postgres::PgListener,
}

impl JobListener {
    pub(crate) fn new(inner: sqlx::postgres::PgListener) -> Self {
        JobListener { inner }
    }

    /// Waits for the next notification. An error means the connection was lost; the caller
    /// falls back to polling.
    pub async fn recv(&mut self) -> StoreResult<()> {
        self.inner.recv().await?;
        Ok(())
    }
}

impl std::fmt::Debug for JobListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobListener")
    }
}
