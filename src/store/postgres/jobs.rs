//! PostgreSQL: the job queue's claims, the poller's insert and the batch finish. Claims take
//! rows with `FOR UPDATE SKIP LOCKED`, so any number of workers on any number of machines
//! share it; a poll that enqueued jobs notifies `amgi_jobs`.

mod finish;
mod queue;

pub(crate) use finish::finish_extractions;
pub(crate) use queue::{claim_jobs, enqueue_ready};
