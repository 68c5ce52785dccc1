//! Browse (issue 18) on 100,000 cards, SQLite and PostgreSQL, in the running app: the app is
//! started and its first loads finished untimed, then
//! - *open*: the Browse key until the first page is drawn (the store's keyset page, the
//!   filters' topics and materials, `update`, a 120×40 `TestBackend` frame), the pane never
//!   shown before (its state reset between samples); in the id order (the default, read
//!   from an index) and by due date (every card read and sorted);
//! - *search keystroke*: one key typed in the search line until the narrowed list is drawn
//!   (`개념 1` ⇄ `개념 1N`: about 11% and 1% of the cards match, so the first 200 matches are
//!   found within the first 2,000 or 20,000 rows);
//! - *search, no match*: a keystroke whose query matches nothing, the worst case (every
//!   card's search text read).
//!
//! `cargo bench --bench browse` (cards: `AMGI_BENCH_SIZES=100000`; backends:
//! `AMGI_BENCH_BACKENDS`). Under `cargo test` each runs once on 400 cards and checks what
//! was drawn.

mod support;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use amgi::store::BrowseSort;
use amgi::store::synth::{self, SynthSpec};
use amgi::tui::action::Action;
use amgi::tui::app::App;
use amgi::tui::keymap::{Command, Keymap};
use amgi::tui::state::{AppState, Pane};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use divan::Bencher;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const USER: &str = "bench";

fn main() {
    amgi::allocator::configure();
    divan::main();
}

static RT: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Runtime::new().expect("a tokio runtime"));

/// A started app on each backend's data set, with its test terminal.
type Running = (App, Terminal<TestBackend>);

static APPS: LazyLock<Mutex<HashMap<&'static str, Running>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn cards() -> u64 {
    support::sizes(&[100_000], 400)
        .first()
        .copied()
        .unwrap_or(100_000)
}

/// Runs `f` on the started app of `backend`, generating its data and starting it first.
fn with_app<T>(backend: &'static str, f: impl FnOnce(&mut Running) -> T) -> T {
    // `App::apply` spawns the effects it asks for on this runtime.
    let _runtime = RT.enter();
    let mut apps = APPS.lock().expect("the apps lock");
    let running = apps
        .entry(backend)
        .or_insert_with(|| RT.block_on(start(backend, cards())));
    f(running)
}

async fn start(backend: &'static str, cards: u64) -> Running {
    let location = support::fresh_database(backend, &format!("browse_{cards}")).await;
    let started = std::time::Instant::now();
    synth::generate(&location, &SynthSpec::new(USER, cards))
        .await
        .expect("generate the data set");
    eprintln!(
        "{backend}: {cards} cards generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let store = amgi::store::open(&location, false)
        .await
        .expect("open the bench store");
    let user = store.ensure_user(USER).await.expect("the bench user");
    let mut app = App::new(store, user, USER, Keymap::defaults());
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("a test terminal");
    let ready = |s: &AppState| s.review.loaded && s.due.loaded && s.cram.loaded;
    app.run_until(&mut terminal, futures_util::stream::pending(), ready)
        .await
        .expect("the first loads");
    (app, terminal)
}

/// Runs the app until the Browse list of its latest request is drawn.
fn until_listed(running: &mut Running) {
    let (app, terminal) = running;
    let listed = |s: &AppState| s.browse.loaded && !s.browse.loading;
    RT.block_on(app.run_until(terminal, futures_util::stream::pending(), listed))
        .expect("the app loop");
    assert_eq!(app.state.status.error, None);
}

fn key(app: &mut App, code: KeyCode) {
    app.apply(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// Opens Browse, never shown before, in `sort`, to the first drawn page.
fn open(bencher: Bencher, backend: &'static str, sort: BrowseSort) {
    with_app(backend, |running| {
        let cell = std::cell::RefCell::new(&mut *running);
        bencher
            .with_inputs(|| {
                // The pane as never shown: on Review, nothing read for Browse.
                let mut running = cell.borrow_mut();
                running.0.state.pane = Pane::Review;
                running.0.state.browse = Default::default();
                running.0.state.browse.filter.sort = sort;
            })
            .bench_local_values(|()| {
                let mut running = cell.borrow_mut();
                running.0.apply(Action::Command(Command::GoBrowse));
                until_listed(&mut running);
            });
        let browse = &running.0.state.browse;
        assert_eq!(browse.rows.len(), 200.min(cards() as usize));
        if sort == BrowseSort::Id {
            let screen = format!("{}", running.1.backend());
            assert!(screen.contains("개념 0이 처음 정리된 해는?"), "{screen}");
        }
    });
}

#[divan::bench(args = support::backends(), sample_count = 40, sample_size = 1)]
fn open_browse_to_first_drawn_page(bencher: Bencher, backend: &'static str) {
    open(bencher, backend, BrowseSort::Id);
}

/// Sorted by due date no index gives the order: every card is read and sorted.
#[divan::bench(args = support::backends(), sample_count = 20, sample_size = 1)]
fn open_browse_sorted_by_due_date(bencher: Bencher, backend: &'static str) {
    open(bencher, backend, BrowseSort::Due);
}

/// Types into the search line: the next character of `cycle` after `prefix`, or a
/// backspace back to `prefix`, in turn; each is one keystroke to a drawn list.
fn keystrokes(bencher: Bencher, backend: &'static str, prefix: &str, extra: &[char]) {
    with_app(backend, |running| {
        running.0.state.pane = Pane::Browse;
        running.0.state.browse = Default::default();
        running.0.apply(Action::Command(Command::Search));
        for c in prefix.chars() {
            key(&mut running.0, KeyCode::Char(c));
        }
        until_listed(running);
        let mut turn = 0usize;
        bencher.bench_local(|| {
            let app = &mut running.0;
            if app.state.browse.filter.search.chars().count() > prefix.chars().count() {
                key(app, KeyCode::Backspace);
            } else {
                key(app, KeyCode::Char(extra[turn % extra.len()]));
                turn += 1;
            }
            until_listed(running);
        });
        let screen = format!("{}", running.1.backend());
        assert!(screen.contains(prefix), "{screen}");
    });
}

#[divan::bench(args = support::backends(), sample_count = 100, sample_size = 1)]
fn search_keystroke_to_drawn_list(bencher: Bencher, backend: &'static str) {
    keystrokes(
        bencher,
        backend,
        "개념 1",
        &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    );
}

#[divan::bench(args = support::backends(), sample_count = 20, sample_size = 1)]
fn search_keystroke_matching_nothing(bencher: Bencher, backend: &'static str) {
    keystrokes(bencher, backend, "ｘｙｚ", &['q']);
}
