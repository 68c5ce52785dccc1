//! Browse: every live card of a user, filtered, searched and sorted, a page at a time by a
//! keyset cursor (the sort key folded into one integer, then the id); the search column kept
//! filled; and forget, which deletes a card's progress row (it is new again) in one
//! undoable transaction while its review log stays.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::rows::{CardRow, card_columns, load_card, load_progress, push_undo, write_outbox};
use crate::domain::schedule::LadderState;
use crate::domain::search::{like_pattern, search_text};
use crate::store::browse::{
    BrowseCursor, BrowseFilter, BrowsePage, BrowseRow, BrowseSort, BrowseState,
};
use crate::store::snapshot::{KIND_CARD_PROGRESS, UndoData, tombstone};
use crate::store::sql::{Connected, Db, Stamp, query_for_update};
use crate::store::{CardId, StoreError, StoreResult, UndoKind, UserId};

/// One list statement around `$key`, the sort key in the dialect's terms. Binds: `$1` user,
/// `$2` LIKE pattern, `$3` topic, `$4` format, `$5` material, `$6` state, `$7` stage,
/// `$8` lower bound of the id (the id order's cursor, so SQLite reads by rowid from it),
/// `$9`/`$10` cursor key and id, `$11` limit.
macro_rules! browse_sql {
    ($key:expr) => {
        concat!(
            "SELECT * FROM (SELECT ",
            card_columns!(),
            ", p.review_stage AS p_stage, p.due_at AS p_due, p.last_reviewed_at AS p_reviewed, \
               CAST(p.id AS BIGINT) AS p_id, ",
            $key,
            " AS sort_key \
             FROM study_memo_cards c \
             LEFT JOIN study_memo_card_progress p ON p.user_id = c.user_id AND p.card_id = c.id \
             WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.id > $8 \
               AND (CAST($2 AS TEXT) IS NULL OR c.search_text LIKE $2 ESCAPE '\\') \
               AND (CAST($3 AS BIGINT) IS NULL OR c.study_topic_id = $3) \
               AND (CAST($4 AS TEXT) IS NULL OR c.format = $4) \
               AND (CAST($5 AS TEXT) IS NULL OR c.extra ->> 'material' = $5) \
               AND (CAST($6 AS TEXT) IS NULL \
                 OR ($6 = 'review' AND c.needs_review) \
                 OR ($6 = 'flagged' AND c.needs_review AND c.flagged_by IS NOT NULL) \
                 OR ($6 = 'new' AND NOT c.needs_review AND p.id IS NULL) \
                 OR ($6 = 'learning' AND NOT c.needs_review AND p.due_at IS NOT NULL \
                     AND COALESCE(p.review_stage, 0) = $7) \
                 OR ($6 = 'mastered' AND NOT c.needs_review AND p.id IS NOT NULL AND p.due_at IS NULL)) \
             ) AS b \
             WHERE CAST($9 AS BIGINT) IS NULL OR b.sort_key > $9 OR (b.sort_key = $9 AND b.id > $10) \
             ORDER BY b.sort_key, b.id LIMIT $11"
        )
    };
}

/// The statement of `sort` for SQLite (timestamps are unix milliseconds already) and for
/// PostgreSQL (TIMESTAMPTZ turned into milliseconds). Rows without the sorted value (never
/// due, never reviewed) take the largest key, `i64::MAX`, and go last.
fn statements(sort: BrowseSort) -> (&'static str, &'static str) {
    match sort {
        // The id itself, not an expression of it: SQLite then reads the (user, id) index in
        // order and stops at the page's last row instead of sorting every card.
        BrowseSort::Id => (browse_sql!("c.id"), browse_sql!("c.id")),
        BrowseSort::Due => (
            browse_sql!("COALESCE(p.due_at, 9223372036854775807)"),
            browse_sql!(
                "COALESCE(CAST(EXTRACT(EPOCH FROM p.due_at) * 1000 AS BIGINT), 9223372036854775807)"
            ),
        ),
        BrowseSort::LastReview => (
            browse_sql!("COALESCE(-p.last_reviewed_at, 9223372036854775807)"),
            browse_sql!(
                "COALESCE(-CAST(EXTRACT(EPOCH FROM p.last_reviewed_at) * 1000 AS BIGINT), \
                 9223372036854775807)"
            ),
        ),
        BrowseSort::Views => (
            browse_sql!("CAST(-c.view_count AS BIGINT)"),
            browse_sql!("CAST(-c.view_count AS BIGINT)"),
        ),
    }
}

#[derive(sqlx::FromRow)]
struct ListRow {
    #[sqlx(flatten)]
    card: CardRow,
    p_stage: Option<i16>,
    p_due: Option<Stamp>,
    p_reviewed: Option<Stamp>,
    p_id: Option<i64>,
    sort_key: i64,
}

/// How many missing search texts one transaction fills.
const FILL_BATCH: i64 = 2000;

pub(super) async fn browse(
    db: &Db,
    user: UserId,
    filter: &BrowseFilter,
    after: Option<BrowseCursor>,
    limit: u32,
) -> StoreResult<BrowsePage> {
    let pattern = like_pattern(&filter.search);
    if pattern.is_some() {
        fill_search_text(db, user).await?;
    }
    let (state, stage) = match filter.state {
        None => (None, 0),
        Some(BrowseState::InReview) => (Some("review"), 0),
        Some(BrowseState::Flagged) => (Some("flagged"), 0),
        Some(BrowseState::New) => (Some("new"), 0),
        Some(BrowseState::Learning(stage)) => (Some("learning"), stage),
        Some(BrowseState::Mastered) => (Some("mastered"), 0),
    };
    let id_floor = match (filter.sort, after) {
        (BrowseSort::Id, Some(cursor)) => cursor.id.0,
        _ => i64::MIN,
    };
    let (sqlite, postgres) = statements(filter.sort);
    let mut conn = db.read().await?;
    let rows: Vec<ListRow> = conn
        .query_pick(sqlite, postgres)
        .bind(user.0)
        .bind(pattern)
        .bind(filter.topic)
        .bind(filter.format.map(|f| f.as_str()))
        .bind(filter.material.as_deref())
        .bind(state)
        .bind(stage)
        .bind(id_floor)
        .bind(after.map(|c| c.key))
        .bind(after.map(|c| c.id.0).unwrap_or(i64::MIN))
        .bind(i64::from(limit))
        .fetch_all(&mut conn)
        .await?;
    let full = rows.len() >= limit as usize && limit > 0;
    let mut next = None;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let card = row.card.card()?;
        next = Some(BrowseCursor {
            key: row.sort_key,
            id: card.id,
        });
        let ladder = row.p_id.map(|_| LadderState {
            stage: row.p_stage,
            due_at: row.p_due.map(Into::into),
        });
        out.push(BrowseRow {
            state: BrowseState::of(&card, ladder),
            card,
            ladder,
            last_reviewed_at: row.p_reviewed.map(Into::into),
        });
    }
    Ok(BrowsePage {
        rows: out,
        next: if full { next } else { None },
    })
}

#[derive(sqlx::FromRow)]
struct TextRow {
    id: i64,
    cue: String,
    fact: String,
    cloze_text: Option<String>,
}

/// Computes the search text of the user's cards that have none (written before migration
/// 0010, or by a statement that changed their text without it), a batch per transaction.
/// The common case, nothing missing, is one probe of an empty partial index.
pub(super) async fn fill_search_text(db: &Db, user: UserId) -> StoreResult<()> {
    let mut conn = db.read().await?;
    let missing: Option<i64> = conn
        .query("SELECT id FROM study_memo_cards WHERE user_id = $1 AND search_text IS NULL LIMIT 1")
        .bind(user.0)
        .scalar_optional(&mut conn)
        .await?;
    drop(conn);
    if missing.is_none() {
        return Ok(());
    }
    loop {
        let mut tx = db.write().await?;
        let rows: Vec<TextRow> = query_for_update!(
            tx,
            "SELECT id, cue, fact, cloze_text FROM study_memo_cards \
             WHERE user_id = $1 AND search_text IS NULL LIMIT $2"
        )
        .bind(user.0)
        .bind(FILL_BATCH)
        .fetch_all(&mut tx)
        .await?;
        if rows.is_empty() {
            return tx.rollback().await;
        }
        let last = (rows.len() as i64) < FILL_BATCH;
        let plan: Vec<(i64, String)> = rows
            .into_iter()
            .map(|r| (r.id, search_text(&r.cue, &r.fact, r.cloze_text.as_deref())))
            .collect();
        tx.query_pick(
            "UPDATE study_memo_cards SET search_text = n.value ->> 1 \
             FROM json_each($2) AS n WHERE study_memo_cards.id = n.value ->> 0 \
               AND study_memo_cards.user_id = $1",
            "UPDATE study_memo_cards c SET search_text = n.value ->> 1 \
             FROM jsonb_array_elements($2) AS n WHERE c.id = (n.value ->> 0)::BIGINT \
               AND c.user_id = $1",
        )
        .bind(user.0)
        .bind(Json(plan))
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        if last {
            return Ok(());
        }
    }
}

pub(super) async fn forget(
    db: &Db,
    user: UserId,
    card_id: CardId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = db.write().await?;
    load_card(&mut tx, user, card_id, false).await?;
    let Some(progress) = load_progress(&mut tx, user, card_id).await? else {
        return tx
            .abandon(StoreError::Refused(
                "the card is new already: there is no schedule to forget".into(),
            ))
            .await;
    };
    let created_at: Stamp = tx
        .query("SELECT created_at FROM study_memo_card_progress WHERE id = $1 AND user_id = $2")
        .bind(progress.id)
        .bind(user.0)
        .scalar(&mut tx)
        .await?;
    tx.query("DELETE FROM study_memo_card_progress WHERE id = $1 AND user_id = $2")
        .bind(progress.id)
        .bind(user.0)
        .execute(&mut tx)
        .await?;
    if db.publish {
        write_outbox(
            &mut tx,
            user,
            &tombstone(KIND_CARD_PROGRESS, progress.id),
            now,
        )
        .await?;
    }
    let undo = UndoData::Forget {
        progress,
        created_at: created_at.into(),
    };
    push_undo(&mut tx, user, UndoKind::Forget, &undo, now).await?;
    tx.commit().await
}
