//! An explanation job (issue 17): the extractor writes the explanation of a question answered
//! wrong or unsure, the worker checks it and the store keeps it as the question's ready
//! explanation with a new version, which the poller turns into a card job. Without an LLM the
//! job ends `skipped` / `no_llm` without a call.

use tokio_util::sync::CancellationToken;

use super::events::JobOutcome;
use super::extractor::ExtractError;
use super::slot::Slot;
use super::worker::{Attempt, JobRunner};
use crate::domain::extract::SourceContext;
use crate::domain::quiz::check_explanation;
use crate::store::{ClaimedJob, ExplanationFinish, Fenced, FinishedExplanation, StoreResult};

impl JobRunner {
    pub(super) async fn explain(
        &self,
        job: &ClaimedJob,
        source: &SourceContext,
        slot: &mut Slot,
        abort: &CancellationToken,
    ) -> StoreResult<()> {
        if !self.extractor.explains() {
            slot.release();
            return self.explained(job, ExplanationFinish::NoLlm).await;
        }
        let (attempt, latency_ms) = self
            .under_lease(job, slot, abort, self.extractor.explain(source))
            .await;
        match attempt {
            Attempt::Answered(Ok(text)) => match check_explanation(&text) {
                Ok(text) => {
                    let written = ExplanationFinish::Written {
                        text,
                        model: self.extractor.model().map(str::to_owned),
                        latency_ms,
                    };
                    self.explained(job, written).await
                }
                // A refused explanation is a bad answer, retried like unreadable card JSON.
                Err(refused) => {
                    let error =
                        ExtractError::Parse(format!("the explanation was refused: {refused}"));
                    self.fail(job, &error).await
                }
            },
            Attempt::Answered(Err(error)) => self.fail(job, &error).await,
            Attempt::Fenced => {
                self.fenced(job);
                Ok(())
            }
            Attempt::Interrupted => self.interrupted(job).await,
        }
    }

    /// Finishes an explanation job as `finish` says and reports how it ended.
    pub(super) async fn explained(
        &self,
        job: &ClaimedJob,
        finish: ExplanationFinish,
    ) -> StoreResult<()> {
        let latency_ms = match &finish {
            ExplanationFinish::Written { latency_ms, .. } => *latency_ms,
            ExplanationFinish::NoLlm | ExplanationFinish::NotNeeded => 0,
        };
        let finished = self
            .store
            .finish_explanation(job.lease, &finish, chrono::Utc::now())
            .await?;
        let outcome = match finished {
            Fenced::Stale => {
                self.fenced(job);
                return Ok(());
            }
            Fenced::Applied(FinishedExplanation::Stored { version }) => {
                tracing::info!(%version, "explanation stored");
                // The new version is a card job to enqueue: no need to wait for the next poll.
                self.poll_now.notify_one();
                JobOutcome::Explained
            }
            Fenced::Applied(FinishedExplanation::NoLlm) => {
                tracing::info!("skipped: explanations need an LLM");
                JobOutcome::NoLlm
            }
            Fenced::Applied(FinishedExplanation::NotNeeded) => {
                tracing::info!("skipped: the question is gone or explained already");
                JobOutcome::NotNeeded
            }
        };
        self.finished(job, outcome, Vec::new(), Default::default(), latency_ms);
        Ok(())
    }
}
