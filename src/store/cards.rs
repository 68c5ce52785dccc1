//! The learner's card workflows part of the Store API: review queue, due deck and rating,
//! cram deck, undo (DESIGN §1.3–1.5).

use async_trait::async_trait;

/// Review, due, cram and undo.
#[async_trait]
pub trait CardStore: Send + Sync + 'static {}
