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
