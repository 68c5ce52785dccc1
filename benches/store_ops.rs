//! The learner's operations on a synthetic data set, on SQLite and PostgreSQL, at 10k and
//! 100k cards: opening the app to the first frame with the Due deck ready, rating a card
//! (committed), edit, approve-batch, the review listing, the cram and due fetches.
//!
//! `cargo bench --bench store_ops` (sizes: `AMGI_BENCH_SIZES=10000,100000`; backends:
//! `AMGI_BENCH_BACKENDS=sqlite,postgres`). Under `cargo test` it runs once on 400 cards and
//! checks that each operation did what it says. `AMGI_BENCH_TRACE=sqlx=debug` shows where
//! the time goes, statement by statement.

mod support;

use std::collections::VecDeque;
use std::time::Instant;

use amgi::domain::card::Outcome;
use amgi::domain::due_plan::DueRules;
use amgi::domain::study_day::StudyDay;
use amgi::store::synth::{self, SynthSpec};
use amgi::store::{CardEdit, CramFilter, DueRequest, Location, SharedStore, UserId};
use amgi::tui::action::Action;
use amgi::tui::app::App;
use amgi::tui::keymap::{Command, Keymap};
use amgi::tui::state::Pane;
use chrono::{Local, Offset, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::{Samples, report};

const USER: &str = "bench";

/// Samples per operation: (bench mode, test mode).
fn n(bench: usize) -> usize {
    if support::bench_mode() { bench } else { 3 }
}

fn main() -> anyhow::Result<()> {
    amgi::allocator::configure();
    support::trace_if_asked();
    let rt = tokio::runtime::Runtime::new()?;
    for backend in support::backends() {
        for cards in support::sizes(&[10_000, 100_000], 400) {
            rt.block_on(run(backend, cards))?;
        }
    }
    Ok(())
}

async fn run(backend: &str, cards: u64) -> anyhow::Result<()> {
    let location = support::fresh_database(backend, &format!("ops_{cards}")).await;
    let started = Instant::now();
    let generated = synth::generate(&location, &SynthSpec::new(USER, cards)).await?;
    eprintln!(
        "{backend}: generated {cards} cards ({} due, {} in review; 2 other users with {} each) in {:.1} s",
        generated.due,
        generated.in_review,
        cards / 10,
        started.elapsed().as_secs_f64()
    );

    let mut first_frame = Samples::default();
    for _ in 0..n(20) {
        first_frame.push(open_to_first_frame(&location).await?);
    }
    report(
        backend,
        cards,
        "start to first frame (Due ready)",
        &first_frame,
    );
    next_card(backend, cards, &location).await?;

    let store = amgi::store::open(&location, false).await?;
    let user = store.ensure_user(USER).await?;
    fetches(backend, cards, &store, user).await?;
    ratings(backend, cards, &store, user).await?;
    edits_and_approvals(backend, cards, &store, user).await?;
    store.close().await;
    Ok(())
}

/// Opens the store, builds the app and runs it on a 200×60 test terminal until the first
/// frame drawn with the Due deck loaded (its first cards, as the app reads them at start);
/// then (untimed) lets the other first loads and the rest of the deck land.
async fn open_to_first_frame(location: &Location) -> anyhow::Result<std::time::Duration> {
    let started = Instant::now();
    tracing::info!(target: "bench", "opening the store");
    let store = amgi::store::open(location, false).await?;
    tracing::info!(target: "bench", "store open");
    let user = store.ensure_user(USER).await?;
    let mut app = App::new(store.clone(), user, USER, Keymap::defaults());
    app.state.pane = Pane::Due;
    // As the app does: the first loads start before the terminal is set up.
    app.start();
    let mut terminal = Terminal::new(TestBackend::new(200, 60))?;
    let events = futures_util::stream::pending();
    tracing::info!(target: "bench", "app built");
    app.run_until(&mut terminal, events, |s| s.due.loaded)
        .await?;
    let elapsed = started.elapsed();
    tracing::info!(target: "bench", "first frame with the Due deck");
    assert!(!app.state.due.deck.is_empty(), "the due deck is empty");
    let events = futures_util::stream::pending();
    app.run_until(&mut terminal, events, |s| {
        s.review.loaded && s.cram.loaded && s.due.loaded && !s.due.more_coming
    })
    .await?;
    // Closed as the app closes it on quit, so the next start finds no connection and no
    // log of this one, as a learner's next start does (Anki's side closes its collection).
    drop(app);
    store.close().await;
    Ok(elapsed)
}

/// The rating key in the running app, answer shown: `update` moves the next card to the
/// front and the commit is spawned; this is the time until the next card can be drawn.
async fn next_card(backend: &str, cards: u64, location: &Location) -> anyhow::Result<()> {
    let store = amgi::store::open(location, false).await?;
    let user = store.ensure_user(USER).await?;
    let mut app = App::new(store.clone(), user, USER, Keymap::defaults());
    app.state.pane = Pane::Due;
    let mut terminal = Terminal::new(TestBackend::new(200, 60))?;
    let ready = |s: &amgi::tui::state::AppState| {
        s.due.loaded && !s.due.more_coming && s.review.loaded && s.cram.loaded
    };
    app.run_until(&mut terminal, futures_util::stream::pending(), ready)
        .await?;
    let mut samples = Samples::default();
    for _ in 0..n(150) {
        // With sibling burying a 200-card fetch holds one card per question, fewer than the
        // samples; the refill the app asks for is let land (untimed), as it would between
        // a learner's answers.
        if app.state.due.deck.len() < 2 {
            app.run_until(&mut terminal, futures_util::stream::pending(), |s| {
                s.due.deck.len() >= 2 || s.status.error.is_some()
            })
            .await?;
        }
        app.apply(Action::Command(Command::Reveal));
        let before = app.state.due.deck.front().map(|d| d.card.id);
        let t = Instant::now();
        app.apply(Action::Command(Command::RateKnow));
        samples.push(t.elapsed());
        assert_ne!(app.state.due.deck.front().map(|d| d.card.id), before);
    }
    report(
        backend,
        cards,
        "next card (rating key to next card)",
        &samples,
    );
    // Let the spawned ratings land before the next measurement.
    let target = samples.0.len() as u32;
    let events = futures_util::stream::pending();
    app.run_until(&mut terminal, events, |s| {
        s.due.rated >= target || s.status.error.is_some()
    })
    .await?;
    assert_eq!(app.state.status.error, None);
    drop(app);
    store.close().await;
    Ok(())
}

async fn fetches(
    backend: &str,
    cards: u64,
    store: &SharedStore,
    user: UserId,
) -> anyhow::Result<()> {
    let mut due = Samples::default();
    for _ in 0..n(100) {
        let t = Instant::now();
        let deck = store.due_deck(user, Utc::now(), 200).await?;
        due.push(t.elapsed());
        assert!(!deck.is_empty());
    }
    report(backend, cards, "due deck fetch (200 cards)", &due);

    // The fetch the app makes: the learner's day, 20 new cards a day, siblings buried.
    let mut today = Samples::default();
    for _ in 0..n(100) {
        let now = Utc::now();
        let request = DueRequest {
            now,
            today: StudyDay::of(now, Local::now().offset().fix()),
            topic: None,
            rules: DueRules::default(),
            limit: 200,
        };
        let t = Instant::now();
        let deck = store.due_deck_today(user, &request).await?;
        today.push(t.elapsed());
        assert!(!deck.cards.is_empty());
    }
    report(
        backend,
        cards,
        "due deck fetch, day rules (limit 20 new, burying)",
        &today,
    );

    let mut cram = Samples::default();
    for _ in 0..n(100) {
        let t = Instant::now();
        let deck = store.cram_deck(user, &CramFilter::default(), 200).await?;
        cram.push(t.elapsed());
        assert!(!deck.is_empty());
    }
    report(backend, cards, "cram deck fetch (200 cards)", &cram);

    let mut listing = Samples::default();
    let mut listed = 0;
    for _ in 0..n(20) {
        let t = Instant::now();
        let groups = store.review_queue(user).await?;
        listing.push(t.elapsed());
        listed = groups.iter().map(|g| g.cards.len()).sum::<usize>();
    }
    report(
        backend,
        cards,
        &format!("review listing ({listed} cards)"),
        &listing,
    );
    assert_eq!(listed as u64, synth_in_review(cards));
    Ok(())
}

fn synth_in_review(cards: u64) -> u64 {
    (cards / 100) * 10 + (cards % 100).min(10)
}

/// Rates cards from the due deck, as the app does: the deck is fetched in batches of 200,
/// each rating of a card as the deck showed it is one committed transaction (progress,
/// review log, undo journal).
async fn ratings(
    backend: &str,
    cards: u64,
    store: &SharedStore,
    user: UserId,
) -> anyhow::Result<()> {
    let outcomes = [
        Outcome::Correct,
        Outcome::Unsure,
        Outcome::Correct,
        Outcome::Wrong,
    ];
    let mut deck = VecDeque::new();
    let mut samples = Samples::default();
    for k in 0..n(1000) {
        if deck.is_empty() {
            deck = store.due_deck(user, Utc::now(), 200).await?.into();
        }
        let Some(due) = deck.pop_front() else { break };
        let t = Instant::now();
        let outcome = outcomes[k % outcomes.len()];
        let rated = store
            .rate_card_as_shown(user, due.card.id, due.ladder, outcome, Utc::now())
            .await?;
        samples.push(t.elapsed());
        assert_eq!(rated.card_id, due.card.id);
    }
    report(backend, cards, "rating committed", &samples);
    Ok(())
}

/// Edits single in-review cards from the end of the review queue and approves whole
/// questions from its start.
async fn edits_and_approvals(
    backend: &str,
    cards: u64,
    store: &SharedStore,
    user: UserId,
) -> anyhow::Result<()> {
    let groups = store.review_queue(user).await?;
    let half = groups.len() / 2;
    let mut edits = Samples::default();
    let to_edit = groups[half..]
        .iter()
        .flat_map(|g| g.cards.iter())
        .take(n(200));
    for (k, card) in to_edit.enumerate() {
        let edit = CardEdit {
            cue: format!("{} (고침 {k})", card.cue),
            fact: format!("{} 고침 {k}", card.fact),
            cloze_text: card.cloze_text.clone(),
        };
        let t = Instant::now();
        let saved = store.edit_card(user, card.id, &edit, Utc::now()).await?;
        edits.push(t.elapsed());
        assert_eq!(saved.fact, edit.fact);
    }
    report(backend, cards, "edit committed", &edits);

    let mut approvals = Samples::default();
    let mut approved = 0;
    for group in groups[..half].iter().take(n(200)) {
        let amgi::store::GroupKey::Question(question) = group.key else {
            continue;
        };
        let t = Instant::now();
        let ids = store.approve_question(user, question, Utc::now()).await?;
        approvals.push(t.elapsed());
        approved += ids.len();
        assert_eq!(ids.len(), group.cards.len());
    }
    let per = approved as f64 / approvals.0.len().max(1) as f64;
    report(
        backend,
        cards,
        &format!("approve question ({per:.1} cards)"),
        &approvals,
    );
    Ok(())
}
