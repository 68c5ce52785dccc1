//! SQLite: reading card and progress rows, and the writes every workflow shares (outbox,
//! undo journal).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{from_ms, from_opt_ms, to_ms};
use crate::store::snapshot::{CardRecord, CardState, OutboxEntry, ProgressState, UndoData};
use crate::store::{Card, Evidence, StoreError, StoreResult, UndoKind, UserId};

/// The card columns every card query selects, in `card_from_row`'s terms.
macro_rules! card_columns {
    () => {
        "c.id, c.source_kind, c.source_question_id, c.study_topic_id, c.format, c.cue, c.fact, \
         c.cloze_text, c.needs_review, c.flagged_by, c.flagged_at, json_extract(c.extra, '$.material') AS material, \
         c.view_count, c.last_viewed_at, c.dedup_hash, c.deleted_at, c.updated_at"
    };
}
pub(super) use card_columns;

pub(super) fn card_from_row(row: &SqliteRow) -> StoreResult<CardRecord> {
    let id: i64 = row.try_get("id")?;
    let source_kind: String = row.try_get("source_kind")?;
    let format: String = row.try_get("format")?;
    let needs_review: bool = row.try_get("needs_review")?;
    let flagged_by: Option<String> = row.try_get("flagged_by")?;
    let cue: String = row.try_get("cue")?;
    let fact: String = row.try_get("fact")?;
    let cloze_text: Option<String> = row.try_get("cloze_text")?;
    let card = Card {
        id,
        source_kind: source_kind.parse()?,
        source_question_id: row.try_get("source_question_id")?,
        topic_id: row.try_get("study_topic_id")?,
        format: format.parse()?,
        cue: cue.clone(),
        fact: fact.clone(),
        cloze_text: cloze_text.clone(),
        needs_review,
        flagged_by: flagged_by.clone(),
        material: row.try_get("material")?,
        view_count: row.try_get("view_count")?,
        last_viewed_at: from_opt_ms(row.try_get("last_viewed_at")?)?,
        updated_at: from_ms(row.try_get("updated_at")?)?,
        evidence: Vec::new(),
    };
    let state = CardState {
        id,
        needs_review,
        flagged_by,
        flagged_at: from_opt_ms(row.try_get("flagged_at")?)?,
        cue,
        fact,
        cloze_text,
        dedup_hash: row.try_get("dedup_hash")?,
        deleted_at: from_opt_ms(row.try_get("deleted_at")?)?,
        updated_at: from_ms(row.try_get("updated_at")?)?,
    };
    Ok(CardRecord { card, state })
}

/// One of the user's cards, live only unless `include_deleted`. Another user's card is
/// "not found", exactly like a missing one.
pub(super) async fn load_card(
    conn: &mut SqliteConnection,
    user: UserId,
    card_id: i64,
    include_deleted: bool,
) -> StoreResult<CardRecord> {
    let row = sqlx::query(concat!(
        "SELECT ",
        card_columns!(),
        " FROM study_memo_cards c WHERE c.id = $1 AND c.user_id = $2 AND ($3 OR c.deleted_at IS NULL)"
    ))
    .bind(card_id)
    .bind(user.0)
    .bind(include_deleted)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("card"))?;
    card_from_row(&row)
}

/// Evidence of the given cards, by card id.
pub(super) async fn load_evidence(
    conn: &mut SqliteConnection,
    card_ids: &[i64],
) -> StoreResult<HashMap<i64, Vec<Evidence>>> {
    let mut by_card: HashMap<i64, Vec<Evidence>> = HashMap::new();
    if card_ids.is_empty() {
        return Ok(by_card);
    }
    let ids = serde_json::to_string(card_ids)?;
    let mut rows = sqlx::query(
        "SELECT card_id, source_type, source_id, snippet FROM study_memo_card_evidence \
         WHERE card_id IN (SELECT value FROM json_each($1)) ORDER BY id",
    )
    .bind(ids)
    .fetch(&mut *conn);
    // Streamed: the rows of a long listing are never all held at once (peak memory).
    while let Some(row) = rows.try_next().await? {
        by_card
            .entry(row.try_get("card_id")?)
            .or_default()
            .push(Evidence {
                source_type: row.try_get("source_type")?,
                source_id: row.try_get("source_id")?,
                snippet: row.try_get("snippet")?,
            });
    }
    Ok(by_card)
}

/// Fills in the evidence of `cards`.
pub(super) async fn attach_evidence(
    conn: &mut SqliteConnection,
    cards: &mut [Card],
) -> StoreResult<()> {
    let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
    let mut evidence = load_evidence(conn, &ids).await?;
    for card in cards {
        card.evidence = evidence.remove(&card.id).unwrap_or_default();
    }
    Ok(())
}

pub(super) fn progress_from_row(row: &SqliteRow) -> StoreResult<ProgressState> {
    Ok(ProgressState {
        id: row.try_get("id")?,
        card_id: row.try_get("card_id")?,
        last_outcome: row.try_get("last_outcome")?,
        last_reviewed_at: from_opt_ms(row.try_get("last_reviewed_at")?)?,
        due_at: from_opt_ms(row.try_get("due_at")?)?,
        review_stage: row.try_get("review_stage")?,
        updated_at: from_ms(row.try_get("updated_at")?)?,
    })
}

pub(super) async fn load_progress(
    conn: &mut SqliteConnection,
    user: UserId,
    card_id: i64,
) -> StoreResult<Option<ProgressState>> {
    let row = sqlx::query(
        "SELECT id, card_id, last_outcome, last_reviewed_at, due_at, review_stage, updated_at \
         FROM study_memo_card_progress WHERE user_id = $1 AND card_id = $2",
    )
    .bind(user.0)
    .bind(card_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(progress_from_row).transpose()
}

/// Writes the card's current state to the outbox when publishing is on.
pub(super) async fn publish_card(
    conn: &mut SqliteConnection,
    publish: bool,
    user: UserId,
    card_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !publish {
        return Ok(());
    }
    let record = load_card(conn, user, card_id, true).await?;
    write_outbox(
        conn,
        user,
        &crate::store::snapshot::card_outbox(&record),
        now,
    )
    .await
}

pub(super) async fn write_outbox(
    conn: &mut SqliteConnection,
    user: UserId,
    entry: &OutboxEntry,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO publish_outbox (user_id, kind, source_id, payload, payload_hash, deleted, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(user.0)
    .bind(entry.kind)
    .bind(entry.source_id)
    .bind(entry.payload.to_string())
    .bind(&entry.payload_hash)
    .bind(entry.deleted)
    .bind(to_ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many undo entries a user keeps (older ones are pruned as new ones arrive).
const UNDO_DEPTH: i64 = 50;

pub(super) async fn push_undo(
    conn: &mut SqliteConnection,
    user: UserId,
    kind: UndoKind,
    data: &UndoData,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO undo_log (user_id, action, data, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user.0)
    .bind(kind.as_str())
    .bind(serde_json::to_string(data)?)
    .bind(to_ms(now))
    .fetch_one(&mut *conn)
    .await?;
    if id % UNDO_DEPTH == 0 {
        // Pruned now and then, not on every write: the journal keeps 200 to 250 rows.
        sqlx::query("DELETE FROM undo_log WHERE user_id = $1 AND id <= $2")
            .bind(user.0)
            .bind(id - UNDO_DEPTH * 4)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
