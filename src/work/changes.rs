//! Hears, through the store, that another process changed a user's cards (PostgreSQL's
//! LISTEN/NOTIFY). The app keeps polling as well: a lost connection only delays what it
//! shows, and a store without notifications (SQLite) relies on polling alone.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::{SharedStore, UserId};

/// Calls `on_change` whenever another process changes `user`'s data, until cancelled;
/// reconnects after errors. Returns at once on a store without notifications.
pub async fn listen(
    store: SharedStore,
    user: UserId,
    on_change: impl Fn() + Send + 'static,
    cancel: CancellationToken,
) {
    loop {
        let mut listener = match store.change_listener(user).await {
            Ok(Some(listener)) => listener,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "change listener cannot connect; relying on polling");
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(10)) => continue,
                }
            }
        };
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                received = listener.recv() => match received {
                    Ok(_origin) => on_change(),
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener lost its connection");
                        break;
                    }
                },
            }
        }
    }
}
