//! The help overlay, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{ACCENT, centered, clear_popup};
use crate::tui::keymap::{Context, Keymap};

pub fn draw(frame: &mut Frame, area: Rect, keymap: &Keymap) {
    let popup = centered(area, 76, area.height.saturating_sub(2));
    clear_popup(frame, popup);
    let mut lines = Vec::new();
    for (context, title) in [
        (Context::Global, "everywhere"),
        (Context::Review, "Review"),
        (Context::Due, "Due"),
        (Context::Cram, "Cram"),
        (Context::Editor, "editor"),
    ] {
        lines.push(Line::from(Span::styled(
            title,
            Style::new().add_modifier(Modifier::BOLD),
        )));
        let entries: Vec<Span> = keymap
            .of(context)
            .flat_map(|b| {
                [
                    Span::styled(format!(" {}", b.labels.join("/")), Style::new().fg(ACCENT)),
                    Span::raw(format!(" {}  ", b.desc)),
                ]
            })
            .collect();
        lines.push(Line::from(entries));
    }
    lines.push(Line::from(Span::styled(
        format!(
            "{}, q or esc closes this help",
            keymap.label(Context::Global, crate::tui::keymap::Command::ToggleHelp)
        ),
        Style::new().fg(Color::Gray),
    )));
    let block = Block::default().borders(Borders::ALL).title(" keys ");
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        popup,
    );
}
