//! The extraction queue at scale, on SQLite and PostgreSQL: one poll over 1M questions (with
//! nothing new, and with the only new explanations at the far end of the scan), and claim +
//! complete throughput of the real engine with a no-op extractor.
//!
//! `cargo bench --bench queue` (questions: `AMGI_BENCH_SIZES=1000000`; jobs drained:
//! `AMGI_BENCH_JOBS=5000`; engine slots: `AMGI_BENCH_SLOTS=8`; the learner's cards held
//! beforehand: `AMGI_BENCH_CARDS=100000`). Under `cargo test` it runs once on 2,000 questions and checks
//! that the polls and the drain did what they say.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use amgi::domain::card::{CardDraft, CardFormat};
use amgi::domain::extract::SourceContext;
use amgi::store::Location;
use amgi::store::synth::{self, SynthSpec};
use amgi::work::engine::Engine;
use amgi::work::extractor::{ExtractError, Extractor};
use amgi::work::settings::{EngineMode, EngineSettings};
use async_trait::async_trait;
use chrono::Utc;
use sqlx::Connection as _;
use support::{Samples, report, report_rate};
use tokio_util::sync::CancellationToken;

/// The engine's default poll batch (`[extract] batch`).
const BATCH: u32 = 20;

fn main() -> anyhow::Result<()> {
    amgi::allocator::configure();
    let rt = tokio::runtime::Runtime::new()?;
    let jobs: u64 = if support::bench_mode() {
        env_number("AMGI_BENCH_JOBS", 5_000)
    } else {
        60
    };
    for backend in support::backends() {
        for questions in support::sizes(&[1_000_000], 2_000) {
            rt.block_on(run(backend, questions, jobs))?;
        }
    }
    Ok(())
}

async fn run(backend: &str, questions: u64, jobs: u64) -> anyhow::Result<()> {
    let location = support::fresh_database(backend, "queue").await;
    let started = Instant::now();
    // The learner's cards already held (10% of them in review): the finish's lookups and
    // inserts work against a card table of the size the targets name.
    let cards = if support::bench_mode() {
        env_number("AMGI_BENCH_CARDS", 100_000)
    } else {
        400
    };
    let spec = SynthSpec {
        questions: Some(questions),
        fresh_questions: jobs,
        other_users: 0,
        ..SynthSpec::new("bench", cards)
    };
    let generated = synth::generate(&location, &spec).await?;
    eprintln!(
        "{backend}: generated {questions} questions with their jobs done and {jobs} new ones in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let store = amgi::store::open(&location, false).await?;
    let samples = if support::bench_mode() { 30 } else { 2 };

    // The new explanations are the oldest versions: a newest-first scan reaches them last.
    let mut finding = Samples::default();
    for _ in 0..samples {
        let t = Instant::now();
        let polled = store.enqueue_ready(BATCH, 2, Utc::now()).await?;
        finding.push(t.elapsed());
        assert_eq!(polled.enqueued, u64::from(BATCH).min(jobs));
        // Untimed: undo the poll, so the next sample finds the same questions.
        execute(
            &location,
            "UPDATE study_questions SET card_job_version = NULL WHERE id IN \
               (SELECT source_id FROM study_memo_card_jobs WHERE status = 'pending'); \
             DELETE FROM study_memo_card_jobs WHERE status = 'pending'",
        )
        .await?;
    }
    report(
        backend,
        questions,
        &format!("poll finding {BATCH} of {jobs} new"),
        &finding,
    );

    // Throughput: the real engine drains every new question's job; its poll runs between claims.
    let slots = env_number("AMGI_BENCH_SLOTS", 8);
    let cancel = CancellationToken::new();
    let settings = EngineSettings {
        concurrency: slots,
        batch: 100,
        poll_interval: Duration::from_millis(200),
        mode: EngineMode::Drain,
        ..EngineSettings::new(
            &amgi::config::Config::defaults().extract,
            Arc::new(NoopExtractor),
        )
    };
    let t = Instant::now();
    let (handle, mut events) = Engine::spawn(store.clone(), settings, cancel);
    let drain_events = tokio::spawn(async move { while events.recv().await.is_some() {} });
    handle.await?;
    let elapsed = t.elapsed();
    drain_events.await?;
    let user = store.ensure_user("bench").await?;
    let counts = store.job_counts(user).await?;
    assert_eq!(counts.completed as u64, questions + jobs, "{counts:?}");
    let held = store.counts(user).await?;
    assert_eq!(
        held.cards_in_review as u64,
        generated.in_review + jobs,
        "every drained job stored its card"
    );
    report_rate(
        backend,
        questions,
        &format!("claim + complete ({jobs} jobs, {slots} slots)"),
        jobs as f64 / elapsed.as_secs_f64(),
        "jobs/s",
    );

    // Nothing new anywhere: the steady state of every poll interval.
    let mut idle = Samples::default();
    for _ in 0..samples {
        let t = Instant::now();
        let polled = store.enqueue_ready(BATCH, 2, Utc::now()).await?;
        idle.push(t.elapsed());
        assert_eq!(polled.enqueued, 0);
    }
    report(backend, questions, "poll with nothing new", &idle);
    Ok(())
}

/// One card per question, made without any work, that passes every guard (so it is stored
/// with its evidence): the queue's own cost is what is measured.
struct NoopExtractor;

#[async_trait]
impl Extractor for NoopExtractor {
    fn name(&self) -> &'static str {
        "builtin"
    }

    async fn extract(&self, source: &SourceContext) -> Result<Vec<CardDraft>, ExtractError> {
        let answer = source.choices.get(source.correct_choice.saturating_sub(1));
        let first_sentence = source.explanation.split_inclusive('.').next();
        Ok(vec![CardDraft {
            format: CardFormat::Qa,
            cue: "이 개념이 처음 정리된 해는?".into(),
            fact: answer.cloned().unwrap_or_default(),
            cloze_text: None,
            evidence: first_sentence.unwrap_or_default().to_owned(),
        }])
    }
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn execute(location: &Location, sql: &'static str) -> anyhow::Result<()> {
    match location {
        Location::SqliteFile(path) => {
            let url = format!("sqlite://{}", path.display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await?;
            sqlx::raw_sql(sql).execute(&mut conn).await?;
        }
        Location::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            sqlx::raw_sql(sql).execute(&mut conn).await?;
        }
    }
    Ok(())
}
