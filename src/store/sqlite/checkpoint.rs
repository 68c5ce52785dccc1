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
use tokio::task::JoinHandle;

/// How long after a write its checkpoint waits, so the writes of a burst (a learner rating
/// several cards, an import) are copied together and the write itself has committed.
const AFTER_WRITE: Duration = Duration::from_millis(500);

/// The one checkpoint a store's writes schedule.
#[derive(Debug)]
pub(crate) struct WalCheckpoint {
    scheduled: Arc<AtomicBool>,
    delay: Duration,
}

impl Default for WalCheckpoint {
    fn default() -> Self {
        WalCheckpoint {
            scheduled: Arc::default(),
            delay: AFTER_WRITE,
        }
    }
}

impl WalCheckpoint {
    /// Schedules a passive checkpoint after a write unless one is scheduled already (the
    /// handle of the task that will run it, `None` then). Outside a tokio runtime nothing is
    /// scheduled: the log is copied when the last connection closes, as SQLite does on close.
    pub(crate) fn after_write(&self, pool: &SqlitePool) -> Option<JoinHandle<()>> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return None;
        }
        let scheduled = self.scheduled.clone();
        let pool = pool.clone();
        let delay = self.delay;
        Some(runtime.spawn(async move {
            tokio::time::sleep(delay).await;
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
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    fn db_bytes(path: &std::path::Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    /// (frames in the log, frames copied) from a passive checkpoint run now.
    async fn log_frames(pool: &SqlitePool) -> (i64, i64) {
        let (_busy, log, copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        (log, copied)
    }

    /// About 2,000 pages in one commit, then a small one.
    async fn burst(pool: &SqlitePool) {
        for statement in [
            "CREATE TABLE filler (x TEXT)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) \
             INSERT INTO filler SELECT hex(randomblob(1000)) FROM n",
            "INSERT INTO filler VALUES ('one more commit')",
        ] {
            sqlx::query(statement)
                .execute(pool)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    }

    #[tokio::test]
    async fn no_commit_copies_the_log() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SqliteStore::open(&dir.path().join("a.db"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        burst(store.pool()).await;
        // SQLite's own checkpoint would have copied the big commit's pages when it ended,
        // and the small commit after it would have started the log over.
        let (log, copied) = log_frames(store.pool()).await;
        assert!(log > 1000, "the log holds both commits: {log} frames");
        assert_eq!(copied, log);
    }

    #[tokio::test]
    async fn writes_schedule_one_checkpoint_that_copies_the_log() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.db");
        let store = SqliteStore::open(&path)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let checkpoint = WalCheckpoint {
            delay: Duration::ZERO,
            ..WalCheckpoint::default()
        };
        burst(store.pool()).await;
        let before = db_bytes(&path);
        let scheduled = checkpoint.after_write(store.pool());
        assert!(
            checkpoint.after_write(store.pool()).is_none(),
            "a second write shares the scheduled checkpoint"
        );
        scheduled
            .unwrap_or_else(|| panic!("the first write schedules a checkpoint"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let after = db_bytes(&path);
        assert!(
            after > before + 1000 * 4096,
            "the pages reached the database file: {before} -> {after} bytes"
        );
        assert!(
            checkpoint.after_write(store.pool()).is_some(),
            "a write after the checkpoint schedules the next"
        );
    }
}
