//! The help overlay, generated from the keymap: the keys that work everywhere and those of
//! the pane on screen (all panes' keys would not fit a small terminal; each pane's help
//! shows its own).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{ACCENT, centered, clear_popup, wrap};
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::state::Pane;

/// The sections the help of `pane` lists, with their titles.
fn sections(pane: Pane) -> Vec<(Context, &'static str)> {
    let mut out = vec![(Context::Global, "everywhere")];
    out.extend(match pane {
        Pane::Review => [(Context::Review, "Review"), (Context::Editor, "editor")].as_slice(),
        Pane::Due => &[(Context::Due, "Due")],
        Pane::Cram => &[(Context::Cram, "Cram")],
        Pane::Quiz => &[(Context::Quiz, "Quiz")],
        Pane::Stats => &[(Context::Stats, "Statistics")],
        Pane::Browse => &[
            (Context::Browse, "Browse"),
            (Context::BrowseSearch, "Browse search line"),
            (Context::Editor, "editor"),
        ],
    });
    out
}

pub fn draw(frame: &mut Frame, area: Rect, keymap: &Keymap, pane: Pane) {
    let mut lines = Vec::new();
    for (context, title) in sections(pane) {
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
            "{}, q or esc closes this help; each pane's help lists its own keys",
            keymap.label(Context::Global, Command::ToggleHelp)
        ),
        Style::new().fg(Color::Gray),
    )));
    // As tall as its wrapped text, borders included.
    let width = 76.min(area.width);
    let rows = wrap::wrap(lines, width.saturating_sub(2), wrap::Indent::Trim);
    let height = u16::try_from(rows.len() + 2).unwrap_or(u16::MAX);
    let popup = centered(area, width, height.min(area.height.saturating_sub(2)));
    clear_popup(frame, popup);
    let block = Block::default().borders(Borders::ALL).title(" keys ");
    frame.render_widget(Paragraph::new(rows).block(block), popup);
}
