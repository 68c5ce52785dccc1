//! Recomputing stored dedup hashes when the normalisation behind them changes
//! (`DEDUP_HASH_VERSION`), on open: one write transaction holding the version row (SQLite's
//! write lock; the row lock on PostgreSQL), so a second process opening the same database
//! waits and then finds the work done.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use sqlx::types::Json;

use crate::domain::card::CardFormat;
use crate::domain::normalize::{DEDUP_HASH_VERSION, DedupScope, dedup_hash};
use crate::store::StoreResult;
use crate::store::sql::{Connected, Db, Dialect, Pooled, query_for_update};

const VERSION: &str = "SELECT value FROM amgi_meta WHERE key = 'dedup_hash_version'";

pub(crate) async fn rehash_if_older(db: &Db) -> StoreResult<()> {
    rehash_if_older_on(db, db.read().await?).await
}

/// [`rehash_if_older`], checking the version on `conn` (the connection that opened the
/// store, so that opening does not open a second one for one read).
pub(crate) async fn rehash_if_older_on(db: &Db, mut conn: Pooled) -> StoreResult<()> {
    // The common case, hashes already current, reads one row and takes no lock.
    let current: i64 = conn.query(VERSION).scalar(&mut conn).await?;
    drop(conn);
    if current >= DEDUP_HASH_VERSION {
        return Ok(());
    }
    let mut tx = db.write().await?;
    if tx.dialect() == Dialect::Postgres {
        // One pass over every card: on a large database longer than the statement timeout
        // the commands set for ordinary work.
        tx.query("SET LOCAL statement_timeout = 0")
            .execute(&mut tx)
            .await?;
    }
    let version: i64 = query_for_update!(
        tx,
        "SELECT value FROM amgi_meta WHERE key = 'dedup_hash_version'"
    )
    .scalar(&mut tx)
    .await?;
    if version >= DEDUP_HASH_VERSION {
        return tx.rollback().await;
    }
    let rows: Vec<HashTuple> = query_for_update!(
        tx,
        "SELECT id, user_id, source_question_id, extra ->> 'material' AS material, format, fact, \
         deleted_at IS NULL AS live, needs_review FROM study_memo_cards"
    )
    .fetch_all(&mut tx)
    .await?;
    let rows = rows
        .into_iter()
        .map(HashRow::from_tuple)
        .collect::<StoreResult<Vec<_>>>()?;
    // Every row first gets a placeholder of its own (its id, 64 digits), so that no
    // intermediate state puts two live cards on one hash.
    tx.query_pick(
        "UPDATE study_memo_cards SET dedup_hash = printf('%064d', id)",
        "UPDATE study_memo_cards SET dedup_hash = lpad(id::text, 64, '0')",
    )
    .execute(&mut tx)
    .await?;
    // The plan in one statement, as a JSON array of [id, hash] pairs.
    tx.query_pick(
        "UPDATE study_memo_cards SET dedup_hash = n.value ->> 1 \
         FROM json_each($1) AS n WHERE study_memo_cards.id = n.value ->> 0",
        "UPDATE study_memo_cards c SET dedup_hash = n.value ->> 1 \
         FROM jsonb_array_elements($1) AS n WHERE c.id = (n.value ->> 0)::BIGINT",
    )
    .bind(Json(plan(rows)))
    .execute(&mut tx)
    .await?;
    tx.query("UPDATE amgi_meta SET value = $1 WHERE key = 'dedup_hash_version'")
        .bind(DEDUP_HASH_VERSION)
        .execute(&mut tx)
        .await?;
    tx.commit().await
}

/// One stored card as the hash needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HashRow {
    pub id: i64,
    pub user_id: i64,
    pub source_question_id: Option<i64>,
    pub material: Option<String>,
    pub format: CardFormat,
    pub fact: String,
    pub live: bool,
    pub needs_review: bool,
}

/// A row as both backends select it: id, user, source question, material, format, fact,
/// live, needs review.
pub(crate) type HashTuple = (
    i64,
    i64,
    Option<i64>,
    Option<String>,
    String,
    String,
    bool,
    bool,
);

impl HashRow {
    pub(crate) fn from_tuple(row: HashTuple) -> StoreResult<Self> {
        let (id, user_id, source_question_id, material, format, fact, live, needs_review) = row;
        Ok(HashRow {
            id,
            user_id,
            source_question_id,
            material,
            format: format.parse()?,
            fact,
            live,
            needs_review,
        })
    }
}

/// The new hash of every row. Two live cards of one user whose answers the new
/// normalisation makes equal would break the unique index: the approved one (or, between
/// equals, the older one) keeps the real hash and the other a hash of its own, so that no
/// card of the learner is lost and the pair can still be told apart in Review.
pub(crate) fn plan(mut rows: Vec<HashRow>) -> Vec<(i64, String)> {
    rows.sort_by_key(|r| (!r.live, r.needs_review, r.id));
    let mut taken = HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let scope = DedupScope::of(row.source_question_id, row.material.as_deref());
        let hash = dedup_hash(scope, row.format, &row.fact);
        let hash = if row.live && !taken.insert((row.user_id, hash.clone())) {
            kept_duplicate_hash(row.id, &hash)
        } else {
            hash
        };
        out.push((row.id, hash));
    }
    out.sort_unstable_by_key(|(id, _)| *id);
    out
}

/// A hash that no other card can have: the card's id folded into its real hash.
fn kept_duplicate_hash(id: i64, hash: &str) -> String {
    let digest = Sha256::digest(format!("kept-duplicate|{id}|{hash}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, fact: &str, live: bool, needs_review: bool) -> HashRow {
        HashRow {
            id,
            user_id: 1,
            source_question_id: Some(7),
            material: None,
            format: CardFormat::Qa,
            fact: fact.into(),
            live,
            needs_review,
        }
    }

    #[test]
    fn cards_made_equal_by_the_new_normalisation_are_all_kept() {
        let rows = vec![
            row(1, "ＴＣＰ", true, true),
            row(2, "tcp", true, false),
            row(3, "T\u{200B}CP", false, true),
            row(4, "UDP", true, true),
        ];
        let planned = plan(rows);
        let real = dedup_hash(DedupScope::Question(7), CardFormat::Qa, "TCP");
        let hash_of = |id: i64| {
            planned
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, h)| h.clone())
        };
        // The approved card keeps the real hash; the card in review gets one of its own.
        assert_eq!(hash_of(2), Some(real.clone()));
        assert_ne!(hash_of(1), Some(real.clone()));
        assert_eq!(hash_of(1).map(|h| h.len()), Some(64));
        // A deleted card is outside the unique index and keeps the real hash.
        assert_eq!(hash_of(3), Some(real));
        assert_eq!(planned.len(), 4);
    }
}
