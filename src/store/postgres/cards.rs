//! postgres: review queue, due deck and rating, cram deck, undo.

use super::PgStore;
use crate::store::CardStore;

impl CardStore for PgStore {}
