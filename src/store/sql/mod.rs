//! The SQL layer every workflow is written on once: a handle to either database, its
//! connections and write transactions, and the few primitives that genuinely differ between
//! SQLite and PostgreSQL (taking the write lock, row locks, change notification).

mod query;

use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

pub(crate) use query::{Connected, Dialect, IdList, Query, Record, Stamp};

use super::sqlite::{DbFile, Lent};
use super::{Backend, JOBS_CHANNEL, StoreResult, UserId};

/// A borrowed connection of either database.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// The pool of the database a store opened.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite {
        pool: SqlitePool,
        /// The file opened, checked before every write.
        file: Arc<DbFile>,
    },
    Postgres(PgPool),
}

/// What every workflow needs of a store: its pool and whether changes go to the outbox.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: Pool,
    /// Every content change also writes its outbox row (`publish.enabled`).
    pub(crate) publish: bool,
}

impl Db {
    pub(crate) fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Fails when the SQLite file was deleted or replaced since it was opened.
    pub(crate) fn check_alive(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite { file, .. } => file.check(),
            Pool::Postgres(_) => Ok(()),
        }
    }

    /// Closes the pool, waiting for its connections to be returned.
    pub(crate) async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { pool, file } => {
                file.spare.close();
                pool.close().await
            }
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    /// A connection for reads (and single-statement writes, after [`Db::check_alive`]).
    pub(crate) async fn read(&self) -> StoreResult<Pooled> {
        Ok(match &self.pool {
            Pool::Sqlite { pool, file } => Pooled::Sqlite(Lent::acquire(pool, file).await?),
            Pool::Postgres(pool) => Pooled::Postgres(pool.acquire().await?),
        })
    }

    /// A connection for one statement that writes: on SQLite the file is checked first, so
    /// a deleted database is not written through a stale handle.
    pub(crate) async fn write_one(&self) -> StoreResult<Pooled> {
        if let Pool::Sqlite { pool, file } = &self.pool {
            file.before_write(pool)?;
        }
        self.read().await
    }

    /// Begins a read-only transaction that sees one snapshot for every statement (an export):
    /// SQLite's deferred transaction reads one WAL snapshot and blocks no writer; PostgreSQL
    /// needs REPEATABLE READ for the same. End it with [`Tx::rollback`].
    pub(crate) async fn snapshot(&self) -> StoreResult<Tx> {
        Ok(match &self.pool {
            Pool::Sqlite { pool, .. } => Tx::Sqlite(pool.begin_with("BEGIN DEFERRED").await?),
            Pool::Postgres(pool) => Tx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    /// Begins a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`),
    /// so two writers queue on the busy timeout instead of failing on a lock upgrade;
    /// PostgreSQL locks the rows each workflow reads with `query_for_update!`.
    pub(crate) async fn write(&self) -> StoreResult<Tx> {
        Ok(match &self.pool {
            Pool::Sqlite { pool, file } => {
                Tx::Sqlite(super::sqlite::begin_immediate(pool, file).await?)
            }
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

/// A pooled connection of either database.
pub(crate) enum Pooled {
    Sqlite(Lent),
    Postgres(PoolConnection<Postgres>),
}

impl Connected for Pooled {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c.conn()),
            Pooled::Postgres(c) => Conn::Postgres(c),
        }
    }
    fn dialect(&self) -> Dialect {
        match self {
            Pooled::Sqlite(_) => Dialect::Sqlite,
            Pooled::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// A write transaction of either database. Dropped without [`Tx::commit`], it rolls back.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Connected for Tx {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }
    fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// The channel on which other processes (another device's app) hear of a user's changes.
pub const CHANGES_CHANNEL: &str = "amgi_changes";

impl Tx {
    pub(crate) async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Rolls back now rather than when the connection is next used: on PostgreSQL the row
    /// locks would otherwise outlive the call.
    pub(crate) async fn rollback(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// Rolls back and fails with `err`: a refusal inside a transaction leaves nothing
    /// written and no row locked.
    pub(crate) async fn abandon<T>(self, err: super::StoreError) -> StoreResult<T> {
        self.rollback().await?;
        Err(err)
    }

    /// Tells other processes, at commit, that this user's cards changed. SQLite has no
    /// notifications: an app on it polls the review stamp instead.
    pub(crate) async fn notify_change(&mut self, user: UserId) -> StoreResult<()> {
        if let Tx::Postgres(_) = self {
            self.query("SELECT pg_notify($1, $2)")
                .bind(CHANGES_CHANNEL)
                .bind(change_payload(user))
                .execute(self)
                .await?;
        }
        Ok(())
    }

    /// Wakes PostgreSQL workers, at commit, for jobs that became claimable.
    pub(crate) async fn notify_jobs(&mut self) -> StoreResult<()> {
        if let Tx::Postgres(_) = self {
            self.query("SELECT pg_notify($1, '')")
                .bind(JOBS_CHANNEL)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

/// This process among those writing to the database: a change notification carries it, so
/// that an app can ignore notifications of its own changes.
pub fn change_origin() -> &'static str {
    static ORIGIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        format!("{}-{nanos}", std::process::id())
    })
}

/// A change notification's payload: the user id, a space, the origin.
pub(crate) fn change_payload(user: UserId) -> String {
    format!("{} {}", user.0, change_origin())
}

/// A `SELECT` on `$on` that locks the rows it reads for the rest of a PostgreSQL
/// transaction. SQLite needs no row locks: its write transaction holds the whole database.
macro_rules! query_for_update {
    ($on:expr, $($sql:expr),+ $(,)?) => {
        $crate::store::sql::Connected::query_pick(
            &$on,
            ::std::concat!($($sql),+),
            ::std::concat!($($sql,)+ " FOR UPDATE"),
        )
    };
}
pub(crate) use query_for_update;
