//! Rating a card: the decision, shared by both databases, and its writes: two round trips
//! on SQLite, a statement at a time on PostgreSQL (which locks the card's row first).

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::rows::{load_card, load_progress, push_undo, undo_prune_bound, write_outbox};
use crate::domain::card::Outcome;
use crate::domain::schedule::{self, LadderState};
use crate::store::snapshot::{ProgressState, UndoData, check_ladder_shown, progress_outbox};
use crate::store::sql::{Connected, Db, Dialect, Pool, Query, Stamp, Tx};
use crate::store::sqlite::InlineTx;
use crate::store::{CardId, RatingResult, StoreError, StoreResult, TopicId, UndoKind, UserId};

/// What a rating reads on SQLite, in the statement that begins its transaction: the live
/// card, its ladder if it was rated, and the ids the rating's rows will take. The write lock
/// is held from `BEGIN IMMEDIATE` on, so the next ids are the ones SQLite would give (the
/// largest plus one: these tables have no AUTOINCREMENT) and no other writer can take them.
const RATING_READ_SQLITE: &str = "BEGIN IMMEDIATE; \
    SELECT c.needs_review, c.study_topic_id, p.id AS p_id, p.last_outcome AS p_last_outcome, \
      p.last_reviewed_at AS p_last_reviewed_at, p.due_at AS p_due_at, \
      p.review_stage AS p_review_stage, p.updated_at AS p_updated_at, \
      (SELECT COALESCE(MAX(id), 0) + 1 FROM study_memo_card_progress) AS next_progress_id, \
      (SELECT COALESCE(MAX(id), 0) + 1 FROM study_card_reviews) AS next_review_id, \
      (SELECT COALESCE(MAX(id), 0) + 1 FROM undo_log) AS next_undo_id \
    FROM study_memo_cards c \
    LEFT JOIN study_memo_card_progress p ON p.user_id = c.user_id AND p.card_id = c.id \
    WHERE c.id = $1 AND c.user_id = $2 AND c.deleted_at IS NULL";

/// A rating's writes on SQLite, ending with the commit: the progress row (inserted, or
/// updated when its id is taken), the review log row, the undo entry and the undo journal's
/// prune (a no-op below id 1), then `$outbox`.
macro_rules! rating_writes_sqlite {
    ($outbox:expr) => {
        concat!(
            "INSERT INTO study_memo_card_progress (id, user_id, card_id, last_outcome, \
               last_reviewed_at, due_at, review_stage, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $5, $5) \
             ON CONFLICT (id) DO UPDATE SET last_outcome = excluded.last_outcome, \
               last_reviewed_at = excluded.last_reviewed_at, due_at = excluded.due_at, \
               review_stage = excluded.review_stage, updated_at = excluded.updated_at; \
             INSERT INTO study_card_reviews (id, user_id, card_id, outcome, had_progress, \
               stage_before, due_before, outcome_before, reviewed_before, stage_after, due_after, \
               reviewed_at) \
             VALUES ($8, $2, $3, $4, $9, $10, $11, $12, $13, $7, $6, $5); \
             INSERT INTO undo_log (id, user_id, action, data, created_at) \
             VALUES ($14, $2, $15, $16, $5); \
             DELETE FROM undo_log WHERE user_id = $2 AND id <= $17; ",
            $outbox,
            "COMMIT"
        )
    };
}

#[derive(sqlx::FromRow)]
struct RatedCardRow {
    needs_review: bool,
    study_topic_id: Option<TopicId>,
    p_id: Option<i64>,
    p_last_outcome: Option<String>,
    p_last_reviewed_at: Option<Stamp>,
    p_due_at: Option<Stamp>,
    p_review_stage: Option<i16>,
    p_updated_at: Option<Stamp>,
    next_progress_id: i64,
    next_review_id: i64,
    next_undo_id: i64,
}

impl RatedCardRow {
    /// The card's progress row, if it has one (a progress row always has `updated_at`).
    fn progress(&self, card_id: CardId) -> Option<ProgressState> {
        let (id, updated_at) = self.p_id.zip(self.p_updated_at)?;
        Some(ProgressState {
            id,
            card_id,
            last_outcome: self.p_last_outcome.clone(),
            last_reviewed_at: self.p_last_reviewed_at.map(Into::into),
            due_at: self.p_due_at.map(Into::into),
            review_stage: self.p_review_stage,
            updated_at: updated_at.into(),
        })
    }
}

/// What a rating needs of the card before it writes.
struct RatingRead {
    needs_review: bool,
    topic_id: Option<TopicId>,
    /// The progress row, if the card was rated before.
    before: Option<ProgressState>,
}

/// The rating's decision on what it read: refused (no such card, a card still in review, a
/// card rated elsewhere since it was shown) or the ladder after it.
fn decide_rating(
    read: &RatingRead,
    shown: Option<Option<LadderState>>,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> StoreResult<LadderState> {
    if read.needs_review {
        return Err(StoreError::Refused(
            "the card is still in review: approve it before rating".into(),
        ));
    }
    check_ladder_shown(read.before.as_ref(), shown)?;
    Ok(schedule::rate(
        read.before.as_ref().map(ProgressState::ladder),
        outcome,
        now,
    ))
}

pub(super) async fn rate(
    db: &Db,
    user: UserId,
    card_id: CardId,
    shown: Option<Option<LadderState>>,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> StoreResult<RatingResult> {
    let rating = Rating {
        user,
        card_id,
        shown,
        outcome,
        now,
        publish: db.publish,
    };
    match &db.pool {
        Pool::Sqlite { pool, file } => rating.on_sqlite(InlineTx::start(pool, file).await?).await,
        Pool::Postgres(_) => rating.in_steps(db.write().await?).await,
    }
}

/// Binds the review log's columns of the ladder before the rating, in their order:
/// `had_progress, stage_before, due_before, outcome_before, reviewed_before`.
fn bind_before(query: Query, before: Option<&ProgressState>) -> Query {
    query
        .bind(before.is_some())
        .bind(before.and_then(|p| p.review_stage))
        .bind(before.and_then(|p| p.due_at))
        .bind(before.and_then(|p| p.last_outcome.clone()))
        .bind(before.and_then(|p| p.last_reviewed_at))
}

/// One rating to write.
struct Rating {
    user: UserId,
    card_id: CardId,
    shown: Option<Option<LadderState>>,
    outcome: Outcome,
    now: DateTime<Utc>,
    publish: bool,
}

impl Rating {
    fn result(&self, before: Option<&ProgressState>, after: LadderState) -> RatingResult {
        RatingResult {
            card_id: self.card_id,
            outcome: self.outcome,
            before: before.map(ProgressState::ladder),
            after,
        }
    }

    /// Two round trips to SQLite's worker thread: the read that begins the transaction, and
    /// every write with the commit. With the ids read up front nothing written is read back.
    async fn on_sqlite(&self, mut tx: InlineTx) -> StoreResult<RatingResult> {
        let (user, card_id, now) = (self.user, self.card_id, self.now);
        let row = tx
            .begin(RATING_READ_SQLITE)
            .bind(card_id)
            .bind(user.0)
            .fetch_optional::<RatedCardRow>(&mut tx)
            .await?;
        let Some(row) = row else {
            return tx.abandon(StoreError::NotFound("card")).await;
        };
        let read = RatingRead {
            needs_review: row.needs_review,
            topic_id: row.study_topic_id,
            before: row.progress(card_id),
        };
        let after = match decide_rating(&read, self.shown, self.outcome, now) {
            Ok(after) => after,
            Err(e) => return tx.abandon(e).await,
        };
        let RatingRead {
            topic_id, before, ..
        } = read;
        let progress_id = before.as_ref().map_or(row.next_progress_id, |p| p.id);
        let undo = UndoData::Rate {
            card_id,
            progress_id,
            before: before.clone(),
            review_id: row.next_review_id,
        };
        let sql = if self.publish {
            rating_writes_sqlite!(
                "INSERT INTO publish_outbox (user_id, kind, source_id, payload, payload_hash, \
                   deleted, created_at) VALUES ($2, $18, $19, $20, $21, $22, $5); "
            )
        } else {
            rating_writes_sqlite!("")
        };
        let writes = Dialect::Sqlite
            .query(sql)
            .bind(progress_id)
            .bind(user.0)
            .bind(card_id)
            .bind(self.outcome.as_str())
            .bind(now)
            .bind(after.due_at)
            .bind(after.stage)
            .bind(row.next_review_id);
        let mut writes = bind_before(writes, before.as_ref())
            .bind(row.next_undo_id)
            .bind(UndoKind::Rate.as_str())
            .bind(Json(&undo))
            .bind(undo_prune_bound(row.next_undo_id).unwrap_or(0));
        if self.publish {
            // The row as a read after the write would return it: SQLite keeps milliseconds.
            let stored = |t: DateTime<Utc>| DateTime::from_timestamp_millis(t.timestamp_millis());
            let written = ProgressState {
                id: progress_id,
                card_id,
                last_outcome: Some(self.outcome.as_str().to_owned()),
                last_reviewed_at: stored(now),
                due_at: after.due_at.and_then(stored),
                review_stage: after.stage,
                updated_at: stored(now).unwrap_or(now),
            };
            let entry = progress_outbox(&written, topic_id);
            writes = writes
                .bind(entry.kind)
                .bind(entry.source_id)
                .bind(Json(entry.payload))
                .bind(entry.payload_hash)
                .bind(entry.deleted);
        }
        tx.commit_with(writes).await?;
        Ok(self.result(before.as_ref(), after))
    }

    /// A statement at a time. The card's row lock serializes two ratings of it, and the
    /// progress is read by a statement that starts once the lock is held: under READ
    /// COMMITTED a statement that waited for the lock still sees the other tables as they
    /// were when it started.
    async fn in_steps(&self, mut tx: Tx) -> StoreResult<RatingResult> {
        let (user, card_id, now, outcome) = (self.user, self.card_id, self.now, self.outcome);
        let card = load_card(&mut tx, user, card_id, false).await?;
        let read = RatingRead {
            needs_review: card.state.needs_review,
            topic_id: card.card.topic_id,
            before: load_progress(&mut tx, user, card_id).await?,
        };
        let after = match decide_rating(&read, self.shown, outcome, now) {
            Ok(after) => after,
            Err(e) => return tx.abandon(e).await,
        };
        let RatingRead {
            topic_id, before, ..
        } = read;
        let progress_id: i64 = match &before {
            Some(p) => {
                tx.query(
                    "UPDATE study_memo_card_progress SET last_outcome = $2, last_reviewed_at = $3, \
                     due_at = $4, review_stage = $5, updated_at = $3 WHERE id = $1",
                )
                .bind(p.id)
                .bind(outcome.as_str())
                .bind(now)
                .bind(after.due_at)
                .bind(after.stage)
                .execute(&mut tx)
                .await?;
                p.id
            }
            None => {
                tx.query(
                    "INSERT INTO study_memo_card_progress (user_id, card_id, last_outcome, \
                     last_reviewed_at, due_at, review_stage, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $4, $4) RETURNING id",
                )
                .bind(user.0)
                .bind(card_id)
                .bind(outcome.as_str())
                .bind(now)
                .bind(after.due_at)
                .bind(after.stage)
                .scalar(&mut tx)
                .await?
            }
        };
        let review = tx
            .query(
                "INSERT INTO study_card_reviews (user_id, card_id, outcome, had_progress, \
                 stage_before, due_before, outcome_before, reviewed_before, stage_after, due_after, \
                 reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(user.0)
            .bind(card_id)
            .bind(outcome.as_str());
        let review_id: i64 = bind_before(review, before.as_ref())
            .bind(after.stage)
            .bind(after.due_at)
            .bind(now)
            .scalar(&mut tx)
            .await?;
        if self.publish {
            let written = load_progress(&mut tx, user, card_id)
                .await?
                .ok_or(StoreError::NotFound("progress"))?;
            let entry = progress_outbox(&written, topic_id);
            write_outbox(&mut tx, user, &entry, now).await?;
        }
        let undo = UndoData::Rate {
            card_id,
            progress_id,
            before: before.clone(),
            review_id,
        };
        push_undo(&mut tx, user, UndoKind::Rate, &undo, now).await?;
        tx.commit().await?;
        Ok(self.result(before.as_ref(), after))
    }
}
