//! `amgi feed` and `amgi publish`: the read model that other viewers follow.

use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::setup::Settings;
use crate::work::publisher;

/// Prints the user's applied changes after `since` as JSON lines; with `follow`, keeps
/// printing new ones (draining the outbox itself) until Ctrl-C.
pub async fn feed(settings: &Settings, since: i64, follow: bool) -> anyhow::Result<()> {
    let (store, user) = settings.open().await?;
    let mut after = since;
    loop {
        let entries = store
            .feed_since(user, after, 1000)
            .await
            .context("reading the feed failed")?;
        for entry in &entries {
            crate::terminal_text::print_data(&format!("{}\n", serde_json::to_string(entry)?));
            after = entry.seq;
        }
        if entries.len() == 1000 {
            continue;
        }
        if !follow {
            return Ok(());
        }
        publisher::drain(&store)
            .await
            .context("publishing failed")?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Re-enqueues everything of the user for publishing, then applies it.
pub async fn backfill(settings: &Settings) -> anyhow::Result<()> {
    let (store, user) = settings.open().await?;
    let enqueued = store
        .publish_backfill(user, Utc::now())
        .await
        .context("backfill failed")?;
    let report = publisher::drain(&store)
        .await
        .context("publishing failed")?;
    crate::say!(
        "backfill: {enqueued} rows enqueued; {} applied, {} already published",
        report.applied,
        report.skipped
    );
    Ok(())
}

/// Runs the publisher: once (drain and exit) or until Ctrl-C.
pub async fn run(settings: &Settings, once: bool) -> anyhow::Result<()> {
    let (store, _) = settings.open().await?;
    if once {
        let report = publisher::drain(&store)
            .await
            .context("publishing failed")?;
        crate::say!(
            "published: {} applied, {} unchanged",
            report.applied,
            report.skipped
        );
        return Ok(());
    }
    let cancel = CancellationToken::new();
    let task = tokio::spawn(publisher::run(
        store,
        Duration::from_secs(1),
        cancel.clone(),
    ));
    crate::say_err!("publisher running; Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    cancel.cancel();
    task.await.context("the publisher task failed")?;
    Ok(())
}
