//! Hears, through PostgreSQL LISTEN/NOTIFY, that another process changed a user's cards.
//! The app keeps polling as well: a lost connection only delays what it shows.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use crate::store::UserId;
use crate::store::postgres::CHANGES_CHANNEL;

/// Calls `on_change` whenever `user`'s data changes, until cancelled; reconnects after errors.
/// Changes made by the process whose origin is `ignore` (the caller's own, see
/// [`crate::store::postgres::change_origin`]) are not reported.
pub async fn listen(
    url: String,
    user: UserId,
    ignore: Option<&'static str>,
    on_change: impl Fn() + Send + 'static,
    cancel: CancellationToken,
) {
    let wanted = user.0.to_string();
    let heard = |payload: &str| {
        let mut parts = payload.split(' ');
        parts.next() == Some(wanted.as_str()) && (ignore.is_none() || parts.next() != ignore)
    };
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
                    Ok(n) if heard(n.payload()) => on_change(),
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
