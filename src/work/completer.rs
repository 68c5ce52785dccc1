//! The batch completer: job tasks hand their finished extractions to one task, which commits
//! whatever has queued up in one transaction (River's batch completer). Two commits run at
//! once; a finish arriving while one is free is committed at once, and the finishes that
//! arrive while both are busy share the next one, so under load a commit's round trips are
//! paid per batch instead of per job, and the database sees two committing connections
//! however many jobs run.

use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::store::{
    ExtractionFinish, Fenced, FinishedExtraction, SharedStore, StoreError, StoreResult,
};

/// Commits under way at once: one batch's round trips overlap the next batch's.
const COMMITS_IN_FLIGHT: usize = 2;

type Reply = oneshot::Sender<StoreResult<Fenced<FinishedExtraction>>>;

/// A handle to the completer task; the task ends when every handle is dropped.
#[derive(Clone)]
pub(crate) struct Completer {
    requests: mpsc::UnboundedSender<(ExtractionFinish, Reply)>,
}

impl Completer {
    /// Starts the completer; a commit takes at most `max_batch` finishes.
    pub(crate) fn spawn(store: SharedStore, max_batch: usize) -> (Completer, JoinHandle<()>) {
        let (requests, queue) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(store, queue, max_batch.max(1)));
        (Completer { requests }, task)
    }

    /// Stores a finished extraction (as [`JobStore::finish_extraction`] would) once its
    /// batch commits.
    ///
    /// [`JobStore::finish_extraction`]: crate::store::JobStore::finish_extraction
    pub(crate) async fn finish(
        &self,
        finish: ExtractionFinish,
    ) -> StoreResult<Fenced<FinishedExtraction>> {
        let (reply, answer) = oneshot::channel();
        self.requests.send((finish, reply)).map_err(|_| stopped())?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> StoreError {
    StoreError::Refused("the batch completer has stopped".into())
}

async fn run(
    store: SharedStore,
    mut queue: mpsc::UnboundedReceiver<(ExtractionFinish, Reply)>,
    max_batch: usize,
) {
    let in_flight = Arc::new(Semaphore::new(COMMITS_IN_FLIGHT));
    let mut commits = JoinSet::new();
    let mut batch = Vec::with_capacity(max_batch);
    // A free commit slot is taken before the queue is read, so finishes queue up (and form
    // the next batch) while every slot is busy.
    while let Ok(slot) = in_flight.clone().acquire_owned().await {
        if queue.recv_many(&mut batch, max_batch).await == 0 {
            break;
        }
        let (finishes, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        let store = store.clone();
        commits.spawn(async move {
            commit(&store, finishes, replies).await;
            drop(slot);
        });
        while commits.try_join_next().is_some() {}
    }
    while commits.join_next().await.is_some() {}
}

/// Commits one batch. If the batch fails as a whole, each finish is tried on its own, so
/// one job's failure is that job's alone.
async fn commit(store: &SharedStore, finishes: Vec<ExtractionFinish>, mut replies: Vec<Reply>) {
    let now = chrono::Utc::now();
    let error = match store.finish_extractions(&finishes, now).await {
        Ok(results) if results.len() == replies.len() => {
            for (reply, result) in replies.into_iter().zip(results) {
                // A job task that is gone (aborted at shutdown) no longer needs its answer.
                let _ = reply.send(Ok(result));
            }
            return;
        }
        Ok(results) => StoreError::Corrupt(format!(
            "{} finishes returned {} results",
            replies.len(),
            results.len()
        )),
        Err(e) => e,
    };
    if replies.len() == 1 {
        if let Some(reply) = replies.pop() {
            let _ = reply.send(Err(error));
        }
        return;
    }
    tracing::warn!(error = %error, jobs = replies.len(), "a batch of finishes failed; finishing each on its own");
    for (finish, reply) in finishes.into_iter().zip(replies) {
        let result = store
            .finish_extraction(finish.lease, &finish.cards, &finish.report, now)
            .await;
        let _ = reply.send(result);
    }
}
