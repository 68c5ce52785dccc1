//! One claimed job, start to finish: a heartbeat keeps the lease while the extractor runs
//! (no transaction is open meanwhile), then the guards, then a fenced transaction (shared
//! with other finished jobs by the batch completer) that stores the cards, or a fenced failure with a backoff for the retry.

use crate::store::CardId;
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::backoff::RetryPolicy;
use super::completer::Completer;
use super::events::{EngineEvent, EventSink, JobOutcome};
use super::extractor::{ExtractError, Extractor};
use super::slot::Slot;
use crate::domain::card::CardDraft;
use crate::domain::extract::SourceContext;
use crate::domain::guard::{DropReason, apply_guards};
use crate::domain::normalize::DedupScope;
use crate::store::{
    AttemptFailure, ClaimedJob, ExplanationFinish, ExtractionFinish, ExtractionReport, Fenced,
    FinishedExtraction, JobInput, JobStatus, Lease, SharedStore, StoreResult,
};

/// What the worker needs to run any job; shared by the engine's job tasks.
pub(crate) struct JobRunner {
    pub store: SharedStore,
    /// Commits finished extractions in batches.
    pub completer: Completer,
    pub extractor: Arc<dyn Extractor>,
    pub lease: Duration,
    /// Cards taken from one answer, at most.
    pub max_cards: usize,
    pub retry: RetryPolicy,
    pub events: EventSink,
    /// Asks the dispatcher to poll now: a stored explanation is a new version to extract.
    pub poll_now: Arc<tokio::sync::Notify>,
}

/// How the extractor call ended.
pub(super) enum Attempt<T> {
    Answered(Result<T, ExtractError>),
    /// The heartbeat found the lease taken over.
    Fenced,
    /// Shutdown's grace period ran out.
    Interrupted,
}

impl JobRunner {
    /// Runs one claimed job in `slot`, given back once the extractor has answered. `abort`
    /// interrupts the extractor call (shutdown); the job then goes back to the queue without
    /// spending the attempt. A database error leaves the job to its lease.
    #[tracing::instrument(skip_all, fields(job = job.lease.job_id.0, question = job.question_id.0, attempt = job.attempt))]
    pub(crate) async fn run(&self, job: ClaimedJob, mut slot: Slot, abort: CancellationToken) {
        self.events.send(EngineEvent::JobStarted {
            job_id: job.lease.job_id,
            user: job.user,
            question_id: job.question_id,
            attempt: job.attempt,
        });
        let result = match (&job.input, job.source_version) {
            (JobInput::Ready(source), Some(_)) => {
                self.extract(&job, source, &mut slot, &abort).await
            }
            (JobInput::Explain(source), _) => self.explain(&job, source, &mut slot, &abort).await,
            (JobInput::NothingToExplain, _) => {
                slot.release();
                self.explained(&job, ExplanationFinish::NotNeeded).await
            }
            _ => {
                slot.release();
                self.skip(&job).await
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "job left to its lease after a database error");
            self.events.send(EngineEvent::StoreError {
                message: format!("job {}: {e}", job.lease.job_id),
            });
        }
    }

    async fn skip(&self, job: &ClaimedJob) -> StoreResult<()> {
        let message = "the question has no ready explanation at this job's version";
        match self.store.skip_job(job.lease, message, Utc::now()).await? {
            Fenced::Stale => self.fenced(job),
            Fenced::Applied(()) => {
                tracing::info!("skipped: no ready explanation");
                self.finished(job, JobOutcome::Skipped, Vec::new(), Default::default(), 0);
            }
        }
        Ok(())
    }

    async fn extract(
        &self,
        job: &ClaimedJob,
        source: &SourceContext,
        slot: &mut Slot,
        abort: &CancellationToken,
    ) -> StoreResult<()> {
        let (attempt, latency_ms) = self
            .under_lease(job, slot, abort, self.extractor.extract(source))
            .await;
        match attempt {
            Attempt::Answered(Ok(drafts)) => {
                self.store_cards(job, source, drafts, latency_ms).await
            }
            Attempt::Answered(Err(error)) => self.fail(job, &error).await,
            Attempt::Fenced => {
                self.fenced(job);
                Ok(())
            }
            Attempt::Interrupted => self.interrupted(job).await,
        }
    }

    /// Runs an extractor call while a heartbeat keeps the lease (no transaction is open
    /// meanwhile), gives the slot back once it has answered, and says how long it took.
    pub(super) async fn under_lease<T>(
        &self,
        job: &ClaimedJob,
        slot: &mut Slot,
        abort: &CancellationToken,
        call: impl Future<Output = Result<T, ExtractError>>,
    ) -> (Attempt<T>, u64) {
        let stop = CancellationToken::new();
        let fenced = CancellationToken::new();
        let heartbeat = tokio::spawn(keep_lease(
            self.store.clone(),
            job.lease,
            self.lease,
            stop.clone(),
            fenced.clone(),
        ));
        let started = Instant::now();
        let attempt = tokio::select! {
            answer = call => Attempt::Answered(answer),
            () = fenced.cancelled() => Attempt::Fenced,
            () = abort.cancelled() => Attempt::Interrupted,
        };
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        stop.cancel();
        // Waits for a heartbeat in flight, so no renewal lands after the job is finished.
        let _ = heartbeat.await;
        slot.release();
        (attempt, latency_ms)
    }

    /// A graceful stop is not the job's fault: it goes back to the queue with the attempt
    /// its claim counted returned, for the next worker or the next start.
    pub(super) async fn interrupted(&self, job: &ClaimedJob) -> StoreResult<()> {
        let released = self.store.release_job(job.lease, Utc::now()).await?;
        if released.is_stale() {
            self.fenced(job);
            return Ok(());
        }
        tracing::info!("interrupted by shutdown; the job is pending again");
        self.events.send(EngineEvent::JobInterrupted {
            job_id: job.lease.job_id,
            user: job.user,
            question_id: job.question_id,
        });
        Ok(())
    }

    async fn store_cards(
        &self,
        job: &ClaimedJob,
        source: &SourceContext,
        mut drafts: Vec<CardDraft>,
        latency_ms: u64,
    ) -> StoreResult<()> {
        // A hostile or runaway answer must not flood Review: the first cards are considered,
        // the rest dropped and counted.
        let over_limit =
            u32::try_from(drafts.len().saturating_sub(self.max_cards)).unwrap_or(u32::MAX);
        drafts.truncate(self.max_cards);
        let proposed = u32::try_from(drafts.len()).unwrap_or(u32::MAX);
        // The guards drop duplicates within the batch; a duplicate of a live card is dropped
        // (and counted as dedup) by the finish itself, atomically with the insert, so no
        // read of the live cards' hashes is needed beforehand.
        let guarded = apply_guards(
            drafts,
            &source.source_text(),
            DedupScope::Question(job.question_id.0),
            &HashSet::new(),
        );
        let report = ExtractionReport {
            extractor: self.extractor.name().to_owned(),
            model: self.extractor.model().map(str::to_owned),
            latency_ms,
            proposed,
            over_limit,
            dropped: guarded.dropped,
        };
        let finish = ExtractionFinish {
            lease: job.lease,
            cards: guarded.kept,
            report,
        };
        let finished = self.completer.finish(finish).await?;
        match finished {
            Fenced::Stale => self.fenced(job),
            Fenced::Applied(FinishedExtraction::Completed { card_ids, payload }) => {
                tracing::info!(kept = payload.kept, proposed, "cards stored for review");
                self.finished(
                    job,
                    JobOutcome::Completed,
                    card_ids,
                    payload.dropped,
                    latency_ms,
                );
            }
            Fenced::Applied(FinishedExtraction::AllDropped { payload }) => {
                tracing::info!(proposed, dropped = ?payload.dropped, "every card was dropped");
                let dropped = payload.dropped;
                self.finished(job, JobOutcome::AllDropped, Vec::new(), dropped, latency_ms);
            }
            Fenced::Applied(FinishedExtraction::SourceChanged) => {
                tracing::info!("the explanation changed meanwhile; skipped");
                let dropped = Default::default();
                self.finished(job, JobOutcome::Skipped, Vec::new(), dropped, latency_ms);
            }
        }
        Ok(())
    }

    pub(super) async fn fail(&self, job: &ClaimedJob, error: &ExtractError) -> StoreResult<()> {
        let now = Utc::now();
        let delay = self
            .retry
            .delay(job.attempt, error.retry_after(), &mut fastrand::Rng::new());
        let retry_at = now + chrono::TimeDelta::from_std(delay).unwrap_or(chrono::TimeDelta::MAX);
        let failure = AttemptFailure {
            code: error.code(),
            message: error.to_string(),
            // A refused key stays refused: the job fails at once.
            retry_at: error.is_retryable().then_some(retry_at),
        };
        match self.store.fail_attempt(job.lease, &failure, now).await? {
            Fenced::Stale => self.fenced(job),
            Fenced::Applied(status) => {
                let retry_at = (status == JobStatus::Pending).then_some(retry_at);
                tracing::warn!(code = %failure.code, error = %error, ?retry_at, "attempt failed");
                self.events.send(EngineEvent::JobFailed {
                    job_id: job.lease.job_id,
                    user: job.user,
                    question_id: job.question_id,
                    attempt: job.attempt,
                    code: failure.code,
                    message: failure.message,
                    retry_at,
                });
            }
        }
        Ok(())
    }

    pub(super) fn finished(
        &self,
        job: &ClaimedJob,
        outcome: JobOutcome,
        card_ids: Vec<CardId>,
        dropped: BTreeMap<DropReason, u32>,
        latency_ms: u64,
    ) {
        self.events.send(EngineEvent::JobFinished {
            job_id: job.lease.job_id,
            user: job.user,
            question_id: job.question_id,
            outcome,
            card_ids,
            dropped,
            latency_ms,
        });
    }

    pub(super) fn fenced(&self, job: &ClaimedJob) {
        tracing::warn!("another worker took the job over; this attempt's result is discarded");
        self.events.send(EngineEvent::JobFenced {
            job_id: job.lease.job_id,
            user: job.user,
            question_id: job.question_id,
        });
    }
}

/// Renews the lease every third of its length until `stop`; cancels `fenced` and returns if
/// the lease was taken over. A failed renewal is retried on the next beat.
async fn keep_lease(
    store: SharedStore,
    lease: Lease,
    duration: Duration,
    stop: CancellationToken,
    fenced: CancellationToken,
) {
    let period = (duration / 3).max(Duration::from_millis(50));
    let mut beats = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = beats.tick() => {}
        }
        match store.heartbeat(lease, duration, Utc::now()).await {
            Ok(true) => {}
            Ok(false) => {
                fenced.cancel();
                return;
            }
            Err(e) => tracing::warn!(error = %e, "lease renewal failed; trying again"),
        }
    }
}
