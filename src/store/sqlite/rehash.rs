//! Recomputes stored dedup hashes on open when they were made with an older normalisation
//! (the plan is `store::rehash`): one write transaction, so a second process opening the
//! same file waits and then finds the work done.

use sqlx::SqlitePool;

use crate::domain::normalize::DEDUP_HASH_VERSION;
use crate::store::StoreResult;
use crate::store::rehash::{HashRow, HashTuple, plan};

pub(super) async fn rehash_if_older(pool: &SqlitePool) -> StoreResult<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let version: i64 =
        sqlx::query_scalar("SELECT value FROM amgi_meta WHERE key = 'dedup_hash_version'")
            .fetch_one(&mut *tx)
            .await?;
    if version >= DEDUP_HASH_VERSION {
        tx.commit().await?;
        return Ok(());
    }
    // The same columns on both backends, material read from the JSON `extra`.
    let rows: Vec<HashTuple> = sqlx::query_as(
        "SELECT id, user_id, source_question_id, json_extract(extra, '$.material') AS material, format, fact, \
         deleted_at IS NULL AS live, needs_review FROM study_memo_cards",
    )
    .fetch_all(&mut *tx)
    .await?;
    let rows = rows
        .into_iter()
        .map(HashRow::from_tuple)
        .collect::<StoreResult<Vec<_>>>()?;
    // Every row first gets a placeholder of its own (its id, 64 digits), so that no
    // intermediate state puts two live cards on one hash.
    sqlx::query("UPDATE study_memo_cards SET dedup_hash = printf('%064d', id)")
        .execute(&mut *tx)
        .await?;
    for (id, hash) in plan(rows) {
        sqlx::query("UPDATE study_memo_cards SET dedup_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE amgi_meta SET value = $1 WHERE key = 'dedup_hash_version'")
        .bind(DEDUP_HASH_VERSION)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
