//! The review queue's cards with their evidence as one JSON document built by the database:
//! one row instead of a row per card and per evidence snippet. On SQLite every row is copied
//! value by value on the driver's worker thread and handed over on its own (10,000 cards
//! took 140–170 ms against 25 ms of SQL, BENCHMARKS.md *Learner operations*).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::store::sql::Connected;
use crate::store::{Card, CardId, Evidence, QuestionId, StoreError, StoreResult, TopicId, UserId};

/// The key/value list of a card in the document ([`ListedCard`]'s fields), for SQLite's
/// `json_object` and PostgreSQL's `json_build_object` alike.
macro_rules! listed_card_fields {
    () => {
        "'id', c.id, 'source_kind', c.source_kind, \
         'source_question_id', c.source_question_id, 'topic_id', c.study_topic_id, \
         'format', c.format, 'cue', c.cue, 'fact', c.fact, 'cloze_text', c.cloze_text, \
         'needs_review', c.needs_review, 'flagged_by', c.flagged_by, \
         'material', c.extra ->> 'material', 'view_count', c.view_count, \
         'last_viewed_at', c.last_viewed_at, 'updated_at', c.updated_at"
    };
}

/// The key/value list of one evidence snippet ([`Evidence`]'s fields).
macro_rules! listed_evidence_fields {
    () => {
        "'source_type', e.source_type, 'source_id', e.source_id, 'snippet', e.snippet"
    };
}

/// The live in-review cards of `user` with their evidence (in insertion order), by source
/// question then id (manual cards, with no question, first on SQLite and last on PostgreSQL:
/// the grouping orders them).
pub(super) async fn review_cards(on: &mut impl Connected, user: UserId) -> StoreResult<Vec<Card>> {
    let document: String = on
        .query_pick(
            // Without statistics SQLite prefers the (user, question) index of all live cards
            // and filters 100k rows for the 10k in review: 55 ms against 6 ms. A scalar
            // subquery's JSON reaches json_object as text, hence json() around the evidence.
            concat!(
                "SELECT json_group_array(json_object(",
                listed_card_fields!(),
                ", 'evidence', json((SELECT json_group_array(json_object(",
                listed_evidence_fields!(),
                ") ORDER BY e.id) FROM study_memo_card_evidence e WHERE e.card_id = c.id))) \
                   ORDER BY c.source_question_id, c.id) \
                 FROM study_memo_cards c INDEXED BY study_memo_cards_review_queue \
                 WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.needs_review"
            ),
            // Timestamps go out as ISO 8601 text with microseconds: a change made from what
            // was shown compares `updated_at` exactly.
            concat!(
                "SELECT CAST(COALESCE(json_agg(json_build_object(",
                listed_card_fields!(),
                ", 'evidence', (SELECT COALESCE(json_agg(json_build_object(",
                listed_evidence_fields!(),
                ") ORDER BY e.id), '[]') FROM study_memo_card_evidence e WHERE e.card_id = c.id)) \
                   ORDER BY c.source_question_id, c.id), '[]') AS TEXT) \
                 FROM study_memo_cards c \
                 WHERE c.user_id = $1 AND c.deleted_at IS NULL AND c.needs_review"
            ),
        )
        .bind(user.0)
        .scalar(on)
        .await?;
    let listed: Vec<ListedCard> = serde_json::from_str(&document)
        .map_err(|e| StoreError::Corrupt(format!("the review listing did not read: {e}")))?;
    listed.into_iter().map(ListedCard::card).collect()
}

/// One card of the document, in the columns' own types.
#[derive(Deserialize)]
struct ListedCard {
    id: CardId,
    source_kind: String,
    source_question_id: Option<QuestionId>,
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
    evidence: Vec<Evidence>,
}

impl ListedCard {
    fn card(self) -> StoreResult<Card> {
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

/// A boolean column: SQLite writes 0 or 1, PostgreSQL true or false.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Int(n) => n != 0,
    })
}

/// A timestamp column as each database writes it: unix milliseconds (SQLite) or ISO 8601
/// text with an offset (PostgreSQL).
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredTime {
    Millis(i64),
    Text(String),
}

impl StoredTime {
    fn time<E: serde::de::Error>(self) -> Result<DateTime<Utc>, E> {
        match self {
            StoredTime::Millis(ms) => DateTime::<Utc>::from_timestamp_millis(ms)
                .ok_or_else(|| E::custom(format!("timestamp {ms} out of range"))),
            StoredTime::Text(text) => DateTime::parse_from_rfc3339(&text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| E::custom(format!("timestamp {text:?}: {e}"))),
        }
    }
}

fn time<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    StoredTime::deserialize(d)?.time()
}

fn optional_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<StoredTime>::deserialize(d)?
        .map(StoredTime::time)
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_databases_forms_read() {
        let sqlite = r#"{"id": 7, "source_kind": "question", "source_question_id": 3,
            "topic_id": null, "format": "cloze", "cue": "세종은 [ ___ ]에", "fact": "1443년",
            "cloze_text": "세종은 1443년에", "needs_review": 1, "flagged_by": null,
            "material": null, "view_count": 0, "last_viewed_at": null,
            "updated_at": 1772355600123, "evidence": [{"source_type": "explanation",
            "source_id": 3, "snippet": "세종은 1443년에 창제"}]}"#;
        let postgres = r#"{"id": 7, "source_kind": "question", "source_question_id": 3,
            "topic_id": null, "format": "cloze", "cue": "세종은 [ ___ ]에", "fact": "1443년",
            "cloze_text": "세종은 1443년에", "needs_review": true, "flagged_by": null,
            "material": null, "view_count": 0, "last_viewed_at": "2026-03-01T18:00:00.000456+09:00",
            "updated_at": "2026-03-01T09:00:00.123+00:00", "evidence": [{"source_type": "explanation",
            "source_id": 3, "snippet": "세종은 1443년에 창제"}]}"#;
        let a = serde_json::from_str::<ListedCard>(sqlite)
            .map_err(|e| e.to_string())
            .and_then(|c| c.card().map_err(|e| e.to_string()));
        let b = serde_json::from_str::<ListedCard>(postgres)
            .map_err(|e| e.to_string())
            .and_then(|c| c.card().map_err(|e| e.to_string()));
        let (Ok(a), Ok(b)) = (a, b) else {
            panic!("did not read");
        };
        assert_eq!(a.updated_at, b.updated_at);
        assert!(a.needs_review && b.needs_review);
        assert_eq!(a.evidence, b.evidence);
        assert_eq!(
            b.last_viewed_at.map(|t| t.timestamp_micros()),
            Some(1_772_355_600_000_456)
        );
    }
}
