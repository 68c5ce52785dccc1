//! PostgreSQL: applying an extraction in one transaction (supersede, insert, complete) in
//! four statements, whatever the number of cards.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, Row, Transaction};

use crate::domain::card::CardDraft;
use crate::store::jobs::prepare::PreparedCard;
use crate::store::jobs::{SOURCE_CHANGED, clip_message};
use crate::store::{
    ExtractionReport, Fenced, FinishedExtraction, JobErrorCode, JobPayload, Lease, StoreResult,
    UserId,
};

pub(super) async fn finish_extraction(
    pool: &PgPool,
    lease: Lease,
    cards: &[CardDraft],
    report: &ExtractionReport,
    now: DateTime<Utc>,
) -> StoreResult<Fenced<FinishedExtraction>> {
    let mut tx = pool.begin().await?;
    // The commit does not wait for its WAL flush (`synchronous_commit = off` for this
    // transaction only): a server crash can lose the last ~0.6 s of finished jobs, never
    // half of one, and a lost finish is redone when its lease expires. Every learner's
    // change commits synchronously, which flushes any finish it could have built on.
    // Waiting for the flush halved claim + complete throughput (BENCHMARKS.md).
    //
    // One statement: lock the job (a rescuing claim, SKIP LOCKED, stays away until this
    // commits), check that the question is still ready at the job's version and, if so,
    // retire the review cards of older versions (approved cards are kept).
    let job = sqlx::query(
        "WITH job AS ( \
           SELECT user_id, source_id, source_version FROM study_memo_card_jobs \
           WHERE id = $1 AND claims = $2 AND status = 'processing' FOR UPDATE), \
         source AS ( \
           SELECT q.study_topic_id FROM study_questions q JOIN job \
             ON q.id = job.source_id AND q.user_id = job.user_id \
           WHERE q.deleted_at IS NULL AND q.ai_explanation_status = 'ready' \
             AND q.ai_explanation_generated_at = job.source_version), \
         superseded AS ( \
           UPDATE study_memo_cards c SET deleted_at = $3, updated_at = $3, \
             retired_reason = 'superseded' \
           FROM job \
           WHERE EXISTS (SELECT 1 FROM source) AND c.user_id = job.user_id \
             AND c.source_kind = 'question' AND c.source_id = job.source_id \
             AND c.deleted_at IS NULL AND c.needs_review \
             AND (c.source_version IS NULL OR c.source_version < job.source_version) \
           RETURNING 1) \
         SELECT job.user_id, job.source_id, job.source_version, \
           (SELECT study_topic_id FROM source) AS topic_id, \
           (SELECT COUNT(*) FROM superseded) AS superseded, \
           set_config('synchronous_commit', 'off', true) AS commit_mode \
         FROM job",
    )
    .bind(lease.job_id)
    .bind(lease.token)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(job) = job else {
        return Ok(Fenced::Stale);
    };
    let user = UserId(job.try_get("user_id")?);
    let question_id: i64 = job.try_get("source_id")?;
    let version: Option<DateTime<Utc>> = job.try_get("source_version")?;
    let topic_id: Option<i64> = job.try_get("topic_id")?;
    let (Some(version), Some(topic_id)) = (version, topic_id) else {
        skip_changed(&mut tx, lease, now).await?;
        tx.commit().await?;
        return Ok(Fenced::Applied(FinishedExtraction::SourceChanged));
    };

    let mut payload = JobPayload::new(report);
    payload.superseded = u32::try_from(job.try_get::<i64, _>("superseded")?).unwrap_or(u32::MAX);
    let mut seen = HashSet::new();
    let mut batch = Vec::with_capacity(cards.len());
    for draft in cards {
        let card = PreparedCard::new(question_id, draft);
        if seen.insert(card.dedup_hash.clone()) {
            batch.push(card);
        } else {
            payload.count_insert_dedup();
        }
    }
    let card_ids = insert_cards(&mut tx, user, topic_id, question_id, version, &batch, now).await?;
    for _ in card_ids.len()..batch.len() {
        payload.count_insert_dedup();
    }
    payload.kept = u32::try_from(card_ids.len()).unwrap_or(u32::MAX);
    let error_code = card_ids
        .is_empty()
        .then_some(JobErrorCode::AllDropped.as_str());
    sqlx::query(
        "UPDATE study_memo_card_jobs SET status = 'completed', error_code = $2, error_message = NULL, \
           payload = $3, completed_at = $4, lease_expires_at = NULL WHERE id = $1",
    )
    .bind(lease.job_id)
    .bind(error_code)
    .bind(Json(&payload))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Fenced::Applied(if card_ids.is_empty() {
        FinishedExtraction::AllDropped { payload }
    } else {
        FinishedExtraction::Completed { card_ids, payload }
    }))
}

async fn skip_changed(
    tx: &mut Transaction<'static, Postgres>,
    lease: Lease,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE study_memo_card_jobs SET status = 'skipped', error_code = 'no_ready_explanation', \
           error_message = $2, completed_at = $3, lease_expires_at = NULL WHERE id = $1",
    )
    .bind(lease.job_id)
    .bind(clip_message(SOURCE_CHANGED))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts the cards (in review) with their evidence in one statement and returns the ids
/// of those stored, in `cards` order; a card whose dedup hash a live card of the user
/// already has is left out. `cards` must not repeat a dedup hash.
async fn insert_cards(
    tx: &mut Transaction<'static, Postgres>,
    user: UserId,
    topic_id: i64,
    question_id: i64,
    version: DateTime<Utc>,
    cards: &[PreparedCard],
    now: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    if cards.is_empty() {
        return Ok(Vec::new());
    }
    let formats: Vec<&str> = cards.iter().map(|c| c.format.as_str()).collect();
    let cues: Vec<&str> = cards.iter().map(|c| c.cue.as_str()).collect();
    let facts: Vec<&str> = cards.iter().map(|c| c.fact.as_str()).collect();
    let clozes: Vec<Option<&str>> = cards.iter().map(|c| c.cloze_text.as_deref()).collect();
    let hashes: Vec<&str> = cards.iter().map(|c| c.dedup_hash.as_str()).collect();
    let evidence: Vec<&str> = cards.iter().map(|c| c.evidence.as_str()).collect();
    Ok(sqlx::query_scalar(
        "WITH input AS ( \
           SELECT * FROM UNNEST($6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], \
             $11::TEXT[]) WITH ORDINALITY AS d(format, cue, fact, cloze_text, dedup_hash, \
             evidence, ord)), \
         inserted AS ( \
           INSERT INTO study_memo_cards (user_id, study_topic_id, source_kind, source_id, \
             source_version, source_question_id, format, cue, fact, cloze_text, needs_review, \
             dedup_hash, created_at, updated_at) \
           SELECT $1, $2, 'question', $3, $4, $3, d.format, d.cue, d.fact, d.cloze_text, TRUE, \
             d.dedup_hash, $5, $5 FROM input d ORDER BY d.ord \
           ON CONFLICT (user_id, dedup_hash) WHERE deleted_at IS NULL DO NOTHING \
           RETURNING id, dedup_hash), \
         evidence AS ( \
           INSERT INTO study_memo_card_evidence (card_id, source_type, source_id, snippet, \
             created_at) \
           SELECT i.id, 'question', $3, d.evidence, $5 \
           FROM inserted i JOIN input d ON d.dedup_hash = i.dedup_hash) \
         SELECT i.id FROM inserted i JOIN input d ON d.dedup_hash = i.dedup_hash ORDER BY d.ord",
    )
    .bind(user.0)
    .bind(topic_id)
    .bind(question_id)
    .bind(version)
    .bind(now)
    .bind(formats)
    .bind(cues)
    .bind(facts)
    .bind(clozes)
    .bind(hashes)
    .bind(evidence)
    .fetch_all(&mut **tx)
    .await?)
}
