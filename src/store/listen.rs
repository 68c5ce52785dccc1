//! Hearing that another process changed a user's cards: PostgreSQL's LISTEN on
//! [`CHANGES_CHANNEL`], through a connection of the store's own pool. SQLite has no such
//! channel; an app on it polls the review stamp.

use super::sql::{CHANGES_CHANNEL, change_origin};
use super::{StoreResult, UserId};

/// Notifications of one user's changes made by other processes (this process's own are
/// followed up by the app itself). Holds one connection of the store's pool until dropped.
pub struct ChangeListener {
    inner: sqlx::postgres::PgListener,
    user: String,
}

impl ChangeListener {
    pub(crate) async fn connect(pool: &sqlx::PgPool, user: UserId) -> StoreResult<Self> {
        let mut inner = sqlx::postgres::PgListener::connect_with(pool).await?;
        inner.listen(CHANGES_CHANNEL).await?;
        Ok(ChangeListener {
            inner,
            user: user.0.to_string(),
        })
    }

    /// Waits for the next change of the user made elsewhere and returns the process it
    /// came from. An error means the connection was lost; the caller reconnects or falls
    /// back to polling.
    pub async fn recv(&mut self) -> StoreResult<String> {
        loop {
            let notification = self.inner.recv().await?;
            if let Some(origin) = news(notification.payload(), &self.user) {
                return Ok(origin.to_owned());
            }
        }
    }
}

/// A payload is "user origin": news, with its origin, when it is this user's and another
/// process's.
fn news<'p>(payload: &'p str, user: &str) -> Option<&'p str> {
    let (who, origin) = payload.split_once(' ')?;
    (who == user && origin != change_origin()).then_some(origin)
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeListener")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_other_processes_changes_of_this_user_are_news() {
        assert_eq!(news("7 1234-99", "7"), Some("1234-99"));
        assert_eq!(news("8 1234-99", "7"), None);
        assert_eq!(news(&format!("7 {}", change_origin()), "7"), None);
        assert_eq!(news("7", "7"), None);
    }
}
