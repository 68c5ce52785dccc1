//! The extraction job queue part of the Store API (DESIGN §1.1–1.2).

use async_trait::async_trait;

/// Poller, claim, lease, completion and job listing.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {}
