//! SQLite: outbox draining into the read model and the feed (the write lock makes the
//! publisher single), feed reads and backfill.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::rows::{card_columns, card_from_row, progress_from_row, write_outbox};
use super::{SqliteStore, to_ms};
use crate::store::snapshot::{card_outbox, progress_outbox};
use crate::store::{FeedEntry, PublishReport, PublishStore, StoreResult, UserId};

#[async_trait]
impl PublishStore for SqliteStore {
    async fn publish_pending(&self, limit: u32, now: DateTime<Utc>) -> StoreResult<PublishReport> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, user_id, kind, source_id, payload, payload_hash, deleted FROM publish_outbox \
             WHERE processed_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut report = PublishReport::default();
        if rows.is_empty() {
            return Ok(report);
        }
        let mut seq: i64 = sqlx::query_scalar("SELECT last_seq FROM publish_state WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        for row in &rows {
            let kind: String = row.try_get("kind")?;
            let source_id: i64 = row.try_get("source_id")?;
            let hash: String = row.try_get("payload_hash")?;
            let deleted: bool = row.try_get("deleted")?;
            let current = sqlx::query("SELECT payload_hash, deleted FROM published_items WHERE kind = $1 AND source_id = $2")
                .bind(&kind)
                .bind(source_id)
                .fetch_optional(&mut *tx)
                .await?;
            let unchanged = match &current {
                Some(c) => {
                    c.try_get::<String, _>("payload_hash")? == hash
                        && c.try_get::<bool, _>("deleted")? == deleted
                }
                None => false,
            };
            if unchanged {
                report.skipped += 1;
                continue;
            }
            seq += 1;
            let user_id: i64 = row.try_get("user_id")?;
            let payload: String = row.try_get("payload")?;
            sqlx::query(
                "INSERT INTO published_items (kind, source_id, user_id, payload, payload_hash, deleted, seq, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (kind, source_id) DO UPDATE SET \
                 payload = excluded.payload, payload_hash = excluded.payload_hash, deleted = excluded.deleted, \
                 seq = excluded.seq, updated_at = excluded.updated_at",
            )
            .bind(&kind)
            .bind(source_id)
            .bind(user_id)
            .bind(&payload)
            .bind(&hash)
            .bind(deleted)
            .bind(seq)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO publish_feed (seq, user_id, kind, source_id, payload, deleted, applied_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(seq)
            .bind(user_id)
            .bind(&kind)
            .bind(source_id)
            .bind(&payload)
            .bind(deleted)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
            report.applied += 1;
        }
        // Only the rows read above: a row with a lower id that committed meanwhile is still
        // unprocessed, and a later pass applies it.
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        sqlx::query(
            "UPDATE publish_outbox SET processed_at = $1 WHERE id IN (SELECT value FROM json_each($2))",
        )
        .bind(to_ms(now))
        .bind(serde_json::to_string(&ids)?)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE publish_state SET last_seq = $1 WHERE id = 1")
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn feed_since(
        &self,
        user: UserId,
        since: i64,
        limit: u32,
    ) -> StoreResult<Vec<FeedEntry>> {
        let rows = sqlx::query(
            "SELECT seq, kind, source_id, deleted, payload FROM publish_feed \
             WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(user.0)
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FeedEntry {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    source_id: r.try_get("source_id")?,
                    deleted: r.try_get("deleted")?,
                    payload: serde_json::from_str(&r.try_get::<String, _>("payload")?)?,
                })
            })
            .collect()
    }

    async fn publish_backfill(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let cards = sqlx::query(concat!(
            "SELECT ",
            card_columns!(),
            " FROM study_memo_cards c WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.needs_review = 0 ORDER BY c.id"
        ))
        .bind(user.0)
        .fetch_all(&mut *tx)
        .await?;
        let mut enqueued = 0;
        for row in &cards {
            write_outbox(&mut tx, user, &card_outbox(&card_from_row(row)?), now).await?;
            enqueued += 1;
        }
        let progress = sqlx::query(
            "SELECT p.id, p.card_id, p.last_outcome, p.last_reviewed_at, p.due_at, p.review_stage, p.updated_at, \
             c.study_topic_id FROM study_memo_card_progress p JOIN study_memo_cards c ON c.id = p.card_id \
             WHERE p.user_id = $1 ORDER BY p.id",
        )
        .bind(user.0)
        .fetch_all(&mut *tx)
        .await?;
        for row in &progress {
            let topic: Option<i64> = row.try_get("study_topic_id")?;
            write_outbox(
                &mut tx,
                user,
                &progress_outbox(&progress_from_row(row)?, topic),
                now,
            )
            .await?;
            enqueued += 1;
        }
        tx.commit().await?;
        Ok(enqueued)
    }

    async fn outbox_backlog(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM publish_outbox WHERE processed_at IS NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
