//! The due deck and rating, the cram deck and view recording.

use crate::store::{CardId, QuestionId, TopicId};
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::review::questions_by_id;
use super::rows::{
    CardRow, attach_evidence, card_columns, cards, load_card, load_progress, push_undo,
    write_outbox,
};
use crate::domain::card::Outcome;
use crate::domain::schedule::{self, LadderState};
use crate::store::snapshot::{ProgressState, UndoData, check_ladder_shown, progress_outbox};
use crate::store::sql::{Connected, Db, Dialect, Stamp, Tx};
use crate::store::{
    Card, CramFilter, DueCard, RatingResult, SourceQuestion, StoreError, StoreResult, UndoKind,
    UserId,
};

/// A due-deck row: the card, and its ladder when it has been rated (bucket 0).
#[derive(sqlx::FromRow)]
pub(super) struct DueRow {
    #[sqlx(flatten)]
    pub(super) card: CardRow,
    p_stage: Option<i16>,
    p_due: Option<Stamp>,
    /// 0: due, 1: new.
    pub(super) bucket: i32,
}

pub(super) async fn due_deck(
    db: &Db,
    user: UserId,
    now: DateTime<Utc>,
    limit: u32,
) -> StoreResult<Vec<DueCard>> {
    let mut conn = db.read().await?;
    // Two index-driven halves: due progress rows by due date, then never-rated cards by id.
    let rows: Vec<DueRow> = conn
        .query(concat!(
            "SELECT * FROM (SELECT * FROM (SELECT ",
            card_columns!(),
            ", p.review_stage AS p_stage, p.due_at AS p_due, 0 AS bucket \
               FROM study_memo_card_progress p JOIN study_memo_cards c ON c.id = p.card_id \
               WHERE p.user_id = $1 AND p.due_at IS NOT NULL AND p.due_at <= $2 \
                 AND (p.review_stage IS NULL OR p.review_stage < 4) \
                 AND c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
               ORDER BY p.due_at, c.id LIMIT $3) AS due \
             UNION ALL SELECT * FROM (SELECT ",
            card_columns!(),
            ", CAST(NULL AS SMALLINT) AS p_stage, CAST(NULL AS TIMESTAMPTZ) AS p_due, 1 AS bucket \
               FROM study_memo_cards c \
               WHERE c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
                 AND NOT EXISTS (SELECT 1 FROM study_memo_card_progress p WHERE p.user_id = $1 AND p.card_id = c.id) \
               ORDER BY c.id LIMIT $3) AS new) AS deck \
             ORDER BY bucket, p_due, id LIMIT $3"
        ))
        .bind(user.0)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut conn)
        .await?;
    due_cards(&mut conn, user, rows).await
}

/// The deck's rows as cards with their ladder, evidence and source question.
pub(super) async fn due_cards(
    conn: &mut impl Connected,
    user: UserId,
    rows: Vec<DueRow>,
) -> StoreResult<Vec<DueCard>> {
    let mut ladders = Vec::with_capacity(rows.len());
    let mut card_rows = Vec::with_capacity(rows.len());
    for row in rows {
        ladders.push((row.bucket == 0).then(|| LadderState {
            stage: row.p_stage,
            due_at: row.p_due.map(Into::into),
        }));
        card_rows.push(row.card);
    }
    let mut deck_cards = cards(card_rows)?;
    attach_evidence(conn, &mut deck_cards).await?;
    let mut ids: Vec<QuestionId> = deck_cards
        .iter()
        .filter_map(|c| c.source_question_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let questions: HashMap<QuestionId, SourceQuestion> = questions_by_id(conn, user, &ids)
        .await?
        .into_iter()
        .map(|q| {
            let correct_answer = q.correct_answer();
            let source = SourceQuestion {
                text: q.question_text,
                correct_answer,
            };
            (q.id, source)
        })
        .collect();
    Ok(deck_cards
        .into_iter()
        .zip(ladders)
        .map(|(card, ladder)| DueCard {
            source: card
                .source_question_id
                .and_then(|id| questions.get(&id).cloned()),
            card,
            ladder,
        })
        .collect())
}

/// What a rating reads on SQLite, in one statement: the live card and its ladder if it was
/// rated.
macro_rules! rated_card_sql {
    () => {
        "SELECT c.needs_review, c.study_topic_id, p.id AS p_id, p.last_outcome AS p_last_outcome, \
           p.last_reviewed_at AS p_last_reviewed_at, p.due_at AS p_due_at, \
           p.review_stage AS p_review_stage, p.updated_at AS p_updated_at \
         FROM study_memo_cards c \
         LEFT JOIN study_memo_card_progress p ON p.user_id = c.user_id AND p.card_id = c.id \
         WHERE c.id = $1 AND c.user_id = $2 AND c.deleted_at IS NULL"
    };
}

#[derive(sqlx::FromRow)]
struct RatedCardRow {
    needs_review: bool,
    study_topic_id: Option<TopicId>,
    p_id: Option<i64>,
    p_last_outcome: Option<String>,
    p_last_reviewed_at: Option<Stamp>,
    p_due_at: Option<Stamp>,
    p_review_stage: Option<i16>,
    p_updated_at: Option<Stamp>,
}

impl RatedCardRow {
    /// The card's progress row, if it has one (a progress row always has `updated_at`).
    fn progress(&self, card_id: CardId) -> Option<ProgressState> {
        let (id, updated_at) = self.p_id.zip(self.p_updated_at)?;
        Some(ProgressState {
            id,
            card_id,
            last_outcome: self.p_last_outcome.clone(),
            last_reviewed_at: self.p_last_reviewed_at.map(Into::into),
            due_at: self.p_due_at.map(Into::into),
            review_stage: self.p_review_stage,
            updated_at: updated_at.into(),
        })
    }
}

/// What a rating needs of the card before it writes.
struct RatingRead {
    needs_review: bool,
    topic_id: Option<TopicId>,
    /// The progress row, if the card was rated before.
    before: Option<ProgressState>,
}

/// What a rating needs of the live card; `None` when there is no such card.
async fn read_for_rating(
    tx: &mut Tx,
    user: UserId,
    card_id: CardId,
) -> StoreResult<Option<RatingRead>> {
    if tx.dialect() == Dialect::Sqlite {
        // BEGIN IMMEDIATE has serialized the writers already: one statement reads both.
        let row = tx
            .query(rated_card_sql!())
            .bind(card_id)
            .bind(user.0)
            .fetch_optional::<RatedCardRow>(tx)
            .await?;
        return Ok(row.map(|r| RatingRead {
            needs_review: r.needs_review,
            topic_id: r.study_topic_id,
            before: r.progress(card_id),
        }));
    }
    // The card's row lock serializes two ratings of it. The progress is read by a statement
    // that starts once the lock is held: under READ COMMITTED a statement that waited for the
    // lock still sees the other tables as they were when it started.
    let card = load_card(tx, user, card_id, false).await?;
    Ok(Some(RatingRead {
        needs_review: card.state.needs_review,
        topic_id: card.card.topic_id,
        before: load_progress(tx, user, card_id).await?,
    }))
}

pub(super) async fn rate(
    db: &Db,
    user: UserId,
    card_id: CardId,
    shown: Option<Option<LadderState>>,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> StoreResult<RatingResult> {
    let mut tx = db.write().await?;
    let Some(RatingRead {
        needs_review,
        topic_id,
        before,
    }) = read_for_rating(&mut tx, user, card_id).await?
    else {
        return tx.abandon(StoreError::NotFound("card")).await;
    };
    if needs_review {
        return tx
            .abandon(StoreError::Refused(
                "the card is still in review: approve it before rating".into(),
            ))
            .await;
    }
    if let Err(e) = check_ladder_shown(before.as_ref(), shown) {
        return tx.abandon(e).await;
    }
    let after = schedule::rate(before.as_ref().map(ProgressState::ladder), outcome, now);
    let progress_id: i64 = match &before {
        Some(p) => {
            tx.query(
                "UPDATE study_memo_card_progress SET last_outcome = $2, last_reviewed_at = $3, due_at = $4, \
                 review_stage = $5, updated_at = $3 WHERE id = $1",
            )
            .bind(p.id)
            .bind(outcome.as_str())
            .bind(now)
            .bind(after.due_at)
            .bind(after.stage)
            .execute(&mut tx)
            .await?;
            p.id
        }
        None => {
            tx.query(
                "INSERT INTO study_memo_card_progress (user_id, card_id, last_outcome, last_reviewed_at, due_at, \
                 review_stage, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $4, $4) RETURNING id",
            )
            .bind(user.0)
            .bind(card_id)
            .bind(outcome.as_str())
            .bind(now)
            .bind(after.due_at)
            .bind(after.stage)
            .scalar(&mut tx)
            .await?
        }
    };
    let review_id: i64 = tx
        .query(
            "INSERT INTO study_card_reviews (user_id, card_id, outcome, had_progress, stage_before, due_before, \
             outcome_before, reviewed_before, stage_after, due_after, reviewed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(user.0)
        .bind(card_id)
        .bind(outcome.as_str())
        .bind(before.is_some())
        .bind(before.as_ref().and_then(|p| p.review_stage))
        .bind(before.as_ref().and_then(|p| p.due_at))
        .bind(before.as_ref().and_then(|p| p.last_outcome.clone()))
        .bind(before.as_ref().and_then(|p| p.last_reviewed_at))
        .bind(after.stage)
        .bind(after.due_at)
        .bind(now)
        .scalar(&mut tx)
        .await?;
    if db.publish {
        let written = load_progress(&mut tx, user, card_id)
            .await?
            .ok_or(StoreError::NotFound("progress"))?;
        let entry = progress_outbox(&written, topic_id);
        write_outbox(&mut tx, user, &entry, now).await?;
    }
    let undo = UndoData::Rate {
        card_id,
        progress_id,
        before: before.clone(),
        review_id,
    };
    push_undo(&mut tx, user, UndoKind::Rate, &undo, now).await?;
    tx.commit().await?;
    Ok(RatingResult {
        card_id,
        outcome,
        before: before.as_ref().map(ProgressState::ladder),
        after,
    })
}

pub(super) async fn cram_deck(
    db: &Db,
    user: UserId,
    filter: &CramFilter,
    limit: u32,
) -> StoreResult<Vec<Card>> {
    let mut conn = db.read().await?;
    let rows: Vec<CardRow> = conn
        .query(concat!(
            "SELECT ",
            card_columns!(),
            " FROM study_memo_cards c WHERE c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
             AND (CAST($2 AS TEXT) IS NULL OR c.extra ->> 'material' = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR c.format = $3) \
             AND (CAST($5 AS BIGINT) IS NULL OR c.study_topic_id = $5) \
             ORDER BY c.last_viewed_at NULLS FIRST, c.id LIMIT $4"
        ))
        .bind(user.0)
        .bind(filter.material.as_deref())
        .bind(filter.format.map(|f| f.as_str()))
        .bind(i64::from(limit))
        .bind(filter.topic.map(|t| t.0))
        .fetch_all(&mut conn)
        .await?;
    let mut cards = cards(rows)?;
    attach_evidence(&mut conn, &mut cards).await?;
    Ok(cards)
}

pub(super) async fn record_view(
    db: &Db,
    user: UserId,
    card_id: CardId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut conn = db.write_one().await?;
    let done = conn
        .query(
            "UPDATE study_memo_cards SET view_count = view_count + 1, last_viewed_at = $3 \
             WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
        )
        .bind(card_id)
        .bind(user.0)
        .bind(now)
        .execute(&mut conn)
        .await?;
    if done == 0 {
        return Err(StoreError::NotFound("card"));
    }
    Ok(())
}

pub(super) async fn materials(db: &Db, user: UserId) -> StoreResult<Vec<String>> {
    let mut conn = db.read().await?;
    conn.query(
        "SELECT DISTINCT extra ->> 'material' AS m FROM study_memo_cards \
         WHERE user_id = $1 AND deleted_at IS NULL AND NOT needs_review \
           AND extra ->> 'material' IS NOT NULL ORDER BY m",
    )
    .bind(user.0)
    .scalars(&mut conn)
    .await
}
