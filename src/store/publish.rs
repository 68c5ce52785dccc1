//! The publish part of the Store API: outbox draining, the read model and the feed (DESIGN §1.6).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{StoreResult, UserId};

/// What one publisher pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PublishReport {
    /// Outbox rows that changed the read model (each added one feed entry).
    pub applied: u64,
    /// Outbox rows equal to what was already published (no feed entry).
    pub skipped: u64,
}

/// One applied change, as viewers read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedEntry {
    pub seq: i64,
    pub kind: String,
    pub source_id: i64,
    pub deleted: bool,
    pub payload: serde_json::Value,
}

/// Publisher, feed and backfill.
#[async_trait]
pub trait PublishStore: Send + Sync + 'static {
    /// Applies up to `limit` outbox rows, oldest first, in one transaction. Only one publisher
    /// applies at a time, so feed sequence numbers have no gaps.
    async fn publish_pending(&self, limit: u32, now: DateTime<Utc>) -> StoreResult<PublishReport>;

    /// The user's applied changes after sequence `since`, in order.
    async fn feed_since(&self, user: UserId, since: i64, limit: u32)
    -> StoreResult<Vec<FeedEntry>>;

    /// Re-enqueues every approved live card and every card and question progress row of the
    /// user (idempotent: the publisher skips what is already published). Returns the rows
    /// enqueued.
    async fn publish_backfill(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<u64>;

    /// Outbox rows not yet applied (all users).
    async fn outbox_backlog(&self) -> StoreResult<i64>;
}
