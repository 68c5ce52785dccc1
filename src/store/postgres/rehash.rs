//! Recomputes stored dedup hashes on connect when they were made with an older
//! normalisation (the plan is `store::rehash`): one transaction holding the version row's
//! lock, so concurrent processes wait and then find the work done.

use sqlx::PgPool;

use crate::domain::normalize::DEDUP_HASH_VERSION;
use crate::store::StoreResult;

const VERSION: &str = "SELECT value FROM amgi_meta WHERE key = 'dedup_hash_version'";
use crate::store::rehash::{HashRow, HashTuple, plan};

pub(super) async fn rehash_if_older(pool: &PgPool) -> StoreResult<()> {
    // The common case, hashes already current, reads one row and takes no lock.
    let current: i64 = sqlx::query_scalar(VERSION).fetch_one(pool).await?;
    if current >= DEDUP_HASH_VERSION {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    // One pass over every card: on a large database longer than the statement timeout the
    // commands set for ordinary work.
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    let version: i64 = sqlx::query_scalar(
        "SELECT value FROM amgi_meta WHERE key = 'dedup_hash_version' FOR UPDATE",
    )
    .fetch_one(&mut *tx)
    .await?;
    if version >= DEDUP_HASH_VERSION {
        tx.commit().await?;
        return Ok(());
    }
    // The same columns on both backends, material read from the JSON `extra`.
    let rows: Vec<HashTuple> = sqlx::query_as(
        "SELECT id, user_id, source_question_id, extra->>'material' AS material, format, fact, \
         deleted_at IS NULL AS live, needs_review FROM study_memo_cards FOR UPDATE",
    )
    .fetch_all(&mut *tx)
    .await?;
    let rows = rows
        .into_iter()
        .map(HashRow::from_tuple)
        .collect::<StoreResult<Vec<_>>>()?;
    // Every row first gets a placeholder of its own (its id, 64 digits), so that no
    // intermediate state puts two live cards on one hash.
    sqlx::query("UPDATE study_memo_cards SET dedup_hash = lpad(id::text, 64, '0')")
        .execute(&mut *tx)
        .await?;
    let (ids, hashes): (Vec<i64>, Vec<String>) = plan(rows).into_iter().unzip();
    sqlx::query(
        "UPDATE study_memo_cards c SET dedup_hash = n.hash \
         FROM UNNEST($1::BIGINT[], $2::TEXT[]) AS n(id, hash) WHERE c.id = n.id",
    )
    .bind(&ids)
    .bind(&hashes)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE amgi_meta SET value = $1 WHERE key = 'dedup_hash_version'")
        .bind(DEDUP_HASH_VERSION)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
