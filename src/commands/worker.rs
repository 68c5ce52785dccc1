//! `amgi worker`: the extraction engine without the app, with a progress line per job on
//! stderr and a clean stop on Ctrl-C or SIGTERM.

use std::time::Duration;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use crate::cli::WorkerArgs;
use crate::domain::text::strip_controls;
use crate::setup::Settings;
use crate::work::{Engine, EngineEvent, EngineMode, EngineSettings, JobOutcome};

pub async fn run(settings: &Settings, args: &WorkerArgs) -> anyhow::Result<()> {
    let (store, _) = settings.open().await?;
    // Registered before the first line is printed: a stop request after it is never missed.
    // (Until then, Ctrl-C keeps its default effect, so a hanging connect can be interrupted.)
    let mut signals = StopSignals::new();
    let mut engine = EngineSettings::from_config(&settings.config.extract, &settings.config.llm)
        .context("cannot set up the extractor")?;
    engine.mode = if args.once {
        EngineMode::Drain
    } else {
        EngineMode::Continuous
    };
    engine.shutdown_grace = Duration::from_secs(args.grace);
    let model = engine
        .extractor
        .model()
        .map(|m| format!(" (model {m})"))
        .unwrap_or_default();
    crate::say_err!(
        "amgi worker {}: {} extractor{model}, {} at a time, {}{}",
        engine.worker_id,
        engine.extractor.name(),
        engine.concurrency,
        settings.location.describe(),
        if args.once {
            "; stops when the queue is empty"
        } else {
            "; Ctrl-C to stop"
        }
    );

    let cancel = CancellationToken::new();
    let (handle, mut events) = Engine::spawn(store.clone(), engine, cancel.clone());
    let mut tally = Tally::default();
    let mut quit_now = false;
    // A deleted or replaced SQLite file is noticed within a second even while no job writes.
    let mut health = tokio::time::interval(HEALTH_CHECK);
    let mut lost = None;
    loop {
        tokio::select! {
            _ = health.tick() => {
                if let Err(e) = store.check_alive() {
                    lost = Some(e);
                    quit_now = true;
                    break;
                }
            }
            event = events.recv() => match event {
                None | Some(EngineEvent::Stopped) => break,
                Some(event) => {
                    tally.count(&event);
                    crate::say_err!("{}", describe(&event));
                }
            },
            () = signals.next() => {
                if cancel.is_cancelled() {
                    crate::say_err!("stopping now; unfinished jobs will be taken over when their leases expire");
                    quit_now = true;
                    break;
                }
                crate::say_err!(
                    "stopping: waiting up to {} s for jobs in flight (Ctrl-C again to quit now)",
                    args.grace
                );
                cancel.cancel();
            }
        }
    }
    if quit_now {
        // The engine and its jobs end with the runtime; their leases expire.
        handle.abort();
    } else if let Err(e) = handle.await {
        anyhow::bail!("the extraction engine crashed: {e}");
    }
    crate::say_err!(
        "stopped: {} completed, {} all dropped, {} skipped, {} failed for good, {} to retry",
        tally.completed,
        tally.all_dropped,
        tally.skipped,
        tally.failed,
        tally.retrying
    );
    if let Some(e) = lost {
        return Err(e.into());
    }
    // A drain is a batch run: a script must see that it did not do all it was asked to.
    if args.once && tally.failed > 0 {
        anyhow::bail!(
            "{} job(s) failed for good (`amgi jobs list --status failed`; `amgi jobs retry --failed` tries them again)",
            tally.failed
        );
    }
    if args.once && tally.store_errors > 0 {
        anyhow::bail!(
            "the database refused {} write(s); see the lines above",
            tally.store_errors
        );
    }
    Ok(())
}

/// How often the worker checks that its database is still the one it opened.
const HEALTH_CHECK: Duration = Duration::from_secs(1);

/// Jobs by how they ended, for the closing line.
#[derive(Debug, Default)]
struct Tally {
    completed: u64,
    all_dropped: u64,
    skipped: u64,
    failed: u64,
    retrying: u64,
    /// Database errors the engine reported.
    store_errors: u64,
}

impl Tally {
    fn count(&mut self, event: &EngineEvent) {
        match event {
            EngineEvent::JobFinished { outcome, .. } => match outcome {
                JobOutcome::Completed | JobOutcome::Explained => self.completed += 1,
                JobOutcome::AllDropped => self.all_dropped += 1,
                JobOutcome::Skipped | JobOutcome::NoLlm | JobOutcome::NotNeeded => {
                    self.skipped += 1
                }
            },
            EngineEvent::JobFailed { retry_at: None, .. } => self.failed += 1,
            EngineEvent::JobFailed { .. } => self.retrying += 1,
            EngineEvent::StoreError { .. } => self.store_errors += 1,
            _ => {}
        }
    }
}

/// One progress line for an engine event.
pub fn describe(event: &EngineEvent) -> String {
    match event {
        EngineEvent::Enqueued { jobs } => format!("poll: {jobs} new job(s)"),
        EngineEvent::JobStarted {
            job_id,
            user,
            question_id,
            attempt,
        } => format!(
            "job {job_id}: question {question_id} (user {}), attempt {attempt}",
            user.0
        ),
        EngineEvent::JobFinished {
            job_id,
            question_id,
            outcome,
            card_ids,
            dropped,
            latency_ms,
            ..
        } => {
            let dropped = if dropped.is_empty() {
                String::new()
            } else {
                let reasons: Vec<String> = dropped
                    .iter()
                    .map(|(reason, n)| format!("{} {n}", reason.as_str()))
                    .collect();
                format!(", dropped {}", reasons.join(", "))
            };
            match outcome {
                JobOutcome::Completed => format!(
                    "job {job_id}: {} card(s) ready for review{dropped} ({latency_ms} ms)",
                    card_ids.len()
                ),
                JobOutcome::AllDropped => format!(
                    "job {job_id}: every card failed the guards{dropped}; completed (all_dropped)"
                ),
                JobOutcome::Skipped => {
                    format!("job {job_id}: skipped, no ready explanation at its version")
                }
                JobOutcome::Explained => format!(
                    "job {job_id}: explanation written for question {question_id}; its cards come next ({latency_ms} ms)"
                ),
                JobOutcome::NoLlm => format!(
                    "job {job_id}: skipped (no_llm): explanations need an LLM endpoint (extract.extractor = \"llm\" and [llm] in the config)"
                ),
                JobOutcome::NotNeeded => format!(
                    "job {job_id}: skipped, question {question_id} is gone or has an explanation already"
                ),
            }
        }
        EngineEvent::JobFailed {
            job_id,
            attempt,
            code,
            message,
            retry_at,
            ..
        } => {
            let next = match retry_at {
                Some(at) => format!(
                    "waiting until {} (in {} s) to retry",
                    at.with_timezone(&chrono::Local).format("%H:%M:%S"),
                    (*at - chrono::Utc::now()).num_seconds().max(0)
                ),
                None => format!("failed for good (amgi jobs retry {job_id})"),
            };
            format!(
                "job {job_id}: attempt {attempt} failed ({code}): {}; {next}",
                strip_controls(message, false)
            )
        }
        EngineEvent::JobFenced { job_id, .. } => {
            format!("job {job_id}: taken over by another worker; this result was discarded")
        }
        EngineEvent::JobInterrupted { job_id, .. } => {
            format!("job {job_id}: interrupted; back in the queue, its attempt not counted")
        }
        EngineEvent::StoreError { message } => {
            format!("database error: {}", strip_controls(message, false))
        }
        EngineEvent::Stopped => "stopped".to_owned(),
    }
}

/// Ctrl-C and, on Unix, SIGTERM, registered once so no signal is missed between waits.
struct StopSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            StopSignals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            StopSignals {}
        }
    }

    /// Resolves on the next stop signal; never, if no signal could be registered.
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                () = wait_for(&mut self.interrupt) => {}
                () = wait_for(&mut self.terminate) => {}
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The next delivery of `signal`; never, if it is not registered or closed.
#[cfg(unix)]
async fn wait_for(signal: &mut Option<tokio::signal::unix::Signal>) {
    if let Some(signal) = signal.as_mut()
        && signal.recv().await.is_some()
    {
        return;
    }
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::guard::DropReason;
    use crate::store::{CardId, JobErrorCode, JobId, QuestionId, UserId};

    #[test]
    fn progress_lines_say_what_happened() {
        let finished = EngineEvent::JobFinished {
            job_id: JobId(3),
            user: UserId(1),
            question_id: QuestionId(9),
            outcome: JobOutcome::Completed,
            card_ids: vec![CardId(1), CardId(2)],
            dropped: [(DropReason::Leak, 1)].into(),
            latency_ms: 40,
        };
        assert_eq!(
            describe(&finished),
            "job 3: 2 card(s) ready for review, dropped leak 1 (40 ms)"
        );
        let failed = EngineEvent::JobFailed {
            job_id: JobId(3),
            user: UserId(1),
            question_id: QuestionId(9),
            attempt: 2,
            code: JobErrorCode::ParseFail,
            message: "bad\u{1b}[2J json".into(),
            retry_at: None,
        };
        assert_eq!(
            describe(&failed),
            "job 3: attempt 2 failed (parse_fail): bad json; failed for good (amgi jobs retry 3)"
        );
        let waiting = EngineEvent::JobFailed {
            job_id: JobId(4),
            user: UserId(1),
            question_id: QuestionId(9),
            attempt: 1,
            code: JobErrorCode::Unknown,
            message: "HTTP 429 from the LLM endpoint (the server asked to wait 30 s)".into(),
            retry_at: Some(chrono::Utc::now() + chrono::TimeDelta::seconds(31)),
        };
        let line = describe(&waiting);
        assert!(
            line.contains("asked to wait 30 s); waiting until ") && line.ends_with(" s) to retry"),
            "{line}"
        );
        let mut tally = Tally::default();
        tally.count(&finished);
        tally.count(&failed);
        assert_eq!((tally.completed, tally.failed), (1, 1));
    }
}
