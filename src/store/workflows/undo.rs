//! Undo of the user's most recent action from the journal, in one transaction.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::rows::{load_card, load_progress, publish_card, write_outbox};
use crate::domain::search::search_text;
use crate::store::snapshot::{
    CardState, KIND_CARD_PROGRESS, ProgressState, UndoData, progress_outbox, tombstone,
};
use crate::store::sql::{Connected, Db, Tx, query_for_update};
use crate::store::{StoreError, StoreResult, UndoKind, Undone, UserId, is_dedup_violation};

#[derive(sqlx::FromRow)]
struct JournalRow {
    id: i64,
    action: String,
    data: Json<UndoData>,
}

pub(super) async fn undo_last(
    db: &Db,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<Option<Undone>> {
    let mut tx = db.write().await?;
    let Some(entry) = query_for_update!(
        tx,
        "SELECT id, action, data FROM undo_log WHERE user_id = $1 AND undone_at IS NULL \
         ORDER BY id DESC LIMIT 1"
    )
    .bind(user.0)
    .fetch_optional::<JournalRow>(&mut tx)
    .await?
    else {
        tx.rollback().await?;
        return Ok(None);
    };
    let kind: UndoKind = serde_json::from_value(serde_json::Value::String(entry.action))?;
    let card_ids = match entry.data.0 {
        UndoData::Cards { cards } => {
            for state in &cards {
                restore_card(&mut tx, user, state).await?;
                publish_card(&mut tx, db.publish, user, state.id, now).await?;
            }
            cards.iter().map(|c| c.id).collect()
        }
        UndoData::Added { card_id } => {
            let deleted = tx
                .query(
                    "UPDATE study_memo_cards SET deleted_at = $3, updated_at = $3 \
                     WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
                )
                .bind(card_id)
                .bind(user.0)
                .bind(now)
                .execute(&mut tx)
                .await?;
            if deleted > 0 {
                publish_card(&mut tx, db.publish, user, card_id, now).await?;
            }
            vec![card_id]
        }
        UndoData::Rate {
            card_id,
            progress_id,
            before,
            review_id,
        } => {
            restore_progress(&mut tx, user, progress_id, before.as_ref()).await?;
            tx.query("DELETE FROM study_card_reviews WHERE id = $1 AND user_id = $2")
                .bind(review_id)
                .bind(user.0)
                .execute(&mut tx)
                .await?;
            if db.publish {
                let topic_id = load_card(&mut tx, user, card_id, true).await?.card.topic_id;
                let entry = match &before {
                    Some(p) => progress_outbox(p, topic_id),
                    None => tombstone(KIND_CARD_PROGRESS, progress_id),
                };
                write_outbox(&mut tx, user, &entry, now).await?;
            }
            vec![card_id]
        }
        UndoData::Forget {
            progress,
            created_at,
        } => {
            let card_id = progress.card_id;
            restore_forgotten(&mut tx, user, &progress, created_at).await?;
            if db.publish {
                let topic_id = load_card(&mut tx, user, card_id, true).await?.card.topic_id;
                write_outbox(&mut tx, user, &progress_outbox(&progress, topic_id), now).await?;
            }
            vec![card_id]
        }
    };
    tx.query("UPDATE undo_log SET undone_at = $2 WHERE id = $1")
        .bind(entry.id)
        .bind(now)
        .execute(&mut tx)
        .await?;
    tx.notify_change(user).await?;
    tx.commit().await?;
    Ok(Some(Undone { kind, card_ids }))
}

async fn restore_card(tx: &mut Tx, user: UserId, s: &CardState) -> StoreResult<()> {
    let restored = tx
        .query(
            "UPDATE study_memo_cards SET needs_review = $3, flagged_by = $4, flagged_at = $5, cue = $6, fact = $7, \
              cloze_text = $8, dedup_hash = $9, deleted_at = $10, updated_at = $11, search_text = $12 \
             WHERE id = $1 AND user_id = $2",
        )
        .bind(s.id)
        .bind(user.0)
        .bind(s.needs_review)
        .bind(s.flagged_by.as_deref())
        .bind(s.flagged_at)
        .bind(s.cue.as_str())
        .bind(s.fact.as_str())
        .bind(s.cloze_text.as_deref())
        .bind(s.dedup_hash.as_str())
        .bind(s.deleted_at)
        .bind(s.updated_at)
        .bind(search_text(&s.cue, &s.fact, s.cloze_text.as_deref()))
        .execute(tx)
        .await;
    match restored {
        Err(StoreError::Database(e)) if is_dedup_violation(&e) => Err(StoreError::Refused(
            "cannot undo: a card with the same answer exists now".into(),
        )),
        Err(e) => Err(e),
        Ok(0) => Err(StoreError::NotFound("card")),
        Ok(_) => Ok(()),
    }
}

async fn restore_progress(
    tx: &mut Tx,
    user: UserId,
    progress_id: i64,
    before: Option<&ProgressState>,
) -> StoreResult<()> {
    match before {
        None => {
            tx.query("DELETE FROM study_memo_card_progress WHERE id = $1 AND user_id = $2")
                .bind(progress_id)
                .bind(user.0)
                .execute(tx)
                .await?;
        }
        Some(p) => {
            tx.query(
                "UPDATE study_memo_card_progress SET last_outcome = $3, last_reviewed_at = $4, due_at = $5, \
                 review_stage = $6, updated_at = $7 WHERE id = $1 AND user_id = $2",
            )
            .bind(progress_id)
            .bind(user.0)
            .bind(p.last_outcome.as_deref())
            .bind(p.last_reviewed_at)
            .bind(p.due_at)
            .bind(p.review_stage)
            .bind(p.updated_at)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

/// Puts back the progress row a forget deleted, with its id. Refused when the card has a
/// progress row again (it was rated since, and that rating is no longer undoable).
async fn restore_forgotten(
    tx: &mut Tx,
    user: UserId,
    p: &ProgressState,
    created_at: DateTime<Utc>,
) -> StoreResult<()> {
    if load_progress(tx, user, p.card_id).await?.is_some() {
        return Err(StoreError::Refused(
            "cannot undo the forget: the card was rated since".into(),
        ));
    }
    tx.query(
        "INSERT INTO study_memo_card_progress (id, user_id, card_id, last_outcome, last_reviewed_at, due_at, \
         review_stage, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(p.id)
    .bind(user.0)
    .bind(p.card_id)
    .bind(p.last_outcome.as_deref())
    .bind(p.last_reviewed_at)
    .bind(p.due_at)
    .bind(p.review_stage)
    .bind(created_at)
    .bind(p.updated_at)
    .execute(tx)
    .await?;
    Ok(())
}
