//! The help overlay, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use super::{ACCENT, centered, clear_popup, wrap};
use crate::tui::keymap::{Command, Context, Keymap};

pub fn draw(frame: &mut Frame, area: Rect, keymap: &Keymap) {
    let popup = centered(area, 76, area.height.saturating_sub(2));
    clear_popup(frame, popup);
    let mut lines = Vec::new();
    for (context, title) in [
        (Context::Global, "everywhere"),
        (Context::Review, "Review"),
        (Context::Due, "Due"),
        (Context::Cram, "Cram"),
        (Context::Quiz, "Quiz"),
        (Context::Stats, "Statistics"),
        (Context::Editor, "editor"),
    ] {
        if keymap.of(context).next().is_none() {
            continue;
        }
        lines.push(Line::from(Span::styled(
            title,
            Style::new().add_modifier(Modifier::BOLD),
        )));
        // The answer keys read as one entry ("1/2/…/9 answer"), not nine.
        let answers: Vec<String> = keymap
            .of(context)
            .filter(|b| matches!(b.command, Command::Answer(_)))
            .flat_map(|b| b.labels.clone())
            .collect();
        let answer_entry = (!answers.is_empty()).then(|| {
            [
                Span::styled(format!(" {}", answers.join("/")), Style::new().fg(ACCENT)),
                Span::raw(" answer  ".to_owned()),
            ]
        });
        let entries: Vec<Span> = keymap
            .of(context)
            .filter(|b| !matches!(b.command, Command::Answer(_)))
            .flat_map(|b| {
                [
                    Span::styled(format!(" {}", b.labels.join("/")), Style::new().fg(ACCENT)),
                    Span::raw(format!(" {}  ", b.desc)),
                ]
            })
            .chain(answer_entry.into_iter().flatten())
            .collect();
        lines.push(Line::from(entries));
    }
    lines.push(Line::from(Span::styled(
        format!(
            "{}, q or esc closes this help",
            keymap.label(Context::Global, Command::ToggleHelp)
        ),
        Style::new().fg(Color::Gray),
    )));
    let block = Block::default().borders(Borders::ALL).title(" keys ");
    frame.render_widget(
        wrap::paragraph(lines, block, popup, wrap::Indent::Trim),
        popup,
    );
}
