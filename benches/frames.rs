//! In-memory costs of the app, with the data a 100k-card collection puts on screen: one
//! frame of each pane at 80×24 and 200×60 (render + diff into a `TestBackend`), and "next
//! card" (the rating key's `update`: the next card is on screen, the commit runs later).
//!
//! `cargo bench --bench frames`. Under `cargo test` each benchmark runs once.

use std::collections::VecDeque;

use amgi::domain::card::{CardFormat, SourceKind};
use amgi::domain::schedule::LadderState;
use amgi::store::{
    Card, CardId, Counts, DueCard, Evidence, GroupKey, QuestionId, ReviewGroup, TopicId,
};
use amgi::tui::action::Action;
use amgi::tui::effect::Effect;
use amgi::tui::keymap::{Command, Keymap};
use amgi::tui::state::{AppState, Pane};
use amgi::tui::ui;
use amgi::tui::update::update;
use chrono::Utc;
use divan::Bencher;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    amgi::allocator::configure();
    divan::main();
}

fn card(id: i64, needs_review: bool) -> Card {
    let question = id / 4;
    let cloze = id % 2 == 1;
    Card {
        id: CardId(id),
        source_kind: SourceKind::Question,
        source_question_id: Some(QuestionId(question)),
        topic_id: Some(TopicId(question % 20)),
        format: if cloze {
            CardFormat::Cloze
        } else {
            CardFormat::Qa
        },
        cue: format!("개념 {id}이 처음 정리된 해는? (an English gloss of the concept {id})"),
        fact: format!("{}년", 1000 + id % 900),
        cloze_text: cloze.then(|| format!("개념 {id}은 {{{{blank}}}}에 처음 정리되었다.")),
        needs_review,
        flagged_by: None,
        material: None,
        view_count: (id % 5) as i32,
        last_viewed_at: None,
        updated_at: chrono::DateTime::UNIX_EPOCH,
        evidence: vec![Evidence {
            source_type: "question".into(),
            source_id: Some(question),
            snippet: Some(format!(
                "개념 {id}은 {}년에 처음 정리되었다. 이후 여러 학자가 이를 발전시켰다.",
                1000 + id % 900
            )),
        }],
    }
}

/// What the panes hold at 100k cards: 10,000 review cards in 3,000 question groups, a due
/// deck of 200, a cram deck of 200.
fn state_at_100k(pane: Pane) -> AppState {
    let mut state = AppState {
        pane,
        ..AppState::default()
    };
    let mut groups = Vec::new();
    let mut id = 0;
    while id < 100_000 {
        let in_group: Vec<Card> = (id..id + 10)
            .filter(|i| i % 100 < 10)
            .map(|i| card(i, true))
            .collect();
        for chunk in in_group.chunks(4) {
            let question = chunk[0].id.0 / 4;
            groups.push(ReviewGroup {
                key: GroupKey::Question(QuestionId(question)),
                question: Some(format!(
                    "합성 문항 {question}: 개념 {question}이 처음 정리된 해는?"
                )),
                correct_answer: Some(chunk[0].fact.clone()),
                cards: chunk.to_vec(),
            });
        }
        id += 100;
    }
    state.review.selected = groups.get(1500).map(|g| g.cards[0].id);
    state.review.groups = groups;
    state.review.loaded = true;
    state.due.deck = due_deck();
    state.due.loaded = true;
    state.cram.deck = (0..200).map(|i| card(i * 7 + 10, false)).collect();
    state.cram.loaded = true;
    state.status.backend = "sqlite".into();
    state.status.user = "bench".into();
    state.status.counts = Counts {
        cards_in_review: 10_000,
        cards_approved: 90_000,
        ..Counts::default()
    };
    state
}

fn due_deck() -> VecDeque<DueCard> {
    (0..200)
        .map(|i| DueCard {
            card: card(i * 100 + 40, false),
            ladder: Some(LadderState {
                stage: Some((i % 4) as i16),
                due_at: Some(Utc::now()),
            }),
            source: None,
        })
        .collect()
}

const PANES: [Pane; 3] = [Pane::Review, Pane::Due, Pane::Cram];

#[divan::bench(args = PANES)]
fn frame_80x24(bencher: Bencher, pane: Pane) {
    frame(bencher, pane, 80, 24);
}

#[divan::bench(args = PANES)]
fn frame_200x60(bencher: Bencher, pane: Pane) {
    frame(bencher, pane, 200, 60);
}

fn frame(bencher: Bencher, pane: Pane, width: u16, height: u16) {
    let state = state_at_100k(pane);
    let keymap = Keymap::defaults();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    let mut flip = false;
    // Alternate the revealed answer so every frame has changed cells to diff and write.
    let mut states = [state, state_at_100k(pane)];
    states[1].due.revealed = true;
    bencher.bench_local(|| {
        flip = !flip;
        let state = &states[usize::from(flip)];
        terminal
            .draw(|f| ui::draw(f, state, &keymap))
            .map(|_| ())
            .expect("draw");
    });
}

/// The rating key with the answer shown: the card leaves the deck and the next is current.
#[divan::bench]
fn next_card(bencher: Bencher) {
    bencher
        .with_inputs(|| {
            let mut state = AppState {
                pane: Pane::Due,
                ..AppState::default()
            };
            state.due.deck = due_deck();
            state.due.loaded = true;
            state.due.revealed = true;
            state
        })
        .bench_local_values(|mut state| {
            let effects = update(&mut state, Action::Command(Command::RateKnow));
            assert!(matches!(effects.first(), Some(Effect::Rate { .. })));
            state
        });
}
