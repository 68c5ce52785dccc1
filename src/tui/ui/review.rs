//! The Review pane: in-review cards grouped by source question, and the selected card.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};

use super::{ACCENT, clean, show_cloze};
use crate::domain::card::CardFormat;
use crate::store::{Card, GroupKey, ReviewGroup};
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::state::AppState;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap) {
    let review = &state.review;
    if review.groups.is_empty() {
        let new_card = keymap.label(Context::Review, Command::NewCard);
        let due = keymap.label(Context::Global, Command::GoDue);
        let help = keymap.label(Context::Global, Command::ToggleHelp);
        let text = if review.loaded {
            vec![
                Line::from(Span::styled(
                    "No cards are waiting for review.",
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from("Background extraction turns each ready explanation into cards;"),
                Line::from(format!(
                    "they appear here as they arrive. Press {new_card} to add a card by hand,"
                )),
                Line::from(format!("{due} to study due cards, {help} for all keys.")),
            ]
        } else {
            vec![Line::from("Loading the review queue…")]
        };
        let block = Block::default().borders(Borders::ALL).title(" Review ");
        frame.render_widget(
            super::wrap::paragraph(text, block, area, super::wrap::Indent::Trim),
            area,
        );
        return;
    }
    let [list_area, detail_area] = if area.width >= 110 {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    } else {
        Layout::vertical([Constraint::Min(6), Constraint::Length(9)]).areas(area)
    };
    let rows = usize::from(list_area.height.saturating_sub(2)).max(1);
    let (items, selected_index) = list_items(state, rows);
    let title = format!(
        " Review · {} cards in {} groups ",
        review.card_count(),
        review.groups.len()
    );
    let list = List::new(items)
        .block(Block::default().borders(Borders::ALL).title(title))
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut list_state = ListState::default().with_selected(selected_index);
    frame.render_stateful_widget(list, list_area, &mut list_state);
    let select = format!(
        "Select a card with {}/{}.",
        keymap.label(Context::Review, Command::SelectNext),
        keymap.label(Context::Review, Command::SelectPrev)
    );
    draw_detail(frame, detail_area, review.selected_card(), &select);
}

/// The list rows that can be on screen, and the selection among them. Only these are
/// built (10,000 cards in review would otherwise cost 6 ms a frame, BENCHMARKS.md): the
/// window ends at the selection once it is past the first screen, where `List` would
/// scroll it to.
fn list_items(state: &AppState, rows: usize) -> (Vec<ListItem<'static>>, Option<usize>) {
    let selected_row = selected_row(state);
    let start = selected_row.map_or(0, |r| (r + 1).saturating_sub(rows));
    let end = start + rows;
    let mut items = Vec::with_capacity(rows);
    let mut row = 0;
    for group in &state.review.groups {
        let group_rows = 1 + group.cards.len();
        if row + group_rows <= start {
            row += group_rows;
            continue;
        }
        if row >= end {
            break;
        }
        if row >= start {
            items.push(ListItem::new(group_header(group)));
        }
        row += 1;
        for card in &group.cards {
            if (start..end).contains(&row) {
                items.push(ListItem::new(card_line(card)));
            }
            row += 1;
        }
    }
    (items, selected_row.map(|r| r - start))
}

/// The list row of the selected card (each group is a header row and then its cards).
fn selected_row(state: &AppState) -> Option<usize> {
    let id = state.review.selected?;
    let mut row = 0;
    for group in &state.review.groups {
        if let Some(at) = group.cards.iter().position(|c| c.id == id) {
            return Some(row + 1 + at);
        }
        row += 1 + group.cards.len();
    }
    None
}

fn group_header(group: &ReviewGroup) -> Line<'static> {
    let (label, title) = match &group.key {
        GroupKey::Question(id) => (
            format!("Q{id} "),
            group
                .question
                .clone()
                .unwrap_or_else(|| format!("question {id}")),
        ),
        GroupKey::Material(m) if m.is_empty() => (String::new(), "[자료] 직접 추가".to_owned()),
        GroupKey::Material(m) => (String::new(), format!("[자료] {m}")),
    };
    let mut header = vec![
        Span::styled(label, Style::new().fg(ACCENT)),
        Span::styled(clean(&title), Style::new().add_modifier(Modifier::BOLD)),
    ];
    if let Some(answer) = &group.correct_answer {
        header.push(Span::styled(
            format!(" ✓ {}", clean(answer)),
            Style::new().fg(Color::Green),
        ));
    }
    header.push(Span::styled(
        format!(" ({})", group.cards.len()),
        Style::new().fg(Color::Gray),
    ));
    Line::from(header)
}

fn card_line(card: &Card) -> Line<'static> {
    let flag = if card.flagged_by.is_some() {
        "⚑ "
    } else {
        ""
    };
    let body = match (card.format, &card.cloze_text) {
        (CardFormat::Cloze, Some(text)) => show_cloze(text),
        _ => clean(&card.cue),
    };
    Line::from(vec![
        Span::raw(format!("  {flag}")),
        Span::styled(format!("[{}] ", card.format), Style::new().fg(Color::Gray)),
        Span::raw(body),
        Span::styled(" → ", Style::new().fg(Color::Gray)),
        Span::styled(clean(&card.fact), Style::new().fg(Color::Yellow)),
    ])
}

fn draw_detail(frame: &mut Frame, area: Rect, card: Option<&Card>, select: &str) {
    let block = Block::default().borders(Borders::ALL);
    let Some(card) = card else {
        frame.render_widget(
            Paragraph::new(select.to_owned()).block(block.title(" card ")),
            area,
        );
        return;
    };
    let label = |s: &str| Span::styled(format!("{s:<9}"), Style::new().fg(Color::Gray));
    let mut lines = vec![Line::from(vec![label("cue"), Span::raw(clean(&card.cue))])];
    if let Some(text) = &card.cloze_text {
        lines.push(Line::from(vec![
            label("cloze"),
            Span::raw(show_cloze(text)),
        ]));
    }
    lines.push(Line::from(vec![
        label("answer"),
        Span::styled(clean(&card.fact), Style::new().fg(Color::Yellow)),
    ]));
    if let Some(by) = &card.flagged_by {
        lines.push(Line::from(vec![
            label("flagged"),
            Span::raw(format!("sent back by {}", clean(by))),
        ]));
    }
    for evidence in &card.evidence {
        if let Some(snippet) = &evidence.snippet {
            lines.push(Line::from(vec![
                label("evidence"),
                Span::styled(
                    format!("“{}”", clean(snippet)),
                    Style::new().add_modifier(Modifier::ITALIC),
                ),
            ]));
        }
    }
    let title = format!(" card {} · {} ", card.id, card.format);
    frame.render_widget(
        super::wrap::paragraph(lines, block.title(title), area, super::wrap::Indent::Trim),
        area,
    );
}
