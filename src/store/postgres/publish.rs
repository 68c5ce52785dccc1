//! postgres: outbox draining, read model and feed.

use super::PgStore;
use crate::store::PublishStore;

impl PublishStore for PgStore {}
