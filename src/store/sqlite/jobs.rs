//! sqlite: the extraction job queue.

use super::SqliteStore;
use crate::store::JobStore;

impl JobStore for SqliteStore {}
