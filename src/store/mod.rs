//! The Store API: every operation amgi performs on its data, scoped to one user, with a
//! SQLite backend (embedded default) and a PostgreSQL backend (shared use).

pub mod archive;
pub mod browse;
mod cards;
mod clean;
mod error;
mod jobs;
mod listen;
pub mod postgres;
mod publish;
pub mod quiz;
mod rehash;
pub mod snapshot;
mod sql;
pub mod sqlite;
pub mod study_tools;
pub mod synth;
mod types;
mod workflows;

use std::sync::Arc;

use async_trait::async_trait;

pub use archive::InteropStore;
pub use browse::{
    BrowseCursor, BrowseFilter, BrowsePage, BrowseRow, BrowseSort, BrowseState, BrowseStore,
};
pub use cards::*;
pub use error::{StoreError, StoreResult, is_dedup_violation};
pub use jobs::*;
pub use listen::ChangeListener;
pub use publish::*;
pub use quiz::QuizStore;
pub use study_tools::*;
pub use types::*;

/// Brings every part of the Store API into scope: `use amgi::store::prelude::*;`.
pub mod prelude {
    pub use super::{
        BrowseStore, CardStore, ContentStore, InteropStore, JobStore, PublishStore, QuizStore,
        SharedStore, Store, StudyToolsStore,
    };
}

/// The whole Store API, one trait per responsibility, each implemented by both backends.
/// Every method that reads or writes user data takes the [`UserId`] and never touches
/// another user's rows; each state change is one transaction.
pub trait Store:
    ContentStore
    + CardStore
    + JobStore
    + PublishStore
    + QuizStore
    + InteropStore
    + BrowseStore
    + StudyToolsStore
{
}

impl<
    T: ContentStore
        + CardStore
        + JobStore
        + PublishStore
        + QuizStore
        + InteropStore
        + BrowseStore
        + StudyToolsStore,
> Store for T
{
}

/// Users, topics, questions and import.
#[async_trait]
pub trait ContentStore: Send + Sync + 'static {
    /// Which database this is.
    fn backend(&self) -> Backend;

    /// Fails when the database this store opened can no longer be written safely (an SQLite
    /// file deleted or replaced while amgi runs). Cheap: a worker calls it every second.
    fn check_alive(&self) -> StoreResult<()> {
        Ok(())
    }

    /// The newest applied migration version.
    async fn schema_version(&self) -> StoreResult<i64>;

    /// Closes the store's connections, waiting for those in use to be given back; any use
    /// after it fails. On SQLite the last connection to close copies the write-ahead log
    /// into the file and removes it, so the next start has no log to read.
    async fn close(&self);

    /// The id of the user called `name`, created on first use.
    async fn ensure_user(&self, name: &str) -> StoreResult<UserId>;

    /// Imports topics and questions in one transaction. Topics are matched by name and
    /// questions by (topic, text): existing ones are left alone, so an import is idempotent.
    async fn import(&self, user: UserId, set: &ImportSet) -> StoreResult<ImportReport>;

    /// The user's live topics, by name.
    async fn list_topics(&self, user: UserId) -> StoreResult<Vec<Topic>>;

    /// The user's live questions (of one topic, or all), by id.
    async fn list_questions(
        &self,
        user: UserId,
        topic: Option<TopicId>,
    ) -> StoreResult<Vec<Question>>;

    /// Row counts for status displays.
    async fn counts(&self, user: UserId) -> StoreResult<Counts>;

    /// A listener for `user`'s changes made by other processes (PostgreSQL); `None` where
    /// there is no such channel (SQLite: the app polls).
    async fn change_listener(&self, user: UserId) -> StoreResult<Option<ChangeListener>>;
}

/// A shareable handle to whichever backend was opened.
pub type SharedStore = Arc<dyn Store>;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (created if missing).
    SqliteFile(std::path::PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Location {
    /// Reads a `--database-url` value: `postgres://…`/`postgresql://…`, `sqlite://PATH`,
    /// `sqlite:PATH`, or a plain file path.
    pub fn parse(url: &str) -> StoreResult<Self> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Location::Postgres(url.to_owned()))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StoreError::Invalid("sqlite URL has no file path".into()));
            }
            if path == ":memory:" || path.starts_with(":memory:") || path.contains("mode=memory") {
                return Err(StoreError::Invalid(
                    "an in-memory SQLite database keeps nothing between runs; give a file path, e.g. sqlite:///path/amgi.db"
                        .into(),
                ));
            }
            if let Some((file, query)) = path.split_once('?') {
                return Err(StoreError::Invalid(format!(
                    "sqlite URL options (?{query}) are not supported; give the plain file path {file:?}"
                )));
            }
            Ok(Location::SqliteFile(path.into()))
        } else if url.contains("://") {
            Err(StoreError::Invalid(format!(
                "unsupported database URL scheme in {:?}: use postgres:// or sqlite://",
                redact_url(url)
            )))
        } else if url.is_empty() {
            Err(StoreError::Invalid("empty database URL".into()))
        } else {
            Ok(Location::SqliteFile(url.into()))
        }
    }

    /// A description safe to print (no password).
    pub fn describe(&self) -> String {
        match self {
            Location::SqliteFile(path) => format!("sqlite {}", path.display()),
            Location::Postgres(url) => format!("postgres {}", redact_url(url)),
        }
    }
}

/// Replaces the password of a URL with `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Whether opening a store may create its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// A missing database is created (`amgi demo`, `amgi migrate`, tests, benches).
    IfMissing,
    /// A missing database is refused with a line saying how to create it: a typo in a path
    /// or database name must not open an empty collection.
    Never,
}

/// How to open a store: whether it writes outbox rows, may create its database, and how long
/// PostgreSQL may take to connect and to run one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// Every content change also writes its outbox row (`publish.enabled`).
    pub publish: bool,
    pub create: Create,
    /// A PostgreSQL server that does not complete a connection within this is refused.
    pub connect_timeout: std::time::Duration,
    /// PostgreSQL cancels a statement running longer (`statement_timeout`); `None`: no limit.
    pub statement_timeout: Option<std::time::Duration>,
}

impl OpenOptions {
    /// Creating a missing database, no outbox, the default timeouts.
    pub fn new() -> Self {
        OpenOptions {
            publish: false,
            create: Create::IfMissing,
            connect_timeout: postgres::DEFAULT_CONNECT_TIMEOUT,
            statement_timeout: None,
        }
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// Opens the store at `location`, creating a missing database, and runs pending migrations.
/// With `publish`, every content change also writes its outbox row.
pub async fn open(location: &Location, publish: bool) -> StoreResult<SharedStore> {
    let options = OpenOptions {
        publish,
        ..OpenOptions::new()
    };
    open_with(location, &options).await
}

/// Opens the store at `location` as `options` say and runs pending migrations.
pub async fn open_with(location: &Location, options: &OpenOptions) -> StoreResult<SharedStore> {
    let create = options.create == Create::IfMissing;
    match location {
        Location::SqliteFile(path) => Ok(Arc::new(
            sqlite::SqliteStore::open_with(path, create)
                .await?
                .with_publishing(options.publish),
        )),
        Location::Postgres(url) => Ok(Arc::new(
            postgres::PgStore::connect_url(url, options)
                .await?
                .with_publishing(options.publish),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert_eq!(
            Location::parse("postgres://u:p@h/db").ok(),
            Some(Location::Postgres("postgres://u:p@h/db".into()))
        );
        assert_eq!(
            Location::parse("sqlite:///tmp/a.db").ok(),
            Some(Location::SqliteFile("/tmp/a.db".into()))
        );
        assert_eq!(
            Location::parse("a.db").ok(),
            Some(Location::SqliteFile("a.db".into()))
        );
        assert!(Location::parse("mysql://x").is_err());
        let refusal = |url: &str| Location::parse(url).err().map(|e| e.to_string());
        assert!(refusal("sqlite::memory:").is_some_and(|e| e.contains("in-memory")));
        assert!(
            refusal("sqlite:///tmp/a.db?mode=ro")
                .is_some_and(|e| e.contains("?mode=ro") && e.contains("not supported"))
        );
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
    }
}
