//! One module per subcommand that is not the app itself.

pub mod app;
pub mod data;
pub mod doctor;
pub mod interop;
pub mod jobs;
pub mod publish;
pub mod worker;

use crate::store::{Location, StoreError};

/// A command's error as the learner reads it: a statement timeout names the server it
/// happened on (the store's own message cannot know it).
pub fn with_server_named(e: anyhow::Error, location: &Location) -> anyhow::Error {
    let timed_out = e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<StoreError>(),
            Some(StoreError::TimedOut)
        )
    });
    if timed_out {
        e.context(format!("on {}", location.describe()))
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_timeout_names_the_server() {
        let location = Location::Postgres("postgres://u:secret@db.example:5432/amgi".into());
        let e = with_server_named(anyhow::Error::new(StoreError::TimedOut), &location);
        let text = format!("{e:#}");
        assert!(
            text.starts_with("on postgres postgres://u:***@db.example:5432/amgi: "),
            "{text}"
        );
        assert!(text.contains("ran too long"), "{text}");
        let other = with_server_named(anyhow::anyhow!("no such card"), &location);
        assert_eq!(format!("{other:#}"), "no such card");
    }
}
