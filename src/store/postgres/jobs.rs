//! postgres: the extraction job queue.

use super::PgStore;
use crate::store::JobStore;

impl JobStore for PgStore {}
