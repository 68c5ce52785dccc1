//! PostgreSQL: applying finished extractions in one transaction, set-based: one statement
//! locks and checks every job and retires superseded cards, one inserts every card with its
//! evidence, one finishes every job. Five round trips with BEGIN/COMMIT, whatever the number
//! of jobs and cards.

use crate::domain::search::search_text;
use crate::store::CardId;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Row, Transaction};

use crate::store::jobs::prepare::PreparedCard;
use crate::store::jobs::{SOURCE_CHANGED, clip_message};
use crate::store::{
    ExtractionFinish, Fenced, FinishedExtraction, JobErrorCode, JobPayload, StoreError,
    StoreResult, UserId,
};

/// A job whose lease is current, as locked for its finish.
struct LockedJob {
    user: UserId,
    question_id: i64,
    /// The version and topic when the question is still ready at the job's version.
    source: Option<(DateTime<Utc>, i64)>,
    superseded: u32,
}

/// What a finish comes to once its job is locked.
enum Plan {
    Stale,
    SourceChanged {
        job_id: i64,
    },
    Store {
        job_id: i64,
        payload: JobPayload,
        /// Cards sent to the insert; those not stored collided with a live card.
        queued: usize,
        card_ids: Vec<i64>,
    },
}

pub(crate) async fn finish_extractions(
    pool: &PgPool,
    finishes: &[ExtractionFinish],
    now: DateTime<Utc>,
) -> StoreResult<Vec<Fenced<FinishedExtraction>>> {
    if finishes.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    let locked = lock_jobs(&mut tx, finishes, now).await?;

    let mut plans = Vec::with_capacity(finishes.len());
    let mut cards = CardBatch::default();
    let mut planned = HashSet::new();
    for finish in finishes {
        // A second finish of one job in a batch finds it finished already, as it would
        // one statement later.
        let first = planned.insert(finish.lease.job_id.0);
        let plan = match locked.get(&finish.lease.job_id.0).filter(|_| first) {
            None => Plan::Stale,
            Some(LockedJob { source: None, .. }) => Plan::SourceChanged {
                job_id: finish.lease.job_id.0,
            },
            Some(
                job @ LockedJob {
                    source: Some((version, topic_id)),
                    ..
                },
            ) => {
                let mut payload = JobPayload::new(&finish.report);
                payload.superseded = job.superseded;
                let mut queued = 0;
                for draft in &finish.cards {
                    let card = PreparedCard::new(job.question_id, draft);
                    let owner = CardOwner {
                        plan: plans.len(),
                        user: job.user,
                        topic_id: *topic_id,
                        question_id: job.question_id,
                        version: *version,
                    };
                    if cards.push(owner, card) {
                        queued += 1;
                    } else {
                        payload.count_insert_dedup();
                    }
                }
                Plan::Store {
                    job_id: finish.lease.job_id.0,
                    payload,
                    queued,
                    card_ids: Vec::new(),
                }
            }
        };
        plans.push(plan);
    }

    for (plan, card_id) in cards.insert(&mut tx, now).await? {
        if let Some(Plan::Store { card_ids, .. }) = plans.get_mut(plan) {
            card_ids.push(card_id);
        }
    }
    let results: Vec<_> = plans.into_iter().map(Plan::into_result).collect();
    complete_jobs(&mut tx, &results, now).await?;
    tx.commit().await?;
    Ok(results.into_iter().map(|(_, result)| result).collect())
}

impl Plan {
    /// The finish's result, with the job to update, once its cards are inserted.
    fn into_result(self) -> (Option<i64>, Fenced<FinishedExtraction>) {
        match self {
            Plan::Stale => (None, Fenced::Stale),
            Plan::SourceChanged { job_id } => (
                Some(job_id),
                Fenced::Applied(FinishedExtraction::SourceChanged),
            ),
            Plan::Store {
                job_id,
                mut payload,
                queued,
                card_ids,
            } => {
                let stored = card_ids.len();
                for _ in stored..queued {
                    payload.count_insert_dedup();
                }
                payload.kept = u32::try_from(stored).unwrap_or(u32::MAX);
                let finished = if card_ids.is_empty() {
                    FinishedExtraction::AllDropped { payload }
                } else {
                    FinishedExtraction::Completed {
                        card_ids: card_ids.into_iter().map(CardId).collect(),
                        payload,
                    }
                };
                (Some(job_id), Fenced::Applied(finished))
            }
        }
    }
}

/// Locks the jobs whose lease is current (a rescuing claim, SKIP LOCKED, stays away until
/// this commits), checks that each question is still ready at its job's version and, for
/// those, retires the review cards of older versions (approved cards are kept).
///
/// The commit does not wait for its WAL flush (`synchronous_commit = off` for this
/// transaction only): a server crash can lose the last ~0.6 s of finished jobs, never half
/// of one, and a lost finish is redone when its lease expires. Every learner's change
/// commits synchronously, which flushes any finish it could have built on. Waiting for the
/// flush halved claim + complete throughput (BENCHMARKS.md).
async fn lock_jobs(
    tx: &mut Transaction<'static, Postgres>,
    finishes: &[ExtractionFinish],
    now: DateTime<Utc>,
) -> StoreResult<HashMap<i64, LockedJob>> {
    let ids: Vec<i64> = finishes.iter().map(|f| f.lease.job_id.0).collect();
    let tokens: Vec<i64> = finishes.iter().map(|f| f.lease.token).collect();
    let rows = sqlx::query(
        "WITH job AS ( \
           SELECT j.id, j.user_id, j.source_id, j.source_version \
           FROM study_memo_card_jobs j \
           JOIN UNNEST($1::BIGINT[], $2::BIGINT[]) AS l(id, token) \
             ON j.id = l.id AND j.claims = l.token \
           WHERE j.status = 'processing' \
           ORDER BY j.id FOR UPDATE OF j), \
         source AS ( \
           SELECT job.id AS job_id, q.study_topic_id FROM job JOIN study_questions q \
             ON q.id = job.source_id AND q.user_id = job.user_id \
           WHERE q.deleted_at IS NULL AND q.ai_explanation_status = 'ready' \
             AND q.ai_explanation_generated_at = job.source_version), \
         superseded AS ( \
           UPDATE study_memo_cards c SET deleted_at = $3, updated_at = $3, \
             retired_reason = 'superseded' \
           FROM job JOIN source ON source.job_id = job.id \
           CROSS JOIN LATERAL (SELECT o.id FROM study_memo_cards o \
             WHERE o.user_id = job.user_id AND o.source_kind = 'question' \
               AND o.source_id = job.source_id AND o.deleted_at IS NULL AND o.needs_review \
               AND (o.source_version IS NULL OR o.source_version < job.source_version) \
             OFFSET 0) old \
           WHERE c.id = old.id \
           RETURNING job.id AS job_id) \
         SELECT job.id, job.user_id, job.source_id, job.source_version, \
           source.study_topic_id AS topic_id, \
           (SELECT COUNT(*) FROM superseded s WHERE s.job_id = job.id) AS superseded, \
           set_config('synchronous_commit', 'off', true) AS commit_mode \
         FROM job LEFT JOIN source ON source.job_id = job.id",
    )
    .bind(ids)
    .bind(tokens)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    let mut locked = HashMap::with_capacity(rows.len());
    for row in rows {
        let version: Option<DateTime<Utc>> = row.try_get("source_version")?;
        let topic_id: Option<i64> = row.try_get("topic_id")?;
        let superseded: i64 = row.try_get("superseded")?;
        locked.insert(
            row.try_get("id")?,
            LockedJob {
                user: UserId(row.try_get("user_id")?),
                question_id: row.try_get("source_id")?,
                source: version.zip(topic_id),
                superseded: u32::try_from(superseded).unwrap_or(u32::MAX),
            },
        );
    }
    Ok(locked)
}

/// Which finish a card belongs to, and where it goes.
#[derive(Clone, Copy)]
struct CardOwner {
    plan: usize,
    user: UserId,
    topic_id: i64,
    question_id: i64,
    version: DateTime<Utc>,
}

/// Every card of a batch of finishes, in order, no dedup hash repeated for a user.
#[derive(Default)]
struct CardBatch {
    owners: Vec<CardOwner>,
    cards: Vec<PreparedCard>,
    seen: HashSet<(i64, String)>,
}

impl CardBatch {
    /// Adds a card; false (and not added) when the batch already has its dedup hash.
    fn push(&mut self, owner: CardOwner, card: PreparedCard) -> bool {
        if !self.seen.insert((owner.user.0, card.dedup_hash.clone())) {
            return false;
        }
        self.owners.push(owner);
        self.cards.push(card);
        true
    }

    /// Inserts the cards (in review) with their evidence in one statement; returns each
    /// stored card's plan and id, in batch order. A card whose dedup hash a live card of
    /// the user already has is left out.
    async fn insert(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(usize, i64)>> {
        if self.cards.is_empty() {
            return Ok(Vec::new());
        }
        let o = &self.owners;
        let c = &self.cards;
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "WITH input AS ( \
               SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], \
                 $4::TIMESTAMPTZ[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], \
                 $10::TEXT[], $12::TEXT[]) WITH ORDINALITY AS d(user_id, topic_id, question_id, \
                 version, format, cue, fact, cloze_text, dedup_hash, evidence, search_text, ord)), \
             inserted AS ( \
               INSERT INTO study_memo_cards (user_id, study_topic_id, source_kind, source_id, \
                 source_version, source_question_id, format, cue, fact, cloze_text, \
                 needs_review, dedup_hash, created_at, updated_at, search_text) \
               SELECT d.user_id, d.topic_id, 'question', d.question_id, d.version, \
                 d.question_id, d.format, d.cue, d.fact, d.cloze_text, TRUE, d.dedup_hash, \
                 $11, $11, d.search_text FROM input d ORDER BY d.ord \
               ON CONFLICT (user_id, dedup_hash) WHERE deleted_at IS NULL DO NOTHING \
               RETURNING id, user_id, dedup_hash), \
             stored AS ( \
               SELECT i.id, d.ord, d.question_id, d.evidence FROM inserted i JOIN input d \
                 ON d.user_id = i.user_id AND d.dedup_hash = i.dedup_hash), \
             evidence AS ( \
               INSERT INTO study_memo_card_evidence (card_id, source_type, source_id, snippet, \
                 created_at) \
               SELECT id, 'question', question_id, evidence, $11 FROM stored) \
             SELECT ord, id FROM stored ORDER BY ord",
        )
        .bind(o.iter().map(|o| o.user.0).collect::<Vec<_>>())
        .bind(o.iter().map(|o| o.topic_id).collect::<Vec<_>>())
        .bind(o.iter().map(|o| o.question_id).collect::<Vec<_>>())
        .bind(o.iter().map(|o| o.version).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.format.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.cue.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.fact.as_str()).collect::<Vec<_>>())
        .bind(
            c.iter()
                .map(|c| c.cloze_text.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(c.iter().map(|c| c.dedup_hash.as_str()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.evidence.as_str()).collect::<Vec<_>>())
        .bind(now)
        .bind(
            c.iter()
                .map(|c| search_text(&c.cue, &c.fact, c.cloze_text.as_deref()))
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut **tx)
        .await?;
        rows.into_iter()
            .map(|(ord, id)| {
                let index = usize::try_from(ord - 1).ok().and_then(|i| o.get(i));
                match index {
                    Some(owner) => Ok((owner.plan, id)),
                    None => Err(StoreError::Corrupt(format!(
                        "the card insert returned an unknown position {ord}"
                    ))),
                }
            })
            .collect()
    }
}

/// Finishes every applied job in one statement: `completed` with its payload (and
/// `all_dropped` when no card was stored), or `skipped` when its explanation changed.
async fn complete_jobs(
    tx: &mut Transaction<'static, Postgres>,
    results: &[(Option<i64>, Fenced<FinishedExtraction>)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut ids = Vec::new();
    let mut statuses = Vec::new();
    let mut codes = Vec::new();
    let mut messages = Vec::new();
    let mut payloads = Vec::new();
    for (job_id, result) in results {
        let (Some(job_id), Fenced::Applied(finished)) = (job_id, result) else {
            continue;
        };
        ids.push(*job_id);
        let (status, code, message, payload) = match finished {
            FinishedExtraction::SourceChanged => (
                "skipped",
                Some(JobErrorCode::NoReadyExplanation.as_str()),
                Some(clip_message(SOURCE_CHANGED)),
                None,
            ),
            FinishedExtraction::AllDropped { payload } => (
                "completed",
                Some(JobErrorCode::AllDropped.as_str()),
                None,
                Some(serde_json::to_string(payload)?),
            ),
            FinishedExtraction::Completed { payload, .. } => (
                "completed",
                None,
                None,
                Some(serde_json::to_string(payload)?),
            ),
        };
        statuses.push(status);
        codes.push(code);
        messages.push(message);
        payloads.push(payload);
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE study_memo_card_jobs j SET status = d.status, error_code = d.error_code, \
           error_message = d.error_message, payload = COALESCE(d.payload::JSONB, j.payload), \
           completed_at = $6, lease_expires_at = NULL \
         FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[]) \
           AS d(id, status, error_code, error_message, payload) \
         WHERE j.id = d.id",
    )
    .bind(ids)
    .bind(statuses)
    .bind(codes)
    .bind(messages)
    .bind(payloads)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
