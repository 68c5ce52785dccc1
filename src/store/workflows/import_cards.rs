//! Manual cards brought in from another program (Anki), written in one transaction with
//! their evidence and their place on the ladder.

use crate::domain::search::search_text;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::domain::card::CardEdit;
use crate::domain::normalize::{DedupScope, dedup_hash};
use crate::domain::text::{clean_block, clean_line};
use crate::store::archive::{CardImportReport, ImportedCard};
use crate::store::sql::{Connected, Db};
use crate::store::{StoreError, StoreResult, UserId};

pub(super) async fn import_cards(
    db: &Db,
    user: UserId,
    cards: &[ImportedCard],
    approve: bool,
    now: DateTime<Utc>,
) -> StoreResult<CardImportReport> {
    // Every card is checked and cleaned before anything is written.
    let mut prepared = Vec::with_capacity(cards.len());
    for (i, card) in cards.iter().enumerate() {
        let edit = CardEdit {
            cue: card.cue.clone(),
            fact: card.fact.clone(),
            cloze_text: card.cloze_text.clone(),
        }
        .prepared(card.format)
        .map_err(|e| StoreError::Invalid(format!("card {}: {e}", i + 1)))?;
        let material = clean_line(&card.material);
        if material.is_empty() {
            return Err(StoreError::Invalid(format!("card {}: no material", i + 1)));
        }
        let hash = dedup_hash(DedupScope::Material(&material), card.format, &edit.fact);
        prepared.push((card, edit, material, hash));
    }
    let mut report = CardImportReport::default();
    let mut tx = db.write().await?;
    for (card, edit, material, hash) in prepared {
        let id: Option<i64> = tx
            .query(
                "INSERT INTO study_memo_cards (user_id, source_kind, format, cue, fact, cloze_text, \
                   extra, needs_review, dedup_hash, created_at, updated_at, search_text) \
                 VALUES ($1, 'manual', $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) \
                 ON CONFLICT (user_id, dedup_hash) WHERE deleted_at IS NULL DO NOTHING RETURNING id",
            )
            .bind(user.0)
            .bind(card.format.as_str())
            .bind(edit.cue.as_str())
            .bind(edit.fact.as_str())
            .bind(edit.cloze_text.as_deref())
            .bind(Json(serde_json::json!({ "material": material })))
            .bind(!approve)
            .bind(hash.as_str())
            .bind(now)
            .bind(search_text(&edit.cue, &edit.fact, edit.cloze_text.as_deref()))
            .scalar_optional(&mut tx)
            .await?;
        let Some(id) = id else {
            report.duplicates += 1;
            continue;
        };
        report.added += 1;
        if let Some(snippet) = card.evidence.as_deref().map(clean_block) {
            tx.query(
                "INSERT INTO study_memo_card_evidence (card_id, source_type, snippet, created_at) \
                 VALUES ($1, 'import', $2, $3)",
            )
            .bind(id)
            .bind(snippet)
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        if let Some(ladder) = card.ladder {
            tx.query(
                "INSERT INTO study_memo_card_progress (user_id, card_id, last_outcome, \
                   last_reviewed_at, due_at, review_stage, created_at, updated_at) \
                 VALUES ($1, $2, 'correct', $3, $4, $5, $6, $6)",
            )
            .bind(user.0)
            .bind(id)
            .bind(ladder.reviewed_at)
            .bind(ladder.due_at)
            .bind(ladder.stage)
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
    }
    tx.notify_change(user).await?;
    tx.commit().await?;
    Ok(report)
}
