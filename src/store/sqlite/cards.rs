//! sqlite: review queue, due deck and rating, cram deck, undo.

use super::SqliteStore;
use crate::store::CardStore;

impl CardStore for SqliteStore {}
