//! Explanation jobs (issue 17, DESIGN §1.7): a finished quiz asks for an explanation of each
//! question answered wrong or unsure that has none ready, as a job of kind `explanation` on
//! the extraction queue; the worker's answer is stored as the question's ready explanation
//! with a new version, which the poller then turns into a card job.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::store::jobs::clip_message;
use crate::store::sql::{Connected, Db, IdList, Tx, query_for_update};
use crate::store::{
    EXPLANATION, ExplanationFinish, Fenced, FinishedExplanation, JobErrorCode, Lease, StoreResult,
    UserId,
};

/// The message of an explanation job skipped for want of an LLM.
pub(crate) const NO_LLM: &str = "explanations are written by an LLM and none is configured \
     (set extract.extractor = \"llm\" and the [llm] endpoint)";

/// The message of an explanation job that had nothing left to do.
const NOT_NEEDED: &str = "the question was deleted or got a ready explanation meanwhile";

/// Inside a finalize's transaction: one `explanation` job per question of `question_ids`
/// that is live, has no ready explanation and no explanation job still open (pending or
/// processing). The request is the finalize: its time is the job's `source_version`, so the
/// version key makes the insert idempotent, and a question missed again in a later quiz
/// gets a new job once the earlier one has ended. Returns how many were created.
pub(super) async fn request(
    tx: &mut Tx,
    user: UserId,
    question_ids: &[i64],
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    if question_ids.is_empty() {
        return Ok(0);
    }
    let created = tx
        .query_pick(
            "INSERT INTO study_memo_card_jobs (user_id, source_kind, source_id, source_version, kind, \
               status, created_at, run_after) \
             SELECT q.user_id, 'question', q.id, $3, $4, 'pending', $3, $3 FROM study_questions q \
             WHERE q.user_id = $1 AND q.id IN (SELECT value FROM json_each($2)) \
               AND q.deleted_at IS NULL AND q.ai_explanation_status <> 'ready' \
               AND NOT EXISTS (SELECT 1 FROM study_memo_card_jobs j WHERE j.source_kind = 'question' \
                 AND j.source_id = q.id AND j.kind = $4 AND j.status IN ('pending', 'processing')) \
             ON CONFLICT (source_kind, source_id, source_version, kind) DO NOTHING",
            "INSERT INTO study_memo_card_jobs (user_id, source_kind, source_id, source_version, kind, \
               status, created_at, run_after) \
             SELECT q.user_id, 'question', q.id, $3, $4, 'pending', $3, $3 FROM study_questions q \
             WHERE q.user_id = $1 AND q.id = ANY($2) \
               AND q.deleted_at IS NULL AND q.ai_explanation_status <> 'ready' \
               AND NOT EXISTS (SELECT 1 FROM study_memo_card_jobs j WHERE j.source_kind = 'question' \
                 AND j.source_id = q.id AND j.kind = $4 AND j.status IN ('pending', 'processing')) \
             ON CONFLICT (source_kind, source_id, source_version, kind) DO NOTHING",
        )
        .bind(user.0)
        .bind(IdList(question_ids.to_vec()))
        .bind(now)
        .bind(EXPLANATION)
        .execute(tx)
        .await?;
    if created > 0 {
        tx.notify_jobs().await?;
    }
    Ok(created)
}

#[derive(serde::Serialize)]
struct WrittenPayload<'a> {
    extractor: &'static str,
    model: Option<&'a str>,
    latency_ms: u64,
    chars: usize,
}

pub(super) async fn finish(
    db: &Db,
    lease: Lease,
    finish: &ExplanationFinish,
    now: DateTime<Utc>,
) -> StoreResult<Fenced<FinishedExplanation>> {
    let mut tx = db.write().await?;
    let job: Option<(i64, i64)> = query_for_update!(
        tx,
        "SELECT user_id, source_id FROM study_memo_card_jobs \
         WHERE id = $1 AND claims = $2 AND status = 'processing' AND kind = $3"
    )
    .bind(lease.job_id)
    .bind(lease.token)
    .bind(EXPLANATION)
    .fetch_optional(&mut tx)
    .await?;
    let Some((user_id, question_id)) = job else {
        tx.rollback().await?;
        return Ok(Fenced::Stale);
    };
    let finished = match finish {
        ExplanationFinish::NoLlm => {
            end_job(
                &mut tx,
                lease,
                "skipped",
                Some(JobErrorCode::NoLlm),
                NO_LLM,
                now,
            )
            .await?;
            FinishedExplanation::NoLlm
        }
        ExplanationFinish::NotNeeded => {
            end_job(&mut tx, lease, "skipped", None, NOT_NEEDED, now).await?;
            FinishedExplanation::NotNeeded
        }
        ExplanationFinish::Written {
            text,
            model,
            latency_ms,
        } => {
            // Only a live question still without a ready explanation takes it: one imported
            // meanwhile is the learner's and is kept.
            let stored = tx
                .query(
                    "UPDATE study_questions SET ai_explanation = $3, ai_explanation_status = 'ready', \
                       ai_explanation_generated_at = $4, updated_at = $4 \
                     WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL \
                       AND ai_explanation_status <> 'ready'",
                )
                .bind(question_id)
                .bind(user_id)
                .bind(text.as_str())
                .bind(now)
                .execute(&mut tx)
                .await?;
            if stored == 1 {
                let payload = WrittenPayload {
                    extractor: "llm",
                    model: model.as_deref(),
                    latency_ms: *latency_ms,
                    chars: text.chars().count(),
                };
                tx.query(
                    "UPDATE study_memo_card_jobs SET status = 'completed', payload = $3, \
                       completed_at = $4, lease_expires_at = NULL, error_code = NULL, error_message = NULL \
                     WHERE id = $1 AND claims = $2",
                )
                .bind(lease.job_id)
                .bind(lease.token)
                .bind(Json(&payload))
                .bind(now)
                .execute(&mut tx)
                .await?;
                FinishedExplanation::Stored { version: now }
            } else {
                end_job(&mut tx, lease, "skipped", None, NOT_NEEDED, now).await?;
                FinishedExplanation::NotNeeded
            }
        }
    };
    tx.commit().await?;
    Ok(Fenced::Applied(finished))
}

/// Ends a leased job with `status`, an optional code and a message.
async fn end_job(
    tx: &mut Tx,
    lease: Lease,
    status: &'static str,
    code: Option<JobErrorCode>,
    message: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tx.query(
        "UPDATE study_memo_card_jobs SET status = $3, error_code = $4, error_message = $5, \
           completed_at = $6, lease_expires_at = NULL \
         WHERE id = $1 AND claims = $2",
    )
    .bind(lease.job_id)
    .bind(lease.token)
    .bind(status)
    .bind(code.map(JobErrorCode::as_str))
    .bind(clip_message(message))
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}
