//! The review queue's cards, their evidence and their source questions as three JSON
//! documents built by the database in one statement: three rows instead of a row per card,
//! per evidence snippet and per question. On SQLite
//! every row is copied value by value on the driver's worker thread and handed over on its
//! own (10,000 cards took 140–170 ms against 25 ms of SQL, BENCHMARKS.md *Learner
//! operations*). Each card and each snippet is a JSON array of its values, not an object:
//! nesting each card's evidence as objects in the card's object doubled the SQL's time.
//! Each document is a row of its own, read as it arrives: the cards are parsed while the
//! database makes the evidence and the questions.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use super::review::{QuestionRow, question_values};
use crate::store::sql::Connected;
use crate::store::{Card, CardId, Evidence, QuestionId, StoreError, StoreResult, TopicId, UserId};

/// A card's values in the document, in [`ListedCard`]'s field order, for SQLite's
/// `json_array` and PostgreSQL's `json_build_array` alike.
macro_rules! listed_card_values {
    () => {
        "c.id, c.source_kind, c.source_question_id, c.study_topic_id, c.format, c.cue, c.fact, \
         c.cloze_text, c.needs_review, c.flagged_by, c.extra ->> 'material', c.view_count, \
         c.last_viewed_at, c.updated_at"
    };
}

/// [`listed_card_values!`] of a subquery `d` that selects `card_columns!()`.
macro_rules! deck_card_values {
    () => {
        "d.id, d.source_kind, d.source_question_id, d.study_topic_id, d.format, d.cue, d.fact, \
         d.cloze_text, d.needs_review, d.flagged_by, d.material, d.view_count, \
         d.last_viewed_at, d.updated_at"
    };
}
pub(super) use deck_card_values;

/// An evidence snippet's values, in [`ListedEvidence`]'s field order.
macro_rules! listed_evidence_values {
    () => {
        "e.id, e.card_id, e.source_type, e.source_id, e.snippet"
    };
}
pub(super) use listed_evidence_values;

/// The in-review cards of the statements below.
macro_rules! in_review {
    () => {
        "WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.needs_review"
    };
}

/// One of the listing's documents: 0 the cards, 1 their evidence, 2 their questions.
#[derive(sqlx::FromRow)]
struct Document {
    part: i32,
    document: String,
}

/// The live in-review cards of `user` with their evidence (in insertion order), by source
/// question then id, cards without a question first; and their source questions.
pub(super) async fn review_cards(
    on: &mut impl Connected,
    user: UserId,
) -> StoreResult<(Vec<Card>, Vec<QuestionRow>)> {
    let (mut cards, mut evidence, mut questions) = (None, None, None);
    on.query_pick(
        // Without statistics SQLite prefers the (user, question) index of all live cards
        // and filters 100k rows for the 10k in review: 55 ms against 6 ms. The order is
        // made in Rust: SQLite sorts an aggregate's rows for its ORDER BY, values and all.
        concat!(
            "SELECT 0 AS part, (SELECT json_group_array(json_array(",
            listed_card_values!(),
            ")) FROM study_memo_cards c INDEXED BY study_memo_cards_review_queue ",
            in_review!(),
            ") AS document UNION ALL SELECT 1, (SELECT json_group_array(json_array(",
            listed_evidence_values!(),
            ")) FROM study_memo_cards c INDEXED BY study_memo_cards_review_queue \
               JOIN study_memo_card_evidence e ON e.card_id = c.id ",
            in_review!(),
            ") UNION ALL SELECT 2, (SELECT json_group_array(json_array(",
            question_values!(sqlite),
            ")) FROM study_questions q WHERE q.user_id = $1 AND q.id IN \
               (SELECT c.source_question_id FROM study_memo_cards c \
                INDEXED BY study_memo_cards_review_queue ",
            in_review!(),
            "))"
        ),
        // Timestamps go out as ISO 8601 text with microseconds: a change made from what
        // was shown compares `updated_at` exactly.
        concat!(
            "SELECT 0 AS part, CAST(COALESCE((SELECT json_agg(json_build_array(",
            listed_card_values!(),
            ")) FROM study_memo_cards c ",
            in_review!(),
            "), '[]') AS TEXT) AS document \
             UNION ALL SELECT 1, CAST(COALESCE((SELECT json_agg(json_build_array(",
            listed_evidence_values!(),
            ")) FROM study_memo_cards c \
               JOIN study_memo_card_evidence e ON e.card_id = c.id ",
            in_review!(),
            "), '[]') AS TEXT) \
             UNION ALL SELECT 2, CAST(COALESCE((SELECT json_agg(json_build_array(",
            question_values!(postgres),
            ")) FROM study_questions q WHERE q.user_id = $1 AND q.id IN \
               (SELECT c.source_question_id FROM study_memo_cards c ",
            in_review!(),
            ")), '[]') AS TEXT)"
        ),
    )
    .bind(user.0)
    .for_each_row(on, |row: Document| {
        match row.part {
            0 => cards = Some(read_cards(&row.document)?),
            1 => evidence = Some(read_evidence(&row.document)?),
            2 => {
                questions = Some(serde_json::from_str(&row.document).map_err(|e| {
                    StoreError::Corrupt(format!("the source questions did not read: {e}"))
                })?);
            }
            part => {
                return Err(StoreError::Corrupt(format!(
                    "the review listing gave an unknown part {part}"
                )));
            }
        }
        Ok(())
    })
    .await?;
    match (cards, evidence, questions) {
        (Some(cards), Some(evidence), Some(questions)) => {
            Ok((with_evidence(cards, evidence)?, questions))
        }
        _ => Err(StoreError::Corrupt(
            "the review listing lacked one of its documents".into(),
        )),
    }
}

/// The cards of the two documents, each with its evidence in the document's order.
#[cfg(test)]
fn assemble(cards: &str, evidence: &str) -> StoreResult<Vec<Card>> {
    with_evidence(read_cards(cards)?, read_evidence(evidence)?)
}

fn unreadable(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("the review listing did not read: {e}"))
}

/// The cards of the cards document.
fn read_cards(document: &str) -> StoreResult<Vec<Card>> {
    let listed: Vec<ListedCard> = serde_json::from_str(document).map_err(unreadable)?;
    listed.into_iter().map(ListedCard::card).collect()
}

/// The snippets of the evidence document.
fn read_evidence(document: &str) -> StoreResult<Vec<ListedEvidence>> {
    serde_json::from_str(document).map_err(unreadable)
}

/// `cards` in order, each with its snippets in insertion order.
fn with_evidence(
    mut cards: Vec<Card>,
    mut snippets: Vec<ListedEvidence>,
) -> StoreResult<Vec<Card>> {
    // By question then id, cards without a question first (the grouping places those).
    cards.sort_unstable_by_key(|c| (c.source_question_id, c.id));
    snippets.sort_unstable_by_key(|e| e.id);
    let at: HashMap<CardId, usize> = cards.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    for snippet in snippets {
        let card = at.get(&snippet.card_id).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the review listing gave evidence of card {} without the card",
                snippet.card_id.0
            ))
        })?;
        cards[*card].evidence.push(snippet.evidence());
    }
    Ok(cards)
}

/// One evidence snippet of the document ([`listed_evidence_values!`]).
#[derive(Deserialize)]
pub(super) struct ListedEvidence {
    pub(super) id: i64,
    pub(super) card_id: CardId,
    source_type: String,
    source_id: Option<i64>,
    snippet: Option<String>,
}

impl ListedEvidence {
    pub(super) fn evidence(self) -> Evidence {
        Evidence {
            source_type: self.source_type,
            source_id: self.source_id,
            snippet: self.snippet,
        }
    }
}

/// One card of the document, in the columns' own types; read from an array of its values
/// in this order ([`listed_card_values!`]).
#[derive(Deserialize)]
pub(super) struct ListedCard {
    pub(super) id: CardId,
    source_kind: String,
    pub(super) source_question_id: Option<QuestionId>,
    topic_id: Option<TopicId>,
    format: String,
    cue: String,
    fact: String,
    cloze_text: Option<String>,
    #[serde(deserialize_with = "flag")]
    needs_review: bool,
    flagged_by: Option<String>,
    material: Option<String>,
    view_count: i32,
    #[serde(deserialize_with = "optional_time")]
    last_viewed_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "time")]
    updated_at: DateTime<Utc>,
    /// Not in the card's array: filled from the evidence document.
    #[serde(default)]
    evidence: Vec<Evidence>,
}

impl ListedCard {
    pub(super) fn card(self) -> StoreResult<Card> {
        Ok(Card {
            id: self.id,
            source_kind: self.source_kind.parse()?,
            source_question_id: self.source_question_id,
            topic_id: self.topic_id,
            format: self.format.parse()?,
            cue: self.cue,
            fact: self.fact,
            cloze_text: self.cloze_text,
            needs_review: self.needs_review,
            flagged_by: self.flagged_by,
            material: self.material,
            view_count: self.view_count,
            last_viewed_at: self.last_viewed_at,
            updated_at: self.updated_at,
            evidence: self.evidence,
        })
    }
}

/// A boolean column: SQLite writes 0 or 1, PostgreSQL true or false. A visitor of its own
/// rather than an untagged enum, which buffers every value first (10,000 cards, three such
/// fields each).
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct Flag;
    impl Visitor<'_> for Flag {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a boolean or 0/1")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            Ok(v != 0)
        }
    }
    d.deserialize_any(Flag)
}

/// A timestamp column as each database writes it: unix milliseconds (SQLite) or ISO 8601
/// text with an offset (PostgreSQL).
struct StoredTime;

impl Visitor<'_> for StoredTime {
    type Value = DateTime<Utc>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("unix milliseconds or an RFC 3339 timestamp")
    }
    fn visit_i64<E: de::Error>(self, ms: i64) -> Result<DateTime<Utc>, E> {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .ok_or_else(|| E::custom(format!("timestamp {ms} out of range")))
    }
    fn visit_u64<E: de::Error>(self, ms: u64) -> Result<DateTime<Utc>, E> {
        let ms =
            i64::try_from(ms).map_err(|_| E::custom(format!("timestamp {ms} out of range")))?;
        self.visit_i64(ms)
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<DateTime<Utc>, E> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| E::custom(format!("timestamp {text:?}: {e}")))
    }
}

fn time<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    d.deserialize_any(StoredTime)
}

pub(super) fn optional_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    struct Optional;
    impl<'de> Visitor<'de> for Optional {
        type Value = Option<DateTime<Utc>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("null or a timestamp")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            time(d).map(Some)
        }
    }
    d.deserialize_option(Optional)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_databases_forms_read() {
        let sqlite = r#"[[7, "question", 3, null, "cloze", "세종은 [ ___ ]에", "1443년",
            "세종은 1443년에", 1, null, null, 0, null, 1772355600123],
            [9, "manual", null, 2, "qa", "[1, \"]\"]", "{}", null, 1, null, "메모", 4,
            1772355600000, 1772355600124]]"#;
        let postgres = r#"[[7, "question", 3, null, "cloze", "세종은 [ ___ ]에", "1443년",
            "세종은 1443년에", true, null, null, 0, "2026-03-01T18:00:00.000456+09:00",
            "2026-03-01T09:00:00.123+00:00"],
            [9, "manual", null, 2, "qa", "[1, \"]\"]", "{}", null, true, null, "메모", 4,
            "2026-03-01T09:00:00+00:00", "2026-03-01T09:00:00.124+00:00"]]"#;
        let evidence = r#"[[31, 7, "question", 3, "둘째"], [30, 7, "explanation", 3,
            "세종은 1443년에 창제"], [32, 9, "manual", null, null]]"#;
        let read = |cards| assemble(cards, evidence).unwrap_or_else(|e| panic!("{e}"));
        let (a, b) = (read(sqlite), read(postgres));
        let ids: Vec<i64> = a.iter().map(|c| c.id.0).collect();
        assert_eq!(
            ids,
            [9, 7],
            "the card without a question first, then by question"
        );
        let (manual, a, b) = (&a[0], &a[1], &b[1]);
        assert_eq!(a.updated_at, b.updated_at);
        assert!(a.needs_review && b.needs_review && manual.needs_review);
        assert_eq!(a.evidence, b.evidence);
        let snippets: Vec<_> = a.evidence.iter().map(|e| e.snippet.as_deref()).collect();
        assert_eq!(
            snippets,
            [Some("세종은 1443년에 창제"), Some("둘째")],
            "in insertion order"
        );
        assert_eq!(manual.evidence.len(), 1);
        assert_eq!(manual.cue, "[1, \"]\"]");
        assert_eq!(manual.material.as_deref(), Some("메모"));
        assert_eq!(
            b.last_viewed_at.map(|t| t.timestamp_micros()),
            Some(1_772_355_600_000_456)
        );
        let err = assemble(sqlite, r#"[[1, 8, "manual", null, null]]"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("evidence of card 8"), "{err}");
    }
}
