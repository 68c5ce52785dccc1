//! Test databases: a fresh SQLite file per test, and a fresh PostgreSQL schema per test on
//! the server named by `AMGI_TEST_DATABASE_URL` (default: local postgres, trust auth).
//! Without a server the PostgreSQL half skips loudly, unless `CI` is set: then it fails.
#![allow(dead_code)]

pub mod anki;
pub mod cards;
pub mod dump;
pub mod fixtures;

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use amgi::store::UserId;
use amgi::store::postgres::PgStore;
use amgi::store::prelude::*;
use amgi::store::sqlite::SqliteStore;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection};

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const TEST_DATABASE: &str = "amgi_test";

/// One test's database, dropped (best effort) by [`TestDb::finish`].
pub struct TestDb {
    pub store: SharedStore,
    pub kind: Kind,
}

pub enum Kind {
    Sqlite {
        dir: tempfile::TempDir,
        sqlite: SqliteStore,
    },
    Postgres {
        schema: String,
        admin: Box<PgConnectOptions>,
        pg: PgStore,
    },
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let sqlite = SqliteStore::open(&dir.path().join("test.db"))
            .await
            .unwrap_or_else(|e| panic!("open sqlite: {e}"))
            .with_publishing(true);
        TestDb {
            store: std::sync::Arc::new(sqlite.clone()),
            kind: Kind::Sqlite { dir, sqlite },
        }
    }

    /// A fresh schema on the test server, or `None` (after a loud message) when no server
    /// answers and `CI` is unset.
    pub async fn postgres() -> Option<TestDb> {
        let url =
            std::env::var("AMGI_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
        let admin = match prepare_test_database(&url).await {
            Ok(options) => options,
            Err(e) => {
                if std::env::var_os("CI").is_some() {
                    panic!("CI is set and PostgreSQL at {url} is unreachable: {e}");
                }
                eprintln!(
                    "\n!!!!! SKIPPING PostgreSQL test: no server at {url} ({e}).\n\
                     !!!!! Start PostgreSQL or set AMGI_TEST_DATABASE_URL; with CI=1 this fails.\n"
                );
                return None;
            }
        };
        let schema = fresh_schema_name();
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .unwrap_or_else(|e| panic!("connect: {e}"));
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .await
            .unwrap_or_else(|e| panic!("create schema: {e}"));
        let options = admin.clone().options([("search_path", schema.as_str())]);
        let pg = PgStore::connect_with(options)
            .await
            .unwrap_or_else(|e| panic!("open postgres store: {e}"))
            .with_publishing(true);
        Some(TestDb {
            store: std::sync::Arc::new(pg.clone()),
            kind: Kind::Postgres {
                schema,
                admin: Box::new(admin),
                pg,
            },
        })
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// A second, independent connection pool to the same database (another "process").
    pub async fn reopen(&self) -> SharedStore {
        match &self.kind {
            Kind::Sqlite { dir, .. } => std::sync::Arc::new(
                SqliteStore::open(&dir.path().join("test.db"))
                    .await
                    .unwrap_or_else(|e| panic!("reopen sqlite: {e}"))
                    .with_publishing(true),
            ),
            Kind::Postgres { schema, admin, .. } => std::sync::Arc::new(
                PgStore::connect_with(admin.clone().options([("search_path", schema.as_str())]))
                    .await
                    .unwrap_or_else(|e| panic!("reopen postgres: {e}"))
                    .with_publishing(true),
            ),
        }
    }

    pub async fn finish(self) {
        if let Kind::Postgres { schema, admin, pg } = self.kind {
            pg.pool().close().await;
            if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                let _ = conn
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                    )))
                    .await;
            }
        }
    }
}

pub async fn user(store: &SharedStore, name: &str) -> UserId {
    store
        .ensure_user(name)
        .await
        .unwrap_or_else(|e| panic!("ensure_user: {e}"))
}

fn fresh_schema_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "t_{secs}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        fastrand::u32(..)
    )
}

/// Makes sure the `amgi_test` database exists and drops schemas left by crashed runs more than
/// an hour old. Returns options that connect to `amgi_test`.
async fn prepare_test_database(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    let server = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect_with(server.clone())
        .await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(TEST_DATABASE)
            .fetch_one(&pool)
            .await?;
    if !exists {
        // Parallel test binaries may race here; "already exists" is fine.
        if let Err(e) = pool
            .execute(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {TEST_DATABASE}"
            )))
            .await
        {
            let code = e
                .as_database_error()
                .and_then(|d| d.code().map(|c| c.into_owned()));
            if !matches!(code.as_deref(), Some("42P04") | Some("23505")) {
                return Err(e);
            }
        }
    }
    pool.close().await;
    let options = server.database(TEST_DATABASE);
    let mut conn = PgConnection::connect_with(&options).await?;
    let cutoff = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        - 3600;
    let stale: Vec<String> =
        sqlx::query_scalar("SELECT nspname::TEXT FROM pg_namespace WHERE nspname LIKE 't\\_%'")
            .fetch_all(&mut conn)
            .await?;
    for name in stale {
        let secs = name.split('_').nth(1).and_then(|s| s.parse::<u64>().ok());
        if secs.is_some_and(|s| s < cutoff) {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
                )))
                .await;
        }
    }
    Ok(options)
}

/// Runs each listed case (an `async fn(&TestDb)` in the `cases` module of the including
/// file) once on SQLite and once on PostgreSQL; the test names show which backend ran.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::common::TestDb::sqlite().await;
                    super::cases::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::common::TestDb::postgres().await else { return };
                    super::cases::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}
