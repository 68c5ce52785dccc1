//! Hears, through PostgreSQL LISTEN/NOTIFY, that another process changed a user's cards.
//! The app keeps polling as well: a lost connection only delays what it shows.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use crate::store::UserId;
use crate::store::postgres::CHANGES_CHANNEL;

/// Calls `on_change` whenever `user`'s data changes, until cancelled; reconnects after errors.
pub async fn listen(
    url: String,
    user: UserId,
    on_change: impl Fn() + Send + 'static,
    cancel: CancellationToken,
) {
    let wanted = user.0.to_string();
    loop {
        let mut listener = match connect(&url).await {
            Ok(l) => l,
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
                    Ok(n) if n.payload() == wanted => on_change(),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener lost its connection");
                        break;
                    }
                },
            }
        }
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANGES_CHANNEL).await?;
    Ok(listener)
}
