//! The Due pane: the front card of the deck, its answer on reveal, and the rating keys with
//! the interval each one would give.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{ACCENT, clean, show_cloze, wrap};
use crate::domain::card::{CLOZE_BLANK, Outcome};
use crate::domain::schedule::preview;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::state::AppState;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap) {
    let due = &state.due;
    let block = Block::default().borders(Borders::ALL);
    let topic = state.topics.name().map(clean);
    let Some(front) = due.deck.front() else {
        let nothing = match &topic {
            Some(name) => format!("Nothing is due in {name} right now."),
            None => "Nothing is due right now.".to_owned(),
        };
        let text = if due.loaded {
            vec![
                Line::from(Span::styled(
                    nothing,
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from(format!("Rated in this session: {}.", due.rated)),
                Line::from(format!(
                    "Approve cards in Review ({}) to add them here, or browse them in Cram ({}).",
                    keymap.label(Context::Global, Command::GoReview),
                    keymap.label(Context::Global, Command::GoCram)
                )),
                Line::from(format!(
                    "New cards come at most {} a day; {}: narrow to a topic ({}).",
                    due.rules.new_per_day,
                    keymap.label(Context::Due, Command::CycleTopic),
                    topic.as_deref().unwrap_or("all topics")
                )),
            ]
        } else {
            vec![Line::from("Loading the due deck…")]
        };
        frame.render_widget(
            wrap::paragraph(
                text,
                block.title(match &topic {
                    Some(name) => format!(" Due · {name} "),
                    None => " Due ".to_owned(),
                }),
                area,
                wrap::Indent::Trim,
            ),
            area,
        );
        return;
    };
    let card = &front.card;
    let [card_area, keys_area] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(3)]).areas(area);
    let state_label = match front.ladder {
        None => "new".to_owned(),
        Some(l) => format!("stage {}", l.stage.unwrap_or(0)),
    };
    let title = match &topic {
        Some(name) => format!(
            " Due · {name} · {} left · card {} · {state_label} ",
            due.deck.len(),
            card.id
        ),
        None => format!(
            " Due · {} left · card {} · {state_label} ",
            due.deck.len(),
            card.id
        ),
    };
    let mut lines = vec![Line::from(Span::styled(
        clean(&card.cue),
        Style::new().add_modifier(Modifier::BOLD),
    ))];
    if let Some(text) = &card.cloze_text {
        lines.push(Line::from(""));
        if due.revealed {
            lines.push(filled_cloze(text, &card.fact));
        } else {
            lines.push(Line::from(show_cloze(text)));
        }
    }
    lines.push(Line::from(""));
    if due.revealed {
        lines.push(Line::from(vec![
            Span::styled("answer  ", Style::new().fg(Color::Gray)),
            Span::styled(
                clean(&card.fact),
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ),
        ]));
        if let Some(source) = &front.source {
            let mut question = vec![
                Span::styled("question", Style::new().fg(Color::Gray)),
                Span::raw(format!(" {}", clean(&source.text))),
            ];
            if let Some(answer) = &source.correct_answer {
                question.push(Span::styled(
                    format!(" ✓ {}", clean(answer)),
                    Style::new().fg(Color::Green),
                ));
            }
            lines.push(Line::from(question));
        }
        for evidence in &card.evidence {
            if let Some(snippet) = &evidence.snippet {
                lines.push(Line::from(vec![
                    Span::styled("why     ", Style::new().fg(Color::Gray)),
                    Span::styled(
                        format!("“{}”", clean(snippet)),
                        Style::new().add_modifier(Modifier::ITALIC),
                    ),
                ]));
            }
        }
    } else {
        let reveal = keymap.label(Context::Due, Command::Reveal);
        lines.push(Line::from(Span::styled(
            format!("({reveal}: show the answer)"),
            Style::new().fg(Color::Gray),
        )));
    }
    frame.render_widget(
        wrap::paragraph(lines, block.title(title), card_area, wrap::Indent::Trim),
        card_area,
    );
    // Narrow screens drop the English names so that all three keys stay visible.
    let named = keys_area.width >= 80;
    let mut keys = Vec::new();
    for (command, outcome, name) in [
        (Command::RateKnow, Outcome::Correct, "know"),
        (Command::RateUnsure, Outcome::Unsure, "unsure"),
        (Command::RateDontKnow, Outcome::Wrong, "don't know"),
    ] {
        let key = keymap.label(Context::Due, command);
        let next = preview(front.ladder, outcome).label();
        keys.push(Span::styled(
            format!(" {key} "),
            Style::new().fg(Color::Black).bg(ACCENT),
        ));
        let name = if named {
            format!("{name} ")
        } else {
            String::new()
        };
        keys.push(Span::raw(format!(
            " {name}{} → {next}  ",
            outcome.korean_label()
        )));
    }
    let keys_block = Block::default().borders(Borders::ALL).title(" rate ");
    frame.render_widget(
        Paragraph::new(Line::from(keys)).block(keys_block),
        keys_area,
    );
}

/// A cloze sentence with its blank filled by the answer, highlighted.
fn filled_cloze(text: &str, fact: &str) -> Line<'static> {
    let text = clean(text);
    let mut spans = Vec::new();
    let mut parts = text.split(CLOZE_BLANK).peekable();
    while let Some(part) = parts.next() {
        spans.push(Span::raw(part.to_owned()));
        if parts.peek().is_some() {
            spans.push(Span::styled(
                clean(fact),
                Style::new()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::UNDERLINED),
            ));
        }
    }
    Line::from(spans)
}
