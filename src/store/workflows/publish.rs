//! Outbox draining into the read model and the feed, feed reads and backfill. One publisher
//! applies at a time (SQLite's write lock; an advisory lock on PostgreSQL), so sequence
//! numbers are handed out in commit order.

use crate::store::TopicId;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::rows::{CardRow, ProgressRow, card_columns, progress_columns, write_outbox};
use crate::store::snapshot::{card_outbox, progress_outbox};
use crate::store::sql::{Connected, Db, Dialect, IdList};
use crate::store::{FeedEntry, PublishReport, StoreResult, UserId};

/// The advisory lock key of the PostgreSQL publisher ("amgipub" in ASCII).
const PUBLISHER_LOCK: i64 = 0x0061_6d67_6970_7562;

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    user_id: i64,
    kind: String,
    source_id: i64,
    payload: Json<serde_json::Value>,
    payload_hash: String,
    deleted: bool,
}

pub(super) async fn publish_pending(
    db: &Db,
    limit: u32,
    now: DateTime<Utc>,
) -> StoreResult<PublishReport> {
    let mut tx = db.write().await?;
    if tx.dialect() == Dialect::Postgres {
        tx.query("SELECT pg_advisory_xact_lock($1)")
            .bind(PUBLISHER_LOCK)
            .execute(&mut tx)
            .await?;
    }
    let rows: Vec<OutboxRow> = tx
        .query(
            "SELECT id, user_id, kind, source_id, payload, payload_hash, deleted FROM publish_outbox \
             WHERE processed_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut tx)
        .await?;
    let mut report = PublishReport::default();
    if rows.is_empty() {
        tx.rollback().await?;
        return Ok(report);
    }
    let mut seq: i64 = tx
        .query("SELECT last_seq FROM publish_state WHERE id = 1")
        .scalar(&mut tx)
        .await?;
    for row in &rows {
        let current: Option<(String, bool)> = tx
            .query(
                "SELECT payload_hash, deleted FROM published_items WHERE kind = $1 AND source_id = $2",
            )
            .bind(row.kind.as_str())
            .bind(row.source_id)
            .fetch_optional(&mut tx)
            .await?;
        if current.is_some_and(|(hash, deleted)| hash == row.payload_hash && deleted == row.deleted)
        {
            report.skipped += 1;
            continue;
        }
        seq += 1;
        tx.query(
            "INSERT INTO published_items (kind, source_id, user_id, payload, payload_hash, deleted, seq, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (kind, source_id) DO UPDATE SET \
             payload = excluded.payload, payload_hash = excluded.payload_hash, deleted = excluded.deleted, \
             seq = excluded.seq, updated_at = excluded.updated_at",
        )
        .bind(row.kind.as_str())
        .bind(row.source_id)
        .bind(row.user_id)
        .bind(Json(&row.payload.0))
        .bind(row.payload_hash.as_str())
        .bind(row.deleted)
        .bind(seq)
        .bind(now)
        .execute(&mut tx)
        .await?;
        tx.query(
            "INSERT INTO publish_feed (seq, user_id, kind, source_id, payload, deleted, applied_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(seq)
        .bind(row.user_id)
        .bind(row.kind.as_str())
        .bind(row.source_id)
        .bind(Json(&row.payload.0))
        .bind(row.deleted)
        .bind(now)
        .execute(&mut tx)
        .await?;
        report.applied += 1;
    }
    // Only the rows read above: a row with a lower id that committed meanwhile is still
    // unprocessed, and a later pass applies it.
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    tx.query_pick(
        "UPDATE publish_outbox SET processed_at = $1 WHERE id IN (SELECT value FROM json_each($2))",
        "UPDATE publish_outbox SET processed_at = $1 WHERE id = ANY($2)",
    )
    .bind(now)
    .bind(IdList(ids))
    .execute(&mut tx)
    .await?;
    tx.query("UPDATE publish_state SET last_seq = $1 WHERE id = 1")
        .bind(seq)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(report)
}

#[derive(sqlx::FromRow)]
struct FeedRow {
    seq: i64,
    kind: String,
    source_id: i64,
    deleted: bool,
    payload: Json<serde_json::Value>,
}

pub(super) async fn feed_since(
    db: &Db,
    user: UserId,
    since: i64,
    limit: u32,
) -> StoreResult<Vec<FeedEntry>> {
    let mut conn = db.read().await?;
    let rows: Vec<FeedRow> = conn
        .query(
            "SELECT seq, kind, source_id, deleted, payload FROM publish_feed \
             WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(user.0)
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(&mut conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| FeedEntry {
            seq: r.seq,
            kind: r.kind,
            source_id: r.source_id,
            deleted: r.deleted,
            payload: r.payload.0,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct TopicProgressRow {
    #[sqlx(flatten)]
    progress: ProgressRow,
    study_topic_id: Option<TopicId>,
}

pub(super) async fn publish_backfill(
    db: &Db,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut tx = db.write().await?;
    let cards: Vec<CardRow> = tx
        .query(concat!(
            "SELECT ",
            card_columns!(),
            " FROM study_memo_cards c WHERE c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
             ORDER BY c.id"
        ))
        .bind(user.0)
        .fetch_all(&mut tx)
        .await?;
    let mut enqueued = 0;
    for row in cards {
        write_outbox(&mut tx, user, &card_outbox(&row.record()?), now).await?;
        enqueued += 1;
    }
    let progress: Vec<TopicProgressRow> = tx
        .query(concat!(
            "SELECT ",
            progress_columns!(),
            ", c.study_topic_id FROM study_memo_card_progress p JOIN study_memo_cards c ON c.id = p.card_id \
             WHERE p.user_id = $1 ORDER BY p.id"
        ))
        .bind(user.0)
        .fetch_all(&mut tx)
        .await?;
    for row in progress {
        let entry = progress_outbox(&row.progress.into(), row.study_topic_id);
        write_outbox(&mut tx, user, &entry, now).await?;
        enqueued += 1;
    }
    enqueued += super::quiz::publish_all_progress(&mut tx, user, now).await?;
    tx.commit().await?;
    Ok(enqueued)
}

pub(super) async fn outbox_backlog(db: &Db) -> StoreResult<i64> {
    let mut conn = db.read().await?;
    conn.query("SELECT COUNT(*) FROM publish_outbox WHERE processed_at IS NULL")
        .scalar(&mut conn)
        .await
}
