//! SQLite: the job queue's claims, the poller's insert and the batch finish. Every write is an
//! immediate transaction, so the write lock serializes claims between processes on one file.

mod finish;
mod queue;

pub(crate) use finish::finish_extractions;
pub(crate) use queue::{claim_jobs, enqueue_ready};
