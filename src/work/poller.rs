//! The enqueue poller (DESIGN §1.1): one call per tick; the store's unique version key makes
//! any number of concurrent pollers safe.

use chrono::Utc;

use crate::store::{EnqueueReport, SharedStore, StoreResult};

/// Enqueues jobs for up to `batch` ready explanations that have none for their version.
#[tracing::instrument(skip(store), err)]
pub async fn poll_once(
    store: &SharedStore,
    batch: u32,
    max_attempts: u16,
) -> StoreResult<EnqueueReport> {
    let report = store.enqueue_ready(batch, max_attempts, Utc::now()).await?;
    if report.enqueued > 0 {
        tracing::info!(
            candidates = report.candidates,
            enqueued = report.enqueued,
            "enqueued extraction jobs"
        );
    }
    Ok(report)
}
