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
    /// A stored value that this version cannot read.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

// Not `#[from]`: the message already carries the cause, and a source would print it twice.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}

impl From<crate::domain::card::DomainError> for StoreError {
    fn from(e: crate::domain::card::DomainError) -> Self {
        StoreError::Corrupt(e.to_string())
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
