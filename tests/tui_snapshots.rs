//! Snapshots of every screen (ratatui TestBackend + insta) at 80×24 and 120×40, with Korean
//! content: the panes, the editor, the help overlay, a confirmation and an error state.

mod common;

use amgi::tui::action::Action;
use amgi::tui::keymap::{Command, Keymap};
use amgi::tui::state::{AppState, Pane};
use amgi::tui::ui;
use amgi::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use common::cards::loaded_state;

fn render(state: &AppState, width: u16, height: u16) -> String {
    let keymap = Keymap::defaults();
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|frame| ui::draw(frame, state, &keymap))
        .unwrap_or_else(|e| panic!("{e}"));
    format!("{}", terminal.backend())
}

fn both_sizes(name: &str, state: &AppState) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(state, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render(state, 120, 40));
}

fn with(mut state: AppState, commands: &[Command]) -> AppState {
    for c in commands {
        update(&mut state, Action::Command(*c));
    }
    state
}

#[test]
fn review_pane() {
    both_sizes("review", &loaded_state());
}

#[test]
fn review_pane_empty() {
    let mut state = loaded_state();
    state.review.groups.clear();
    state.review.selected = None;
    both_sizes("review_empty", &state);
}

#[test]
fn due_pane_question_and_answer() {
    let state = with(loaded_state(), &[Command::GoDue]);
    both_sizes("due_question", &state);
    let state = with(state, &[Command::Reveal]);
    both_sizes("due_answer", &state);
}

#[test]
fn due_pane_empty() {
    let mut state = with(loaded_state(), &[Command::GoDue]);
    state.due.deck.clear();
    both_sizes("due_empty", &state);
}

#[test]
fn cram_pane() {
    let state = with(loaded_state(), &[Command::GoCram, Command::Reveal]);
    both_sizes("cram", &state);
}

#[test]
fn editor_with_korean_text_and_a_refused_save() {
    let mut state = with(loaded_state(), &[Command::SelectNext, Command::Edit]);
    update(
        &mut state,
        Action::EditRefused("a card with the same answer already exists".into()),
    );
    both_sizes("editor_refused", &state);
}

#[test]
fn help_overlay() {
    both_sizes("help", &with(loaded_state(), &[Command::ToggleHelp]));
}

/// Every pane's help fits 80×24 whole: its closing line is on screen, and it lists the
/// keys of that pane.
#[test]
fn every_panes_help_fits_a_small_terminal() {
    for (pane, own_key) in [
        (Pane::Review, "approve card"),
        (Pane::Due, "show answer"),
        (Pane::Cram, "filter by format"),
        (Pane::Quiz, "mark unsure"),
        (Pane::Browse, "forget"),
    ] {
        let mut state = loaded_state();
        state.pane = pane;
        let state = with(state, &[Command::ToggleHelp]);
        let screen = render(&state, 80, 24);
        assert!(screen.contains("closes this help"), "{pane:?}:\n{screen}");
        assert!(screen.contains(own_key), "{pane:?}:\n{screen}");
    }
}

#[test]
fn confirm_approve_all() {
    both_sizes(
        "confirm",
        &with(loaded_state(), &[Command::ApproveQuestion]),
    );
}

#[test]
fn error_state_and_control_characters_stripped() {
    let mut state = loaded_state();
    state.review.groups[0].cards[0].cue = "위험한\u{1b}[31m 텍스트\u{7}\r\n끝".into();
    update(
        &mut state,
        Action::Failed("approving failed: database error: database is locked".into()),
    );
    let screen = render(&state, 120, 40);
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'));
    both_sizes("error", &state);
    assert_eq!(state.pane, Pane::Review);
}

#[test]
fn browse_pane() {
    let mut state = common::cards::browse_state();
    state.browse.selected = 4;
    both_sizes("browse", &state);
}

#[test]
fn browse_pane_searching_in_korean() {
    let mut state = with(common::cards::browse_state(), &[Command::Search]);
    for c in "훈민정음".chars() {
        update(
            &mut state,
            Action::Key(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            )),
        );
    }
    let rows = common::cards::browse_rows();
    state.browse.rows = vec![rows[0].clone(), rows[1].clone(), rows[2].clone()];
    state.browse.loading = false;
    state.browse.filter.state = Some(amgi::store::BrowseState::InReview);
    both_sizes("browse_search", &state);
}

#[test]
fn browse_pane_nothing_matches() {
    let mut state = common::cards::browse_state();
    state.browse.rows.clear();
    state.browse.filter.search = "없는 말".into();
    both_sizes("browse_empty", &state);
}

/// Figures as the store would compute them for a learner a few months in: a busier recent
/// fortnight, weekends off, a due forecast falling away, quiz patterns.
fn sample_stats() -> amgi::tui::study::LoadedStats {
    use amgi::store::{PatternCounts, Retention, StageCounts, Stats, TodayCounts};
    let reviews_per_day: Vec<u64> = (0..365u64)
        .map(|i| match i {
            0..=239 => 0,
            // Saturdays off (day 364, today, is a Sunday).
            _ if i % 7 == 6 => 0,
            _ if i >= 350 => 20 + (i % 5) * 6,
            _ => (i * 7) % 23,
        })
        .collect();
    let forecast: Vec<u64> = (0..30u64)
        .map(|i| [34, 12, 18, 7, 25, 3, 9][(i % 7) as usize] / (1 + i / 10))
        .collect();
    amgi::tui::study::LoadedStats {
        stats: Stats {
            reviews_per_day,
            today: TodayCounts {
                reviewed: 42,
                new: 12,
                again: 7,
            },
            forecast,
            stages: StageCounts {
                new: 1180,
                stages: [240, 310, 185, 96],
                mastered: 412,
                known: 77,
            },
            retention: vec![
                Retention {
                    stage: None,
                    reviews: 260,
                    known: 104,
                },
                Retention {
                    stage: Some(0),
                    reviews: 180,
                    known: 117,
                },
                Retention {
                    stage: Some(1),
                    reviews: 95,
                    known: 78,
                },
                Retention {
                    stage: Some(2),
                    reviews: 40,
                    known: 36,
                },
                Retention {
                    stage: Some(3),
                    reviews: 22,
                    known: 21,
                },
            ],
            patterns: PatternCounts {
                stable: 18,
                learning: 6,
                recovered: 4,
                regressed: 2,
                chronic_wrong: 3,
            },
        },
        // A Sunday: the heatmap's last column is full.
        today: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
    }
}

#[test]
fn stats_pane() {
    let mut state = with(loaded_state(), &[Command::GoStats]);
    both_sizes("stats_loading", &state);
    update(&mut state, Action::StatsLoaded(Box::new(sample_stats())));
    both_sizes("stats", &state);
    let mut empty = with(loaded_state(), &[Command::GoStats]);
    let mut nothing = sample_stats();
    nothing.stats = amgi::store::Stats {
        reviews_per_day: vec![0; 365],
        forecast: vec![0; 30],
        ..Default::default()
    };
    update(&mut empty, Action::StatsLoaded(Box::new(nothing)));
    both_sizes("stats_empty", &empty);
}

#[test]
fn due_pane_narrowed_to_a_topic() {
    use amgi::store::{Topic, TopicId};
    let mut state = loaded_state();
    let topics = vec![
        Topic {
            id: TopicId(1),
            name: "한국사".into(),
            focused_at: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
        },
        Topic {
            id: TopicId(2),
            name: "생명과학".into(),
            focused_at: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
        },
    ];
    update(&mut state, Action::TopicsLoaded(Ok(topics)));
    let mut state = with(state, &[Command::GoDue, Command::CycleTopic]);
    // The narrowed read arrives: only the cards of 한국사.
    let deck: Vec<_> = common::cards::due_cards().into_iter().take(1).collect();
    update(&mut state, Action::DueLoaded(deck));
    both_sizes("due_topic", &state);
    state.due.deck.clear();
    both_sizes("due_topic_empty", &state);
}

/// At start the Due pane shows the first cards read and says the count is a floor; the full
/// batch then lands behind the card on screen, which stays, answer and all.
#[test]
fn due_first_cards_then_the_full_batch() {
    let mut state = with(AppState::default(), &[Command::GoDue]);
    let first: Vec<_> = common::cards::due_cards().into_iter().take(1).collect();
    let topic = Some(amgi::store::TopicId(1));
    let effects = update(&mut state, Action::FirstDueLoaded { deck: first, topic });
    assert_eq!(
        effects,
        vec![amgi::tui::effect::Effect::RefillDue(
            amgi::tui::study::DueScope {
                topic,
                rules: state.due.rules
            }
        )],
        "the rest of the batch is read at once, of the topic the first cards were read for"
    );
    let tabs = render(&state, 120, 40);
    assert!(tabs.contains("Due (≥"), "{tabs}");
    update(&mut state, Action::Command(Command::Reveal));
    update(&mut state, Action::DueRefilled(common::cards::due_cards()));
    let ids: Vec<i64> = state.due.deck.iter().map(|d| d.card.id.0).collect();
    assert_eq!(ids, [201, 202]);
    assert!(
        state.due.revealed,
        "the card on screen keeps its answer shown"
    );
    assert!(!state.due.more_coming && !state.due.refilling);
    let tabs = render(&state, 120, 40);
    assert!(tabs.contains("Due (") && !tabs.contains("Due (≥"), "{tabs}");
}
