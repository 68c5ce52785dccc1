//! One statement for both databases: SQL text with `$N` parameters, bound with values that
//! know how each database stores them, read into records that decode from either's rows.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{FromRow, Postgres, Sqlite};

use super::Conn;
use crate::store::{StoreError, StoreResult};

type SqliteQuery = sqlx::query::Query<'static, Sqlite, SqliteArguments>;
type PgQuery = sqlx::query::Query<'static, Postgres, PgArguments>;

/// Which SQL dialect a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The statement of this dialect, for the few that cannot be written once.
    pub(crate) fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }

    /// A timestamp inside a JSON document that a statement unpacks into rows: unix
    /// milliseconds on SQLite (as its schema stores time), RFC 3339 on PostgreSQL (cast to
    /// TIMESTAMPTZ by the statement).
    pub(crate) fn json_time(self, at: Option<DateTime<Utc>>) -> serde_json::Value {
        match (at, self) {
            (None, _) => serde_json::Value::Null,
            (Some(t), Dialect::Sqlite) => t.timestamp_millis().into(),
            (Some(t), Dialect::Postgres) => t
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                .into(),
        }
    }

    /// A statement to bind and run.
    pub(crate) fn query(self, sql: &'static str) -> Query {
        match self {
            Dialect::Sqlite => Query::Sqlite(sqlx::query(sql)),
            Dialect::Postgres => Query::Postgres(sqlx::query(sql)),
        }
    }
}

/// A statement being bound, in the dialect of the connection that made it.
pub(crate) enum Query {
    Sqlite(SqliteQuery),
    Postgres(PgQuery),
}

/// A value a statement can bind: each database gets it in the form its schema stores.
/// Timestamps are the reason this is not sqlx's `Encode`: sqlx would bind a `DateTime` to
/// SQLite as text, where amgi stores INTEGER unix milliseconds, and compile without a word.
pub(crate) trait Value {
    fn bind_sqlite(self, query: SqliteQuery) -> SqliteQuery;
    fn bind_postgres(self, query: PgQuery) -> PgQuery;
}

/// Types both databases store alike, bound as sqlx encodes them.
pub(crate) trait SameInBoth {}

impl SameInBoth for i64 {}
impl SameInBoth for i32 {}
impl SameInBoth for i16 {}
impl SameInBoth for bool {}
impl SameInBoth for &str {}
impl SameInBoth for String {}
impl<T: serde::Serialize> SameInBoth for sqlx::types::Json<T> {}
impl<T: SameInBoth> SameInBoth for Option<T> {}
impl SameInBoth for crate::store::UserId {}
impl SameInBoth for crate::store::CardId {}
impl SameInBoth for crate::store::QuestionId {}
impl SameInBoth for crate::store::TopicId {}
impl SameInBoth for crate::store::JobId {}

impl<'a, T> Value for T
where
    T: SameInBoth
        + sqlx::Encode<'a, Sqlite>
        + sqlx::Type<Sqlite>
        + sqlx::Encode<'a, Postgres>
        + sqlx::Type<Postgres>,
{
    fn bind_sqlite(self, query: SqliteQuery) -> SqliteQuery {
        query.bind(self)
    }
    fn bind_postgres(self, query: PgQuery) -> PgQuery {
        query.bind(self)
    }
}

/// INTEGER unix milliseconds on SQLite, TIMESTAMPTZ on PostgreSQL.
impl Value for DateTime<Utc> {
    fn bind_sqlite(self, query: SqliteQuery) -> SqliteQuery {
        query.bind(self.timestamp_millis())
    }
    fn bind_postgres(self, query: PgQuery) -> PgQuery {
        query.bind(self)
    }
}

impl Value for Option<DateTime<Utc>> {
    fn bind_sqlite(self, query: SqliteQuery) -> SqliteQuery {
        query.bind(self.map(|t| t.timestamp_millis()))
    }
    fn bind_postgres(self, query: PgQuery) -> PgQuery {
        query.bind(self)
    }
}

/// A list of ids for `IN`: a JSON array for SQLite's `json_each`, an array for PostgreSQL's
/// `= ANY`. The statements differ too, so they are written with [`Dialect::pick`].
pub(crate) struct IdList(pub Vec<i64>);

impl<T: Into<i64>> FromIterator<T> for IdList {
    fn from_iter<I: IntoIterator<Item = T>>(ids: I) -> Self {
        IdList(ids.into_iter().map(Into::into).collect())
    }
}

impl Value for IdList {
    fn bind_sqlite(self, query: SqliteQuery) -> SqliteQuery {
        let mut json = String::with_capacity(self.0.len() * 8 + 2);
        json.push('[');
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&id.to_string());
        }
        json.push(']');
        query.bind(json)
    }
    fn bind_postgres(self, query: PgQuery) -> PgQuery {
        query.bind(self.0)
    }
}

/// A stored timestamp as either database returns it; see [`Value`] for why it is not
/// `DateTime` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp(pub DateTime<Utc>);

impl From<Stamp> for DateTime<Utc> {
    fn from(stamp: Stamp) -> Self {
        stamp.0
    }
}

impl sqlx::Type<Sqlite> for Stamp {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <i64 as sqlx::Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <i64 as sqlx::Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Sqlite> for Stamp {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let ms = <i64 as sqlx::Decode<Sqlite>>::decode(value)?;
        DateTime::<Utc>::from_timestamp_millis(ms)
            .map(Stamp)
            .ok_or_else(|| format!("timestamp {ms} out of range").into())
    }
}

impl sqlx::Type<Postgres> for Stamp {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <DateTime<Utc> as sqlx::Type<Postgres>>::type_info()
    }
    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <DateTime<Utc> as sqlx::Type<Postgres>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Postgres> for Stamp {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        <DateTime<Utc> as sqlx::Decode<Postgres>>::decode(value).map(Stamp)
    }
}

/// A row type readable from both databases (`#[derive(sqlx::FromRow)]` gives both).
pub(crate) trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl Query {
    pub(crate) fn bind(self, value: impl Value) -> Self {
        match self {
            Query::Sqlite(q) => Query::Sqlite(value.bind_sqlite(q)),
            Query::Postgres(q) => Query::Postgres(value.bind_postgres(q)),
        }
    }

    /// Runs the statement; the rows it changed.
    pub(crate) async fn execute(self, on: &mut impl Connected) -> StoreResult<u64> {
        Ok(match (self, on.conn()) {
            (Query::Sqlite(q), Conn::Sqlite(c)) => q.execute(c).await?.rows_affected(),
            (Query::Postgres(q), Conn::Postgres(c)) => q.execute(c).await?.rows_affected(),
            _ => return Err(mismatch()),
        })
    }

    pub(crate) async fn fetch_all<R: Record>(self, on: &mut impl Connected) -> StoreResult<Vec<R>> {
        match (self, on.conn()) {
            (Query::Sqlite(q), Conn::Sqlite(c)) => {
                let rows = q.fetch_all(c).await?;
                Ok(rows.iter().map(R::from_row).collect::<Result<_, _>>()?)
            }
            (Query::Postgres(q), Conn::Postgres(c)) => {
                let rows = q.fetch_all(c).await?;
                Ok(rows.iter().map(R::from_row).collect::<Result<_, _>>()?)
            }
            _ => Err(mismatch()),
        }
    }

    /// Runs the statement and hands each row to `each` as it arrives. On SQLite the driver's
    /// worker thread goes on making the next rows meanwhile (up to its row channel's size),
    /// so reading a large row overlaps making the next one.
    pub(crate) async fn for_each_row<R: Record>(
        self,
        on: &mut impl Connected,
        mut each: impl FnMut(R) -> StoreResult<()> + Send,
    ) -> StoreResult<()> {
        use futures_util::TryStreamExt as _;
        match (self, on.conn()) {
            (Query::Sqlite(q), Conn::Sqlite(c)) => {
                let mut rows = q.fetch(c);
                while let Some(row) = rows.try_next().await? {
                    each(R::from_row(&row)?)?;
                }
            }
            (Query::Postgres(q), Conn::Postgres(c)) => {
                let mut rows = q.fetch(c);
                while let Some(row) = rows.try_next().await? {
                    each(R::from_row(&row)?)?;
                }
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    pub(crate) async fn fetch_optional<R: Record>(
        self,
        on: &mut impl Connected,
    ) -> StoreResult<Option<R>> {
        Ok(match (self, on.conn()) {
            (Query::Sqlite(q), Conn::Sqlite(c)) => {
                q.fetch_optional(c).await?.as_ref().map(R::from_row)
            }
            (Query::Postgres(q), Conn::Postgres(c)) => {
                q.fetch_optional(c).await?.as_ref().map(R::from_row)
            }
            _ => return Err(mismatch()),
        }
        .transpose()?)
    }

    pub(crate) async fn fetch_one<R: Record>(self, on: &mut impl Connected) -> StoreResult<R> {
        self.fetch_optional(on).await?.ok_or_else(|| {
            StoreError::Corrupt("a statement that returns a row returned none".into())
        })
    }

    /// The first column of the one row the statement returns.
    pub(crate) async fn scalar<T>(self, on: &mut impl Connected) -> StoreResult<T>
    where
        (T,): Record,
    {
        Ok(self.fetch_one::<(T,)>(on).await?.0)
    }

    /// The first column of the row the statement returns, if it returns one.
    pub(crate) async fn scalar_optional<T>(self, on: &mut impl Connected) -> StoreResult<Option<T>>
    where
        (T,): Record,
    {
        Ok(self.fetch_optional::<(T,)>(on).await?.map(|(t,)| t))
    }

    /// The first column of every row.
    pub(crate) async fn scalars<T>(self, on: &mut impl Connected) -> StoreResult<Vec<T>>
    where
        (T,): Record,
    {
        Ok(self
            .fetch_all::<(T,)>(on)
            .await?
            .into_iter()
            .map(|(t,)| t)
            .collect())
    }
}

/// A statement made for one database run on the other: a programming error, reported
/// rather than panicking a store.
fn mismatch() -> StoreError {
    StoreError::Corrupt("a statement was run on a connection of the other database".into())
}

/// A connection or transaction statements run on.
pub(crate) trait Connected: Send {
    fn conn(&mut self) -> Conn<'_>;
    fn dialect(&self) -> Dialect;

    /// A statement in this connection's dialect.
    fn query(&self, sql: &'static str) -> Query {
        self.dialect().query(sql)
    }

    /// The statement of this connection's dialect, for the few written twice.
    fn query_pick(&self, sqlite: &'static str, postgres: &'static str) -> Query {
        let dialect = self.dialect();
        dialect.query(dialect.pick(sqlite, postgres))
    }
}

impl<C: Connected + ?Sized> Connected for &mut C {
    fn conn(&mut self) -> Conn<'_> {
        (**self).conn()
    }
    fn dialect(&self) -> Dialect {
        (**self).dialect()
    }
}
