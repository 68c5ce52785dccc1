//! Fixtures and direct SQL for the extraction tests: questions with chosen explanation
//! versions, state changes the Store API does not offer (delete a question, approve a card),
//! row counts read straight from the tables, and an engine run that collects its events.
#![allow(dead_code)]

use std::time::Duration;

use amgi::domain::card::{CardDraft, CardFormat};
use amgi::store::{CardId, ImportSet, JobId, NewQuestion, QuestionId, SharedStore, UserId};
use amgi::work::{Engine, EngineEvent, EngineMode, EngineSettings, Extractor, RetryPolicy};
use chrono::{DateTime, TimeDelta, Utc};
use tokio_util::sync::CancellationToken;

use crate::common::{Kind, TestDb};

/// Now, at millisecond precision (what SQLite stores), so stored times compare equal.
pub fn now_ms() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap_or_default()
}

pub fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

/// The Korean source every queue test extracts from.
pub const EXPLANATION: &str = "세종대왕은 1443년에 훈민정음을 창제하고 1446년에 반포하였다. \
                               집현전 학자들이 창제를 도왔다.";

pub fn new_question(text: &str, version: DateTime<Utc>) -> NewQuestion {
    NewQuestion {
        question_text: text.to_owned(),
        choices: vec!["1443년".into(), "1446년".into(), "1450년".into()],
        correct_choice: 2,
        explanation: Some(EXPLANATION.to_owned()),
        explanation_generated_at: Some(version),
    }
}

/// Imports questions (text, version) into the topic "한국사"; returns their ids in order.
pub async fn add_questions(
    store: &SharedStore,
    user: UserId,
    questions: &[(&str, DateTime<Utc>)],
) -> Vec<QuestionId> {
    let set = ImportSet {
        topics: vec![(
            "한국사".to_owned(),
            questions
                .iter()
                .map(|(text, version)| new_question(text, *version))
                .collect(),
        )],
    };
    store
        .import(user, &set)
        .await
        .unwrap_or_else(|e| panic!("import: {e}"));
    let stored = store
        .list_questions(user, None)
        .await
        .unwrap_or_else(|e| panic!("list questions: {e}"));
    questions
        .iter()
        .map(|(text, _)| {
            stored
                .iter()
                .find(|q| q.question_text == *text)
                .map(|q| q.id)
                .unwrap_or_else(|| panic!("question {text:?} was not imported"))
        })
        .collect()
}

pub fn qa(cue: &str, fact: &str, evidence: &str) -> CardDraft {
    CardDraft {
        format: CardFormat::Qa,
        cue: cue.into(),
        fact: fact.into(),
        cloze_text: None,
        evidence: evidence.into(),
    }
}

/// Sets a question's explanation status and version (`None`: NULL).
pub async fn set_explanation(
    db: &TestDb,
    question_id: QuestionId,
    status: &str,
    version: Option<DateTime<Utc>>,
) {
    let sql = "UPDATE study_questions SET ai_explanation_status = $1, \
               ai_explanation_generated_at = $2 WHERE id = $3";
    let result = match &db.kind {
        Kind::Sqlite { sqlite, .. } => sqlx::query(sql)
            .bind(status)
            .bind(version.map(|v| v.timestamp_millis()))
            .bind(question_id)
            .execute(sqlite.pool())
            .await
            .map(|_| ()),
        Kind::Postgres { pg, .. } => sqlx::query(sql)
            .bind(status)
            .bind(version)
            .bind(question_id)
            .execute(pg.pool())
            .await
            .map(|_| ()),
    };
    result.unwrap_or_else(|e| panic!("set explanation: {e}"));
}

/// Runs a statement that takes one id (`$1`) and is the same SQL on both backends.
pub async fn execute(db: &TestDb, sql: &'static str, id: i64) -> u64 {
    let result = match &db.kind {
        Kind::Sqlite { sqlite, .. } => sqlx::query(sql)
            .bind(id)
            .execute(sqlite.pool())
            .await
            .map(|done| done.rows_affected()),
        Kind::Postgres { pg, .. } => sqlx::query(sql)
            .bind(id)
            .execute(pg.pool())
            .await
            .map(|done| done.rows_affected()),
    };
    result.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Counts with a query that takes one id (`$1`) and is the same SQL on both backends.
pub async fn count(db: &TestDb, sql: &'static str, id: i64) -> i64 {
    let result = match &db.kind {
        Kind::Sqlite { sqlite, .. } => {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(id)
                .fetch_one(sqlite.pool())
                .await
        }
        Kind::Postgres { pg, .. } => {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(id)
                .fetch_one(pg.pool())
                .await
        }
    };
    result.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub async fn delete_question(db: &TestDb, question_id: QuestionId) {
    let sql = "UPDATE study_questions SET deleted_at = created_at WHERE id = $1";
    assert_eq!(execute(db, sql, question_id.0).await, 1);
}

pub async fn approve_card(db: &TestDb, card_id: CardId) {
    let sql = "UPDATE study_memo_cards SET needs_review = FALSE WHERE id = $1";
    assert_eq!(execute(db, sql, card_id.0).await, 1);
}

/// The fencing token a job's latest claim holds (not part of the Store API's job rows).
pub async fn claim_token(db: &TestDb, job_id: JobId) -> i64 {
    count(
        db,
        "SELECT claims FROM study_memo_card_jobs WHERE id = $1",
        job_id.0,
    )
    .await
}

/// One stored card as the extraction tests look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRow {
    pub id: CardId,
    pub fact: String,
    pub needs_review: bool,
    pub deleted: bool,
    pub retired_reason: Option<String>,
    pub evidence: Vec<String>,
}

/// Every card (live or not) of a question, by id.
pub async fn cards_of(db: &TestDb, question_id: QuestionId) -> Vec<CardRow> {
    let sql = "SELECT c.id, c.fact, c.needs_review, c.deleted_at IS NOT NULL AS deleted, \
               c.retired_reason FROM study_memo_cards c WHERE c.source_question_id = $1 ORDER BY c.id";
    let evidence_sql = "SELECT snippet FROM study_memo_card_evidence \
                        WHERE card_id = $1 AND source_type = 'question' ORDER BY id";
    type Row = (CardId, String, bool, bool, Option<String>);
    let rows: Vec<Row> = match &db.kind {
        Kind::Sqlite { sqlite, .. } => sqlx::query_as(sql)
            .bind(question_id)
            .fetch_all(sqlite.pool())
            .await
            .unwrap_or_else(|e| panic!("cards: {e}")),
        Kind::Postgres { pg, .. } => sqlx::query_as(sql)
            .bind(question_id)
            .fetch_all(pg.pool())
            .await
            .unwrap_or_else(|e| panic!("cards: {e}")),
    };
    let mut cards = Vec::new();
    for (id, fact, needs_review, deleted, retired_reason) in rows {
        let evidence: Vec<Option<String>> = match &db.kind {
            Kind::Sqlite { sqlite, .. } => {
                sqlx::query_scalar(evidence_sql)
                    .bind(id)
                    .fetch_all(sqlite.pool())
                    .await
            }
            Kind::Postgres { pg, .. } => {
                sqlx::query_scalar(evidence_sql)
                    .bind(id)
                    .fetch_all(pg.pool())
                    .await
            }
        }
        .unwrap_or_else(|e| panic!("evidence: {e}"));
        cards.push(CardRow {
            id,
            fact,
            needs_review,
            deleted,
            retired_reason,
            evidence: evidence.into_iter().flatten().collect(),
        });
    }
    cards
}

/// Engine settings for tests: drain mode, fast retries, a given extractor.
pub fn drain_settings(
    extractor: std::sync::Arc<dyn Extractor>,
    max_attempts: u16,
) -> EngineSettings {
    EngineSettings {
        worker_id: format!("test-{:04x}", fastrand::u16(..)),
        extractor,
        poll_interval: Duration::from_millis(200),
        batch: 20,
        concurrency: 2,
        max_attempts,
        lease: Duration::from_secs(30),
        max_cards: 20,
        retry: RetryPolicy {
            base: Duration::from_millis(40),
            cap: Duration::from_millis(200),
        },
        shutdown_grace: Duration::from_secs(1),
        mode: EngineMode::Drain,
    }
}

/// An event and when the test received it.
pub type Received = (DateTime<Utc>, EngineEvent);

/// Runs an engine until it stops (drain mode) and returns its events; panics after `limit`.
pub async fn run_until_stopped(
    store: SharedStore,
    settings: EngineSettings,
    limit: Duration,
) -> Vec<Received> {
    let cancel = CancellationToken::new();
    let (handle, mut events) = Engine::spawn(store, settings, cancel.clone());
    let mut received = Vec::new();
    let collect = async {
        while let Some(event) = events.recv().await {
            let stopped = event == EngineEvent::Stopped;
            received.push((Utc::now(), event));
            if stopped {
                break;
            }
        }
    };
    if tokio::time::timeout(limit, collect).await.is_err() {
        cancel.cancel();
        let last = &received[received.len().saturating_sub(5)..];
        panic!(
            "the engine did not stop within {limit:?}; {} events, the last ones: {last:#?}",
            received.len()
        );
    }
    handle.await.unwrap_or_else(|e| panic!("engine task: {e}"));
    received
}
