//! The review queue and the actions on in-review and approved cards: approve one or all of a
//! question, edit, delete, send back (flag), add a manual card.

use crate::store::{CardId, QuestionId};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::rows::{CardRow, attach_evidence, card_columns, load_card, publish_card, push_undo};
use crate::domain::card::correct_answer;
use crate::domain::normalize::{DedupScope, dedup_hash};
use crate::domain::search::search_text;
use crate::domain::text::clean_line;
use crate::store::snapshot::{CardState, UndoData, check_shown, group_review_queue};
use crate::store::sql::{Connected, Db, Stamp, Tx, query_for_update};
use crate::store::{
    Card, CardEdit, NewManualCard, ReviewGroup, ReviewStamp, StoreError, StoreResult, UndoKind,
    UserId, is_dedup_violation,
};

/// A question as the review and due panes show it beside its cards; read from an array of
/// its values in this order.
#[derive(serde::Deserialize)]
pub(super) struct QuestionRow {
    pub(super) id: QuestionId,
    pub(super) question_text: String,
    choices: Vec<String>,
    correct_choice: i16,
}

impl QuestionRow {
    pub(super) fn correct_answer(&self) -> Option<String> {
        correct_answer(&self.choices, self.correct_choice)
    }
}

/// A question's values in a JSON document, in [`QuestionRow`]'s field order, per dialect.
macro_rules! question_values {
    (sqlite) => {
        "q.id, q.question_text, json(q.choices), q.correct_choice"
    };
    (postgres) => {
        "q.id, q.question_text, q.choices, q.correct_choice"
    };
}
pub(super) use question_values;

/// The user's (`$2`) questions in id list `$3` as one JSON document of
/// [`question_values!`] arrays, per dialect (an expression).
macro_rules! questions_document {
    (sqlite) => {
        concat!(
            "(SELECT json_group_array(json_array(",
            question_values!(sqlite),
            ")) FROM study_questions q \
             WHERE q.user_id = $2 AND q.id IN (SELECT value FROM json_each($3)))"
        )
    };
    (postgres) => {
        concat!(
            "CAST(COALESCE((SELECT json_agg(json_build_array(",
            question_values!(postgres),
            ")) FROM study_questions q WHERE q.user_id = $2 AND q.id = ANY($3)), '[]') AS TEXT)"
        )
    };
}
pub(super) use questions_document;

pub(super) async fn queue(db: &Db, user: UserId) -> StoreResult<Vec<ReviewGroup>> {
    let mut conn = db.read().await?;
    let (cards, questions) = super::listing::review_cards(&mut conn, user).await?;
    let questions: HashMap<QuestionId, (String, Option<String>)> = questions
        .into_iter()
        .map(|q| {
            let answer = q.correct_answer();
            (q.id, (q.question_text, answer))
        })
        .collect();
    Ok(group_review_queue(cards, &questions))
}

pub(super) async fn stamp(db: &Db, user: UserId) -> StoreResult<ReviewStamp> {
    let mut conn = db.read().await?;
    let (cards, id_sum, last_change): (i64, i64, Option<Stamp>) = conn
        .query(
            "SELECT COUNT(*), CAST(COALESCE(SUM(id), 0) AS BIGINT), MAX(updated_at) \
             FROM study_memo_cards WHERE user_id = $1 AND deleted_at IS NULL AND needs_review",
        )
        .bind(user.0)
        .fetch_one(&mut conn)
        .await?;
    Ok(ReviewStamp {
        cards,
        id_sum,
        last_change: last_change.map(Into::into),
    })
}

pub(super) async fn get(db: &Db, user: UserId, card_id: CardId) -> StoreResult<Card> {
    let mut conn = db.read().await?;
    let mut card = load_card(&mut conn, user, card_id, false).await?.card;
    attach_evidence(&mut conn, std::slice::from_mut(&mut card)).await?;
    Ok(card)
}

/// Journals the cards' prior states and commits.
async fn journal_and_commit(
    mut tx: Tx,
    user: UserId,
    kind: UndoKind,
    before: Vec<CardState>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    push_undo(&mut tx, user, kind, &UndoData::Cards { cards: before }, now).await?;
    tx.commit().await
}

/// One live card changed by one statement of (`$1` card, `$2` user, `$3` now): loaded and
/// locked, checked, changed, published, journalled for undo, in one transaction.
async fn change_one(
    db: &Db,
    user: UserId,
    card_id: CardId,
    kind: UndoKind,
    check: impl FnOnce(&CardState) -> StoreResult<()>,
    change: &'static str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = db.write().await?;
    let before = load_card(&mut tx, user, card_id, false).await?;
    if let Err(e) = check(&before.state) {
        return tx.abandon(e).await;
    }
    tx.query(change)
        .bind(card_id)
        .bind(user.0)
        .bind(now)
        .execute(&mut tx)
        .await?;
    publish_card(&mut tx, db.publish, user, card_id, now).await?;
    journal_and_commit(tx, user, kind, vec![before.state], now).await
}

pub(super) async fn approve(
    db: &Db,
    user: UserId,
    card_id: CardId,
    shown: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let check = |card: &CardState| {
        check_shown(card, shown)?;
        if !card.needs_review {
            return Err(StoreError::Refused("the card is already approved".into()));
        }
        Ok(())
    };
    change_one(
        db,
        user,
        card_id,
        UndoKind::Approve,
        check,
        "UPDATE study_memo_cards SET needs_review = FALSE, flagged_by = NULL, flagged_at = NULL, updated_at = $3 \
         WHERE id = $1 AND user_id = $2",
        now,
    )
    .await
}

pub(super) async fn approve_question(
    db: &Db,
    user: UserId,
    question_id: QuestionId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<CardId>> {
    let mut tx = db.write().await?;
    let exists: Option<i64> = tx
        .query("SELECT id FROM study_questions WHERE id = $1 AND user_id = $2")
        .bind(question_id)
        .bind(user.0)
        .scalar_optional(&mut tx)
        .await?;
    if exists.is_none() {
        return tx.abandon(StoreError::NotFound("question")).await;
    }
    let rows: Vec<CardRow> = query_for_update!(
        tx,
        "SELECT ",
        card_columns!(),
        " FROM study_memo_cards c WHERE c.user_id = $1 AND c.source_question_id = $2 \
         AND c.deleted_at IS NULL AND c.needs_review ORDER BY c.id"
    )
    .bind(user.0)
    .bind(question_id)
    .fetch_all(&mut tx)
    .await?;
    let before = rows
        .into_iter()
        .map(CardRow::record)
        .collect::<StoreResult<Vec<_>>>()?;
    if before.is_empty() {
        tx.rollback().await?;
        return Ok(Vec::new());
    }
    tx.query(
        "UPDATE study_memo_cards SET needs_review = FALSE, flagged_by = NULL, flagged_at = NULL, updated_at = $3 \
         WHERE user_id = $1 AND source_question_id = $2 AND deleted_at IS NULL AND needs_review",
    )
    .bind(user.0)
    .bind(question_id)
    .bind(now)
    .execute(&mut tx)
    .await?;
    let ids: Vec<CardId> = before.iter().map(|r| r.card.id).collect();
    for id in &ids {
        publish_card(&mut tx, db.publish, user, *id, now).await?;
    }
    let states = before.into_iter().map(|r| r.state).collect();
    journal_and_commit(tx, user, UndoKind::ApproveQuestion, states, now).await?;
    Ok(ids)
}

pub(super) async fn edit(
    db: &Db,
    user: UserId,
    card_id: CardId,
    shown: Option<DateTime<Utc>>,
    edit: &CardEdit,
    now: DateTime<Utc>,
) -> StoreResult<Card> {
    let mut tx = db.write().await?;
    let before = load_card(&mut tx, user, card_id, false).await?;
    if let Err(e) = check_shown(&before.state, shown) {
        return tx.abandon(e).await;
    }
    let edit = edit.prepared(before.card.format)?;
    let scope = DedupScope::of(
        before.card.source_question_id.map(|q| q.0),
        before.card.material.as_deref(),
    );
    let hash = dedup_hash(scope, before.card.format, &edit.fact);
    let updated = tx
        .query(
            "UPDATE study_memo_cards SET cue = $3, fact = $4, cloze_text = $5, dedup_hash = $6, needs_review = FALSE, \
             flagged_by = NULL, flagged_at = NULL, updated_at = $7, search_text = $8 WHERE id = $1 AND user_id = $2",
        )
        .bind(card_id)
        .bind(user.0)
        .bind(edit.cue.as_str())
        .bind(edit.fact.as_str())
        .bind(edit.cloze_text.as_deref())
        .bind(hash.as_str())
        .bind(now)
        .bind(search_text(&edit.cue, &edit.fact, edit.cloze_text.as_deref()))
        .execute(&mut tx)
        .await;
    match updated {
        Err(StoreError::Database(e)) if is_dedup_violation(&e) => {
            return tx.abandon(StoreError::DuplicateAnswer).await;
        }
        other => other?,
    };
    publish_card(&mut tx, db.publish, user, card_id, now).await?;
    push_undo(
        &mut tx,
        user,
        UndoKind::Edit,
        &UndoData::Cards {
            cards: vec![before.state],
        },
        now,
    )
    .await?;
    let mut card = load_card(&mut tx, user, card_id, false).await?.card;
    attach_evidence(&mut tx, std::slice::from_mut(&mut card)).await?;
    tx.commit().await?;
    Ok(card)
}

pub(super) async fn delete(
    db: &Db,
    user: UserId,
    card_id: CardId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    change_one(
        db,
        user,
        card_id,
        UndoKind::Delete,
        |_| Ok(()),
        "UPDATE study_memo_cards SET deleted_at = $3, updated_at = $3 WHERE id = $1 AND user_id = $2",
        now,
    )
    .await
}

pub(super) async fn flag(
    db: &Db,
    user: UserId,
    card_id: CardId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let check = |card: &CardState| {
        if card.needs_review {
            return Err(StoreError::Refused("the card is already in review".into()));
        }
        Ok(())
    };
    change_one(
        db,
        user,
        card_id,
        UndoKind::Flag,
        check,
        "UPDATE study_memo_cards SET needs_review = TRUE, flagged_by = 'user', flagged_at = $3, updated_at = $3 \
         WHERE id = $1 AND user_id = $2",
        now,
    )
    .await
}

pub(super) async fn create_manual(
    db: &Db,
    user: UserId,
    new: &NewManualCard,
    now: DateTime<Utc>,
) -> StoreResult<Card> {
    let material = clean_line(&new.material);
    if material.is_empty() {
        return Err(StoreError::Invalid("the material is empty".into()));
    }
    let edit = CardEdit {
        cue: new.cue.clone(),
        fact: new.fact.clone(),
        cloze_text: new.cloze_text.clone(),
    }
    .prepared(new.format)?;
    let hash = dedup_hash(DedupScope::Material(&material), new.format, &edit.fact);
    let extra = serde_json::json!({ "material": material });
    let mut tx = db.write().await?;
    let inserted = tx
        .query(
            "INSERT INTO study_memo_cards (user_id, source_kind, format, cue, fact, cloze_text, extra, needs_review, \
             dedup_hash, created_at, updated_at, search_text) \
             VALUES ($1, 'manual', $2, $3, $4, $5, $6, TRUE, $7, $8, $8, $9) RETURNING id",
        )
        .bind(user.0)
        .bind(new.format.as_str())
        .bind(edit.cue.as_str())
        .bind(edit.fact.as_str())
        .bind(edit.cloze_text.as_deref())
        .bind(Json(&extra))
        .bind(hash.as_str())
        .bind(now)
        .bind(search_text(&edit.cue, &edit.fact, edit.cloze_text.as_deref()))
        .scalar::<CardId>(&mut tx)
        .await;
    let id = match inserted {
        Err(StoreError::Database(e)) if is_dedup_violation(&e) => {
            return tx.abandon(StoreError::DuplicateAnswer).await;
        }
        other => other?,
    };
    let card = load_card(&mut tx, user, id, false).await?.card;
    push_undo(
        &mut tx,
        user,
        UndoKind::Add,
        &UndoData::Added { card_id: id },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(card)
}
