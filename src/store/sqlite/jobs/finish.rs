//! SQLite: applying finished extractions (supersede, insert, complete), a batch of them in
//! one write transaction.

use crate::domain::search::search_text;
use crate::store::CardId;
use chrono::{DateTime, Utc};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

use super::super::{DbFile, begin_immediate, to_ms};
use crate::store::jobs::prepare::PreparedCard;
use crate::store::jobs::{SOURCE_CHANGED, clip_message};
use crate::store::{
    ExtractionFinish, Fenced, FinishedExtraction, JobErrorCode, JobPayload, Lease, StoreResult,
    UserId,
};

pub(crate) async fn finish_extractions(
    pool: &SqlitePool,
    file: &DbFile,
    finishes: &[ExtractionFinish],
    now: DateTime<Utc>,
) -> StoreResult<Vec<Fenced<FinishedExtraction>>> {
    let now_ms = to_ms(now);
    let mut tx = begin_immediate(pool, file).await?;
    let mut results = Vec::with_capacity(finishes.len());
    for finish in finishes {
        results.push(finish_one(&mut tx, finish, now_ms).await?);
    }
    tx.commit().await?;
    Ok(results)
}

async fn finish_one(
    tx: &mut Transaction<'static, Sqlite>,
    finish: &ExtractionFinish,
    now_ms: i64,
) -> StoreResult<Fenced<FinishedExtraction>> {
    let lease = finish.lease;
    let job = sqlx::query(
        "SELECT user_id, source_id, source_version FROM study_memo_card_jobs \
         WHERE id = $1 AND claims = $2 AND status = 'processing'",
    )
    .bind(lease.job_id)
    .bind(lease.token)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(job) = job else {
        return Ok(Fenced::Stale);
    };
    let user = UserId(job.try_get("user_id")?);
    let question_id: i64 = job.try_get("source_id")?;
    let version: Option<i64> = job.try_get("source_version")?;
    let topic_id = match version {
        Some(version) => current_topic(tx, user, question_id, version).await?,
        None => None,
    };
    let (Some(version), Some(topic_id)) = (version, topic_id) else {
        skip_changed(tx, lease, now_ms).await?;
        return Ok(Fenced::Applied(FinishedExtraction::SourceChanged));
    };

    let mut payload = JobPayload::new(&finish.report);
    let superseded = sqlx::query(
        "UPDATE study_memo_cards SET deleted_at = $4, updated_at = $4, retired_reason = 'superseded' \
         WHERE user_id = $1 AND source_kind = 'question' AND source_id = $2 \
           AND deleted_at IS NULL AND needs_review = 1 \
           AND (source_version IS NULL OR source_version < $3)",
    )
    .bind(user.0)
    .bind(question_id)
    .bind(version)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    payload.superseded = u32::try_from(superseded.rows_affected()).unwrap_or(u32::MAX);

    let mut card_ids = Vec::with_capacity(finish.cards.len());
    for draft in &finish.cards {
        let card = PreparedCard::new(question_id, draft);
        match insert_card(tx, user, topic_id, question_id, version, &card, now_ms).await? {
            Some(id) => card_ids.push(id),
            None => payload.count_insert_dedup(),
        }
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
    .bind(serde_json::to_string(&payload)?)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(Fenced::Applied(if card_ids.is_empty() {
        FinishedExtraction::AllDropped { payload }
    } else {
        FinishedExtraction::Completed {
            card_ids: card_ids.into_iter().map(CardId).collect(),
            payload,
        }
    }))
}

/// The question's topic if its explanation is still ready at `version`.
async fn current_topic(
    tx: &mut Transaction<'static, Sqlite>,
    user: UserId,
    question_id: i64,
    version: i64,
) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT study_topic_id FROM study_questions \
         WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL \
           AND ai_explanation_status = 'ready' AND ai_explanation_generated_at = $3",
    )
    .bind(question_id)
    .bind(user.0)
    .bind(version)
    .fetch_optional(&mut **tx)
    .await?)
}

async fn skip_changed(
    tx: &mut Transaction<'static, Sqlite>,
    lease: Lease,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE study_memo_card_jobs SET status = 'skipped', error_code = 'no_ready_explanation', \
           error_message = $2, completed_at = $3, lease_expires_at = NULL WHERE id = $1",
    )
    .bind(lease.job_id)
    .bind(clip_message(SOURCE_CHANGED))
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts one card (in review) with its evidence; `None` when a live card of the user
/// already has its dedup hash.
async fn insert_card(
    tx: &mut Transaction<'static, Sqlite>,
    user: UserId,
    topic_id: i64,
    question_id: i64,
    version: i64,
    card: &PreparedCard,
    now_ms: i64,
) -> StoreResult<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO study_memo_cards (user_id, study_topic_id, source_kind, source_id, \
           source_version, source_question_id, format, cue, fact, cloze_text, needs_review, \
           dedup_hash, created_at, updated_at, search_text) \
         VALUES ($1, $2, 'question', $3, $4, $3, $5, $6, $7, $8, 1, $9, $10, $10, $11) \
         ON CONFLICT (user_id, dedup_hash) WHERE deleted_at IS NULL DO NOTHING \
         RETURNING id",
    )
    .bind(user.0)
    .bind(topic_id)
    .bind(question_id)
    .bind(version)
    .bind(card.format.as_str())
    .bind(&card.cue)
    .bind(&card.fact)
    .bind(card.cloze_text.as_deref())
    .bind(&card.dedup_hash)
    .bind(now_ms)
    .bind(search_text(
        &card.cue,
        &card.fact,
        card.cloze_text.as_deref(),
    ))
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = id {
        sqlx::query(
            "INSERT INTO study_memo_card_evidence (card_id, source_type, source_id, snippet, created_at) \
             VALUES ($1, 'question', $2, $3, $4)",
        )
        .bind(id)
        .bind(question_id)
        .bind(&card.evidence)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}
