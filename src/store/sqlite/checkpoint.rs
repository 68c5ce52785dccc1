//! WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside the commit
//! that takes the log past 1,000 pages: that commit copies them into the database file and
//! syncs it, which was the rating's p99 (BENCHMARKS.md, *Learner operations*). The store's
//! connections turn it off (`wal_autocheckpoint = 0`), and each write schedules a passive
//! checkpoint on a pool connection shortly after, one at a time, so a burst of writes shares
//! one checkpoint and no commit waits for one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::SqlitePool;

/// How long after a write its checkpoint waits, so the writes of a burst (a learner rating
/// several cards, an import) are copied together and the write itself has committed.
const AFTER_WRITE: Duration = Duration::from_millis(500);

/// The one checkpoint a store's writes schedule.
#[derive(Debug, Default)]
pub(crate) struct WalCheckpoint {
    scheduled: Arc<AtomicBool>,
}

impl WalCheckpoint {
    /// Schedules a passive checkpoint after a write unless one is scheduled already. Outside
    /// a tokio runtime nothing is scheduled: the log is copied when the last connection
    /// closes, as SQLite does on close.
    pub(crate) fn after_write(&self, pool: &SqlitePool) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let scheduled = self.scheduled.clone();
        let pool = pool.clone();
        runtime.spawn(async move {
            tokio::time::sleep(AFTER_WRITE).await;
            // Cleared first: a write that lands while this one copies schedules the next.
            scheduled.store(false, Ordering::Release);
            if pool.is_closed() {
                return;
            }
            // PASSIVE never waits for readers or writers; what it cannot copy now, the next
            // checkpoint (or the close) does.
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::debug!(error = %e, "WAL checkpoint skipped");
            }
        });
    }
}
