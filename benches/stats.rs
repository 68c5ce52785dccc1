//! The Statistics pane's queries (issue 18) on SQLite and PostgreSQL at 100,000 cards with a
//! year of review log (100,000 reviews spread over 365 days, beside the synthetic set's own
//! 60,000): all six figures as the pane asks for them, and each query alone. Also the Due
//! fetch under the day's rules (new-card limit, burying, a topic), beside the plain one.
//!
//! `cargo bench --bench stats` (cards: `AMGI_BENCH_SIZES=100000`; backends:
//! `AMGI_BENCH_BACKENDS`). Under `cargo test` it runs once on 400 cards and 1,000 reviews
//! and checks the figures add up.

mod support;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use amgi::domain::due_plan::DueRules;
use amgi::domain::study_day::StudyDay;
use amgi::store::prelude::*;
use amgi::store::synth::{self, SynthSpec};
use amgi::store::{DueRequest, StatsRequest, UserId};
use chrono::{FixedOffset, Utc};
use divan::Bencher;

const USER: &str = "bench";

fn main() {
    amgi::allocator::configure();
    divan::main();
}

static RT: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Runtime::new().expect("a tokio runtime"));

static FIXTURES: LazyLock<Mutex<HashMap<&'static str, (SharedStore, UserId)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn cards() -> u64 {
    support::sizes(&[100_000], 400)
        .first()
        .copied()
        .unwrap_or(100_000)
}

/// Reviews added to the log: as many as cards (about 100k at 100k cards).
fn reviews() -> u64 {
    if support::bench_mode() {
        cards()
    } else {
        1_000
    }
}

fn fixture(backend: &'static str) -> (SharedStore, UserId) {
    let mut fixtures = FIXTURES.lock().expect("the fixtures lock");
    fixtures
        .entry(backend)
        .or_insert_with(|| RT.block_on(generate(backend)))
        .clone()
}

async fn generate(backend: &'static str) -> (SharedStore, UserId) {
    let started = std::time::Instant::now();
    let cards = cards();
    let location = support::fresh_database(backend, &format!("stats_{cards}")).await;
    synth::generate(&location, &SynthSpec::new(USER, cards))
        .await
        .expect("generate the cards");
    synth::add_review_history(&location, USER, reviews())
        .await
        .expect("add a year of reviews");
    let store = amgi::store::open(&location, false)
        .await
        .expect("open the bench store");
    let me = store.ensure_user(USER).await.expect("the bench user");
    eprintln!(
        "{backend}: {cards} cards, {} more reviews over a year, in {:.1} s",
        reviews(),
        started.elapsed().as_secs_f64()
    );
    (store, me)
}

fn seoul() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("an offset")
}

fn stats_request() -> StatsRequest {
    let now = Utc::now();
    StatsRequest::standard(now, StudyDay::of(now, seoul()))
}

/// Everything the pane draws, as the app computes it on opening the pane.
#[divan::bench(args = support::backends(), sample_count = 40, sample_size = 1)]
fn stats_pane_all_queries(bencher: Bencher, backend: &'static str) {
    let (store, me) = fixture(backend);
    bencher.bench_local(|| {
        let stats = RT
            .block_on(store.stats(me, &stats_request()))
            .expect("the statistics");
        assert_eq!(stats.reviews_per_day.len(), 365);
        assert!(stats.reviews_per_day.iter().sum::<u64>() >= reviews() * 9 / 10);
        assert!(stats.stages.new > 0 && stats.stages.mastered > 0);
        stats
    });
}

/// Each figure's query alone, to see which one costs what.
#[divan::bench(
    args = support::backends(),
    consts = [0, 1, 2, 3, 4, 5],
    sample_count = 40,
    sample_size = 1
)]
fn stats_query<const FIGURE: usize>(bencher: Bencher, backend: &'static str) {
    let (store, me) = fixture(backend);
    bencher.bench_local(|| {
        let r = stats_request();
        RT.block_on(async {
            match FIGURE {
                0 => store.reviews_per_day(me, &r).await.map(|v| v.len()),
                1 => store
                    .today_counts(me, &r)
                    .await
                    .map(|t| t.reviewed as usize),
                2 => store.due_forecast(me, &r).await.map(|v| v.len()),
                3 => store.stage_counts(me, &r).await.map(|s| s.new as usize),
                4 => store.retention(me, &r).await.map(|v| v.len()),
                _ => store
                    .pattern_counts(me, &r)
                    .await
                    .map(|p| p.stable as usize),
            }
        })
        .expect("a figure")
    });
}

/// The Due pane's fetch with the day's rules (20 new a day, burying), as the app reads it.
#[divan::bench(args = support::backends(), sample_count = 60, sample_size = 1)]
fn due_fetch_with_limit_and_burying(bencher: Bencher, backend: &'static str) {
    let (store, me) = fixture(backend);
    bencher.bench_local(|| {
        let now = Utc::now();
        let request = DueRequest {
            now,
            today: StudyDay::of(now, seoul()),
            topic: None,
            rules: DueRules::default(),
            limit: 200,
        };
        let deck = RT
            .block_on(store.due_deck_today(me, &request))
            .expect("the due deck");
        assert!(!deck.cards.is_empty());
        deck
    });
}

/// The plain fetch (every due and new card, no rules), for comparison.
#[divan::bench(args = support::backends(), sample_count = 60, sample_size = 1)]
fn due_fetch_plain(bencher: Bencher, backend: &'static str) {
    let (store, me) = fixture(backend);
    bencher.bench_local(|| {
        let deck = RT
            .block_on(store.due_deck(me, Utc::now(), 200))
            .expect("the due deck");
        assert!(!deck.is_empty());
        deck
    });
}
