//! The Statistics pane: a year of reviews as a heatmap, today's counts, the due forecast,
//! cards per ladder stage, retention by stage and the quiz's question patterns, drawn with
//! ratatui's BarChart and Sparkline (the heatmap is a grid of styled cells).

use chrono::{Datelike, Duration, NaiveDate};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Block, Borders, Paragraph, Sparkline};

use super::{ACCENT, wrap};
use crate::store::{PatternCounts, Retention, StageCounts, Stats};
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::state::AppState;
use crate::tui::study::LoadedStats;

/// Below this body size the compact layout is used (80×24 gives 21 rows).
const ROOMY_WIDTH: u16 = 100;
const ROOMY_HEIGHT: u16 = 32;

/// Heatmap shades from no reviews to the busiest days.
const SHADES: [&str; 5] = ["·", "░", "▒", "▓", "█"];

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap) {
    let pane = &state.stats;
    let Some(loaded) = &pane.loaded else {
        let text = match &pane.error {
            Some(error) => vec![
                Line::from(Span::styled(
                    "The statistics could not be computed.",
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                Line::from(super::clean(error)),
                Line::from(format!(
                    "{}: try again",
                    keymap.label(Context::Global, Command::Refresh)
                )),
            ],
            None => vec![Line::from("Computing the statistics…")],
        };
        let block = Block::default().borders(Borders::ALL).title(" Statistics ");
        frame.render_widget(wrap::paragraph(text, block, area, wrap::Indent::Trim), area);
        return;
    };
    if area.width >= ROOMY_WIDTH && area.height >= ROOMY_HEIGHT {
        draw_roomy(frame, area, loaded);
    } else {
        draw_compact(frame, area, loaded);
    }
}

/// 80×24: every figure, one-cell heatmap days, the forecast as a sparkline.
fn draw_compact(frame: &mut Frame, area: Rect, loaded: &LoadedStats) {
    let stats = &loaded.stats;
    let [map, _, rest] = Layout::vertical([
        Constraint::Length(8),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    heatmap(frame, map, stats, loaded.today, 1, false);
    let [left, _, right] = Layout::horizontal([
        Constraint::Percentage(50),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(rest);
    let [stages_area, patterns_area] =
        Layout::vertical([Constraint::Length(8), Constraint::Min(0)]).areas(left);
    stage_chart(frame, stages_area, &stats.stages);
    pattern_lines(frame, patterns_area, &stats.patterns);
    let [forecast_area, retention_area] =
        Layout::vertical([Constraint::Length(5), Constraint::Min(0)]).areas(right);
    forecast_sparkline(frame, forecast_area, &stats.forecast);
    retention_chart(frame, retention_area, &stats.retention);
}

/// 120×40 and up: two-cell heatmap days with month names, the forecast as a bar chart.
fn draw_roomy(frame: &mut Frame, area: Rect, loaded: &LoadedStats) {
    let stats = &loaded.stats;
    let [map, _, middle, _, bottom] = Layout::vertical([
        Constraint::Length(9),
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(1),
        Constraint::Length(9),
    ])
    .areas(area);
    heatmap(frame, map, stats, loaded.today, 2, true);
    let [forecast_area, _, today_area] = Layout::horizontal([
        Constraint::Min(0),
        Constraint::Length(2),
        Constraint::Length(22),
    ])
    .areas(middle);
    forecast_bars(frame, forecast_area, &stats.forecast, loaded.today);
    today_block(frame, today_area, stats);
    let [stages_area, _, retention_area, _, patterns_area] = Layout::horizontal([
        Constraint::Ratio(1, 3),
        Constraint::Length(2),
        Constraint::Ratio(1, 3),
        Constraint::Length(2),
        Constraint::Ratio(1, 3),
    ])
    .areas(bottom);
    stage_chart(frame, stages_area, &stats.stages);
    retention_chart(frame, retention_area, &stats.retention);
    pattern_chart(frame, patterns_area, &stats.patterns);
}

/// A section title on its own top line.
fn section(title: String) -> Block<'static> {
    Block::default()
        .borders(Borders::TOP)
        .border_style(Style::new().fg(Color::DarkGray))
        .title(Span::styled(
            title,
            Style::new().fg(ACCENT).add_modifier(Modifier::BOLD),
        ))
}

/// "1,234".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The heatmap's shade for `n` reviews on a day, the busiest day being `max`.
fn shade(n: u64, max: u64) -> usize {
    if n == 0 || max == 0 {
        return 0;
    }
    usize::try_from((n * 4).div_ceil(max)).map_or(4, |level| level.clamp(1, 4))
}

/// Reviews per day as a grid: a column per week (today's the last), a row per weekday
/// from Monday; the oldest weeks are left out when the area is too narrow.
fn heatmap(
    frame: &mut Frame,
    area: Rect,
    stats: &Stats,
    today: NaiveDate,
    cell: u16,
    months: bool,
) {
    let days = &stats.reviews_per_day;
    let total: u64 = days.iter().sum();
    let t = &stats.today;
    let title = format!(
        " Reviews · {} in {} days · today {} (new {}, again {}) ",
        thousands(total),
        days.len(),
        t.reviewed,
        t.new,
        t.again
    );
    let block = section(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label_width: u16 = 4;
    let top = if months { 1 } else { 0 };
    if inner.width <= label_width || inner.height < 7 + top {
        return;
    }
    let columns = (inner.width - label_width) / cell;
    let grid_x = inner.x + label_width;
    let grid_y = inner.y + top;
    let buf = frame.buffer_mut();
    let gray = Style::new().fg(Color::DarkGray);
    for (row, name) in [(0u16, "Mon"), (2, "Wed"), (4, "Fri")] {
        buf.set_string(inner.x, grid_y + row, name, gray);
    }
    let weekday = today.weekday().num_days_from_monday();
    let max = days.iter().copied().max().unwrap_or(0);
    let mut last_month_x: Option<u16> = None;
    for (i, &n) in days.iter().enumerate() {
        let back = u32::try_from(days.len() - 1 - i).unwrap_or(u32::MAX);
        let from_right = (back + 6 - weekday) / 7;
        let Ok(from_right) = u16::try_from(from_right) else {
            continue;
        };
        if from_right >= columns {
            continue;
        }
        let x = grid_x + (columns - 1 - from_right) * cell;
        let row = u16::try_from((weekday + 7 * 53 - back) % 7).unwrap_or(0);
        let level = shade(n, max);
        let style = if level == 0 {
            gray
        } else {
            Style::new().fg(Color::Green)
        };
        buf.set_string(x, grid_y + row, SHADES[level], style);
        if months {
            let date = today - Duration::days(i64::from(back));
            let starts_month = date.day() <= 7 && row == 0;
            if starts_month && last_month_x.is_none_or(|prev| x >= prev + 4) {
                let name = date.format("%b").to_string();
                if x + 3 <= inner.right() {
                    buf.set_string(x, inner.y, name, gray);
                    last_month_x = Some(x);
                }
            }
        }
    }
}

fn today_block(frame: &mut Frame, area: Rect, stats: &Stats) {
    let t = &stats.today;
    let row = |name: &str, n: i64, color: Color| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), Style::new().fg(Color::Gray)),
            Span::styled(
                n.to_string(),
                Style::new().fg(color).add_modifier(Modifier::BOLD),
            ),
        ])
    };
    let due_today = stats.forecast.first().copied().unwrap_or(0);
    let lines = vec![
        row("reviewed", t.reviewed, Color::White),
        row("new", t.new, ACCENT),
        row("again", t.again, Color::Red),
        Line::from(""),
        row(
            "still due",
            i64::try_from(due_today).unwrap_or(i64::MAX),
            Color::Yellow,
        ),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(section(" Today ".to_owned())),
        area,
    );
}

fn forecast_title(forecast: &[u64]) -> String {
    let total: u64 = forecast.iter().sum();
    let week: u64 = forecast.iter().take(7).sum();
    format!(
        " Due next {} days · {} (7 days: {}) ",
        forecast.len(),
        thousands(total),
        thousands(week)
    )
}

fn forecast_sparkline(frame: &mut Frame, area: Rect, forecast: &[u64]) {
    let block = section(forecast_title(forecast));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return;
    }
    let [spark, axis] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(
        Sparkline::default()
            .data(forecast)
            .style(Style::new().fg(Color::Yellow)),
        spark,
    );
    let shown = usize::from(inner.width).min(forecast.len());
    let peak = forecast.iter().take(shown).copied().max().unwrap_or(0);
    let end = format!("+{}d", shown.saturating_sub(1));
    let start = format!(
        "today {} · peak {}",
        forecast.first().copied().unwrap_or(0),
        peak
    );
    let gap = shown.saturating_sub(start.chars().count() + end.len());
    let axis_line = if gap > 0 {
        format!("{start}{}{end}", " ".repeat(gap))
    } else {
        start
    };
    frame.render_widget(
        Line::from(Span::styled(axis_line, Style::new().fg(Color::DarkGray))),
        axis,
    );
}

fn forecast_bars(frame: &mut Frame, area: Rect, forecast: &[u64], today: NaiveDate) {
    let block = section(forecast_title(forecast));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Bars two cells wide when they fit, one cell apart; labelled with the day of the month.
    let n = u16::try_from(forecast.len().max(1)).unwrap_or(u16::MAX);
    let width = if inner.width >= n * 3 { 2 } else { 1 };
    let bars: Vec<Bar> = forecast
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let date = today + Duration::days(i64::try_from(i).unwrap_or(0));
            let label = if width == 2 || i.is_multiple_of(2) {
                format!("{:02}", date.day())
            } else {
                String::new()
            };
            Bar::with_label(label, v).text_value(if width == 2 && v < 100 {
                v.to_string()
            } else {
                String::new()
            })
        })
        .collect();
    frame.render_widget(
        BarChart::vertical(bars)
            .bar_width(width)
            .bar_gap(1)
            .bar_style(Style::new().fg(Color::Yellow))
            .value_style(Style::new().fg(Color::Black).bg(Color::Yellow))
            .label_style(Style::new().fg(Color::DarkGray)),
        inner,
    );
}

fn stage_chart(frame: &mut Frame, area: Rect, stages: &StageCounts) {
    let total = stages.new + stages.stages.iter().sum::<i64>() + stages.mastered + stages.known;
    let block = section(format!(" Cards by stage · {} ", thousands(count(total))));
    let mut rows: Vec<(String, i64)> = vec![("new".to_owned(), stages.new)];
    for (stage, n) in stages.stages.iter().enumerate() {
        rows.push((format!("stage {stage}"), *n));
    }
    rows.push(("mastered".to_owned(), stages.mastered));
    rows.push(("known".to_owned(), stages.known));
    let bars: Vec<Bar> = rows
        .into_iter()
        .map(|(label, n)| Bar::with_label(label, count(n)).text_value(thousands(count(n))))
        .collect();
    frame.render_widget(
        BarChart::horizontal(bars)
            .block(block)
            .bar_width(1)
            .bar_gap(0)
            .bar_style(Style::new().fg(ACCENT))
            .value_style(Style::new().fg(Color::Black).bg(ACCENT))
            .label_style(Style::new().fg(Color::Gray)),
        area,
    );
}

fn retention_chart(frame: &mut Frame, area: Rect, retention: &[Retention]) {
    let block = section(" Know rate by stage · 30 days ".to_owned());
    if retention.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                "no ratings in the last 30 days",
                Style::new().fg(Color::DarkGray),
            )))
            .block(block),
            area,
        );
        return;
    }
    let bars: Vec<Bar> = retention
        .iter()
        .map(|r| {
            let label = match r.stage {
                None => "first".to_owned(),
                Some(s) => format!("stage {s}"),
            };
            let percent = r.percent().unwrap_or(0.0);
            Bar::with_label(label, percent.round() as u64)
                .text_value(format!("{percent:.0}% of {}", r.reviews))
        })
        .collect();
    frame.render_widget(
        BarChart::horizontal(bars)
            .block(block)
            .max(100)
            .bar_width(1)
            .bar_gap(0)
            .bar_style(Style::new().fg(Color::Green))
            .value_style(Style::new().fg(Color::Black).bg(Color::Green))
            .label_style(Style::new().fg(Color::Gray)),
        area,
    );
}

/// The patterns as (name, count), in the order a learner reads them: good to bad.
fn pattern_rows(p: &PatternCounts) -> [(&'static str, i64); 5] {
    [
        ("stable", p.stable),
        ("recovered", p.recovered),
        ("learning", p.learning),
        ("regressed", p.regressed),
        ("chronic", p.chronic_wrong),
    ]
}

fn pattern_total(p: &PatternCounts) -> i64 {
    pattern_rows(p).iter().map(|(_, n)| n).sum()
}

fn pattern_lines(frame: &mut Frame, area: Rect, patterns: &PatternCounts) {
    let block = section(format!(
        " Quiz questions · {} ",
        thousands(count(pattern_total(patterns)))
    ));
    let text = if pattern_total(patterns) == 0 {
        vec![Line::from(Span::styled(
            "no quiz answers yet",
            Style::new().fg(Color::DarkGray),
        ))]
    } else {
        let spans: Vec<Span> = pattern_rows(patterns)
            .iter()
            .flat_map(|(name, n)| {
                [
                    Span::styled(format!("{name} "), Style::new().fg(Color::Gray)),
                    Span::styled(format!("{n}  "), Style::new().add_modifier(Modifier::BOLD)),
                ]
            })
            .collect();
        vec![Line::from(spans)]
    };
    frame.render_widget(wrap::paragraph(text, block, area, wrap::Indent::Trim), area);
}

fn pattern_chart(frame: &mut Frame, area: Rect, patterns: &PatternCounts) {
    if pattern_total(patterns) == 0 {
        pattern_lines(frame, area, patterns);
        return;
    }
    let block = section(format!(
        " Quiz questions · {} ",
        thousands(count(pattern_total(patterns)))
    ));
    let bars: Vec<Bar> = pattern_rows(patterns)
        .iter()
        .map(|(name, n)| Bar::with_label(*name, count(*n)).text_value(n.to_string()))
        .collect();
    frame.render_widget(
        BarChart::default()
            .direction(Direction::Horizontal)
            .data(ratatui::widgets::BarGroup::new(bars))
            .block(block)
            .bar_width(1)
            .bar_gap(0)
            .bar_style(Style::new().fg(Color::Magenta))
            .value_style(Style::new().fg(Color::Black).bg(Color::Magenta))
            .label_style(Style::new().fg(Color::Gray)),
        area,
    );
}

/// A count from the database as a bar value (never negative).
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shades_spread_over_four_levels() {
        assert_eq!(shade(0, 10), 0);
        assert_eq!(shade(1, 10), 1);
        assert_eq!(shade(5, 10), 2);
        assert_eq!(shade(8, 10), 4);
        assert_eq!(shade(10, 10), 4);
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
