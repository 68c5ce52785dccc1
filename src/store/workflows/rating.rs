//! Rating a card: the decision, shared by both databases, and its writes: on SQLite one
//! round trip for a card rated as it was shown (a read first otherwise), on PostgreSQL a
//! statement at a time (it locks the card's row first).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use sqlx::types::Json;

use super::rows::{UNDO_DEPTH, UNDO_KEPT, load_card, load_progress, push_undo, write_outbox};
use crate::domain::card::Outcome;
use crate::domain::schedule::{self, LadderState};
use crate::store::snapshot::{ProgressState, UndoData, check_ladder_shown, progress_outbox};
use crate::store::sql::{Connected, Db, Dialect, Pool, Pooled, Query, Stamp, Tx};
use crate::store::sqlite::{DbFile, InlineTx, Lent};
use crate::store::{CardId, RatingResult, StoreError, StoreResult, TopicId, UndoKind, UserId};

/// What a rating is decided on, read on SQLite without a transaction: the live card and
/// its progress row, if it was rated. The writes check it again under the write lock.
const RATING_READ_SQLITE: &str = "SELECT c.needs_review, c.study_topic_id, p.id AS p_id, \
      p.last_outcome AS p_last_outcome, p.last_reviewed_at AS p_last_reviewed_at, \
      p.due_at AS p_due_at, p.review_stage AS p_review_stage, p.updated_at AS p_updated_at \
    FROM study_memo_cards c \
    LEFT JOIN study_memo_card_progress p ON p.user_id = c.user_id AND p.card_id = c.id \
    WHERE c.id = $2 AND c.user_id = $1 AND c.deleted_at IS NULL";

/// The card as the rating was decided on (`g`): live, approved, and on the ladder it was
/// decided from (`$7`: it has a progress row; `$8`, `$9`: its stage and due date), then
/// `$topic`. Empty otherwise, and every write of the rating is made from it, so a card
/// changed since is not written at all.
macro_rules! decided_card {
    ($topic:literal) => {
        concat!(
            "WITH g AS (SELECT p.id AS pid, p.last_outcome, p.last_reviewed_at, p.due_at, \
               p.review_stage, p.updated_at \
             FROM study_memo_cards c \
             LEFT JOIN study_memo_card_progress p ON p.user_id = c.user_id AND p.card_id = c.id \
             WHERE c.id = $2 AND c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
               AND (p.id IS NOT NULL) = $7 AND p.review_stage IS $8 AND p.due_at IS $9",
            $topic,
            ") "
        )
    };
}

/// The id of the card's progress row: its own, or the one an insert takes (the largest
/// plus one, as SQLite gives it: the table has no AUTOINCREMENT).
macro_rules! progress_id {
    () => {
        "COALESCE(g.pid, (SELECT COALESCE(MAX(id), 0) + 1 FROM study_memo_card_progress))"
    };
}

/// A stored timestamp (unix milliseconds) as chrono writes it in JSON.
macro_rules! json_time {
    ($column:literal) => {
        concat!(
            "strftime('%Y-%m-%dT%H:%M:%fZ', ",
            $column,
            " / 1000.0, 'unixepoch')"
        )
    };
}

/// A whole rating on SQLite, in one round trip ending with the commit: the review log row,
/// the undo entry ([`UndoData::Rate`], built here because only the database knows the
/// row ids), the journal's prune (every `$11`th entry, down to `$12` entries), `$outbox`,
/// then the progress row. Each is made from `g` ([`decided_card!`]); the last statement
/// says whether the progress row was written, so whether the rating was.
macro_rules! rating_sqlite {
    ($topic:literal, $outbox:expr) => {
        concat!(
            "BEGIN IMMEDIATE; ",
            decided_card!($topic),
            "INSERT INTO study_card_reviews (user_id, card_id, outcome, had_progress, \
               stage_before, due_before, outcome_before, reviewed_before, stage_after, due_after, \
               reviewed_at) \
             SELECT $1, $2, $3, g.pid IS NOT NULL, g.review_stage, g.due_at, g.last_outcome, \
               g.last_reviewed_at, $6, $5, $4 FROM g; ",
            decided_card!($topic),
            "INSERT INTO undo_log (user_id, action, data, created_at) \
             SELECT $1, $10, json_object('type', 'rate', 'card_id', $2, 'progress_id', ",
            progress_id!(),
            ", 'before', json(CASE WHEN g.pid IS NOT NULL THEN json_object('id', g.pid, \
               'card_id', $2, 'last_outcome', g.last_outcome, 'last_reviewed_at', ",
            json_time!("g.last_reviewed_at"),
            ", 'due_at', ",
            json_time!("g.due_at"),
            ", 'review_stage', g.review_stage, 'updated_at', ",
            json_time!("g.updated_at"),
            ") END), 'review_id', last_insert_rowid()), $4 FROM g; ",
            decided_card!($topic),
            "DELETE FROM undo_log WHERE user_id = $1 AND id <= (SELECT last_insert_rowid() - $12 \
               WHERE last_insert_rowid() % $11 = 0 AND EXISTS (SELECT 1 FROM g)); ",
            $outbox,
            decided_card!($topic),
            "INSERT INTO study_memo_card_progress (id, user_id, card_id, last_outcome, \
               last_reviewed_at, due_at, review_stage, created_at, updated_at) \
             SELECT ",
            progress_id!(),
            ", $1, $2, $3, $4, $5, $6, $4, $4 FROM g WHERE true \
             ON CONFLICT (id) DO UPDATE SET last_outcome = excluded.last_outcome, \
               last_reviewed_at = excluded.last_reviewed_at, due_at = excluded.due_at, \
               review_stage = excluded.review_stage, updated_at = excluded.updated_at; \
             SELECT changes(); COMMIT"
        )
    };
}

/// [`rating_sqlite!`] with its outbox row, of a card in topic `$13`.
const RATING_PUBLISHED_SQLITE: &str = rating_sqlite!(
    " AND c.study_topic_id IS $13",
    concat!(
        decided_card!(" AND c.study_topic_id IS $13"),
        "INSERT INTO publish_outbox (user_id, kind, source_id, payload, payload_hash, deleted, \
           created_at) SELECT $1, $14, ",
        progress_id!(),
        ", $15, $16, $17, $4 FROM g; "
    )
);

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
}

impl RatedCardRow {
    fn read(&self, card_id: CardId) -> RatingRead {
        RatingRead {
            needs_review: self.needs_review,
            topic_id: self.study_topic_id,
            before: self.progress(card_id),
        }
    }

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

/// How many times a rating not shown reads the card before it gives up on a card that
/// keeps changing between its read and its write.
const RATING_READS: usize = 3;

/// The card's state a SQLite rating was decided on.
struct Decided {
    before: Option<LadderState>,
    /// The card's topic, when the rating is published (its outbox row names it).
    topic_id: Option<Option<TopicId>>,
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
        Pool::Sqlite { pool, file } => rating.on_sqlite(pool, file).await,
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
    fn result(&self, before: Option<LadderState>, after: LadderState) -> RatingResult {
        RatingResult {
            card_id: self.card_id,
            outcome: self.outcome,
            before,
            after,
        }
    }

    /// On SQLite a rating shown on a known ladder is decided before its transaction and
    /// written in one round trip ([`rating_sqlite!`]), which writes nothing if the card is no
    /// longer as it was decided on. A rating not shown, or one published (its outbox row
    /// names the card's topic), reads the card first. A card changed between that read and
    /// the write is read again.
    async fn on_sqlite(&self, pool: &SqlitePool, file: &Arc<DbFile>) -> StoreResult<RatingResult> {
        for _ in 0..RATING_READS {
            let decided = match (self.shown, self.publish) {
                (Some(before), false) => Decided {
                    before,
                    topic_id: None,
                },
                _ => {
                    let read = self.read_sqlite(pool, file).await?;
                    decide_rating(&read, self.shown, self.outcome, self.now)?;
                    Decided {
                        before: read.before.as_ref().map(ProgressState::ladder),
                        topic_id: Some(read.topic_id),
                    }
                }
            };
            let after = schedule::rate(decided.before, self.outcome, self.now);
            let tx = InlineTx::start(pool, file).await?;
            if self.write_sqlite(tx, &decided, after).await? {
                return Ok(self.result(decided.before, after));
            }
            // Nothing written: the card changed after it was decided on. Refused for the
            // reason it now gives, else (it moved topic, or came back to the ladder shown)
            // decided again.
            let read = self.read_sqlite(pool, file).await?;
            decide_rating(&read, self.shown, self.outcome, self.now)?;
        }
        Err(StoreError::Changed(
            "this card was rated elsewhere after it was shown; your rating was not saved".into(),
        ))
    }

    async fn read_sqlite(&self, pool: &SqlitePool, file: &Arc<DbFile>) -> StoreResult<RatingRead> {
        let mut conn = Pooled::Sqlite(Lent::acquire(pool, file).await?);
        let row = Dialect::Sqlite
            .query(RATING_READ_SQLITE)
            .bind(self.user.0)
            .bind(self.card_id)
            .fetch_optional::<RatedCardRow>(&mut conn)
            .await?;
        row.map(|row| row.read(self.card_id))
            .ok_or(StoreError::NotFound("card"))
    }

    /// The rating's one round trip: whether it was written.
    async fn write_sqlite(
        &self,
        mut tx: InlineTx,
        decided: &Decided,
        after: LadderState,
    ) -> StoreResult<bool> {
        let (user, card_id, now, outcome) = (self.user, self.card_id, self.now, self.outcome);
        let sql = match decided.topic_id {
            Some(_) => RATING_PUBLISHED_SQLITE,
            None => rating_sqlite!("", ""),
        };
        let mut batch = tx
            .begin(sql)
            .bind(user.0)
            .bind(card_id)
            .bind(outcome.as_str())
            .bind(now)
            .bind(after.due_at)
            .bind(after.stage)
            .bind(decided.before.is_some())
            .bind(decided.before.and_then(|l| l.stage))
            .bind(decided.before.and_then(|l| l.due_at))
            .bind(UndoKind::Rate.as_str())
            .bind(UNDO_DEPTH)
            .bind(UNDO_KEPT);
        if let Some(topic_id) = decided.topic_id {
            // The row as a read after the write would return it: SQLite keeps milliseconds.
            let stored = |t: DateTime<Utc>| DateTime::from_timestamp_millis(t.timestamp_millis());
            let written = ProgressState {
                // Not in the payload: the outbox row's `source_id` is the row's id.
                id: 0,
                card_id,
                last_outcome: Some(outcome.as_str().to_owned()),
                last_reviewed_at: stored(now),
                due_at: after.due_at.and_then(stored),
                review_stage: after.stage,
                updated_at: stored(now).unwrap_or(now),
            };
            let entry = progress_outbox(&written, topic_id);
            batch = batch
                .bind(topic_id.map(|t| t.0))
                .bind(entry.kind)
                .bind(Json(entry.payload))
                .bind(entry.payload_hash)
                .bind(entry.deleted);
        }
        let written: Vec<(i64,)> = tx.commit_fetching(batch).await?;
        Ok(written.first().is_some_and(|(rows,)| *rows == 1))
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
        Ok(self.result(before.as_ref().map(ProgressState::ladder), after))
    }
}
