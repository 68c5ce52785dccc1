//! The extraction engine: one dispatcher task that polls, claims into free slots and spawns
//! a task per job, woken by its poll interval, PostgreSQL notifications, freed slots and
//! retries coming due; finished jobs are committed in batches by the completer. The TUI runs
//! it in-process; `amgi worker` runs it headless.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::sync::{Notify, Semaphore};
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::completer::Completer;
use super::events::{EngineEvent, EventSink};
use super::poller::poll_once;
use super::settings::{EngineMode, EngineSettings};
use super::slot::Slot;
use super::worker::JobRunner;
use crate::store::{EnqueueReport, JobListener, SharedStore, StoreError, StoreResult};

/// After the grace period, interrupted jobs get this long to wind down before being aborted.
const ABORT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs extraction in the background.
pub struct Engine;

impl Engine {
    /// Starts the engine on the current tokio runtime. It runs until `cancel` (then lets
    /// in-flight jobs finish within `settings.shutdown_grace`) or, in drain mode, until the
    /// queue is empty; [`EngineEvent::Stopped`] is its last event.
    pub fn spawn(
        store: SharedStore,
        settings: EngineSettings,
        cancel: CancellationToken,
    ) -> (JoinHandle<()>, UnboundedReceiver<EngineEvent>) {
        let (sender, receiver) = unbounded_channel();
        let events = EventSink(sender);
        // Jobs give their slot back before their commit, so more finishes than slots can queue
        // while commits are slow; a batch takes up to four slots' worth.
        let max_batch = settings.concurrency.max(1) * 4;
        let (completer, completer_task) = Completer::spawn(store.clone(), max_batch);
        let poll_now = Arc::new(Notify::new());
        let dispatcher = Dispatcher {
            runner: Arc::new(JobRunner {
                store: store.clone(),
                completer,
                extractor: settings.extractor.clone(),
                lease: settings.lease,
                max_cards: settings.max_cards,
                retry: settings.retry,
                events: events.clone(),
                poll_now: poll_now.clone(),
            }),
            poll_now,
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            slot_freed: Arc::new(Notify::new()),
            abort: CancellationToken::new(),
            store,
            settings,
            events: events.clone(),
        };
        let handle = tokio::spawn(async move {
            dispatcher.run(cancel).await;
            // The dispatcher and its job tasks are gone, so the completer's queue has closed;
            // it ends once the finishes it holds are committed.
            if let Err(e) = completer_task.await {
                tracing::error!(error = %e, "the batch completer failed");
            }
            tracing::info!("extraction engine stopped");
            events.send(EngineEvent::Stopped);
        });
        (handle, receiver)
    }
}

/// What a fill left behind.
enum Fill {
    /// Every slot is running a job.
    SlotsFull,
    /// Slots are free: no job was claimable (or the claim failed).
    QueueDry,
}

/// When the next pending job becomes claimable.
enum NextDue {
    /// No pending job at all.
    Nothing,
    /// One is due already (but could not be claimed just now).
    Now,
    /// The earliest retry.
    At(DateTime<Utc>),
}

struct Dispatcher {
    store: SharedStore,
    settings: EngineSettings,
    runner: Arc<JobRunner>,
    events: EventSink,
    /// One permit per extractor call that may run at once.
    slots: Arc<Semaphore>,
    /// Signalled when a job gives its slot back.
    slot_freed: Arc<Notify>,
    /// Cancelled when the shutdown grace runs out: in-flight extractor calls are dropped.
    abort: CancellationToken,
    /// Signalled by a job that stored an explanation: a new version to enqueue at once.
    poll_now: Arc<Notify>,
}

impl Dispatcher {
    #[tracing::instrument(skip_all, fields(worker = %self.settings.worker_id))]
    async fn run(self, cancel: CancellationToken) {
        tracing::info!(settings = ?self.settings, "extraction engine starting");
        let drain = self.settings.mode == EngineMode::Drain;
        let mut running = JoinSet::new();
        // Drain mode ends as soon as the queue is empty; wake-ups would not change that.
        let mut listener = if drain { None } else { self.listen().await };
        let mut ticker = tokio::time::interval(self.settings.poll_interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker.tick().await;
        let mut polled = self.poll().await;
        loop {
            if cancel.is_cancelled() || (drain && polled.is_err()) {
                break;
            }
            // With every slot busy, a finished job wakes the loop; the earliest retry only
            // matters when slots are left free.
            let next = match self.fill(&mut running).await {
                Fill::SlotsFull => NextDue::Now,
                Fill::QueueDry => {
                    // A backlog larger than one batch is enqueued as fast as slots free up,
                    // not one batch per poll interval.
                    if self.batch_was_full(&polled) {
                        polled = self.poll().await;
                        if matches!(&polled, Ok(report) if report.enqueued > 0) {
                            continue;
                        }
                    }
                    self.next_due().await
                }
            };
            if drain && running.is_empty() {
                polled = self.poll().await;
                match (&polled, &next) {
                    (Ok(report), _) if report.enqueued > 0 => continue,
                    (Err(_), _) | (Ok(_), NextDue::Nothing) => break,
                    _ => {}
                }
            }
            let wake_at = match next {
                NextDue::At(at) => Some(instant_at(at)),
                NextDue::Now | NextDue::Nothing => None,
            };
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = ticker.tick() => {
                    if listener.is_none() && !drain {
                        listener = self.listen().await;
                    }
                    polled = self.poll().await;
                }
                Some(joined) = running.join_next(), if !running.is_empty() => joined_job(joined),
                () = self.slot_freed.notified() => {}
                () = self.poll_now.notified() => polled = self.poll().await,
                woke = notification(&mut listener) => {
                    if let Err(e) = woke {
                        tracing::warn!(error = %e, "job notifications lost; polling until they are back");
                        listener = None;
                    }
                }
                () = sleep_until(wake_at) => {}
            }
        }
        self.shutdown(&mut running).await;
    }

    /// Whether the last poll found a whole batch, so more questions are likely ready.
    fn batch_was_full(&self, polled: &StoreResult<EnqueueReport>) -> bool {
        matches!(polled, Ok(report) if report.candidates >= u64::from(self.settings.batch))
    }

    /// Enqueues new jobs.
    async fn poll(&self) -> StoreResult<EnqueueReport> {
        let polled = poll_once(&self.store, self.settings.batch, self.settings.max_attempts).await;
        match polled {
            Ok(report) => {
                if report.enqueued > 0 {
                    self.events.send(EngineEvent::Enqueued {
                        jobs: report.enqueued,
                    });
                }
                Ok(report)
            }
            Err(e) => {
                self.store_error(&e);
                Err(e)
            }
        }
    }

    /// Claims jobs into every free slot, all in one claim.
    async fn fill(&self, running: &mut JoinSet<()>) -> Fill {
        let mut permits = Vec::new();
        while let Ok(permit) = self.slots.clone().try_acquire_owned() {
            permits.push(permit);
        }
        if permits.is_empty() {
            return Fill::SlotsFull;
        }
        let wanted = permits.len();
        let limit = u32::try_from(wanted).unwrap_or(u32::MAX);
        let claimed = self
            .store
            .claim_jobs(
                &self.settings.worker_id,
                self.settings.lease,
                Utc::now(),
                limit,
            )
            .await;
        let jobs = match claimed {
            Ok(jobs) => jobs,
            Err(e) => {
                self.store_error(&e);
                return Fill::QueueDry;
            }
        };
        let filled = jobs.len() == wanted;
        // Permits beyond the jobs claimed are dropped here, freeing their slots again.
        for (job, permit) in jobs.into_iter().zip(permits) {
            let runner = self.runner.clone();
            let abort = self.abort.clone();
            let slot = Slot::new(permit, self.slot_freed.clone());
            running.spawn(async move { runner.run(job, slot, abort).await });
        }
        if filled {
            Fill::SlotsFull
        } else {
            Fill::QueueDry
        }
    }

    async fn next_due(&self) -> NextDue {
        match self.store.earliest_pending_at().await {
            Ok(None) => NextDue::Nothing,
            Ok(Some(at)) if at > Utc::now() => NextDue::At(at),
            Ok(Some(_)) => NextDue::Now,
            Err(e) => {
                self.store_error(&e);
                NextDue::Now
            }
        }
    }

    async fn listen(&self) -> Option<JobListener> {
        match self.store.job_listener().await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for job notifications; polling only");
                None
            }
        }
    }

    /// Lets in-flight jobs finish within the grace period, then drops their extractor calls.
    async fn shutdown(&self, running: &mut JoinSet<()>) {
        if running.is_empty() {
            return;
        }
        tracing::info!(jobs = running.len(), grace = ?self.settings.shutdown_grace, "waiting for in-flight jobs");
        if tokio::time::timeout(self.settings.shutdown_grace, join_all(running))
            .await
            .is_ok()
        {
            return;
        }
        self.abort.cancel();
        if tokio::time::timeout(ABORT_WAIT, join_all(running))
            .await
            .is_err()
        {
            running.abort_all();
            join_all(running).await;
        }
    }

    fn store_error(&self, error: &StoreError) {
        tracing::warn!(error = %error, "extraction engine: database error");
        self.events.send(EngineEvent::StoreError {
            message: error.to_string(),
        });
    }
}

async fn join_all(running: &mut JoinSet<()>) {
    while let Some(joined) = running.join_next().await {
        joined_job(joined);
    }
}

fn joined_job(joined: Result<(), JoinError>) {
    if let Err(e) = joined
        && e.is_panic()
    {
        tracing::error!(error = %e, "an extraction job panicked; its lease will expire");
    }
}

/// The next notification, or never without a listener.
async fn notification(listener: &mut Option<JobListener>) -> StoreResult<()> {
    match listener {
        Some(listener) => listener.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn instant_at(at: DateTime<Utc>) -> Instant {
    Instant::now() + (at - Utc::now()).to_std().unwrap_or_default()
}
