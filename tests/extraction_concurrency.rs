//! Concurrency of the queue across "processes" (independent connection pools on one database):
//! concurrent pollers over 1,000 ready questions create exactly one job each, and concurrent
//! workers process every job exactly once without duplicating a card. PostgreSQL: 8 pollers
//! and 4 workers; SQLite: 2 and 2. The built-in extractor keeps it offline and fast.

mod common;
mod extraction_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use amgi::store::{ImportSet, JobId, NewQuestion, SharedStore, UserId};
use amgi::work::{BuiltinExtractor, EngineEvent};
use chrono::Utc;
use tokio::sync::Barrier;

use common::{TestDb, user};
use extraction_support::{EXPLANATION, count, drain_settings, now_ms, run_until_stopped};

const QUESTIONS: i64 = 1000;

async fn seed(store: &SharedStore, me: UserId) {
    let newest = now_ms();
    let questions = (0..QUESTIONS)
        .map(|i| NewQuestion {
            question_text: format!("훈민정음을 반포한 해는? (문항 {i})"),
            choices: vec!["1443년".into(), "1446년".into(), "1450년".into()],
            correct_choice: 2,
            explanation: Some(EXPLANATION.to_owned()),
            explanation_generated_at: Some(newest - chrono::TimeDelta::milliseconds(i)),
        })
        .collect();
    let set = ImportSet {
        topics: vec![("한국사".to_owned(), questions)],
    };
    let report = store.import(me, &set).await;
    assert_eq!(report.ok().map(|r| r.questions_created), Some(1000));
}

/// `n` pollers, each on its own pool, start together and poll until nothing is left.
/// Returns the jobs each one enqueued.
async fn race_pollers(db: &TestDb, n: usize) -> Vec<u64> {
    let barrier = Arc::new(Barrier::new(n));
    let mut pollers = Vec::new();
    for _ in 0..n {
        let store = db.reopen().await;
        let barrier = barrier.clone();
        pollers.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut enqueued = 0;
            loop {
                let report = store
                    .enqueue_ready(50, 2, Utc::now())
                    .await
                    .unwrap_or_else(|e| panic!("poll: {e}"));
                enqueued += report.enqueued;
                if report.candidates == 0 {
                    return enqueued;
                }
            }
        }));
    }
    let mut counts = Vec::new();
    for poller in pollers {
        counts.push(poller.await.unwrap_or_else(|e| panic!("poller: {e}")));
    }
    counts
}

/// `n` engines in drain mode, each on its own pool, until all have stopped. Returns, per
/// job id, how many times a worker started it, and the number of cards the workers stored.
async fn race_workers(db: &TestDb, n: usize) -> (HashMap<JobId, u32>, usize, Vec<usize>) {
    let mut workers = Vec::new();
    for _ in 0..n {
        let store = db.reopen().await;
        let settings = drain_settings(Arc::new(BuiltinExtractor), 2);
        workers.push(tokio::spawn(run_until_stopped(
            store,
            settings,
            Duration::from_secs(120),
        )));
    }
    let mut starts: HashMap<JobId, u32> = HashMap::new();
    let mut cards = 0;
    let mut per_worker = Vec::new();
    for worker in workers {
        let events = worker.await.unwrap_or_else(|e| panic!("worker: {e}"));
        let mut jobs = 0;
        for (_, event) in events {
            match event {
                EngineEvent::JobStarted { job_id, .. } => {
                    *starts.entry(job_id).or_default() += 1;
                    jobs += 1;
                }
                EngineEvent::JobFinished { card_ids, .. } => cards += card_ids.len(),
                EngineEvent::JobFailed { .. }
                | EngineEvent::JobFenced { .. }
                | EngineEvent::StoreError { .. } => panic!("unexpected {event:?}"),
                _ => {}
            }
        }
        per_worker.push(jobs);
    }
    (starts, cards, per_worker)
}

async fn pollers_then_workers(db: &TestDb, pollers: usize, workers: usize) {
    let store = db.store();
    let me = user(store, "me").await;
    seed(store, me).await;

    let started = Instant::now();
    let enqueued = race_pollers(db, pollers).await;
    let polling = started.elapsed();
    assert_eq!(
        enqueued.iter().sum::<u64>(),
        1000,
        "per poller: {enqueued:?}"
    );
    let jobs = "SELECT COUNT(*) FROM study_memo_card_jobs WHERE user_id = $1";
    assert_eq!(count(db, jobs, me.0).await, QUESTIONS);
    let distinct = "SELECT COUNT(DISTINCT source_id) FROM study_memo_card_jobs WHERE user_id = $1";
    assert_eq!(count(db, distinct, me.0).await, QUESTIONS);

    let started = Instant::now();
    let (starts, cards, per_worker) = race_workers(db, workers).await;
    let working = started.elapsed();
    assert_eq!(starts.len(), 1000, "jobs started");
    assert!(
        starts.values().all(|n| *n == 1),
        "a job was processed twice"
    );
    let completed =
        "SELECT COUNT(*) FROM study_memo_card_jobs WHERE user_id = $1 AND status = 'completed'";
    assert_eq!(count(db, completed, me.0).await, QUESTIONS);
    let attempts = "SELECT COALESCE(SUM(attempts), 0) FROM study_memo_card_jobs WHERE user_id = $1";
    assert_eq!(count(db, attempts, me.0).await, QUESTIONS);

    let stored = "SELECT COUNT(*) FROM study_memo_cards WHERE user_id = $1";
    let unique = "SELECT COUNT(DISTINCT dedup_hash) FROM study_memo_cards WHERE user_id = $1";
    let per_question = "SELECT COUNT(*) FROM (SELECT source_question_id FROM study_memo_cards \
                        WHERE user_id = $1 GROUP BY source_question_id) AS q";
    let evidence = "SELECT COUNT(*) FROM study_memo_card_evidence e \
                    JOIN study_memo_cards c ON c.id = e.card_id WHERE c.user_id = $1";
    let stored_cards = count(db, stored, me.0).await;
    assert!(cards >= 1000, "only {cards} cards");
    assert_eq!(stored_cards, i64::try_from(cards).unwrap_or(-1));
    assert_eq!(
        count(db, unique, me.0).await,
        stored_cards,
        "a card was duplicated"
    );
    assert_eq!(count(db, per_question, me.0).await, QUESTIONS);
    assert_eq!(count(db, evidence, me.0).await, stored_cards);
    println!(
        "{pollers} pollers: 1000 jobs in {polling:?} (per poller {enqueued:?}); \
         {workers} workers: 1000 jobs, {stored_cards} cards in {working:?} (per worker {per_worker:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_8_pollers_and_4_workers() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    pollers_then_workers(&db, 8, 4).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_2_processes_poll_and_work() {
    let db = TestDb::sqlite().await;
    pollers_then_workers(&db, 2, 2).await;
    db.finish().await;
}
