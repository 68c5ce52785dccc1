//! The publish part of the Store API: outbox draining, the read model and the feed (DESIGN §1.6).

use async_trait::async_trait;

/// Publisher, feed and backfill.
#[async_trait]
pub trait PublishStore: Send + Sync + 'static {}
