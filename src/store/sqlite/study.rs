//! SQLite: the due deck and rating, the cram deck and view recording.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::rows::{
    attach_evidence, card_columns, card_from_row, load_card, load_progress, push_undo, write_outbox,
};
use super::{SqliteStore, from_opt_ms, to_ms};
use crate::domain::card::Outcome;
use crate::domain::schedule::{self, LadderState};
use crate::store::snapshot::{
    ProgressState, UndoData, check_ladder_shown, correct_answer, progress_outbox,
};
use crate::store::{
    Card, CramFilter, DueCard, RatingResult, SourceQuestion, StoreError, StoreResult, UndoKind,
    UserId,
};

pub(super) async fn due_deck(
    store: &SqliteStore,
    user: UserId,
    now: DateTime<Utc>,
    limit: u32,
) -> StoreResult<Vec<DueCard>> {
    let mut conn = store.pool.acquire().await?;
    // Two index-driven halves: due progress rows by due date, then never-rated cards by id.
    let rows = sqlx::query(concat!(
        "SELECT * FROM (SELECT * FROM (SELECT ",
        card_columns!(),
        ", p.review_stage AS p_stage, p.due_at AS p_due, 0 AS bucket \
           FROM study_memo_card_progress p JOIN study_memo_cards c ON c.id = p.card_id \
           WHERE p.user_id = $1 AND p.due_at IS NOT NULL AND p.due_at <= $2 \
             AND (p.review_stage IS NULL OR p.review_stage < 4) \
             AND c.user_id = $1 AND c.deleted_at IS NULL AND c.needs_review = 0 \
           ORDER BY p.due_at, c.id LIMIT $3) \
         UNION ALL SELECT * FROM (SELECT ",
        card_columns!(),
        ", NULL AS p_stage, NULL AS p_due, 1 AS bucket FROM study_memo_cards c \
           WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.needs_review = 0 \
             AND NOT EXISTS (SELECT 1 FROM study_memo_card_progress p WHERE p.user_id = $1 AND p.card_id = c.id) \
           ORDER BY c.id LIMIT $3)) \
         ORDER BY bucket, p_due, id LIMIT $3"
    ))
    .bind(user.0)
    .bind(to_ms(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let mut deck = Vec::with_capacity(rows.len());
    for row in &rows {
        let card = card_from_row(row)?.card;
        let bucket: i64 = row.try_get("bucket")?;
        let ladder = (bucket == 0)
            .then(|| -> StoreResult<LadderState> {
                Ok(LadderState {
                    stage: row.try_get("p_stage")?,
                    due_at: from_opt_ms(row.try_get("p_due")?)?,
                })
            })
            .transpose()?;
        deck.push(DueCard {
            card,
            ladder,
            source: None,
        });
    }
    let mut cards: Vec<Card> = deck.iter().map(|d| d.card.clone()).collect();
    attach_evidence(&mut conn, &mut cards).await?;
    for (due, card) in deck.iter_mut().zip(cards) {
        due.card = card;
    }
    let mut ids: Vec<i64> = deck
        .iter()
        .filter_map(|d| d.card.source_question_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let question_rows = sqlx::query(
        "SELECT q.id, q.question_text, q.choices, q.correct_choice FROM study_questions q \
         WHERE q.user_id = $1 AND q.id IN (SELECT value FROM json_each($2))",
    )
    .bind(user.0)
    .bind(serde_json::to_string(&ids)?)
    .fetch_all(&mut *conn)
    .await?;
    let mut questions = HashMap::new();
    for row in question_rows {
        let choices: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("choices")?)?;
        let source = SourceQuestion {
            text: row.try_get("question_text")?,
            correct_answer: correct_answer(&choices, row.try_get("correct_choice")?),
        };
        questions.insert(row.try_get::<i64, _>("id")?, source);
    }
    for due in &mut deck {
        due.source = due
            .card
            .source_question_id
            .and_then(|id| questions.get(&id).cloned());
    }
    Ok(deck)
}

pub(super) async fn rate(
    store: &SqliteStore,
    user: UserId,
    card_id: i64,
    shown: Option<Option<LadderState>>,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> StoreResult<RatingResult> {
    let mut tx = store.begin_write().await?;
    let card = load_card(&mut tx, user, card_id, false).await?;
    if card.state.needs_review {
        return Err(StoreError::Refused(
            "the card is still in review: approve it before rating".into(),
        ));
    }
    let before = load_progress(&mut tx, user, card_id).await?;
    check_ladder_shown(before.as_ref(), shown)?;
    let after = schedule::rate(before.as_ref().map(ProgressState::ladder), outcome, now);
    let progress_id: i64 = match &before {
        Some(p) => {
            sqlx::query(
                "UPDATE study_memo_card_progress SET last_outcome = $2, last_reviewed_at = $3, due_at = $4, \
                 review_stage = $5, updated_at = $3 WHERE id = $1",
            )
            .bind(p.id)
            .bind(outcome.as_str())
            .bind(to_ms(now))
            .bind(after.due_at.map(to_ms))
            .bind(after.stage)
            .execute(&mut *tx)
            .await?;
            p.id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO study_memo_card_progress (user_id, card_id, last_outcome, last_reviewed_at, due_at, \
                 review_stage, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $4, $4) RETURNING id",
            )
            .bind(user.0)
            .bind(card_id)
            .bind(outcome.as_str())
            .bind(to_ms(now))
            .bind(after.due_at.map(to_ms))
            .bind(after.stage)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let review_id: i64 = sqlx::query_scalar(
        "INSERT INTO study_card_reviews (user_id, card_id, outcome, had_progress, stage_before, due_before, \
         outcome_before, reviewed_before, stage_after, due_after, reviewed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(user.0)
    .bind(card_id)
    .bind(outcome.as_str())
    .bind(before.is_some())
    .bind(before.as_ref().and_then(|p| p.review_stage))
    .bind(before.as_ref().and_then(|p| p.due_at).map(to_ms))
    .bind(before.as_ref().and_then(|p| p.last_outcome.clone()))
    .bind(before.as_ref().and_then(|p| p.last_reviewed_at).map(to_ms))
    .bind(after.stage)
    .bind(after.due_at.map(to_ms))
    .bind(to_ms(now))
    .fetch_one(&mut *tx)
    .await?;
    if store.publish {
        let written = load_progress(&mut tx, user, card_id)
            .await?
            .ok_or(StoreError::NotFound("progress"))?;
        write_outbox(
            &mut tx,
            user,
            &progress_outbox(&written, card.card.topic_id),
            now,
        )
        .await?;
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
    store: &SqliteStore,
    user: UserId,
    filter: &CramFilter,
    limit: u32,
) -> StoreResult<Vec<Card>> {
    let mut conn = store.pool.acquire().await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        card_columns!(),
        " FROM study_memo_cards c WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.needs_review = 0 \
         AND ($2 IS NULL OR json_extract(c.extra, '$.material') = $2) AND ($3 IS NULL OR c.format = $3) \
         ORDER BY c.last_viewed_at, c.id LIMIT $4"
    ))
    .bind(user.0)
    .bind(filter.material.as_deref())
    .bind(filter.format.map(|f| f.as_str()))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let mut cards = rows
        .iter()
        .map(|r| card_from_row(r).map(|rec| rec.card))
        .collect::<StoreResult<Vec<Card>>>()?;
    attach_evidence(&mut conn, &mut cards).await?;
    Ok(cards)
}

pub(super) async fn record_view(
    store: &SqliteStore,
    user: UserId,
    card_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE study_memo_cards SET view_count = view_count + 1, last_viewed_at = $3 \
         WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
    )
    .bind(card_id)
    .bind(user.0)
    .bind(to_ms(now))
    .execute(&store.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("card"));
    }
    Ok(())
}

pub(super) async fn materials(store: &SqliteStore, user: UserId) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT json_extract(extra, '$.material') AS m FROM study_memo_cards \
         WHERE user_id = $1 AND deleted_at IS NULL AND needs_review = 0 AND m IS NOT NULL ORDER BY m",
    )
    .bind(user.0)
    .fetch_all(&store.pool)
    .await?)
}
