//! A SQLite write transaction whose `BEGIN IMMEDIATE` and `COMMIT` ride in the workflow's
//! own statements (`BEGIN IMMEDIATE; …; COMMIT`, one round trip for a whole rating).
//!
//! Every statement sqlx runs on SQLite is a round trip to the connection's worker thread,
//! and on a small machine each trip costs more than the SQL in it (a thread wake-up on each
//! side: 100–150 µs against 20–160 µs of SQL; BENCHMARKS.md, *Learner operations*). sqlx's
//! own transaction sends `BEGIN` and `COMMIT` as trips of their own, and it cannot know that
//! a statement began or ended one; this type keeps that state itself instead.

use std::sync::Arc;

use super::{DbFile, Lent};
use crate::store::StoreResult;
use crate::store::sql::{Conn, Connected, Dialect, Query, Record};

/// A connection that may hold an open write transaction. Dropped with the transaction open
/// (an error, a cancelled future), the connection is closed rather than kept: closing rolls
/// the transaction back, where a kept connection would hand it to the next caller.
pub(crate) struct InlineTx {
    conn: Lent,
    /// `BEGIN` was sent and neither `COMMIT` nor `ROLLBACK` has finished.
    open: bool,
}

impl InlineTx {
    /// A connection to write on ([`DbFile::before_write`] done).
    pub(crate) async fn start(pool: &sqlx::SqlitePool, file: &Arc<DbFile>) -> StoreResult<Self> {
        file.before_write(pool)?;
        Ok(InlineTx {
            conn: Lent::acquire(pool, file).await?,
            open: false,
        })
    }

    /// The statement that opens the transaction: `sql` begins with `BEGIN IMMEDIATE;`.
    pub(crate) fn begin(&mut self, sql: &'static str) -> Query {
        debug_assert!(sql.starts_with("BEGIN IMMEDIATE;"), "{sql}");
        self.open = true;
        Dialect::Sqlite.query(sql)
    }

    /// Runs `query`, which ends with the commit, and returns the rows its statements gave.
    pub(crate) async fn commit_fetching<R: Record>(mut self, query: Query) -> StoreResult<Vec<R>> {
        let rows = query.fetch_all(&mut self).await?;
        self.open = false;
        Ok(rows)
    }
}

impl Drop for InlineTx {
    fn drop(&mut self) {
        if self.open {
            self.conn.discard();
        }
    }
}

impl Connected for InlineTx {
    fn conn(&mut self) -> Conn<'_> {
        Conn::Sqlite(self.conn.conn())
    }
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    async fn values(store: &SqliteStore) -> Vec<i64> {
        sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(store.pool())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn begin_insert(store: &SqliteStore, x: i64) -> InlineTx {
        let mut tx = InlineTx::start(store.pool(), &store.file)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tx.begin("BEGIN IMMEDIATE; INSERT INTO t (x) VALUES ($1)")
            .bind(x)
            .execute(&mut tx)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tx
    }

    /// Dropped open (an error, a cancelled rating, a batch that failed half-way), the
    /// transaction is rolled back and the write lock freed; a pooled connection would hand
    /// the open transaction to the next caller, whose `BEGIN` would fail.
    #[tokio::test]
    async fn a_transaction_dropped_open_rolls_back_and_frees_the_lock() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = SqliteStore::open(&dir.path().join("inline.db"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query("CREATE TABLE t (x INTEGER NOT NULL)")
            .execute(store.pool())
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        drop(begin_insert(&store, 1).await);
        let mut failing = InlineTx::start(store.pool(), &store.file)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let batch = failing.begin(
            "BEGIN IMMEDIATE; INSERT INTO t (x) VALUES (2); INSERT INTO nowhere VALUES (1); COMMIT",
        );
        let failed = failing.commit_fetching::<(i64,)>(batch).await;
        assert!(failed.is_err(), "a statement of the batch fails");
        for x in [3, 4] {
            let mut tx = InlineTx::start(store.pool(), &store.file)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let batch = tx
                .begin("BEGIN IMMEDIATE; INSERT INTO t (x) VALUES ($1); SELECT changes(); COMMIT")
                .bind(x);
            let rows = tx
                .commit_fetching::<(i64,)>(batch)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(rows, vec![(1,)]);
        }
        assert_eq!(values(&store).await, vec![3, 4]);
    }
}
