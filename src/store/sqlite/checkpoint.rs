//! WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside the commit
//! that takes the log past 1,000 pages: that commit copies them into the database file and
//! syncs it, which was the rating's p99 (BENCHMARKS.md, *Learner operations*). The store's
//! connections turn it off (`wal_autocheckpoint = 0`), and each write schedules a passive
//! checkpoint on a pool connection shortly after, one at a time, so a burst of writes shares
//! one checkpoint and no commit waits for one.
//!
//! A passive checkpoint copies the log but leaves it in place until the next write starts it
//! over; after a burst (an import, Browse filling its search column) every read would go on
//! looking pages up in a long log. So when a passive checkpoint copied a long log whole, the
//! log is truncated too, waiting at most a moment for readers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{SqliteConnection, SqlitePool};

/// How long after a write its checkpoint waits, so the writes of a burst (a learner rating
/// several cards, an import) are copied together and the write itself has committed.
const AFTER_WRITE: Duration = Duration::from_millis(500);

/// A log this long (frames, one page each), copied whole, is truncated: SQLite's own
/// automatic checkpoint threshold.
const LONG_LOG: i64 = 1000;

/// How long the truncating checkpoint waits for readers and writers before it gives up (it
/// holds the write lock meanwhile); the next write schedules another.
const TRUNCATE_WAIT: Duration = Duration::from_millis(20);

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
            if let Err(e) = checkpoint(&pool).await {
                tracing::debug!(error = %e, "WAL checkpoint skipped");
            }
        });
    }
}

/// A passive checkpoint, then the truncation of a long log it copied whole.
async fn checkpoint(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    // PASSIVE never waits for readers or writers; what it cannot copy now, the next
    // checkpoint (or the close) does. Its row: (busy, frames in the log, frames copied).
    let (_busy, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *conn)
        .await?;
    if log < LONG_LOG || copied < log {
        return Ok(());
    }
    set_busy_timeout(&mut conn, TRUNCATE_WAIT).await?;
    let truncated = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut *conn)
        .await;
    let restored = set_busy_timeout(&mut conn, super::BUSY_TIMEOUT).await;
    if restored.is_err() {
        // A connection left with the short timeout would fail writes that should wait.
        conn.detach();
    }
    truncated.map(|_| ())
}

async fn set_busy_timeout(conn: &mut SqliteConnection, wait: Duration) -> Result<(), sqlx::Error> {
    // A PRAGMA takes no bound parameters; the value is a number of ours.
    let statement = format!("PRAGMA busy_timeout = {}", wait.as_millis());
    sqlx::query(sqlx::AssertSqlSafe(statement))
        .execute(conn)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    fn wal_bytes(db: &std::path::Path) -> u64 {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(std::path::PathBuf::from(wal)).map_or(0, |m| m.len())
    }

    #[tokio::test]
    async fn commits_leave_the_log_and_a_long_one_copied_whole_is_truncated() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.db");
        let store = SqliteStore::open(&path)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let pool = store.pool();
        // About 2,000 pages in one commit: SQLite's own checkpoint would have copied them
        // inside the commit and started the log over at the next.
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
        let before = wal_bytes(&path);
        assert!(
            before > 1000 * 4096,
            "the commits left the log: {before} bytes"
        );
        checkpoint(pool).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(wal_bytes(&path), 0, "the long log is truncated");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM filler")
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows, 4001);
        // The connection is back at the usual busy timeout.
        let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            u128::try_from(timeout).ok(),
            Some(super::super::BUSY_TIMEOUT.as_millis())
        );
    }
}
