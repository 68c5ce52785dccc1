//! The SQLite backend: one bundled database file in WAL mode, writes in immediate
//! transactions, timestamps as INTEGER unix milliseconds.

mod checkpoint;
mod file;
mod inline_tx;
pub(crate) mod jobs;
mod spare;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions as _, Connection as _, Sqlite, Transaction};

pub(crate) use file::DbFile;
pub(crate) use inline_tx::InlineTx;
pub(crate) use spare::Lent;

use super::sql::{Db, Pool};
use super::workflows::HasDb;
use super::{StoreError, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A store on one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    db: Db,
    pool: SqlitePool,
    /// The file opened, checked before every write.
    file: Arc<DbFile>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        Self::open_with(path, true).await
    }

    /// Opens the database file and applies pending migrations; with `create`, a missing file
    /// is created (`amgi demo`, `amgi migrate`), otherwise it is refused with a line saying
    /// whether a database was ever created there.
    pub async fn open_with(path: &Path, create: bool) -> StoreResult<Self> {
        if !create && !path.exists() {
            return Err(file::missing(path));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Invalid(format!("cannot create directory {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // No `mmap_size`: mapping the file made the statistics and the due fetch faster,
            // but every pooled connection maps it on its own and each mapping's touched
            // pages count in the process's RSS (305 MiB peak at 100k cards against 40 MiB;
            // BENCHMARKS.md, *Peak memory*).
            // Checkpoints run after writes, off the commit path (checkpoint.rs).
            .pragma("wal_autocheckpoint", "0")
            .busy_timeout(Duration::from_secs(10));
        if create && !path.exists() {
            // One connection creates the file; the pool's own connections never do, so a
            // file deleted later is not silently recreated empty by a new connection. An
            // existing file is not opened for this: the connection's close would checkpoint
            // and remove the log just before the pool opens it again (about 1 ms at start).
            let conn = options.clone().create_if_missing(true).connect().await?;
            conn.close().await?;
        }
        let db_file = file::DbFile::opened(path)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // A connection to a local file does not go stale, and the ping before each
            // acquire is a round trip to the connection's worker thread on every operation.
            // sqlx still pings on release, off the caller's path, and drops a connection
            // left in a bad state.
            .test_before_acquire(false)
            .connect_lazy_with(options);
        // Migrations and the hash check share one connection, which the store then keeps
        // for its next call (spare.rs): each new connection costs 0.5-3 ms (the file, the
        // pragmas, the schema parsed).
        let file = Arc::new(db_file);
        let mut conn = Lent::acquire(&pool, &file).await?;
        if !up_to_date(conn.conn()).await {
            MIGRATOR.run(conn.conn()).await?;
        }
        let db = Db {
            pool: Pool::Sqlite {
                pool: pool.clone(),
                file: file.clone(),
            },
            publish: false,
        };
        super::rehash::rehash_if_older_on(&db, super::sql::Pooled::Sqlite(conn)).await?;
        file::remember(path);
        Ok(Self { db, pool, file })
    }

    /// Fails when the database file was deleted or replaced since it was opened.
    pub fn check_file(&self) -> StoreResult<()> {
        self.file.check()
    }

    /// Turns outbox writes on or off for this handle.
    pub fn with_publishing(mut self, enabled: bool) -> Self {
        self.db.publish = enabled;
        self
    }

    /// Opens a database from an `sqlite:` URL string (used by tests and benches).
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?;
        Self::open(options.get_filename()).await
    }

    /// The connection pool, for the worker and the publisher.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl HasDb for SqliteStore {
    fn db(&self) -> &Db {
        &self.db
    }
}

/// Whether the file has every migration of this build applied, as this build has it:
/// one statement, where sqlx's migrator takes three round trips to find nothing to do. Any
/// doubt (no table yet, a failed, missing, changed or unknown migration) is left to the
/// migrator, which applies or refuses.
async fn up_to_date(conn: &mut sqlx::SqliteConnection) -> bool {
    let applied: Result<String, _> = sqlx::query_scalar(
        "SELECT json_group_array(json_array(version, hex(checksum), success = 1)) \
         FROM _sqlx_migrations",
    )
    .fetch_one(conn)
    .await;
    let Some(mut applied) = applied
        .ok()
        .and_then(|doc| serde_json::from_str::<Vec<(i64, String, i64)>>(&doc).ok())
    else {
        return false;
    };
    let mut expected: Vec<(i64, String, i64)> = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| {
            let checksum = m.checksum.iter().map(|b| format!("{b:02X}")).collect();
            (m.version, checksum, 1)
        })
        .collect();
    applied.sort_unstable();
    expected.sort_unstable();
    applied == expected
}

/// Begins a write transaction that takes the write lock up front, so two writers queue on
/// the busy timeout instead of failing on a lock upgrade.
pub(crate) async fn begin_immediate(
    pool: &SqlitePool,
    file: &DbFile,
) -> StoreResult<Transaction<'static, Sqlite>> {
    file.before_write(pool)?;
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// Unix milliseconds, the stored form of every SQLite timestamp.
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms} out of range")))
}

pub(crate) fn from_opt_ms(ms: Option<i64>) -> StoreResult<Option<DateTime<Utc>>> {
    ms.map(from_ms).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn tamper(path: &Path, sql: &'static str) {
        let store = SqliteStore::open(path)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query(sql)
            .execute(store.pool())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store.db.close().await;
    }

    /// The one-statement check finds nothing to do only where the migrator would: a
    /// changed checksum or a failed migration still reaches the migrator, which refuses.
    #[tokio::test]
    async fn a_changed_or_failed_migration_is_left_to_the_migrator() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("migrated.db");
        let store = SqliteStore::open(&path)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut conn = Lent::acquire(&store.pool, &store.file)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(up_to_date(conn.conn()).await, "every migration applied");
        drop(conn);
        store.db.close().await;

        tamper(
            &path,
            "UPDATE _sqlx_migrations SET checksum = X'00' WHERE version = 1",
        )
        .await;
        let changed = SqliteStore::open(&path).await.err().map(|e| e.to_string());
        assert!(changed.is_some_and(|e| e.contains("modified")), "refused");

        let other = dir.path().join("failed.db");
        tamper(
            &other,
            "UPDATE _sqlx_migrations SET success = FALSE WHERE version = 1",
        )
        .await;
        let failed = SqliteStore::open(&other).await.err().map(|e| e.to_string());
        assert!(
            failed.is_some_and(|e| e.contains("partially applied")),
            "refused"
        );
    }
}
