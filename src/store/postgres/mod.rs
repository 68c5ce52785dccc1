//! The PostgreSQL backend: for a shared server (several devices, users, workers).

mod cards;
mod content;
mod jobs;
mod publish;
mod quiz;
mod rehash;
mod review;
mod rows;

pub use rows::{CHANGES_CHANNEL, change_origin};
mod study;
mod undo;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::{Connection, Executor, PgConnection, Postgres, Transaction};

use super::{
    Backend, ContentStore, Counts, Create, ImportReport, ImportSet, OpenOptions, Question,
    StoreError, StoreResult, Topic, UserId,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A store on a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Write outbox rows with every content change (`publish.enabled`).
    publish: bool,
}

impl PgStore {
    /// Connects to `url` (creating a missing database) and applies pending migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_url(url, &OpenOptions::new()).await
    }

    /// Connects to `url` as `open` says (create or refuse a missing database, timeouts) and
    /// applies pending migrations.
    pub async fn connect_url(url: &str, open: &OpenOptions) -> StoreResult<Self> {
        let mut options = PgConnectOptions::from_str(url)?;
        if is_loopback(options.get_host()) && !url.contains("sslmode=") {
            // TLS to this very machine protects nothing and costs ~90 ms per new connection
            // (BENCHMARKS.md); a URL that names an sslmode keeps it.
            options = options.ssl_mode(PgSslMode::Disable);
        }
        if let Some(limit) = open.statement_timeout {
            let millis = limit.as_millis().to_string();
            options = options.options([("statement_timeout", millis.as_str())]);
        }
        Self::connect_with_mode(
            options,
            open.create == Create::IfMissing,
            open.connect_timeout,
        )
        .await
    }

    /// Connects with prepared options (tests use this to pick a schema) and migrates. A
    /// database that does not exist yet is created, as the SQLite file would be.
    pub async fn connect_with(options: PgConnectOptions) -> StoreResult<Self> {
        Self::connect_with_mode(options, true, DEFAULT_CONNECT_TIMEOUT).await
    }

    async fn connect_with_mode(
        options: PgConnectOptions,
        create: bool,
        connect_timeout: Duration,
    ) -> StoreResult<Self> {
        // One direct connection first: a pool would hide "connection refused" behind a timeout.
        match connect_within(&options, connect_timeout).await? {
            Ok(conn) => conn.close().await?,
            Err(e) if is_missing_database(&e) && create => {
                create_database(&options, connect_timeout).await?
            }
            Err(e) if is_missing_database(&e) => return Err(missing_database(&options)),
            Err(e) => return Err(e.into()),
        }
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(connect_timeout)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        rehash::rehash_if_older(&pool).await?;
        Ok(Self {
            pool,
            publish: false,
        })
    }

    /// Turns outbox writes on or off for this handle.
    pub fn with_publishing(mut self, enabled: bool) -> Self {
        self.publish = enabled;
        self
    }

    /// Begins a write transaction; rows it changes are locked with `FOR UPDATE` first.
    pub(crate) async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// The connection pool, for the worker, LISTEN and the publisher.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// `database_connect_timeout_secs` by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One connection, or a refusal naming the server when it does not complete in time (a port
/// that accepts TCP and never answers would otherwise hang every command).
async fn connect_within(
    options: &PgConnectOptions,
    limit: Duration,
) -> StoreResult<Result<PgConnection, sqlx::Error>> {
    tokio::time::timeout(limit, PgConnection::connect_with(options))
        .await
        .map_err(|_| {
            StoreError::Refused(format!(
                "PostgreSQL at {}:{} did not answer within {} s (database_connect_timeout_secs)",
                options.get_host(),
                options.get_port(),
                limit.as_secs_f64()
            ))
        })
}

fn is_missing_database(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "3D000")
}

/// Why a command that may not create a database refuses a missing one.
fn missing_database(options: &PgConnectOptions) -> StoreError {
    StoreError::Refused(format!(
        "database {:?} does not exist on {}:{}; check its name, or create it with `amgi migrate` (empty) or `amgi demo` (demo questions)",
        options.get_database().unwrap_or("amgi"),
        options.get_host(),
        options.get_port()
    ))
}

/// Creates the database named in `options` through the server's `postgres` database.
async fn create_database(options: &PgConnectOptions, limit: Duration) -> StoreResult<()> {
    let name = options.get_database().unwrap_or("amgi").to_owned();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Invalid(format!(
            "database {name:?} does not exist; create it first (amgi creates only names of letters, digits and _)"
        )));
    }
    let mut conn = connect_within(&options.clone().database("postgres"), limit).await??;
    // An identifier cannot be a bind parameter; the name was checked to be a plain identifier.
    let created = conn
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .await;
    conn.close().await?;
    match created {
        Ok(_) => Ok(()),
        // Another process created it first.
        Err(e)
            if e.as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42P04") =>
        {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

#[async_trait]
impl ContentStore for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn schema_version(&self) -> StoreResult<i64> {
        content::schema_version(&self.pool).await
    }

    async fn ensure_user(&self, name: &str) -> StoreResult<UserId> {
        content::ensure_user(&self.pool, name).await
    }

    async fn import(&self, user: UserId, set: &ImportSet) -> StoreResult<ImportReport> {
        content::import(&self.pool, user, set).await
    }

    async fn list_topics(&self, user: UserId) -> StoreResult<Vec<Topic>> {
        content::list_topics(&self.pool, user).await
    }

    async fn list_questions(&self, user: UserId, topic: Option<i64>) -> StoreResult<Vec<Question>> {
        content::list_questions(&self.pool, user, topic).await
    }

    async fn counts(&self, user: UserId) -> StoreResult<Counts> {
        content::counts(&self.pool, user).await
    }
}

/// A Unix socket or a loopback address.
fn is_loopback(host: &str) -> bool {
    host.starts_with('/')
        || host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_hosts_are_recognised() {
        for host in [
            "localhost",
            "127.0.0.1",
            "::1",
            "[::1]",
            "/var/run/postgresql",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["db.example.com", "10.0.0.5", "192.168.1.2"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
