//! One SQLite connection kept between calls, so the next call takes it at once.
//!
//! sqlx pings a connection given back to its pool, a round trip to the connection's worker
//! thread, and the connection is not idle again until the ping ends: a call made right after
//! another (the app's start: open, then the user, then the first pane) found none idle and
//! opened a new one, 0.5–0.6 ms each (the file, the pragmas, the schema). Taking a kept
//! connection back without the ping is safe on SQLite: a connection's worker runs its
//! commands in order, so whatever a cancelled call left queued finishes before the next
//! call's first statement runs.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

use super::DbFile;

/// The kept connection, if any.
#[derive(Debug, Default)]
pub(crate) struct Spare {
    slot: Mutex<Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    conn: Option<PoolConnection<Sqlite>>,
    /// The store is closing: connections go back to the pool, which closes them.
    closed: bool,
}

impl Spare {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        // The slot holds no invariant a panic elsewhere could break.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept connection, or one from the pool.
    pub(crate) async fn acquire(&self, pool: &SqlitePool) -> sqlx::Result<PoolConnection<Sqlite>> {
        let kept = self.slot().conn.take();
        match kept {
            Some(conn) => Ok(conn),
            None => pool.acquire().await,
        }
    }

    /// Keeps `conn` for the next call, unless one is kept already or the store is closing:
    /// then it goes back to the pool.
    pub(crate) fn give_back(&self, conn: PoolConnection<Sqlite>) {
        let mut slot = self.slot();
        if slot.closed || slot.conn.is_some() {
            drop(slot);
            drop(conn);
        } else {
            slot.conn = Some(conn);
        }
    }

    /// Stops keeping connections and returns the kept one to the pool, which cannot close
    /// while a connection is out of it.
    pub(crate) fn close(&self) {
        let kept = {
            let mut slot = self.slot();
            slot.closed = true;
            slot.conn.take()
        };
        drop(kept);
    }
}

impl Drop for Spare {
    fn drop(&mut self) {
        // A connection given back to sqlx's pool spawns a task, which panics outside a tokio
        // runtime: a store dropped after its runtime ended closes the kept one here instead.
        if tokio::runtime::Handle::try_current().is_err() {
            let slot = self.slot.get_mut().unwrap_or_else(PoisonError::into_inner);
            if let Some(conn) = slot.conn.take() {
                drop(conn.detach());
            }
        }
    }
}

/// A connection lent from a store's spare or its pool, given back to the spare when dropped.
pub(crate) struct Lent {
    /// Taken only when dropped.
    conn: Option<PoolConnection<Sqlite>>,
    file: Arc<DbFile>,
}

impl Lent {
    pub(crate) async fn acquire(pool: &SqlitePool, file: &Arc<DbFile>) -> sqlx::Result<Self> {
        Ok(Lent {
            conn: Some(file.spare.acquire(pool).await?),
            file: file.clone(),
        })
    }

    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        match self.conn.as_mut() {
            Some(conn) => conn,
            None => unreachable!("a lent connection is taken only when dropped"),
        }
    }

    /// Closes the connection instead of keeping it, as its holder is dropped: it may hold an
    /// open transaction, which closing rolls back.
    pub(crate) fn discard(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.file.spare.give_back(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::sqlite::SqliteStore;

    /// The kept connection outlives the calls that used it: a store dropped after its
    /// runtime ended must not panic returning it to the pool.
    #[test]
    fn a_store_dropped_after_its_runtime_closes_its_kept_connection() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
        let store = runtime
            .block_on(SqliteStore::open(&dir.path().join("spare.db")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            store.file.spare.slot().conn.is_some(),
            "open keeps its connection"
        );
        drop(runtime);
        drop(store);
    }
}
