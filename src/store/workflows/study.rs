//! The due deck, the cram deck and view recording.

use crate::store::{CardId, QuestionId};
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::listing::listed_evidence_values;
use super::listing::{ListedCard, optional_time};
use super::review::{QuestionRow, question_values, questions_document};
use super::rows::{
    CardRow, attach_evidence, attach_snippets, card_columns, cards, evidence_document,
};
use crate::domain::schedule::LadderState;
use crate::store::sql::{Connected, Db, IdList};
use crate::store::{Card, CramFilter, DueCard, SourceQuestion, StoreError, StoreResult, UserId};

/// A due-deck row, read from `[[card values…], stage, due, bucket]`: the card, and its ladder
/// when it has been rated (bucket 0).
#[derive(serde::Deserialize)]
pub(super) struct DueRow(
    ListedCard,
    Option<i16>,
    #[serde(deserialize_with = "optional_time")] Option<DateTime<Utc>>,
    /// 0: due, 1: new.
    i32,
);

impl DueRow {
    pub(super) fn is_due(&self) -> bool {
        self.3 == 0
    }

    pub(super) fn question(&self) -> Option<QuestionId> {
        self.0.source_question_id
    }
}

/// The rows of `$deck` (a statement selecting `card_columns!()`, `p_stage`, `p_due` and
/// `bucket`) as one JSON document of [`DueRow`]s, per dialect: on SQLite every row of a
/// result is handed over from the driver's worker thread on its own, and the 400 rows of a
/// deck took about twice their SQL's time as rows.
macro_rules! deck_document {
    (sqlite, $deck:expr) => {
        concat!(
            "SELECT json_group_array(json_array(json_array(",
            $crate::store::workflows::listing::deck_card_values!(),
            "), d.p_stage, d.p_due, d.bucket)) FROM (",
            $deck,
            ") AS d"
        )
    };
    (postgres, $deck:expr) => {
        concat!(
            "SELECT CAST(COALESCE(json_agg(json_build_array(json_build_array(",
            $crate::store::workflows::listing::deck_card_values!(),
            "), d.p_stage, d.p_due, d.bucket)), '[]') AS TEXT) FROM (",
            $deck,
            ") AS d"
        )
    };
}
pub(super) use deck_document;

/// The deck's rows from [`deck_document!`], due cards first by due date, then new ones, each
/// by id (the order the statement's `ORDER BY` gave, which an aggregate need not keep).
pub(super) fn read_deck(document: &str) -> StoreResult<Vec<DueRow>> {
    let mut rows: Vec<DueRow> = serde_json::from_str(document)
        .map_err(|e| StoreError::Corrupt(format!("the due deck did not read: {e}")))?;
    rows.sort_by_key(|r| (r.3, r.2, r.0.id));
    Ok(rows)
}

/// The plain due deck: due cards by due date, then new cards by id, `$3` at most.
macro_rules! due_deck_sql {
    () => {
        concat!(
            "SELECT * FROM (SELECT * FROM (SELECT ",
            card_columns!(),
            ", p.review_stage AS p_stage, p.due_at AS p_due, 0 AS bucket \
               FROM study_memo_card_progress p JOIN study_memo_cards c ON c.id = p.card_id \
               WHERE p.user_id = $1 AND p.due_at IS NOT NULL AND p.due_at <= $2 \
                 AND (p.review_stage IS NULL OR p.review_stage < 4) \
                 AND c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
               ORDER BY p.due_at, p.card_id LIMIT $3) AS due \
             UNION ALL SELECT * FROM (SELECT ",
            card_columns!(),
            ", CAST(NULL AS SMALLINT) AS p_stage, CAST(NULL AS TIMESTAMPTZ) AS p_due, 1 AS bucket \
               FROM study_memo_cards c \
               WHERE c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
                 AND NOT EXISTS (SELECT 1 FROM study_memo_card_progress p WHERE p.user_id = $1 AND p.card_id = c.id) \
               ORDER BY c.id LIMIT $3) AS new) AS deck \
             ORDER BY bucket, p_due, id LIMIT $3"
        )
    };
}

pub(super) async fn due_deck(
    db: &Db,
    user: UserId,
    now: DateTime<Utc>,
    limit: u32,
) -> StoreResult<Vec<DueCard>> {
    let mut conn = db.read().await?;
    // Two index-driven halves: due progress rows by due date, then never-rated cards by id.
    // The due half orders by the progress row's `card_id`, not `c.id` (the same value): the
    // (user, due, card) index then gives the whole order and SQLite stops at the limit
    // instead of sorting every due card that shares a due time.
    let document: String = conn
        .query_pick(
            deck_document!(sqlite, due_deck_sql!()),
            deck_document!(postgres, due_deck_sql!()),
        )
        .bind(user.0)
        .bind(now)
        .bind(i64::from(limit))
        .scalar(&mut conn)
        .await?;
    due_cards(&mut conn, user, read_deck(&document)?).await
}

/// The deck's rows as cards with their ladder, evidence and source question.
pub(super) async fn due_cards(
    conn: &mut impl Connected,
    user: UserId,
    rows: Vec<DueRow>,
) -> StoreResult<Vec<DueCard>> {
    let mut ladders = Vec::with_capacity(rows.len());
    let mut deck_cards = Vec::with_capacity(rows.len());
    for row in rows {
        ladders.push(row.is_due().then_some(LadderState {
            stage: row.1,
            due_at: row.2,
        }));
        deck_cards.push(row.0.card()?);
    }
    let questions = if deck_cards.is_empty() {
        Vec::new()
    } else {
        evidence_and_questions(conn, user, &mut deck_cards).await?
    };
    let questions: HashMap<QuestionId, SourceQuestion> = questions
        .into_iter()
        .map(|q| {
            let correct_answer = q.correct_answer();
            let source = SourceQuestion {
                text: q.question_text,
                correct_answer,
            };
            (q.id, source)
        })
        .collect();
    Ok(deck_cards
        .into_iter()
        .zip(ladders)
        .map(|(card, ladder)| DueCard {
            source: card
                .source_question_id
                .and_then(|id| questions.get(&id).cloned()),
            card,
            ladder,
        })
        .collect())
}

/// Gives the cards their evidence and reads their source questions, in one statement.
async fn evidence_and_questions(
    conn: &mut impl Connected,
    user: UserId,
    cards: &mut [Card],
) -> StoreResult<Vec<QuestionRow>> {
    let mut questions: Vec<QuestionId> =
        cards.iter().filter_map(|c| c.source_question_id).collect();
    questions.sort_unstable();
    questions.dedup();
    let (evidence, questions): (String, String) = conn
        .query_pick(
            concat!(
                "SELECT ",
                evidence_document!(sqlite),
                ", ",
                questions_document!(sqlite)
            ),
            concat!(
                "SELECT ",
                evidence_document!(postgres),
                ", ",
                questions_document!(postgres)
            ),
        )
        .bind(cards.iter().map(|c| c.id).collect::<IdList>())
        .bind(user.0)
        .bind(questions.into_iter().collect::<IdList>())
        .fetch_one(conn)
        .await?;
    attach_snippets(cards, &evidence)?;
    serde_json::from_str(&questions)
        .map_err(|e| StoreError::Corrupt(format!("the source questions did not read: {e}")))
}

pub(super) async fn cram_deck(
    db: &Db,
    user: UserId,
    filter: &CramFilter,
    limit: u32,
) -> StoreResult<Vec<Card>> {
    let mut conn = db.read().await?;
    let rows: Vec<CardRow> = conn
        .query(concat!(
            "SELECT ",
            card_columns!(),
            " FROM study_memo_cards c WHERE c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review \
             AND (CAST($2 AS TEXT) IS NULL OR c.extra ->> 'material' = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR c.format = $3) \
             AND (CAST($5 AS BIGINT) IS NULL OR c.study_topic_id = $5) \
             ORDER BY c.last_viewed_at NULLS FIRST, c.id LIMIT $4"
        ))
        .bind(user.0)
        .bind(filter.material.as_deref())
        .bind(filter.format.map(|f| f.as_str()))
        .bind(i64::from(limit))
        .bind(filter.topic.map(|t| t.0))
        .fetch_all(&mut conn)
        .await?;
    let mut cards = cards(rows)?;
    attach_evidence(&mut conn, &mut cards).await?;
    Ok(cards)
}

pub(super) async fn record_view(
    db: &Db,
    user: UserId,
    card_id: CardId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut conn = db.write_one().await?;
    let done = conn
        .query(
            "UPDATE study_memo_cards SET view_count = view_count + 1, last_viewed_at = $3 \
             WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
        )
        .bind(card_id)
        .bind(user.0)
        .bind(now)
        .execute(&mut conn)
        .await?;
    if done == 0 {
        return Err(StoreError::NotFound("card"));
    }
    Ok(())
}

pub(super) async fn materials(db: &Db, user: UserId) -> StoreResult<Vec<String>> {
    let mut conn = db.read().await?;
    conn.query(
        "SELECT DISTINCT extra ->> 'material' AS m FROM study_memo_cards \
         WHERE user_id = $1 AND deleted_at IS NULL AND NOT needs_review \
           AND extra ->> 'material' IS NOT NULL ORDER BY m",
    )
    .bind(user.0)
    .scalars(&mut conn)
    .await
}
