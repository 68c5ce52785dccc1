//! What the engine reports while it runs: typed notifications that carry their data, for the
//! TUI's status line and `amgi worker`'s progress lines.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use crate::domain::guard::DropReason;
use crate::store::{CardId, JobErrorCode, JobId, QuestionId, UserId};

/// One thing the engine did. Job events carry the job's user: a worker serves every user,
/// and a UI shows only its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// A poll created jobs for new explanation versions.
    Enqueued { jobs: u64 },
    /// A job was claimed and its attempt began.
    JobStarted {
        job_id: JobId,
        user: UserId,
        question_id: QuestionId,
        attempt: i32,
    },
    /// A job reached a final state without error: cards stored, all dropped, or skipped; for
    /// an explanation job, the explanation stored, or skipped.
    JobFinished {
        job_id: JobId,
        user: UserId,
        question_id: QuestionId,
        outcome: JobOutcome,
        /// Ids of the cards stored (in review).
        card_ids: Vec<CardId>,
        /// Cards dropped, per guard (including duplicates found while storing).
        dropped: BTreeMap<DropReason, u32>,
        latency_ms: u64,
    },
    /// An attempt failed. `retry_at` is when the job runs again; `None` means it failed for
    /// good (`amgi jobs retry` can revive it).
    JobFailed {
        job_id: JobId,
        user: UserId,
        question_id: QuestionId,
        attempt: i32,
        code: JobErrorCode,
        message: String,
        retry_at: Option<DateTime<Utc>>,
    },
    /// The job was taken over by another worker after this one's lease lapsed; this
    /// attempt's result was discarded.
    JobFenced {
        job_id: JobId,
        user: UserId,
        question_id: QuestionId,
    },
    /// Shutdown came before the attempt finished; its lease will expire and another worker
    /// will take the job.
    JobInterrupted {
        job_id: JobId,
        user: UserId,
        question_id: QuestionId,
    },
    /// A database error; the engine carries on and tries again on its next tick.
    StoreError { message: String },
    /// The engine stopped: cancelled, or (drain mode) nothing left to do.
    Stopped,
}

/// How a finished job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// Cards were stored for review.
    Completed,
    /// Every card failed the guards (`completed` / `all_dropped`).
    AllDropped,
    /// No ready explanation at the job's version (`skipped` / `no_ready_explanation`).
    Skipped,
    /// An explanation job: the explanation was written and stored; its cards come next.
    Explained,
    /// An explanation job without an LLM to write it (`skipped` / `no_llm`).
    NoLlm,
    /// An explanation job whose question was deleted or explained meanwhile (`skipped`).
    NotNeeded,
}

impl JobOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Completed => "completed",
            JobOutcome::AllDropped => "all dropped",
            JobOutcome::Skipped => "skipped",
            JobOutcome::Explained => "explained",
            JobOutcome::NoLlm => "skipped: no LLM",
            JobOutcome::NotNeeded => "not needed",
        }
    }
}

/// The sending side of the event channel. A receiver that went away is not an error: the
/// engine keeps working without an audience.
#[derive(Debug, Clone)]
pub(crate) struct EventSink(pub UnboundedSender<EngineEvent>);

impl EventSink {
    pub(crate) fn send(&self, event: EngineEvent) {
        let _ = self.0.send(event);
    }
}
