//! Store conformance, extraction queue part (DESIGN §1.1–1.2): the version-keyed poller,
//! claims, leases and the fence, retries, completion with supersede and dedup, and user
//! isolation. Every case runs on SQLite and on PostgreSQL, with explicit clocks (no waiting).

mod common;
mod extraction_support;

#[path = "extraction_queue/apply.rs"]
mod apply;
#[path = "extraction_queue/batch.rs"]
mod batch;
#[path = "extraction_queue/lease.rs"]
mod lease;
#[path = "extraction_queue/poller.rs"]
mod poller;

/// Helpers the case modules share.
mod shared {
    use std::time::Duration;

    use amgi::store::{ClaimedJob, ExtractionReport, SharedStore};
    use chrono::{DateTime, Utc};

    pub const LEASE: Duration = Duration::from_secs(30);

    /// Claims the next job at `now`, which must exist.
    pub async fn claim(store: &SharedStore, worker: &str, now: DateTime<Utc>) -> ClaimedJob {
        store
            .claim_job(worker, LEASE, now)
            .await
            .unwrap_or_else(|e| panic!("claim: {e}"))
            .unwrap_or_else(|| panic!("no job to claim at {now}"))
    }

    pub fn report() -> ExtractionReport {
        ExtractionReport {
            extractor: "test".into(),
            model: None,
            latency_ms: 5,
            proposed: 0,
            over_limit: 0,
            dropped: Default::default(),
        }
    }
}

mod cases {
    pub use super::apply::*;
    pub use super::batch::*;
    pub use super::lease::*;
    pub use super::poller::*;
}

conformance!(
    enqueues_each_ready_version_once,
    takes_newest_first_within_the_batch,
    ignores_null_versions_deleted_and_unready_questions,
    serves_every_user,
    claim_leases_and_fences_a_stale_attempt,
    a_batch_claim_takes_due_jobs_in_order_each_once,
    a_finish_stores_every_card_with_its_evidence_in_order,
    a_batch_of_finishes_ends_each_job_as_it_would_alone,
    heartbeat_keeps_the_lease,
    failed_attempts_back_off_then_fail_for_good,
    a_lost_lease_on_the_last_attempt_fails_the_job,
    a_graceful_stop_gives_the_job_back_without_spending_an_attempt,
    retry_failed_brings_back_every_failed_job_of_the_user,
    retry_resets_attempts_and_fences_older_attempts,
    all_dropped_completes_and_is_never_reenqueued,
    a_new_version_supersedes_review_cards_and_keeps_approved_ones,
    a_changed_or_deleted_source_is_skipped,
    jobs_are_private_to_their_user,
);
