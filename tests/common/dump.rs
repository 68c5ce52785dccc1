//! Every row of one user's collection as the database holds it, read with raw SQL (not
//! through the export code under test), with ids replaced by their rank so that two
//! databases holding the same collection under different ids dump alike.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};

use amgi::store::UserId;
use serde_json::{Map, Value};
use sqlx::{Column, Row};

use super::{Kind, TestDb};

type Rows = Vec<Map<String, Value>>;

/// Table → rows, every column but the ids, references as ranks.
pub type Dump = BTreeMap<&'static str, Vec<Value>>;

const TABLES: [(&str, &str); 11] = [
    ("users", "SELECT * FROM users WHERE id = $1"),
    (
        "study_topics",
        "SELECT * FROM study_topics WHERE user_id = $1 ORDER BY id",
    ),
    (
        "study_questions",
        "SELECT * FROM study_questions WHERE user_id = $1 ORDER BY id",
    ),
    (
        "study_memo_cards",
        "SELECT * FROM study_memo_cards WHERE user_id = $1 ORDER BY id",
    ),
    (
        "study_memo_card_evidence",
        "SELECT e.* FROM study_memo_card_evidence e JOIN study_memo_cards c ON c.id = e.card_id \
         WHERE c.user_id = $1 ORDER BY e.id",
    ),
    (
        "study_memo_card_progress",
        "SELECT * FROM study_memo_card_progress WHERE user_id = $1 ORDER BY id",
    ),
    (
        "study_card_reviews",
        "SELECT * FROM study_card_reviews WHERE user_id = $1 ORDER BY id",
    ),
    (
        "study_memo_card_jobs",
        "SELECT * FROM study_memo_card_jobs WHERE user_id = $1 ORDER BY id",
    ),
    (
        "study_quiz_sessions",
        "SELECT * FROM study_quiz_sessions WHERE user_id = $1 ORDER BY id",
    ),
    (
        "study_question_attempts",
        "SELECT * FROM study_question_attempts WHERE user_id = $1 ORDER BY id",
    ),
    (
        "study_question_progress",
        "SELECT * FROM study_question_progress WHERE user_id = $1 ORDER BY id",
    ),
];

async fn raw(db: &TestDb, sql: &str, user: UserId) -> Rows {
    match &db.kind {
        Kind::Sqlite { sqlite, .. } => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .bind(user.0)
                .fetch_all(sqlite.pool())
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows.iter()
                .map(|row| {
                    let mut map = Map::new();
                    for (i, col) in row.columns().iter().enumerate() {
                        let value = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                            v.map(Value::from).unwrap_or(Value::Null)
                        } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                            v.map(Value::from).unwrap_or(Value::Null)
                        } else {
                            panic!("column {} of {sql} is neither integer nor text", col.name())
                        };
                        map.insert(col.name().to_owned(), value);
                    }
                    map
                })
                .collect()
        }
        Kind::Postgres { pg, .. } => {
            let wrapped = format!("SELECT row_to_json(r)::TEXT FROM ({sql}) r");
            let texts: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(wrapped))
                .bind(user.0)
                .fetch_all(pg.pool())
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            texts
                .iter()
                .map(|t| match serde_json::from_str(t) {
                    Ok(Value::Object(map)) => map,
                    other => panic!("row_to_json gave {other:?}"),
                })
                .collect()
        }
    }
}

fn id(row: &Map<String, Value>, column: &str) -> Option<i64> {
    row.get(column).and_then(Value::as_i64)
}

fn ranks(rows: &Rows) -> HashMap<i64, i64> {
    rows.iter()
        .enumerate()
        .filter_map(|(i, r)| id(r, "id").map(|id| (id, i as i64)))
        .collect()
}

/// Replaces `column`'s id by its rank in `ranks` (a dangling id stays visible as such).
fn rank(row: &mut Map<String, Value>, column: &str, ranks: &HashMap<i64, i64>) {
    if let Some(old) = id(row, column) {
        let new = ranks
            .get(&old)
            .map_or_else(|| format!("dangling {old}"), |r| format!("#{r}"));
        row.insert(column.to_owned(), Value::from(new));
    }
}

/// Replaces each id of the JSON array in `column` (text on SQLite, an array on PostgreSQL)
/// by its rank.
fn rank_list(row: &mut Map<String, Value>, column: &str, ranks: &HashMap<i64, i64>) {
    let list = match row.get(column) {
        Some(Value::String(text)) => serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{column} holds {text:?}, not JSON: {e}")),
        Some(other) => other.clone(),
        None => return,
    };
    let Value::Array(ids) = list else {
        panic!("{column} holds {list}, not an array");
    };
    let ranked = ids
        .iter()
        .map(|id| {
            id.as_i64()
                .and_then(|id| ranks.get(&id))
                .map_or_else(|| format!("dangling {id}"), |r| format!("#{r}"))
        })
        .collect::<Vec<_>>();
    row.insert(column.to_owned(), Value::from(ranked));
}

/// The user's rows. `dedup_hash` is left out: it includes the question id, so a restore
/// recomputes it (checked by the store's own unique index and the restore tests). So is
/// `search_text`, the cards' folded text that the store computes on write or before a search
/// (tests/store_browse.rs checks it).
pub async fn dump(db: &TestDb, user: UserId) -> Dump {
    let mut tables: HashMap<&str, Rows> = HashMap::new();
    for (table, sql) in TABLES {
        tables.insert(table, raw(db, sql, user).await);
    }
    let topics = ranks(&tables["study_topics"]);
    let questions = ranks(&tables["study_questions"]);
    let cards = ranks(&tables["study_memo_cards"]);
    let sessions = ranks(&tables["study_quiz_sessions"]);
    let attempts = ranks(&tables["study_question_attempts"]);
    let mut out = Dump::new();
    for (table, _) in TABLES {
        let mut rows = tables.remove(table).unwrap_or_default();
        for row in &mut rows {
            row.remove("id");
            row.remove("user_id");
            row.remove("dedup_hash");
            row.remove("search_text");
            rank(row, "study_topic_id", &topics);
            rank(row, "source_question_id", &questions);
            rank(row, "card_id", &cards);
            rank(row, "study_question_id", &questions);
            rank(row, "quiz_session_id", &sessions);
            rank(row, "last_attempt_id", &attempts);
            rank_list(row, "question_ids", &questions);
            let from_question = [row.get("source_kind"), row.get("source_type")]
                .iter()
                .any(|k| k.and_then(Value::as_str) == Some("question"));
            if from_question {
                rank(row, "source_id", &questions);
            }
        }
        let mut rows: Vec<Value> = rows.into_iter().map(Value::Object).collect();
        // Rows nothing refers to by id may be written in another order; the review log keeps
        // its order (undo takes the newest).
        if matches!(
            table,
            "study_memo_card_evidence"
                | "study_memo_card_progress"
                | "study_memo_card_jobs"
                | "study_question_progress"
        ) {
            rows.sort_by_key(Value::to_string);
        }
        out.insert(table, rows);
    }
    out
}

/// Asserts two dumps are equal, naming the first table and row that differ.
pub fn assert_same(left: &Dump, right: &Dump) {
    for (table, rows) in left {
        let other = right.get(table).cloned().unwrap_or_default();
        assert_eq!(rows.len(), other.len(), "{table}: row counts differ");
        for (i, (a, b)) in rows.iter().zip(&other).enumerate() {
            assert_eq!(a, b, "{table} row {i} differs");
        }
    }
}
