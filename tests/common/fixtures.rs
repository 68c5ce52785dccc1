//! Test fixtures that need raw SQL: inserting extracted cards (the worker's job in the app),
//! dumping rows exactly, counting rows, and injecting faults with triggers.
#![allow(dead_code)]

use amgi::domain::card::CardFormat;
use amgi::domain::normalize::{DedupScope, dedup_hash};
use amgi::store::{CardId, ImportSet, NewQuestion, QuestionId, UserId};
use sqlx::Executor;

use super::{Kind, TestDb};

/// Imports one question (topic `topic`) and returns its id.
pub async fn question(db: &TestDb, user: UserId, topic: &str, text: &str) -> QuestionId {
    let set = ImportSet {
        topics: vec![(
            topic.to_owned(),
            vec![NewQuestion {
                question_text: text.to_owned(),
                choices: vec!["1443년".into(), "1446년".into(), "1592년".into()],
                correct_choice: 2,
                explanation: Some("훈민정음은 1446년에 반포되었다.".into()),
                explanation_generated_at: None,
            }],
        )],
    };
    db.store
        .import(user, &set)
        .await
        .unwrap_or_else(|e| panic!("import: {e}"));
    db.store
        .list_questions(user, None)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|q| q.question_text == text)
        .map(|q| q.id)
        .unwrap_or_else(|| panic!("question {text} not imported"))
}

/// Inserts an extracted, in-review QA card for `question_id` with one evidence row.
pub async fn card(
    db: &TestDb,
    user: UserId,
    question_id: QuestionId,
    cue: &str,
    fact: &str,
) -> CardId {
    let hash = dedup_hash(DedupScope::Question(question_id.0), CardFormat::Qa, fact);
    let id: CardId = match &db.kind {
        Kind::Sqlite { sqlite, .. } => sqlx::query_scalar(
            "INSERT INTO study_memo_cards (user_id, study_topic_id, source_kind, source_id, source_question_id, \
             format, cue, fact, dedup_hash, created_at, updated_at) \
             SELECT $1, study_topic_id, 'question', id, id, 'qa', $3, $4, $5, 0, 0 FROM study_questions WHERE id = $2 \
             RETURNING id",
        )
        .bind(user.0)
        .bind(question_id)
        .bind(cue)
        .bind(fact)
        .bind(&hash)
        .fetch_one(sqlite.pool())
        .await
        .unwrap_or_else(|e| panic!("insert card: {e}")),
        Kind::Postgres { pg, .. } => sqlx::query_scalar(
            "INSERT INTO study_memo_cards (user_id, study_topic_id, source_kind, source_id, source_question_id, \
             format, cue, fact, dedup_hash) \
             SELECT $1, study_topic_id, 'question', id, id, 'qa', $3, $4, $5 FROM study_questions WHERE id = $2 \
             RETURNING id",
        )
        .bind(user.0)
        .bind(question_id)
        .bind(cue)
        .bind(fact)
        .bind(&hash)
        .fetch_one(pg.pool())
        .await
        .unwrap_or_else(|e| panic!("insert card: {e}")),
    };
    let evidence = "INSERT INTO study_memo_card_evidence (card_id, source_type, source_id, snippet, created_at) \
                    VALUES ($1, 'question', $2, $3, 0)";
    match &db.kind {
        Kind::Sqlite { sqlite, .. } => {
            sqlx::query(evidence).bind(id).bind(question_id).bind(fact).execute(sqlite.pool()).await.map(|_| ())
        }
        Kind::Postgres { pg, .. } => sqlx::query(
            "INSERT INTO study_memo_card_evidence (card_id, source_type, source_id, snippet) VALUES ($1, 'question', $2, $3)",
        )
        .bind(id)
        .bind(question_id)
        .bind(fact)
        .execute(pg.pool())
        .await
        .map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("insert evidence: {e}"));
    id
}

/// An approved card (inserted, then approved through the store).
pub async fn approved_card(
    db: &TestDb,
    user: UserId,
    question_id: QuestionId,
    cue: &str,
    fact: &str,
) -> CardId {
    let id = card(db, user, question_id, cue, fact).await;
    db.store
        .approve_card(user, id, chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("approve: {e}"));
    id
}

/// Every column of a card row but the derived `search_text` (computed on write or before a
/// search), as JSON text: equal strings mean equal rows.
pub async fn card_row(db: &TestDb, id: CardId) -> String {
    match &db.kind {
        Kind::Sqlite { sqlite, .. } => sqlx::query_scalar(
            "SELECT json_object('id', id, 'user_id', user_id, 'needs_review', needs_review, 'flagged_by', flagged_by, \
             'flagged_at', flagged_at, 'cue', cue, 'fact', fact, 'cloze_text', cloze_text, 'dedup_hash', dedup_hash, \
             'deleted_at', deleted_at, 'updated_at', updated_at, 'view_count', view_count, \
             'last_viewed_at', last_viewed_at, 'extra', extra, 'created_at', created_at) \
             FROM study_memo_cards WHERE id = $1",
        )
        .bind(id)
        .fetch_one(sqlite.pool())
        .await,
        Kind::Postgres { pg, .. } => {
            sqlx::query_scalar(
                "SELECT (to_jsonb(c) - 'search_text')::TEXT FROM study_memo_cards c WHERE id = $1",
            )
                .bind(id)
                .fetch_one(pg.pool())
                .await
        }
    }
    .unwrap_or_else(|e| panic!("card_row: {e}"))
}

/// The progress row of a card as JSON text, or "none".
pub async fn progress_row(db: &TestDb, card_id: CardId) -> String {
    let row: Option<String> = match &db.kind {
        Kind::Sqlite { sqlite, .. } => sqlx::query_scalar(
            "SELECT json_object('id', id, 'last_outcome', last_outcome, 'last_reviewed_at', last_reviewed_at, \
             'due_at', due_at, 'review_stage', review_stage, 'created_at', created_at, 'updated_at', updated_at) \
             FROM study_memo_card_progress WHERE card_id = $1",
        )
        .bind(card_id)
        .fetch_optional(sqlite.pool())
        .await,
        Kind::Postgres { pg, .. } => {
            sqlx::query_scalar("SELECT row_to_json(p)::TEXT FROM study_memo_card_progress p WHERE card_id = $1")
                .bind(card_id)
                .fetch_optional(pg.pool())
                .await
        }
    }
    .unwrap_or_else(|e| panic!("progress_row: {e}"));
    row.unwrap_or_else(|| "none".to_owned())
}

/// Rows in `table` (a fixed table name from the test itself).
pub async fn count(db: &TestDb, table: &'static str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    match &db.kind {
        Kind::Sqlite { sqlite, .. } => sqlx::query_scalar(sql).fetch_one(sqlite.pool()).await,
        Kind::Postgres { pg, .. } => sqlx::query_scalar(sql).fetch_one(pg.pool()).await,
    }
    .unwrap_or_else(|e| panic!("count {table}: {e}"))
}

/// Makes every insert into the outbox fail, to prove a change and its outbox row commit together.
pub async fn break_outbox(db: &TestDb) {
    match &db.kind {
        Kind::Sqlite { sqlite, .. } => sqlite
            .pool()
            .execute(
                "CREATE TRIGGER outbox_fault BEFORE INSERT ON publish_outbox BEGIN SELECT RAISE(ABORT, 'injected outbox fault'); END",
            )
            .await
            .map(|_| ()),
        Kind::Postgres { pg, .. } => pg
            .pool()
            .execute(
                "CREATE FUNCTION outbox_fault() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected outbox fault'; END $$; \
                 CREATE TRIGGER outbox_fault BEFORE INSERT ON publish_outbox FOR EACH ROW EXECUTE FUNCTION outbox_fault();",
            )
            .await
            .map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("break_outbox: {e}"));
}

/// Card id → stored dedup hash, for the user's cards.
pub async fn dedup_hashes(db: &TestDb, user: UserId) -> std::collections::HashMap<i64, String> {
    let sql = "SELECT id, dedup_hash FROM study_memo_cards WHERE user_id = $1";
    let rows: Vec<(i64, String)> = match &db.kind {
        Kind::Sqlite { sqlite, .. } => {
            sqlx::query_as(sql)
                .bind(user.0)
                .fetch_all(sqlite.pool())
                .await
        }
        Kind::Postgres { pg, .. } => sqlx::query_as(sql).bind(user.0).fetch_all(pg.pool()).await,
    }
    .unwrap_or_else(|e| panic!("dedup_hashes: {e}"));
    rows.into_iter().collect()
}
