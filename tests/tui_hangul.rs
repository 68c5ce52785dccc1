//! Hangul-safe layout: long Korean lines at several widths stay inside their panes, and a
//! popup drawn over Korean text keeps its borders on a terminal that only receives the
//! changed cells (the TestBackend gets exactly ratatui's diff, like a real terminal).

mod common;

use amgi::tui::action::Action;
use amgi::tui::keymap::{Command, Keymap};
use amgi::tui::state::AppState;
use amgi::tui::ui;
use amgi::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use unicode_width::UnicodeWidthStr;

use common::cards::{cloze, loaded_state, qa};

const LONG: &str = "고려를 세운 왕건은 호족 세력을 통합하기 위하여 혼인 정책과 사성 정책을 펼쳤으며, \
                    북진 정책을 내세워 고구려의 옛 땅을 회복하고자 서경을 중시하였다";

fn korean_state() -> AppState {
    let mut state = loaded_state();
    let group = &mut state.review.groups[0];
    group.question = Some(format!("{LONG}?"));
    group.correct_answer = Some("왕건".into());
    group.cards[0] = qa(101, 12, LONG, "왕건");
    group.cards[0].evidence[0].snippet = Some(format!("{LONG}. {LONG}."));
    group.cards[1] = cloze(102, 12, &format!("{LONG} {{{{blank}}}} 이다."), "왕건");
    let mut due = qa(201, 12, LONG, &format!("왕건 {LONG}"));
    due.needs_review = false;
    due.cloze_text = Some(format!("{LONG} {{{{blank}}}}."));
    state.due.deck[0].card = due;
    state
}

/// Every row's cells add up to the terminal width, a wide character never sits in the last
/// column, and the cell after a wide character is its blank continuation.
fn assert_rows_fit(terminal: &Terminal<TestBackend>, what: &str) {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width;
    for y in 0..buffer.area.height {
        let mut x = 0;
        while x < width {
            let symbol = buffer[(x, y)].symbol();
            let w = symbol.width().max(1) as u16;
            assert!(
                x + w <= width,
                "{what}: row {y} overflows at column {x} ({symbol:?})\n{}",
                terminal.backend()
            );
            x += w;
        }
    }
}

/// Whether the cell at (x, y) is hidden under the wide character before it: a terminal
/// shows that character there, not the cell (a border drawn there is lost).
fn covered(terminal: &Terminal<TestBackend>, x: u16, y: u16) -> bool {
    let buffer = terminal.backend().buffer();
    let mut at = 0;
    while at < x {
        at += buffer[(at, y)].symbol().width().max(1) as u16;
    }
    at > x
}

/// The popup's left and right border columns are drawn on every row it covers.
fn assert_borders_shown(terminal: &Terminal<TestBackend>, title: &str, what: &str) {
    let buffer = terminal.backend().buffer();
    let (mut x0, mut y0) = (None, None);
    let starts_title = |x: u16, y: u16| {
        title.chars().enumerate().all(|(i, c)| {
            let at = x + 1 + i as u16;
            at < buffer.area.width && buffer[(at, y)].symbol() == c.to_string()
        })
    };
    'find: for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            if buffer[(x, y)].symbol() == "┌" && starts_title(x, y) {
                (x0, y0) = (Some(x), Some(y));
                break 'find;
            }
        }
    }
    let (Some(x0), Some(y0)) = (x0, y0) else {
        panic!("{what}: no popup corner\n{}", terminal.backend());
    };
    let mut x1 = x0 + 1;
    while x1 < buffer.area.width && buffer[(x1, y0)].symbol() != "┐" {
        x1 += 1;
    }
    let mut y = y0 + 1;
    while y < buffer.area.height && buffer[(x0, y)].symbol() != "└" {
        for x in [x0, x1] {
            assert!(
                buffer[(x, y)].symbol() == "│" && !covered(terminal, x, y),
                "{what}: the border at column {x} of row {y} is lost\n{}",
                terminal.backend()
            );
        }
        y += 1;
    }
}

fn draw(terminal: &mut Terminal<TestBackend>, state: &AppState) {
    let keymap = Keymap::defaults();
    terminal
        .draw(|frame| ui::draw(frame, state, &keymap))
        .unwrap_or_else(|e| panic!("{e}"));
}

fn with(mut state: AppState, commands: &[Command]) -> AppState {
    for c in commands {
        update(&mut state, Action::Command(*c));
    }
    state
}

#[test]
fn long_korean_lines_stay_inside_their_panes_at_every_width() {
    for (width, height) in [(60, 15), (61, 20), (80, 24), (97, 30), (111, 30), (120, 40)] {
        let mut terminal =
            Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
        let review = korean_state();
        draw(&mut terminal, &review);
        assert_rows_fit(&terminal, &format!("review {width}x{height}"));
        let due = with(korean_state(), &[Command::GoDue, Command::Reveal]);
        draw(&mut terminal, &due);
        assert_rows_fit(&terminal, &format!("due {width}x{height}"));
        let cram = with(korean_state(), &[Command::GoCram, Command::Reveal]);
        draw(&mut terminal, &cram);
        assert_rows_fit(&terminal, &format!("cram {width}x{height}"));
    }
}

#[test]
fn a_popup_over_korean_text_keeps_its_borders() {
    for width in [60u16, 79, 80, 81, 120] {
        let mut terminal =
            Terminal::new(TestBackend::new(width, 24)).unwrap_or_else(|e| panic!("{e}"));
        let state = korean_state();
        draw(&mut terminal, &state);
        let state = with(state, &[Command::ApproveQuestion]);
        draw(&mut terminal, &state);
        assert_rows_fit(&terminal, &format!("confirm at {width}"));
        assert_borders_shown(&terminal, " confirm ", &format!("confirm at {width}"));
        let screen = format!("{}", terminal.backend());
        let rows: Vec<&str> = screen.lines().filter(|l| l.contains("yes · ")).collect();
        assert_eq!(rows.len(), 1, "{screen}");
        let row = rows[0];
        assert!(
            row.contains("│y yes"),
            "the popup's left border is drawn at {width}: {row}\n{screen}"
        );
        let state = with(state, &[Command::ConfirmNo, Command::ToggleHelp]);
        draw(&mut terminal, &state);
        assert_rows_fit(&terminal, &format!("help at {width}"));
        assert_borders_shown(&terminal, " keys ", &format!("help at {width}"));
        let state = with(state, &[Command::ToggleHelp, Command::Edit]);
        draw(&mut terminal, &state);
        assert_rows_fit(&terminal, &format!("editor at {width}"));
        assert_borders_shown(&terminal, " edit card", &format!("editor at {width}"));
    }
}

#[test]
fn a_long_cloze_sentence_wraps_in_the_editor_and_only_the_focused_field_has_a_cursor() {
    for (width, height) in [(80, 24), (120, 40)] {
        let mut state = with(loaded_state(), &[Command::NewCard]);
        for _ in 0..3 {
            update(&mut state, Action::Command(Command::NextField));
        }
        update(&mut state, Action::Paste(LONG.to_owned()));
        let mut terminal =
            Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
        draw(&mut terminal, &state);
        assert_rows_fit(&terminal, &format!("editor {width}x{height}"));
        let screen = format!("{}", terminal.backend());
        let cloze_rows: Vec<&str> = screen
            .lines()
            .skip_while(|l| !l.contains("cloze ("))
            .take_while(|l| !l.contains('└'))
            .collect();
        let text: String = cloze_rows.concat();
        assert!(
            text.contains("고려를") && text.contains("중시하였다"),
            "the whole sentence is visible at {width}x{height}:\n{screen}"
        );
        let buffer = terminal.backend().buffer();
        let top = screen
            .lines()
            .position(|l| l.contains("new card"))
            .unwrap_or_default() as u16;
        let reversed = (top..buffer.area.height - 2)
            .flat_map(|y| (3..buffer.area.width - 3).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                buffer[(x, y)]
                    .modifier
                    .contains(ratatui::style::Modifier::REVERSED)
            })
            .count();
        assert_eq!(reversed, 1, "one cursor on screen\n{screen}");
    }
}
