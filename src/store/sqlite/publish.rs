//! sqlite: outbox draining, read model and feed.

use super::SqliteStore;
use crate::store::PublishStore;

impl PublishStore for SqliteStore {}
