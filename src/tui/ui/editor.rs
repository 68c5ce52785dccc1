//! The card editor overlay: one text area per field, the real cursor placed in the focused
//! one so that an IME composes Korean in place.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders};

use super::{ACCENT, centered, clean, clear_popup, wrap};
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::state::{EditTarget, EditorState, Field};

pub fn draw(frame: &mut Frame, area: Rect, editor: &EditorState, keymap: &Keymap) {
    // Cue and cloze get extra rows to wrap into when the screen has room.
    let rows = |field: Field| match field {
        Field::Cue => 2,
        Field::Cloze => 3,
        _ => 1,
    };
    let roomy: u16 = editor.fields.iter().map(|(f, _)| rows(*f) + 2).sum::<u16>() + 3;
    let fits = roomy <= area.height;
    let field_height = |field: Field| if fits { rows(field) + 2 } else { 3 };
    let height = if fits {
        roomy
    } else {
        (editor.fields.len() as u16) * 3 + 3
    };
    let popup = centered(area, area.width.saturating_sub(4).min(100), height);
    clear_popup(frame, popup);
    let title = match editor.target {
        EditTarget::Card { id, format, .. } => format!(" edit card {id} ({format}) "),
        EditTarget::NewCard => " new card (leave cloze empty for question/answer) ".to_owned(),
    };
    let outer = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(Style::new().fg(ACCENT));
    let inner = outer.inner(popup);
    frame.render_widget(outer, popup);
    let mut constraints: Vec<Constraint> = editor
        .fields
        .iter()
        .map(|(field, _)| Constraint::Length(field_height(*field)))
        .collect();
    constraints.push(Constraint::Length(1));
    let rows = Layout::vertical(constraints).split(inner);
    for (i, (field, area)) in editor.fields.iter().enumerate() {
        let focused = i == editor.focus;
        let style = if focused {
            Style::new().fg(ACCENT)
        } else {
            Style::new().fg(Color::Gray)
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" {} ", field.label()))
            .border_style(style);
        let text_area = block.inner(rows[i]);
        frame.render_widget(block, rows[i]);
        frame.render_widget(area, text_area);
        if focused {
            let cursor = area.screen_cursor();
            let (top, left) = area.scroll_offset();
            let x = text_area.x + (cursor.col as u16).saturating_sub(left);
            let y = text_area.y + (cursor.row as u16).saturating_sub(top);
            frame.set_cursor_position(Position::new(x.min(text_area.right().saturating_sub(1)), y));
        }
    }
    let message = match (&editor.error, editor.saving) {
        (Some(error), _) => Line::styled(
            clean(error),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        (None, true) => Line::styled("saving…", Style::new().fg(Color::Gray)),
        (None, false) => Line::styled(
            format!(
                "{} save · {} cancel · {} next field",
                keymap.label(Context::Editor, Command::Save),
                keymap.label(Context::Editor, Command::Cancel),
                keymap.label(Context::Editor, Command::NextField)
            ),
            Style::new().fg(Color::Gray),
        ),
    };
    if let Some(last) = rows.last() {
        frame.render_widget(wrap::bare(message, *last), *last);
    }
}
