//! The Cram pane: approved cards, least viewed first, with filters; no scheduling.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use super::{clean, show_cloze, wrap};
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::state::AppState;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap) {
    let key = |command| keymap.label(Context::Cram, command);
    let cram = &state.cram;
    let format = cram.filter.format.map_or("all", |f| f.as_str());
    let material = cram
        .filter
        .material
        .as_deref()
        .map_or_else(|| "all".to_owned(), clean);
    let topic = state.topics.name().map_or_else(|| "all".to_owned(), clean);
    let filters = Line::from(Span::styled(
        format!(
            "format: {format} ({}) · material: {material} ({}) · topic: {topic} ({})",
            key(Command::CycleFormat),
            key(Command::CycleMaterial),
            key(Command::CycleTopic)
        ),
        Style::new().fg(Color::Gray),
    ));
    let block = Block::default().borders(Borders::ALL);
    let Some(card) = cram.current() else {
        let text = if cram.loaded {
            vec![
                filters,
                Line::from(""),
                Line::from(Span::styled(
                    "No approved cards match.",
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                Line::from(format!(
                    "Approve cards in Review ({}), or change the filters.",
                    keymap.label(Context::Global, Command::GoReview)
                )),
            ]
        } else {
            vec![Line::from("Loading the cram deck…")]
        };
        frame.render_widget(
            wrap::paragraph(text, block.title(" Cram "), area, wrap::Indent::Trim),
            area,
        );
        return;
    };
    let title = format!(
        " Cram · card {} of {} · seen {} times ",
        cram.index + 1,
        cram.deck.len(),
        card.view_count
    );
    let mut lines = vec![
        filters,
        Line::from(""),
        Line::from(Span::styled(
            clean(&card.cue),
            Style::new().add_modifier(Modifier::BOLD),
        )),
    ];
    if let Some(text) = &card.cloze_text {
        lines.push(Line::from(""));
        lines.push(Line::from(show_cloze(text)));
    }
    lines.push(Line::from(""));
    if cram.revealed {
        lines.push(Line::from(vec![
            Span::styled("answer  ", Style::new().fg(Color::Gray)),
            Span::styled(
                clean(&card.fact),
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ),
        ]));
    } else {
        lines.push(Line::from(Span::styled(
            format!(
                "({}: show the answer · {}: next)",
                key(Command::Reveal),
                key(Command::NextCard)
            ),
            Style::new().fg(Color::Gray),
        )));
    }
    frame.render_widget(
        wrap::paragraph(lines, block.title(title), area, wrap::Indent::Trim),
        area,
    );
}
