//! PostgreSQL: the review queue and the actions on in-review and approved cards.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::Row;

use super::PgStore;
use super::rows::{
    attach_evidence, card_columns, card_from_row, load_card, notify_change, publish_card, push_undo,
};
use crate::domain::normalize::{DedupScope, dedup_hash};
use crate::domain::text::clean_line;
use crate::store::snapshot::{
    UndoData, check_shown, correct_answer, group_review_queue, prepare_edit,
};
use crate::store::{
    Card, CardEdit, NewManualCard, ReviewGroup, ReviewStamp, StoreError, StoreResult, UndoKind,
    UserId, is_dedup_violation,
};

pub(super) async fn queue(store: &PgStore, user: UserId) -> StoreResult<Vec<ReviewGroup>> {
    let mut conn = store.pool.acquire().await?;
    let mut rows = sqlx::query(concat!(
        "SELECT ",
        card_columns!(),
        " FROM study_memo_cards c WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.needs_review \
         ORDER BY c.source_question_id NULLS LAST, c.id"
    ))
    .bind(user.0)
    .fetch(&mut *conn);
    // Streamed: the 10k rows of a long queue are never all held at once (peak memory).
    let mut cards = Vec::new();
    while let Some(row) = rows.try_next().await? {
        cards.push(card_from_row(&row)?.card);
    }
    drop(rows);
    attach_evidence(&mut conn, &mut cards).await?;
    let question_rows = sqlx::query(
        "SELECT q.id, q.question_text, q.choices, q.correct_choice FROM study_questions q \
         WHERE q.user_id = $1 AND q.id IN (SELECT source_question_id FROM study_memo_cards \
           WHERE user_id = $1 AND deleted_at IS NULL AND needs_review AND source_question_id IS NOT NULL)",
    )
    .bind(user.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut questions = HashMap::new();
    for row in question_rows {
        let sqlx::types::Json(choices): sqlx::types::Json<Vec<String>> = row.try_get("choices")?;
        let answer = correct_answer(&choices, row.try_get("correct_choice")?);
        questions.insert(
            row.try_get::<i64, _>("id")?,
            (row.try_get("question_text")?, answer),
        );
    }
    Ok(group_review_queue(cards, &questions))
}

pub(super) async fn stamp(store: &PgStore, user: UserId) -> StoreResult<ReviewStamp> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS cards, COALESCE(SUM(id), 0)::BIGINT AS id_sum, MAX(updated_at) AS last_change \
         FROM study_memo_cards WHERE user_id = $1 AND deleted_at IS NULL AND needs_review",
    )
    .bind(user.0)
    .fetch_one(&store.pool)
    .await?;
    Ok(ReviewStamp {
        cards: row.try_get("cards")?,
        id_sum: row.try_get("id_sum")?,
        last_change: row.try_get("last_change")?,
    })
}

pub(super) async fn get(store: &PgStore, user: UserId, card_id: i64) -> StoreResult<Card> {
    let mut conn = store.pool.acquire().await?;
    let mut card = load_card(&mut conn, user, card_id, false).await?.card;
    attach_evidence(&mut conn, std::slice::from_mut(&mut card)).await?;
    Ok(card)
}

pub(super) async fn approve(
    store: &PgStore,
    user: UserId,
    card_id: i64,
    shown: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    let before = load_card(&mut tx, user, card_id, false).await?;
    check_shown(&before.state, shown)?;
    if !before.state.needs_review {
        return Err(StoreError::Refused("the card is already approved".into()));
    }
    sqlx::query(
        "UPDATE study_memo_cards SET needs_review = FALSE, flagged_by = NULL, flagged_at = NULL, updated_at = $3 \
         WHERE id = $1 AND user_id = $2",
    )
    .bind(card_id)
    .bind(user.0)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    publish_card(&mut tx, store.publish, user, card_id, now).await?;
    let undo = UndoData::Cards {
        cards: vec![before.state],
    };
    push_undo(&mut tx, user, UndoKind::Approve, &undo, now).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn approve_question(
    store: &PgStore,
    user: UserId,
    question_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    let mut tx = store.begin_write().await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM study_questions WHERE id = $1 AND user_id = $2")
            .bind(question_id)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound("question"));
    }
    let rows = sqlx::query(concat!(
        "SELECT ",
        card_columns!(),
        " FROM study_memo_cards c WHERE c.user_id = $1 AND c.source_question_id = $2 \
         AND c.deleted_at IS NULL AND c.needs_review ORDER BY c.id FOR UPDATE"
    ))
    .bind(user.0)
    .bind(question_id)
    .fetch_all(&mut *tx)
    .await?;
    let before = rows
        .iter()
        .map(card_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    if before.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query(
        "UPDATE study_memo_cards SET needs_review = FALSE, flagged_by = NULL, flagged_at = NULL, updated_at = $3 \
         WHERE user_id = $1 AND source_question_id = $2 AND deleted_at IS NULL AND needs_review",
    )
    .bind(user.0)
    .bind(question_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let ids: Vec<i64> = before.iter().map(|r| r.card.id).collect();
    for id in &ids {
        publish_card(&mut tx, store.publish, user, *id, now).await?;
    }
    let undo = UndoData::Cards {
        cards: before.into_iter().map(|r| r.state).collect(),
    };
    push_undo(&mut tx, user, UndoKind::ApproveQuestion, &undo, now).await?;
    tx.commit().await?;
    Ok(ids)
}

pub(super) async fn edit(
    store: &PgStore,
    user: UserId,
    card_id: i64,
    shown: Option<DateTime<Utc>>,
    edit: &CardEdit,
    now: DateTime<Utc>,
) -> StoreResult<Card> {
    let mut tx = store.begin_write().await?;
    let before = load_card(&mut tx, user, card_id, false).await?;
    check_shown(&before.state, shown)?;
    let edit = prepare_edit(before.card.format, edit)?;
    let scope = DedupScope::of(
        before.card.source_question_id,
        before.card.material.as_deref(),
    );
    let hash = dedup_hash(scope, before.card.format, &edit.fact);
    let updated = sqlx::query(
        "UPDATE study_memo_cards SET cue = $3, fact = $4, cloze_text = $5, dedup_hash = $6, needs_review = FALSE, \
         flagged_by = NULL, flagged_at = NULL, updated_at = $7 WHERE id = $1 AND user_id = $2",
    )
    .bind(card_id)
    .bind(user.0)
    .bind(&edit.cue)
    .bind(&edit.fact)
    .bind(edit.cloze_text.as_deref())
    .bind(&hash)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match updated {
        Err(e) if is_dedup_violation(&e) => return Err(StoreError::DuplicateAnswer),
        other => other?,
    };
    publish_card(&mut tx, store.publish, user, card_id, now).await?;
    let undo = UndoData::Cards {
        cards: vec![before.state],
    };
    push_undo(&mut tx, user, UndoKind::Edit, &undo, now).await?;
    let mut card = load_card(&mut tx, user, card_id, false).await?.card;
    attach_evidence(&mut tx, std::slice::from_mut(&mut card)).await?;
    tx.commit().await?;
    Ok(card)
}

pub(super) async fn delete(
    store: &PgStore,
    user: UserId,
    card_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    let before = load_card(&mut tx, user, card_id, false).await?;
    sqlx::query("UPDATE study_memo_cards SET deleted_at = $3, updated_at = $3 WHERE id = $1 AND user_id = $2")
        .bind(card_id)
        .bind(user.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    publish_card(&mut tx, store.publish, user, card_id, now).await?;
    let undo = UndoData::Cards {
        cards: vec![before.state],
    };
    push_undo(&mut tx, user, UndoKind::Delete, &undo, now).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn flag(
    store: &PgStore,
    user: UserId,
    card_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    let before = load_card(&mut tx, user, card_id, false).await?;
    if before.state.needs_review {
        return Err(StoreError::Refused("the card is already in review".into()));
    }
    sqlx::query(
        "UPDATE study_memo_cards SET needs_review = TRUE, flagged_by = 'user', flagged_at = $3, updated_at = $3 \
         WHERE id = $1 AND user_id = $2",
    )
    .bind(card_id)
    .bind(user.0)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    publish_card(&mut tx, store.publish, user, card_id, now).await?;
    let undo = UndoData::Cards {
        cards: vec![before.state],
    };
    push_undo(&mut tx, user, UndoKind::Flag, &undo, now).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn create_manual(
    store: &PgStore,
    user: UserId,
    new: &NewManualCard,
    now: DateTime<Utc>,
) -> StoreResult<Card> {
    let material = clean_line(&new.material);
    if material.is_empty() {
        return Err(StoreError::Invalid("the material is empty".into()));
    }
    let edit = prepare_edit(
        new.format,
        &CardEdit {
            cue: new.cue.clone(),
            fact: new.fact.clone(),
            cloze_text: new.cloze_text.clone(),
        },
    )?;
    let hash = dedup_hash(DedupScope::Material(&material), new.format, &edit.fact);
    let mut tx = store.begin_write().await?;
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO study_memo_cards (user_id, source_kind, format, cue, fact, cloze_text, extra, needs_review, \
         dedup_hash, created_at, updated_at) \
         VALUES ($1, 'manual', $2, $3, $4, $5, jsonb_build_object('material', $6::TEXT), TRUE, $7, $8, $8) RETURNING id",
    )
    .bind(user.0)
    .bind(new.format.as_str())
    .bind(&edit.cue)
    .bind(&edit.fact)
    .bind(edit.cloze_text.as_deref())
    .bind(&material)
    .bind(&hash)
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Err(e) if is_dedup_violation(&e) => return Err(StoreError::DuplicateAnswer),
        other => other?,
    };
    let card = load_card(&mut tx, user, id, false).await?.card;
    let undo = UndoData::Added { card_id: id };
    push_undo(&mut tx, user, UndoKind::Add, &undo, now).await?;
    notify_change(&mut tx, user).await?;
    tx.commit().await?;
    Ok(card)
}
