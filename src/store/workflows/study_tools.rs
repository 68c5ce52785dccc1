//! The Due deck under the day's rules (topic, new-card limit, sibling burying) and the
//! focused topic (issue 18). Which cards make the deck is decided by the pure
//! [`crate::domain::due_plan`]; this reads its inputs in two statements.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::rows::card_columns;
use super::study::{DueRow, deck_document, due_cards, read_deck};
use crate::domain::due_plan::{self, Sibling};
use crate::store::sql::{Connected, Db, IdList};
use crate::store::{DueDeck, DueRequest, StoreError, StoreResult, TopicId, UserId};

impl Sibling for DueRow {
    fn question(&self) -> Option<i64> {
        DueRow::question(self).map(|q| q.0)
    }
}

/// Both halves of the deck, narrowed to a topic (`$4`, NULL: all) and without the questions
/// answered today (`$5`); at most `$3` due cards and `$6` new ones. `$not_answered` is the
/// dialect's "not in the id list".
macro_rules! due_today_sql {
    ($not_answered:literal) => {
        concat!(
            "SELECT * FROM (SELECT * FROM (SELECT ",
            card_columns!(),
            ", p.review_stage AS p_stage, p.due_at AS p_due, 0 AS bucket \
               FROM study_memo_card_progress p JOIN study_memo_cards c ON c.id = p.card_id \
               WHERE p.user_id = $1 AND p.due_at IS NOT NULL AND p.due_at <= $2 \
                 AND (p.review_stage IS NULL OR p.review_stage < 4) \
                 AND c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
                 AND (CAST($4 AS BIGINT) IS NULL OR c.study_topic_id = $4) \
                 AND (c.source_question_id IS NULL OR ",
            $not_answered,
            ") ORDER BY p.due_at, p.card_id LIMIT $3) AS due \
             UNION ALL SELECT * FROM (SELECT ",
            card_columns!(),
            ", CAST(NULL AS SMALLINT) AS p_stage, CAST(NULL AS TIMESTAMPTZ) AS p_due, 1 AS bucket \
               FROM study_memo_cards c \
               WHERE c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
                 AND (CAST($4 AS BIGINT) IS NULL OR c.study_topic_id = $4) \
                 AND (c.source_question_id IS NULL OR ",
            $not_answered,
            ") AND NOT EXISTS (SELECT 1 FROM study_memo_card_progress p WHERE p.user_id = $1 AND p.card_id = c.id) \
               ORDER BY c.id LIMIT $6) AS new) AS deck ORDER BY bucket, p_due, id"
        )
    };
}

/// One review of today: the card's question, and whether it was the card's first rating.
#[derive(sqlx::FromRow)]
struct TodayReview {
    source_question_id: Option<i64>,
    had_progress: bool,
}

pub(super) async fn due_deck_today(
    db: &Db,
    user: UserId,
    request: &DueRequest,
) -> StoreResult<DueDeck> {
    let mut conn = db.read().await?;
    let today: Vec<TodayReview> = conn
        .query(
            "SELECT c.source_question_id, r.had_progress FROM study_card_reviews r \
             JOIN study_memo_cards c ON c.id = r.card_id \
             WHERE r.user_id = $1 AND r.reviewed_at >= $2 AND c.user_id = $1",
        )
        .bind(user.0)
        .bind(request.today.start)
        .fetch_all(&mut conn)
        .await?;
    let introduced = today.iter().filter(|r| !r.had_progress).count() as u64;
    let answered: HashSet<i64> = if request.rules.bury_siblings {
        today.iter().filter_map(|r| r.source_question_id).collect()
    } else {
        HashSet::new()
    };
    let new_left = due_plan::new_cards_left(request.rules, introduced);
    // Burying drops siblings after the read, so new cards are read a batch at a time, not
    // only as many as the allowance.
    let new_limit = if new_left == 0 { 0 } else { request.limit };
    let document: String = conn
        .query_pick(
            deck_document!(
                sqlite,
                due_today_sql!("c.source_question_id NOT IN (SELECT value FROM json_each($5))")
            ),
            deck_document!(
                postgres,
                due_today_sql!("NOT (c.source_question_id = ANY($5))")
            ),
        )
        .bind(user.0)
        .bind(request.now)
        .bind(i64::from(request.limit))
        .bind(request.topic.map(|t| t.0))
        .bind(answered.iter().copied().collect::<IdList>())
        .bind(i64::from(new_limit))
        .scalar(&mut conn)
        .await?;
    let (due, new): (Vec<DueRow>, Vec<DueRow>) =
        read_deck(&document)?.into_iter().partition(DueRow::is_due);
    let planned = due_plan::plan(due, new, &answered, new_left, request.rules);
    Ok(DueDeck {
        cards: due_cards(&mut conn, user, planned).await?,
        new_introduced_today: introduced,
    })
}

pub(super) async fn focus_topic(
    db: &Db,
    user: UserId,
    topic: Option<TopicId>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut conn = db.write_one().await?;
    match topic {
        Some(topic) => {
            let done = conn
                .query(
                    "UPDATE study_topics SET focused_at = $3 \
                     WHERE id = $2 AND user_id = $1 AND deleted_at IS NULL",
                )
                .bind(user.0)
                .bind(topic.0)
                .bind(now)
                .execute(&mut conn)
                .await?;
            if done == 0 {
                return Err(StoreError::NotFound("topic"));
            }
        }
        None => {
            conn.query(
                "UPDATE study_topics SET focused_at = NULL WHERE user_id = $1 AND focused_at IS NOT NULL",
            )
            .bind(user.0)
            .execute(&mut conn)
            .await?;
        }
    }
    Ok(())
}

pub(super) async fn focused_topic(db: &Db, user: UserId) -> StoreResult<Option<TopicId>> {
    let mut conn = db.read().await?;
    let id: Option<i64> = conn
        .query(
            "SELECT id FROM study_topics WHERE user_id = $1 AND deleted_at IS NULL \
             AND focused_at IS NOT NULL ORDER BY focused_at DESC, id DESC LIMIT 1",
        )
        .bind(user.0)
        .scalar_optional(&mut conn)
        .await?;
    Ok(id.map(TopicId))
}
