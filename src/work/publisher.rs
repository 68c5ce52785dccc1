//! The publisher task: drains the outbox into the read model until cancelled.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::store::{PublishReport, SharedStore, StoreResult};

/// Outbox rows applied per transaction.
const BATCH: u32 = 500;

/// Applies every pending outbox row now, in batches; returns the totals.
pub async fn drain(store: &SharedStore) -> StoreResult<PublishReport> {
    let mut total = PublishReport::default();
    loop {
        let report = store.publish_pending(BATCH, Utc::now()).await?;
        total.applied += report.applied;
        total.skipped += report.skipped;
        if report.applied + report.skipped < u64::from(BATCH) {
            return Ok(total);
        }
    }
}

/// Drains the outbox every `interval` until `cancel` fires. Errors are logged and retried on
/// the next tick: the outbox keeps the rows, so nothing is lost.
pub async fn run(store: SharedStore, interval: Duration, cancel: CancellationToken) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        match drain(&store).await {
            Ok(r) if r.applied + r.skipped > 0 => {
                tracing::info!(
                    applied = r.applied,
                    skipped = r.skipped,
                    "published outbox rows"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "publishing failed; will retry"),
        }
    }
}
