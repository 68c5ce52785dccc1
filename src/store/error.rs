//! The Store's error type: typed outcomes a caller can act on, and database failures.

/// Errors of every Store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist, is deleted, or belongs to another user.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An edit or insert collides with another live card's answer.
    #[error("a card with the same answer already exists")]
    DuplicateAnswer,
    /// The operation is not allowed in the row's current state.
    #[error("{0}")]
    Refused(String),
    /// The row changed since the caller read it (another device or process acted on it);
    /// nothing was written.
    #[error("{0}")]
    Changed(String),
    /// Input that the store will not write.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The database answered with an error or could not be reached.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    /// The database cancelled a statement that ran past the statement timeout.
    #[error(
        "the database cancelled a statement that ran too long (database_statement_timeout_secs)"
    )]
    TimedOut,
    /// A stored value that this version cannot read.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

// Not `#[from]`: the message already carries the cause, and a source would print it twice.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        refused_value(&e).unwrap_or(StoreError::Database(e))
    }
}

/// A value the database refused, said plainly: a raw CHECK-constraint or data-exception text
/// (with PostgreSQL's "at line N" context) tells a learner nothing.
fn refused_value(e: &sqlx::Error) -> Option<StoreError> {
    let db = e.as_database_error()?;
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let message = db.message();
    if code == "23514" || message.starts_with("CHECK constraint failed") {
        let rule = db
            .constraint()
            .map(str::to_owned)
            .or_else(|| {
                message
                    .strip_prefix("CHECK constraint failed: ")
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        return Some(StoreError::Invalid(format!(
            "a value is outside what the database accepts (rule {})",
            first_line(&rule)
        )));
    }
    if code == "57014" {
        return Some(StoreError::TimedOut);
    }
    // Class 22, data exceptions: too long, out of range, not representable.
    if code.starts_with("22") {
        return Some(StoreError::Invalid(format!(
            "a value the database cannot store: {}",
            first_line(message)
        )));
    }
    None
}

/// The first line of a database message, without a trailing position.
fn first_line(message: &str) -> &str {
    let line = message.lines().next().unwrap_or_default();
    match line.find(" at line ") {
        Some(i) => &line[..i],
        None => line,
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}

impl From<crate::domain::card::DomainError> for StoreError {
    fn from(e: crate::domain::card::DomainError) -> Self {
        match e {
            crate::domain::card::DomainError::InvalidCard(why) => StoreError::Invalid(why),
            // The other domain errors come from reading stored vocabulary.
            other => StoreError::Corrupt(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// True when a database error is a unique-constraint violation on the live-card dedup index.
pub fn is_dedup_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                && (db.constraint() == Some("study_memo_cards_live_dedup")
                    || db.message().contains("study_memo_cards.dedup_hash")
                    || db.message().contains("study_memo_cards_live_dedup"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection as _, Executor as _};

    use super::*;

    #[tokio::test]
    async fn a_check_violation_reads_as_a_refused_value() {
        let conn = sqlx::SqliteConnection::connect("sqlite::memory:").await;
        let mut conn = conn.unwrap_or_else(|e| panic!("{e}"));
        let created = conn
            .execute("CREATE TABLE t (n INTEGER CHECK (n BETWEEN 1 AND 9))")
            .await;
        assert!(created.is_ok());
        let refused = conn.execute("INSERT INTO t VALUES (70000)").await;
        let err = refused.err().map(StoreError::from);
        let text = err.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(matches!(err, Some(StoreError::Invalid(_))), "{err:?}");
        assert!(text.contains("outside what the database accepts"), "{text}");
        assert!(!text.contains("CHECK constraint failed"), "{text}");
        assert_eq!(first_line("bad value at line 3 column 2"), "bad value");
    }
}
