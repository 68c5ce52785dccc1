//! Card and progress rows as both databases return them, and the writes every workflow
//! shares: the outbox row and the undo journal.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::listing::{ListedEvidence, listed_evidence_values};
use crate::store::snapshot::{CardRecord, CardState, OutboxEntry, ProgressState, UndoData};
use crate::store::sql::{
    CHANGES_CHANNEL, Connected, Dialect, IdList, Stamp, Tx, change_payload, query_for_update,
};
use crate::store::{
    Card, CardId, Evidence, QuestionId, StoreError, StoreResult, TopicId, UndoKind, UserId,
};

/// The card columns every card query selects, in [`CardRow`]'s terms.
macro_rules! card_columns {
    () => {
        "c.id, c.source_kind, c.source_question_id, c.study_topic_id, c.format, c.cue, c.fact, \
         c.cloze_text, c.needs_review, c.flagged_by, c.flagged_at, c.extra ->> 'material' AS material, \
         c.view_count, c.last_viewed_at, c.dedup_hash, c.deleted_at, c.updated_at"
    };
}
pub(crate) use card_columns;

/// One row of [`card_columns!`].
#[derive(sqlx::FromRow)]
pub(crate) struct CardRow {
    id: CardId,
    source_kind: String,
    source_question_id: Option<QuestionId>,
    study_topic_id: Option<TopicId>,
    format: String,
    cue: String,
    fact: String,
    cloze_text: Option<String>,
    needs_review: bool,
    flagged_by: Option<String>,
    flagged_at: Option<Stamp>,
    material: Option<String>,
    view_count: i32,
    last_viewed_at: Option<Stamp>,
    dedup_hash: String,
    deleted_at: Option<Stamp>,
    updated_at: Stamp,
}

impl CardRow {
    pub(crate) fn record(self) -> StoreResult<CardRecord> {
        let card = Card {
            id: self.id,
            source_kind: self.source_kind.parse()?,
            source_question_id: self.source_question_id,
            topic_id: self.study_topic_id,
            format: self.format.parse()?,
            cue: self.cue.clone(),
            fact: self.fact.clone(),
            cloze_text: self.cloze_text.clone(),
            needs_review: self.needs_review,
            flagged_by: self.flagged_by.clone(),
            material: self.material,
            view_count: self.view_count,
            last_viewed_at: self.last_viewed_at.map(Into::into),
            updated_at: self.updated_at.into(),
            evidence: Vec::new(),
        };
        let state = CardState {
            id: self.id,
            needs_review: self.needs_review,
            flagged_by: self.flagged_by,
            flagged_at: self.flagged_at.map(Into::into),
            cue: self.cue,
            fact: self.fact,
            cloze_text: self.cloze_text,
            dedup_hash: self.dedup_hash,
            deleted_at: self.deleted_at.map(Into::into),
            updated_at: self.updated_at.into(),
        };
        Ok(CardRecord { card, state })
    }

    pub(crate) fn card(self) -> StoreResult<Card> {
        Ok(self.record()?.card)
    }
}

/// Cards of rows, without their evidence.
pub(crate) fn cards(rows: Vec<CardRow>) -> StoreResult<Vec<Card>> {
    rows.into_iter().map(CardRow::card).collect()
}

/// One of the user's cards, live only unless `include_deleted`; in a PostgreSQL write
/// transaction it is locked for the rest of it. Another user's card is "not found", exactly
/// like a missing one.
pub(crate) async fn load_card(
    on: &mut impl Connected,
    user: UserId,
    card_id: CardId,
    include_deleted: bool,
) -> StoreResult<CardRecord> {
    query_for_update!(
        on,
        "SELECT ",
        card_columns!(),
        " FROM study_memo_cards c WHERE c.id = $1 AND c.user_id = $2 AND ($3 OR c.deleted_at IS NULL)"
    )
    .bind(card_id)
    .bind(user.0)
    .bind(include_deleted)
    .fetch_optional::<CardRow>(on)
    .await?
    .ok_or(StoreError::NotFound("card"))?
    .record()
}

/// The evidence of the cards in id list `$1` as one JSON document of
/// [`listed_evidence_values!`] arrays, per dialect (an expression).
macro_rules! evidence_document {
    (sqlite) => {
        concat!(
            "(SELECT json_group_array(json_array(",
            listed_evidence_values!(),
            ")) FROM study_memo_card_evidence e \
             WHERE e.card_id IN (SELECT value FROM json_each($1)))"
        )
    };
    (postgres) => {
        concat!(
            "CAST(COALESCE((SELECT json_agg(json_build_array(",
            listed_evidence_values!(),
            ")) FROM study_memo_card_evidence e WHERE e.card_id = ANY($1)), '[]') AS TEXT)"
        )
    };
}
pub(super) use evidence_document;

/// Fills in the evidence of `cards`, in insertion order. One JSON document, not a row per
/// snippet: on SQLite each row is handed over from the driver's worker thread on its own.
pub(crate) async fn attach_evidence(
    on: &mut impl Connected,
    cards: &mut [Card],
) -> StoreResult<()> {
    if cards.is_empty() {
        return Ok(());
    }
    let ids: IdList = cards.iter().map(|c| c.id).collect();
    let document: String = on
        .query_pick(
            concat!("SELECT ", evidence_document!(sqlite)),
            concat!("SELECT ", evidence_document!(postgres)),
        )
        .bind(ids)
        .scalar(on)
        .await?;
    attach_snippets(cards, &document)
}

/// Gives each card its snippets of an [`evidence_document!`], in the order they were added.
pub(super) fn attach_snippets(cards: &mut [Card], document: &str) -> StoreResult<()> {
    let mut snippets: Vec<ListedEvidence> = serde_json::from_str(document)
        .map_err(|e| StoreError::Corrupt(format!("the cards' evidence did not read: {e}")))?;
    snippets.sort_unstable_by_key(|e| e.id);
    let mut by_card: HashMap<CardId, Vec<Evidence>> = HashMap::new();
    for snippet in snippets {
        by_card
            .entry(snippet.card_id)
            .or_default()
            .push(snippet.evidence());
    }
    for card in cards {
        card.evidence = by_card.remove(&card.id).unwrap_or_default();
    }
    Ok(())
}

/// The progress columns [`ProgressRow`] reads.
macro_rules! progress_columns {
    () => {
        "p.id, p.card_id, p.last_outcome, p.last_reviewed_at, p.due_at, p.review_stage, p.updated_at"
    };
}
pub(crate) use progress_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct ProgressRow {
    id: i64,
    card_id: CardId,
    last_outcome: Option<String>,
    last_reviewed_at: Option<Stamp>,
    due_at: Option<Stamp>,
    review_stage: Option<i16>,
    updated_at: Stamp,
}

impl From<ProgressRow> for ProgressState {
    fn from(row: ProgressRow) -> Self {
        ProgressState {
            id: row.id,
            card_id: row.card_id,
            last_outcome: row.last_outcome,
            last_reviewed_at: row.last_reviewed_at.map(Into::into),
            due_at: row.due_at.map(Into::into),
            review_stage: row.review_stage,
            updated_at: row.updated_at.into(),
        }
    }
}

pub(crate) async fn load_progress(
    on: &mut impl Connected,
    user: UserId,
    card_id: CardId,
) -> StoreResult<Option<ProgressState>> {
    Ok(on
        .query(concat!(
            "SELECT ",
            progress_columns!(),
            " FROM study_memo_card_progress p WHERE p.user_id = $1 AND p.card_id = $2"
        ))
        .bind(user.0)
        .bind(card_id)
        .fetch_optional::<ProgressRow>(on)
        .await?
        .map(Into::into))
}

/// Writes the card's current state to the outbox when publishing is on.
pub(crate) async fn publish_card(
    tx: &mut Tx,
    publish: bool,
    user: UserId,
    card_id: CardId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !publish {
        return Ok(());
    }
    let record = load_card(tx, user, card_id, true).await?;
    write_outbox(tx, user, &crate::store::snapshot::card_outbox(&record), now).await
}

pub(crate) async fn write_outbox(
    tx: &mut Tx,
    user: UserId,
    entry: &OutboxEntry,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tx.query(
        "INSERT INTO publish_outbox (user_id, kind, source_id, payload, payload_hash, deleted, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(user.0)
    .bind(entry.kind)
    .bind(entry.source_id)
    .bind(Json(&entry.payload))
    .bind(entry.payload_hash.as_str())
    .bind(entry.deleted)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// A user's undo journal is pruned each time an entry's id is a multiple of this.
pub(super) const UNDO_DEPTH: i64 = 50;
/// How many of the newest entries a prune keeps.
pub(super) const UNDO_KEPT: i64 = UNDO_DEPTH * 4;

/// Journals an action for undo and, on PostgreSQL, tells other processes at commit that the
/// user's cards changed (one round trip for both).
pub(crate) async fn push_undo(
    tx: &mut Tx,
    user: UserId,
    kind: UndoKind,
    data: &UndoData,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut insert = tx
        .query_pick(
            "INSERT INTO undo_log (user_id, action, data, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
            "WITH entry AS (INSERT INTO undo_log (user_id, action, data, created_at) \
               VALUES ($1, $2, $3, $4) RETURNING id) \
             SELECT id, pg_notify($5, $6) FROM entry",
        )
        .bind(user.0)
        .bind(kind.as_str())
        .bind(Json(data))
        .bind(now);
    if tx.dialect() == Dialect::Postgres {
        insert = insert.bind(CHANGES_CHANNEL).bind(change_payload(user));
    }
    let id: i64 = insert.scalar(tx).await?;
    if let Some(bound) = undo_prune_bound(id) {
        tx.query("DELETE FROM undo_log WHERE user_id = $1 AND id <= $2")
            .bind(user.0)
            .bind(bound)
            .execute(tx)
            .await?;
    }
    Ok(())
}

/// The ids at or below which a user's undo entries go once entry `id` is written. Pruned now
/// and then, not on every write: the journal keeps 200 to 250 rows.
fn undo_prune_bound(id: i64) -> Option<i64> {
    (id % UNDO_DEPTH == 0).then(|| id - UNDO_KEPT)
}
