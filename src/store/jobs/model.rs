//! The job queue's vocabulary: statuses, error codes, rows, leases and completion reports.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::card::{CardDraft, DomainError};
use crate::domain::extract::SourceContext;
use crate::domain::guard::DropReason;
use crate::store::{CardId, JobId, QuestionId, StoreError, StoreResult, UserId};

/// The `kind` of every job the poller creates.
pub const CARD_EXTRACT: &str = "card_extract";

/// The `kind` of the jobs a finished quiz asks for: an explanation of a missed question.
pub const EXPLANATION: &str = "explanation";

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Cards from a question's ready explanation (the poller's jobs).
    CardExtract,
    /// An explanation for a question answered wrong or unsure (a finished quiz's jobs).
    Explanation,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::CardExtract => CARD_EXTRACT,
            JobKind::Explanation => EXPLANATION,
        }
    }
}

impl FromStr for JobKind {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            CARD_EXTRACT => Ok(JobKind::CardExtract),
            EXPLANATION => Ok(JobKind::Explanation),
            _ => Err(DomainError::UnknownStatus(s.to_owned())),
        }
    }
}

/// Error messages are cut to this many characters before they are stored.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 2000;

/// Where a job is in its lifecycle: `pending → processing → completed | failed | skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Pending,
    Processing,
    Completed,
    Failed,
    Skipped,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Pending,
        JobStatus::Processing,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Skipped => "skipped",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s.trim())
            .ok_or_else(|| DomainError::UnknownStatus(s.to_owned()))
    }
}

/// Why a job did not simply complete (DESIGN §1, seed 291).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobErrorCode {
    /// The extractor's answer was not card JSON (retryable).
    ParseFail,
    /// The extractor did not answer in time (retryable).
    LlmTimeout,
    /// Anything else: HTTP errors, unreachable endpoint, a worker that died (retryable).
    Unknown,
    /// Every card failed the guards: the job is `completed`, so the version is never redone.
    AllDropped,
    /// The question has no ready explanation for the job's version any more: `skipped`.
    NoReadyExplanation,
    /// The job's lease expired on its last attempt (its worker died or lost the database):
    /// `failed`; `amgi jobs retry --failed` brings it back.
    LeaseLost,
    /// The endpoint refused the API key (HTTP 401/403): `failed` at once, never retried.
    AuthFail,
    /// An explanation job where no LLM is configured (the built-in extractor cannot write
    /// explanations): `skipped`, not retried.
    NoLlm,
}

impl JobErrorCode {
    pub const ALL: [JobErrorCode; 8] = [
        JobErrorCode::ParseFail,
        JobErrorCode::LlmTimeout,
        JobErrorCode::Unknown,
        JobErrorCode::AllDropped,
        JobErrorCode::NoReadyExplanation,
        JobErrorCode::LeaseLost,
        JobErrorCode::AuthFail,
        JobErrorCode::NoLlm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobErrorCode::ParseFail => "parse_fail",
            JobErrorCode::LlmTimeout => "llm_timeout",
            JobErrorCode::Unknown => "unknown",
            JobErrorCode::AllDropped => "all_dropped",
            JobErrorCode::NoReadyExplanation => "no_ready_explanation",
            JobErrorCode::LeaseLost => "lease_lost",
            JobErrorCode::AuthFail => "auth_fail",
            JobErrorCode::NoLlm => "no_llm",
        }
    }

    /// Whether an attempt that failed with this code may be tried again.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            JobErrorCode::ParseFail | JobErrorCode::LlmTimeout | JobErrorCode::Unknown
        )
    }

    /// Whether a worker may report an attempt as failed with this code: the retryable ones,
    /// and `auth_fail`, which is final.
    pub fn is_attempt_failure(self) -> bool {
        self.is_retryable() || self == JobErrorCode::AuthFail
    }
}

impl fmt::Display for JobErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobErrorCode {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == s)
            .ok_or_else(|| DomainError::UnknownStatus(s.to_owned()))
    }
}

/// One job row as `amgi jobs` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: JobId,
    pub user: UserId,
    pub source_kind: String,
    pub source_id: i64,
    /// The explanation version the job extracts (the question's `ai_explanation_generated_at`).
    pub source_version: Option<DateTime<Utc>>,
    pub kind: String,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub error_code: Option<JobErrorCode>,
    pub error_message: Option<String>,
    /// What the last completion recorded ([`JobPayload`] as JSON).
    pub payload: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// A pending job is not claimed before this time (retry backoff).
    pub run_after: DateTime<Utc>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub worker_id: Option<String>,
}

/// The user's jobs by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct JobCounts {
    pub pending: i64,
    pub processing: i64,
    pub completed: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct EnqueueReport {
    /// Ready questions without a job for their current version that the poll looked at.
    pub candidates: u64,
    /// Jobs created (fewer than `candidates` when another poller got there first).
    pub enqueued: u64,
}

/// The right to work on one claimed job: its id and the claim's fencing token. Heartbeats and
/// completions carry it; once the job is claimed again, the old lease is fenced out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Lease {
    pub job_id: JobId,
    /// The job's `claims` counter at this claim (never reset, unlike `attempts`).
    pub token: i64,
}

/// A job a worker has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub lease: Lease,
    pub user: UserId,
    pub kind: JobKind,
    pub question_id: QuestionId,
    /// A card job: the explanation version to extract (never `None` for jobs the poller
    /// created). An explanation job: when the quiz asked for it.
    pub source_version: Option<DateTime<Utc>>,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub max_attempts: i32,
    pub input: JobInput,
}

/// What the worker has to work with for a claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobInput {
    /// The question with its explanation at the job's version.
    Ready(SourceContext),
    /// The question was deleted, or its explanation is no longer ready at the job's version:
    /// the worker finishes the job `skipped` / `no_ready_explanation`.
    NoReadyExplanation,
    /// An explanation job: the question to explain (its `explanation` is empty).
    Explain(SourceContext),
    /// An explanation job whose question was deleted or has a ready explanation by now
    /// (imported meanwhile): nothing to write.
    NothingToExplain,
}

/// What a claimed job has to work with, from its kind and its question as the claim read it:
/// `question` is `None` when the question is gone (or, for a card job, not ready at the job's
/// version); `ready` says whether its explanation is ready now.
pub(crate) fn job_input(kind: JobKind, question: Option<SourceContext>, ready: bool) -> JobInput {
    match (kind, question) {
        (JobKind::CardExtract, Some(source)) => JobInput::Ready(source),
        (JobKind::CardExtract, None) => JobInput::NoReadyExplanation,
        (JobKind::Explanation, Some(mut source)) if !ready => {
            source.explanation.clear();
            JobInput::Explain(source)
        }
        (JobKind::Explanation, _) => JobInput::NothingToExplain,
    }
}

/// How an explanation job ends, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExplanationFinish {
    /// The endpoint wrote the explanation and it passed `check_explanation`: it becomes the
    /// question's ready explanation, with a new version.
    Written {
        text: String,
        model: Option<String>,
        latency_ms: u64,
    },
    /// No LLM is configured: the job is `skipped` / `no_llm`.
    NoLlm,
    /// The question was deleted or got an explanation meanwhile: the job is `skipped`.
    NotNeeded,
}

/// How a finished explanation job ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FinishedExplanation {
    /// Stored as the question's ready explanation at `version` (its new
    /// `ai_explanation_generated_at`); the poller turns that version into a card job.
    Stored { version: DateTime<Utc> },
    /// Skipped with `no_llm`.
    NoLlm,
    /// Nothing was written: the question is gone or was explained meanwhile.
    NotNeeded,
}

/// What the worker tells the store about one extraction when it finishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractionReport {
    /// `builtin` or `llm`.
    pub extractor: String,
    pub model: Option<String>,
    pub latency_ms: u64,
    /// Cards the extractor proposed (at most `extract.max_cards_per_answer`).
    pub proposed: u32,
    /// Cards beyond `extract.max_cards_per_answer`, dropped unread.
    pub over_limit: u32,
    /// Cards the guards dropped, per reason.
    pub dropped: BTreeMap<DropReason, u32>,
}

/// One finished extraction for [`JobStore::finish_extractions`](super::JobStore): the lease
/// it is fenced on, the cards that passed the guards, and the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractionFinish {
    pub lease: Lease,
    pub cards: Vec<CardDraft>,
    pub report: ExtractionReport,
}

/// The payload a completed job records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobPayload {
    pub extractor: String,
    pub model: Option<String>,
    pub latency_ms: u64,
    pub proposed: u32,
    /// Cards of the answer beyond the per-answer limit, dropped before the guards.
    #[serde(skip_serializing_if = "is_zero")]
    pub over_limit: u32,
    pub kept: u32,
    /// Per reason, including cards found to duplicate a live card while being stored.
    pub dropped: BTreeMap<DropReason, u32>,
    /// Review cards of older versions of the question that were retired.
    pub superseded: u32,
}

impl JobPayload {
    pub(crate) fn new(report: &ExtractionReport) -> Self {
        JobPayload {
            extractor: report.extractor.clone(),
            model: report.model.clone(),
            latency_ms: report.latency_ms,
            proposed: report.proposed,
            over_limit: report.over_limit,
            kept: 0,
            dropped: report.dropped.clone(),
            superseded: 0,
        }
    }

    pub(crate) fn count_insert_dedup(&mut self) {
        *self.dropped.entry(DropReason::Dedup).or_insert(0) += 1;
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// How a finished extraction ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FinishedExtraction {
    /// Cards were stored (in review); the job is `completed`.
    Completed {
        card_ids: Vec<CardId>,
        payload: JobPayload,
    },
    /// Nothing survived; the job is `completed` with `all_dropped`.
    AllDropped { payload: JobPayload },
    /// The explanation changed or went away while the extractor ran; nothing was stored and
    /// the job is `skipped` with `no_ready_explanation`.
    SourceChanged,
}

/// The result of an operation fenced on a [`Lease`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fenced<T> {
    /// The lease was current; the change is committed.
    Applied(T),
    /// The job was claimed again (or finished) since this lease was taken: nothing changed.
    Stale,
}

impl<T> Fenced<T> {
    pub fn applied(self) -> Option<T> {
        match self {
            Fenced::Applied(value) => Some(value),
            Fenced::Stale => None,
        }
    }

    pub fn is_stale(&self) -> bool {
        matches!(self, Fenced::Stale)
    }
}

/// A failed attempt, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptFailure {
    /// One of the retryable codes (`parse_fail`, `llm_timeout`, `unknown`), or `auth_fail`
    /// (then `retry_at` must be `None`).
    pub code: JobErrorCode,
    pub message: String,
    /// When to try again; `None` makes the failure final. Ignored once the job has used
    /// `max_attempts`.
    pub retry_at: Option<DateTime<Utc>>,
}

impl AttemptFailure {
    /// Refuses codes that are not failures, and shortens the message for storage.
    pub(crate) fn checked_message(&self) -> StoreResult<String> {
        if !self.code.is_attempt_failure() {
            return Err(StoreError::Invalid(format!(
                "{} is not an attempt failure",
                self.code
            )));
        }
        Ok(clip_message(&self.message))
    }
}

/// `message` cut to [`MAX_ERROR_MESSAGE_CHARS`].
pub(crate) fn clip_message(message: &str) -> String {
    message.chars().take(MAX_ERROR_MESSAGE_CHARS).collect()
}

/// A lease length as a time delta.
pub(crate) fn lease_delta(lease: std::time::Duration) -> StoreResult<chrono::TimeDelta> {
    chrono::TimeDelta::from_std(lease)
        .ok()
        .filter(|d| *d > chrono::TimeDelta::zero())
        .ok_or_else(|| StoreError::Invalid(format!("lease of {lease:?} is out of range")))
}

/// The message stored when a job's last attempt lost its lease.
pub(crate) const LEASE_EXPIRED_ON_LAST_ATTEMPT: &str =
    "the worker stopped renewing its lease on the last attempt";

/// The message stored when the explanation changed during extraction.
pub(crate) const SOURCE_CHANGED: &str =
    "the explanation changed or was removed while the extractor ran";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for status in JobStatus::ALL {
            assert_eq!(status.as_str().parse::<JobStatus>(), Ok(status));
        }
        for code in JobErrorCode::ALL {
            assert_eq!(code.as_str().parse::<JobErrorCode>(), Ok(code));
        }
        assert!("done".parse::<JobStatus>().is_err());
    }

    #[test]
    fn only_three_codes_are_retryable() {
        let retryable: Vec<_> = JobErrorCode::ALL
            .into_iter()
            .filter(|c| c.is_retryable())
            .collect();
        assert_eq!(
            retryable,
            [
                JobErrorCode::ParseFail,
                JobErrorCode::LlmTimeout,
                JobErrorCode::Unknown
            ]
        );
    }

    #[test]
    fn payload_serializes_drop_reasons_by_name() {
        let report = ExtractionReport {
            extractor: "llm".into(),
            model: Some("m".into()),
            latency_ms: 12,
            proposed: 3,
            over_limit: 0,
            dropped: [(DropReason::Leak, 1)].into(),
        };
        let mut payload = JobPayload::new(&report);
        payload.count_insert_dedup();
        payload.kept = 1;
        let json = serde_json::to_value(&payload).unwrap_or_default();
        assert_eq!(json["dropped"]["leak"], 1);
        assert_eq!(json["dropped"]["dedup"], 1);
        assert_eq!(json["kept"], 1);
        assert_eq!(json["model"], "m");
    }
}
