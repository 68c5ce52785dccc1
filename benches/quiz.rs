//! Finalizing a quiz (issue 17) on SQLite and PostgreSQL: a 20-question session (some
//! answers wrong or unsure, so explanation jobs are asked for, some questions on the ladder)
//! finalized against 100,000 attempts already stored (5,000 questions × 20 attempts, each
//! with its progress row). Each sample starts and answers a new session untimed, then times
//! `finalize_quiz` alone (one transaction: progress, patterns, ladder, counts, jobs).
//!
//! `cargo bench --bench quiz` (attempts: `AMGI_BENCH_SIZES=100000`; backends:
//! `AMGI_BENCH_BACKENDS`). Under `cargo test` it runs once on 2,000 attempts and checks that
//! the session was finalized with its 20 answers.

mod support;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use amgi::store::prelude::*;
use amgi::store::{ImportSet, Location, NewQuestion, UserId};
use chrono::{Duration, Utc};
use divan::Bencher;
use sqlx::Connection as _;

/// Questions per session, as the target names it.
const SESSION: usize = 20;
/// Attempts already stored per question.
const ATTEMPTS_PER_QUESTION: u64 = 20;

fn main() {
    amgi::allocator::configure();
    divan::main();
}

static RT: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Runtime::new().expect("a tokio runtime"));

/// The store of each backend with its data, made on first use.
static FIXTURES: LazyLock<Mutex<HashMap<&'static str, (SharedStore, UserId)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn attempts() -> u64 {
    support::sizes(&[100_000], 2_000)
        .first()
        .copied()
        .unwrap_or(100_000)
}

fn fixture(backend: &'static str) -> (SharedStore, UserId) {
    let mut fixtures = FIXTURES.lock().expect("the fixtures lock");
    fixtures
        .entry(backend)
        .or_insert_with(|| RT.block_on(generate(backend, attempts())))
        .clone()
}

/// Questions of one topic (no explanations), their past attempts spread over the last 100
/// days in one finished session, and a progress row per question (every third on the ladder).
async fn generate(backend: &'static str, attempts: u64) -> (SharedStore, UserId) {
    let started = std::time::Instant::now();
    let location = support::fresh_database(backend, "quiz").await;
    let store = amgi::store::open(&location, false)
        .await
        .expect("open the bench store");
    let me = store.ensure_user("bench").await.expect("the bench user");
    let questions = attempts / ATTEMPTS_PER_QUESTION;
    let set = ImportSet {
        topics: vec![(
            "한국사".to_owned(),
            (0..questions)
                .map(|i| NewQuestion {
                    question_text: format!("문제 {i}: 훈민정음이 반포된 해는?"),
                    choices: vec!["1443년".into(), "1446년".into(), "1592년".into()],
                    correct_choice: 2,
                    explanation: None,
                    explanation_generated_at: None,
                })
                .collect(),
        )],
    };
    store.import(me, &set).await.expect("import the questions");
    let (sqlite, postgres) = HISTORY;
    match &location {
        Location::SqliteFile(path) => {
            let url = format!("sqlite://{}", path.display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
            sqlx::raw_sql(sqlite)
                .execute(&mut conn)
                .await
                .expect("history");
        }
        Location::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.expect("postgres");
            sqlx::raw_sql(postgres)
                .execute(&mut conn)
                .await
                .expect("history");
        }
    }
    eprintln!(
        "{backend}: {questions} questions, {attempts} attempts stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (store, me)
}

/// The history, in each database's time type (SQLite: unix ms; PostgreSQL: timestamptz):
/// one done session holding every past attempt (the n-th attempt of a question n days ago;
/// wrong, unsure or correct in turn), then one progress row per question from its latest.
const HISTORY: (&str, &str) = (
    "INSERT INTO study_quiz_sessions (user_id, study_topic_id, status, question_ids, started_at, finished_at) \
       SELECT id, NULL, 'done', '[]', 0, 1 FROM users WHERE name = 'bench'; \
     INSERT INTO study_question_attempts (user_id, study_topic_id, study_question_id, quiz_session_id, \
       chosen_choice, outcome, answered_at) \
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) \
     SELECT q.user_id, q.study_topic_id, q.id, (SELECT MAX(id) FROM study_quiz_sessions), \
       CASE (q.id + n.i) % 4 WHEN 0 THEN 1 ELSE 2 END, \
       CASE (q.id + n.i) % 4 WHEN 0 THEN 'wrong' WHEN 1 THEN 'unsure' ELSE 'correct' END, \
       CAST(strftime('%s', 'now') AS INTEGER) * 1000 - n.i * 86400000 \
     FROM study_questions q CROSS JOIN n; \
     INSERT INTO study_question_progress (user_id, study_topic_id, study_question_id, last_outcome, \
       last_attempted_at, last_attempt_id, pattern_state, pattern_updated_at, pattern_window_attempts, \
       due_at, review_stage, created_at, updated_at) \
     SELECT a.user_id, a.study_topic_id, a.study_question_id, a.outcome, a.answered_at, a.id, 'learning', \
       a.answered_at, 3, CASE WHEN a.study_question_id % 3 = 0 THEN a.answered_at + 86400000 END, \
       CASE WHEN a.study_question_id % 3 = 0 THEN 1 END, a.answered_at, a.answered_at \
     FROM study_question_attempts a WHERE a.answered_at = \
       (SELECT MAX(b.answered_at) FROM study_question_attempts b WHERE b.user_id = a.user_id AND b.study_question_id = a.study_question_id);",
    "INSERT INTO study_quiz_sessions (user_id, study_topic_id, status, question_ids, started_at, finished_at) \
       SELECT id, NULL, 'done', '[]', now(), now() FROM users WHERE name = 'bench'; \
     INSERT INTO study_question_attempts (user_id, study_topic_id, study_question_id, quiz_session_id, \
       chosen_choice, outcome, answered_at) \
     SELECT q.user_id, q.study_topic_id, q.id, (SELECT MAX(id) FROM study_quiz_sessions), \
       CASE (q.id + n.i) % 4 WHEN 0 THEN 1 ELSE 2 END, \
       CASE (q.id + n.i) % 4 WHEN 0 THEN 'wrong' WHEN 1 THEN 'unsure' ELSE 'correct' END, \
       date_trunc('milliseconds', now()) - n.i * interval '1 day' \
     FROM study_questions q CROSS JOIN generate_series(1, 20) AS n(i); \
     INSERT INTO study_question_progress (user_id, study_topic_id, study_question_id, last_outcome, \
       last_attempted_at, last_attempt_id, pattern_state, pattern_updated_at, pattern_window_attempts, \
       due_at, review_stage, created_at, updated_at) \
     SELECT DISTINCT ON (a.study_question_id) a.user_id, a.study_topic_id, a.study_question_id, a.outcome, \
       a.answered_at, a.id, 'learning', a.answered_at, 3, \
       CASE WHEN a.study_question_id % 3 = 0 THEN a.answered_at + interval '1 day' END, \
       CASE WHEN a.study_question_id % 3 = 0 THEN 1 END, a.answered_at, a.answered_at \
     FROM study_question_attempts a ORDER BY a.study_question_id, a.answered_at DESC; \
     ANALYZE;",
);

/// Starts a session of 20 and answers it (untimed): every fifth answer wrong, every fifth
/// unsure, one skipped, the rest right. Returns the session id.
async fn answered_session(store: &SharedStore, me: UserId) -> i64 {
    let now = Utc::now();
    let session = store
        .start_quiz(me, None, SESSION as u32, now)
        .await
        .expect("start a quiz");
    assert_eq!(session.questions.len(), SESSION);
    for (i, q) in session.questions.iter().enumerate() {
        let (chosen, unsure) = match i % 5 {
            0 => (Some(1), false),
            1 => (Some(2), true),
            2 if i == 2 => (None, false),
            _ => (Some(2), false),
        };
        let at = now + Duration::milliseconds(i as i64 + 1);
        store
            .answer_question(me, session.id, q.id, chosen, unsure, at)
            .await
            .expect("answer");
    }
    session.id
}

#[divan::bench(args = support::backends(), sample_count = 60, sample_size = 1)]
fn finalize_20_questions_over_100k_attempts(bencher: Bencher, backend: &'static str) {
    let (store, me) = fixture(backend);
    bencher
        .with_inputs(|| RT.block_on(answered_session(&store, me)))
        .bench_local_values(|session| {
            let summary = RT
                .block_on(store.finalize_quiz(me, session, Utc::now() + Duration::seconds(1)))
                .expect("finalize");
            let c = summary.session;
            assert_eq!(c.correct + c.wrong + c.unsure + c.skipped, SESSION as i64);
            summary
        });
}
