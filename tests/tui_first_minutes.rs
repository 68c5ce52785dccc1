//! What a learner meets first: nothing essential cut at 60×15, the reveal with its evidence
//! and the filled cloze, status messages cut with an ellipsis, and hints that follow a
//! remapped keymap.

mod common;

use amgi::tui::action::Action;
use amgi::tui::keymap::{Command, Keymap};
use amgi::tui::state::AppState;
use amgi::tui::ui;
use amgi::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use common::cards::loaded_state;

fn render_with(state: &AppState, keymap: &Keymap, width: u16, height: u16) -> String {
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|frame| ui::draw(frame, state, keymap))
        .unwrap_or_else(|e| panic!("{e}"));
    format!("{}", terminal.backend())
}

fn render(state: &AppState, width: u16, height: u16) -> String {
    render_with(state, &Keymap::defaults(), width, height)
}

fn with(mut state: AppState, commands: &[Command]) -> AppState {
    for c in commands {
        update(&mut state, Action::Command(*c));
    }
    state
}

#[test]
fn at_60x15_the_footer_keeps_help_and_quit_and_the_rate_bar_keeps_all_three_keys() {
    for pane in [Command::GoReview, Command::GoDue, Command::GoCram] {
        let screen = render(&with(loaded_state(), &[pane]), 60, 15);
        let footer = screen.lines().last().unwrap_or_default();
        assert!(
            footer.contains("? help") && footer.contains("q quit"),
            "{pane:?}:\n{screen}"
        );
    }
    let screen = render(&with(loaded_state(), &[Command::GoDue]), 60, 15);
    let bar = screen
        .lines()
        .skip_while(|l| !l.contains("┌ rate"))
        .nth(1)
        .unwrap_or_else(|| panic!("no rate bar:\n{screen}"));
    for key in [" 1 ", " 2 ", " 3 "] {
        assert!(bar.contains(key), "{key} in the rate bar:\n{screen}");
    }
    assert_eq!(
        bar.matches('→').count(),
        3,
        "every interval shown:\n{screen}"
    );
}

#[test]
fn the_due_reveal_shows_the_evidence_and_the_cloze_filled_in() {
    let mut state = with(loaded_state(), &[Command::GoDue]);
    state.due.deck.pop_front();
    let state = with(state, &[Command::Reveal]);
    let screen = render(&state, 120, 40);
    assert!(
        screen.contains("미토콘드리아는 ATP를 생성하는"),
        "the blank filled:\n{screen}"
    );
    assert!(!screen.contains("[ ___ ]"), "{screen}");
    assert!(
        screen.contains("ATP에 관한 해설"),
        "the evidence:\n{screen}"
    );
    assert!(
        screen.contains("세포에서 에너지를 만드는 소기관은? ✓ 미토콘드리아"),
        "the source question with its correct choice:\n{screen}"
    );
}

#[test]
fn a_long_status_message_is_cut_with_an_ellipsis() {
    let mut state = loaded_state();
    state.status.last_result = None;
    state.status.message = Some("긴 메시지 ".repeat(30));
    let screen = render(&state, 80, 24);
    let status = screen.lines().rev().nth(1).unwrap_or_default();
    assert!(status.contains('…'), "{status}");
}

#[test]
fn pane_hints_follow_a_remapped_keymap() {
    let text = amgi::tui::keymap::DEFAULT_KEYMAP
        .replace("keys = [\"space\"]", "keys = [\"v\"]")
        .replace(
            "keys = [\"n\", \"enter\", \"j\"]\ncommand = \"next_card\"",
            "keys = [\"x\"]\ncommand = \"next_card\"",
        );
    let keymap = Keymap::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let screen = render_with(&with(loaded_state(), &[Command::GoCram]), &keymap, 120, 40);
    assert!(
        screen.contains("(v: show the answer · x: next)"),
        "{screen}"
    );
}
