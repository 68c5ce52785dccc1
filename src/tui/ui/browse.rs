//! The Browse pane: the filter line, the search line, the list of cards (only the rows on
//! screen are built, however many are held) and the selected card.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{ACCENT, clean, show_cloze, wrap};
use crate::store::{BrowseRow, BrowseState};
use crate::tui::browse::BrowsePane;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::state::AppState;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap) {
    let browse = &state.browse;
    let count = if browse.next.is_some() {
        format!("{}+ cards", browse.rows.len())
    } else {
        super::super::update::cards(browse.rows.len())
    };
    let title = format!(" Browse · {count} · sort: {} ", browse.filter.sort.label());
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [filters, search, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(
        Line::from(Span::styled(
            fit(&filter_line(browse), usize::from(filters.width)),
            Style::new().fg(Color::Gray),
        )),
        filters,
    );
    draw_search(frame, search, browse, keymap);
    if browse.rows.is_empty() {
        let text = if browse.loaded && !browse.loading {
            vec![
                Line::from(Span::styled(
                    "No cards match.",
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                Line::from(format!(
                    "{} clears the search and the filters.",
                    keymap.label(Context::Browse, Command::Cancel)
                )),
            ]
        } else {
            vec![Line::from("Loading cards…")]
        };
        frame.render_widget(wrap::bare(text, body), body);
        return;
    }
    let (list_area, detail_area) = if body.width >= 110 {
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(body);
        (list, Some(detail))
    } else if body.height >= 12 {
        let [list, detail] =
            Layout::vertical([Constraint::Min(4), Constraint::Length(5)]).areas(body);
        (list, Some(detail))
    } else {
        (body, None)
    };
    draw_list(frame, list_area, browse);
    if let (Some(detail), Some(row)) = (detail_area, browse.selected_row()) {
        draw_detail(frame, detail, browse, row);
    }
}

fn filter_line(browse: &BrowsePane) -> String {
    let f = &browse.filter;
    let state = f.state.map_or_else(|| "all".to_owned(), BrowseState::label);
    let topic = browse.topic_name().map_or_else(|| "all".to_owned(), clean);
    let format = f.format.map_or("all", |f| f.as_str());
    let material = f
        .material
        .as_deref()
        .map_or_else(|| "all".to_owned(), clean);
    format!("state {state} · topic {topic} · format {format} · material {material}")
}

fn draw_search(frame: &mut Frame, area: Rect, browse: &BrowsePane, keymap: &Keymap) {
    let key = keymap.label(Context::Browse, Command::Search);
    let query = clean(&browse.filter.search);
    if !browse.searching && query.is_empty() {
        frame.render_widget(
            Line::from(Span::styled(
                format!("{key} search cue, answer and cloze"),
                Style::new().fg(Color::DarkGray),
            )),
            area,
        );
        return;
    }
    let prefix = format!("{key} ");
    let room = usize::from(area.width).saturating_sub(prefix.width() + 1);
    // The end of a long query stays in view: that is where the learner types.
    let shown = tail(&query, room);
    let style = if browse.searching {
        Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(Color::Yellow)
    };
    frame.render_widget(
        Line::from(vec![
            Span::styled(prefix.clone(), Style::new().fg(ACCENT)),
            Span::styled(shown.clone(), style),
        ]),
        area,
    );
    if browse.searching {
        // The real cursor at the end of the query, so a Korean IME composes in place.
        let x = area.x + u16::try_from(prefix.width() + shown.width()).unwrap_or(area.width);
        frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
    }
}

fn draw_list(frame: &mut Frame, area: Rect, browse: &BrowsePane) {
    let height = usize::from(area.height).max(1);
    // Only the page of rows around the selection is built: a screenful, not the thousands
    // held.
    let start = browse.selected - browse.selected % height;
    let end = (start + height).min(browse.rows.len());
    // One column goes to the selection mark.
    let width = usize::from(area.width).saturating_sub(1);
    let items: Vec<ListItem> = browse.rows[start..end]
        .iter()
        .map(|row| ListItem::new(row_line(row, width)))
        .collect();
    let list = List::new(items)
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("▸")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    let mut list_state = ListState::default().with_selected(Some(browse.selected - start));
    frame.render_stateful_widget(list, area, &mut list_state);
}

fn state_style(state: BrowseState) -> Style {
    match state {
        BrowseState::InReview => Style::new().fg(Color::Magenta),
        BrowseState::Flagged => Style::new().fg(Color::Red),
        BrowseState::New => Style::new().fg(Color::Cyan),
        BrowseState::Learning(_) => Style::new().fg(Color::Yellow),
        BrowseState::Mastered => Style::new().fg(Color::Green),
    }
}

fn row_line(row: &BrowseRow, width: usize) -> Line<'static> {
    let card = &row.card;
    let state = format!("{:<9} ", row.state.label());
    let due = row
        .ladder
        .and_then(|l| l.due_at)
        .map_or_else(|| "  —  ".to_owned(), |d| d.format("%m-%d").to_string());
    let meta = format!("{due} {:>3} ", card.view_count);
    let text = match &card.cloze_text {
        Some(cloze) => show_cloze(cloze),
        None => clean(&card.cue),
    };
    let answer = format!(" → {}", clean(&card.fact));
    let room = width.saturating_sub(state.width() + meta.width());
    let answer = fit(&answer, room / 2);
    let text = fit(&text, room.saturating_sub(answer.width()));
    Line::from(vec![
        Span::styled(state, state_style(row.state)),
        Span::styled(meta, Style::new().fg(Color::Gray)),
        Span::raw(text),
        Span::styled(answer, Style::new().fg(Color::Yellow)),
    ])
}

fn draw_detail(frame: &mut Frame, area: Rect, browse: &BrowsePane, row: &BrowseRow) {
    let card = &row.card;
    let gray = Style::new().fg(Color::Gray);
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or_else(|| "—".to_owned(), |d| d.format("%Y-%m-%d").to_string())
    };
    let mut lines = vec![Line::from(Span::styled(
        clean(&card.cue),
        Style::new().add_modifier(Modifier::BOLD),
    ))];
    if let Some(cloze) = &card.cloze_text {
        lines.push(Line::from(show_cloze(cloze)));
    }
    lines.push(Line::from(vec![
        Span::styled("answer ", gray),
        Span::styled(
            clean(&card.fact),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
    ]));
    let topic = card
        .topic_id
        .and_then(|id| browse.topics.iter().find(|t| t.id == id))
        .map(|t| clean(&t.name));
    let source = match (topic, &card.material) {
        (Some(topic), _) => format!("topic {topic}"),
        (None, Some(material)) => format!("material {}", clean(material)),
        (None, None) => "no topic".to_owned(),
    };
    lines.push(Line::from(Span::styled(
        format!(
            "#{} {} · {} · {source} · due {} · reviewed {} · seen {}×",
            card.id.0,
            card.format.as_str(),
            row.state.label(),
            when(row.ladder.and_then(|l| l.due_at)),
            when(row.last_reviewed_at),
            card.view_count
        ),
        gray,
    )));
    let block = Block::default()
        .borders(Borders::TOP | Borders::LEFT)
        .border_style(gray);
    frame.render_widget(
        wrap::paragraph(lines, block, area, wrap::Indent::Trim),
        area,
    );
}

/// `text` cut to `width` display columns, ending with an ellipsis when cut.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// The end of `text` that fits in `width` display columns.
fn tail(text: &str, width: usize) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.into_iter().rev().collect()
}
