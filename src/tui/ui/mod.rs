//! Drawing: one `draw` of the whole screen from the state; no I/O.

mod browse;
mod cram;
mod due;
mod editor;
mod help;
mod quiz;
mod review;
mod stats;
mod status;
pub mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};

use super::keymap::{Context, Keymap};
use super::state::{AppState, Pane};
use crate::domain::card::CLOZE_BLANK;
use crate::domain::text::strip_controls;

/// Text from the database or an LLM, made safe to print: control characters stripped.
pub fn clean(text: &str) -> String {
    strip_controls(text, false)
}

/// A cloze sentence with its blank drawn as a gap.
pub fn show_cloze(text: &str) -> String {
    clean(text).replace(CLOZE_BLANK, "[ ___ ]")
}

pub const ACCENT: Color = Color::Cyan;

pub fn draw(frame: &mut Frame, state: &AppState, keymap: &Keymap) {
    let [tabs, body, status_area, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_tabs(frame, tabs, state);
    match state.pane {
        Pane::Review => review::draw(frame, body, state, keymap),
        Pane::Due => due::draw(frame, body, state, keymap),
        Pane::Cram => cram::draw(frame, body, state, keymap),
        Pane::Quiz => quiz::draw(frame, body, state, keymap),
        Pane::Browse => browse::draw(frame, body, state, keymap),
        Pane::Stats => stats::draw(frame, body, state, keymap),
    }
    status::draw(frame, status_area, state);
    status::draw_footer(frame, footer, state, keymap);
    if state.help {
        help::draw(frame, frame.area(), keymap, state.pane);
    }
    if let Some(editor) = &state.editor {
        editor::draw(frame, frame.area(), editor, keymap);
    }
    if let Some(confirm) = &state.confirm {
        draw_confirm(frame, frame.area(), &confirm.message, keymap);
    }
}

fn draw_tabs(frame: &mut Frame, area: Rect, state: &AppState) {
    // Due cards and the new cards of today's allowance, e.g. "12+20".
    let (due, new) = state.due.split_counts();
    let due_label = if due >= super::effect::DUE_BATCH as usize || state.due.more_coming {
        format!("≥{due}+{new}")
    } else {
        format!("{due}+{new}")
    };
    let tabs = [
        (
            Pane::Review,
            format!(" Review ({}) ", state.status.counts.cards_in_review),
        ),
        (Pane::Due, format!(" Due ({due_label}) ")),
        (
            Pane::Cram,
            format!(" Cram ({}) ", state.status.counts.cards_approved),
        ),
        (Pane::Quiz, " Quiz ".to_owned()),
        (Pane::Browse, " Browse ".to_owned()),
        (Pane::Stats, " Stats ".to_owned()),
    ];
    let mut spans = vec![Span::styled(
        " amgi ",
        Style::new()
            .fg(Color::Black)
            .bg(ACCENT)
            .add_modifier(Modifier::BOLD),
    )];
    for (pane, label) in tabs {
        spans.push(Span::raw(" "));
        let style = if pane == state.pane {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new().fg(Color::Gray)
        };
        spans.push(Span::styled(label, style));
    }
    frame.render_widget(Line::from(spans), area);
}

/// A centered rectangle of at most `width` × `height` inside `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// Clears the area a popup covers. A wide character (Hangul) just left of it would cover
/// the popup's left border on the terminal, which only receives changed cells: it is
/// replaced by a space.
pub fn clear_popup(frame: &mut Frame, area: Rect) {
    frame.render_widget(Clear, area);
    if area.x == 0 {
        return;
    }
    let buffer = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        let cell = &mut buffer[(area.x - 1, y)];
        if unicode_width::UnicodeWidthStr::width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}

fn draw_confirm(frame: &mut Frame, area: Rect, message: &str, keymap: &Keymap) {
    let popup = centered(area, 50, 5);
    clear_popup(frame, popup);
    let yes = keymap.label(Context::Confirm, super::keymap::Command::ConfirmYes);
    let no = keymap.label(Context::Confirm, super::keymap::Command::ConfirmNo);
    let text = vec![
        Line::from(message.to_owned()),
        Line::from(Span::styled(
            format!("{yes} yes · {no} no"),
            Style::new().fg(Color::Gray),
        )),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" confirm ")
        .border_style(Style::new().fg(Color::Yellow));
    frame.render_widget(
        wrap::paragraph(text, block, popup, wrap::Indent::Trim),
        popup,
    );
}
