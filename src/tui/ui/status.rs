//! The status bar (backend, user, extraction, last result or error) and the footer hints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::clean;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::state::{AppState, Pane};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let s = &state.status;
    let c = &s.counts;
    let mut spans = vec![
        Span::styled(
            format!(" {} · {} ", s.backend, clean(&s.user)),
            Style::new().fg(Color::Black).bg(Color::Gray),
        ),
        Span::raw(" "),
    ];
    if s.pending_writes > 0 {
        let changes = plural(s.pending_writes, "change", "changes");
        let text = if state.quit {
            format!("saving {changes}… (quitting when done) ")
        } else {
            format!("saving {changes}… ")
        };
        spans.push(Span::styled(text, Style::new().fg(Color::Yellow)));
    }
    // The answer to the learner's last key comes first; the extraction's state after it.
    if let Some(error) = &s.error {
        spans.push(Span::styled(
            format!("{} ", clean(error)),
            Style::new().fg(Color::Red),
        ));
    } else if let Some(message) = &s.message {
        spans.push(Span::raw(format!("{} ", clean(message))));
    }
    let engine = if s.extraction_running {
        "extract"
    } else {
        "extract (off)"
    };
    spans.push(Span::raw(format!(
        " │ {engine} {} pending {} running {} failed",
        c.jobs_pending, c.jobs_processing, c.jobs_failed
    )));
    if let Some(result) = &s.last_result {
        spans.push(Span::styled(
            format!(" │ {}", clean(result)),
            Style::new().fg(Color::Green),
        ));
    }
    frame.render_widget(Line::from(fit(spans, usize::from(area.width))), area);
}

/// Cuts the spans to `width` display columns, ending a cut one with an ellipsis.
fn fit(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = span.content.width();
        if used + w <= width {
            used += w;
            out.push(span);
            continue;
        }
        let mut cut = String::new();
        let room = width.saturating_sub(used + 1);
        let mut taken = 0;
        for c in span.content.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if taken + cw > room {
                break;
            }
            taken += cw;
            cut.push(c);
        }
        cut.push('…');
        out.push(Span::styled(cut, span.style));
        break;
    }
    out
}

/// "1 change", "3 changes".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Hints for the keys of the current context, generated from the keymap and chosen by
/// command. In the panes `? help` and `q quit` always stay; other hints are dropped from the
/// end when the line is too narrow.
pub fn draw_footer(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap) {
    let context = if state.confirm.is_some() {
        Context::Confirm
    } else if state.editor.is_some() {
        Context::Editor
    } else if state.pane == Pane::Browse && state.browse.searching {
        Context::BrowseSearch
    } else {
        match state.pane {
            Pane::Review => Context::Review,
            Pane::Due => Context::Due,
            Pane::Cram => Context::Cram,
            Pane::Quiz => Context::Quiz,
            Pane::Browse => Context::Browse,
            Pane::Stats => Context::Stats,
        }
    };
    let in_pane = [
        Context::Review,
        Context::Due,
        Context::Cram,
        Context::Quiz,
        Context::Browse,
        Context::Stats,
    ]
    .contains(&context);
    // The rate keys have their own bar in the Due pane.
    let shown_elsewhere = [
        Command::RateKnow,
        Command::RateUnsure,
        Command::RateDontKnow,
    ];
    let mut optional: Vec<(String, &str)> = keymap
        .of(context)
        // The answer keys are the numbers beside the choices.
        .filter(|b| {
            !shown_elsewhere.contains(&b.command) && !matches!(b.command, Command::Answer(_))
        })
        .chain(
            keymap
                .of(Context::Global)
                .filter(|b| in_pane && b.command == Command::Undo),
        )
        .map(|b| {
            (
                b.labels.first().cloned().unwrap_or_default(),
                b.desc.as_str(),
            )
        })
        .collect();
    let kept: Vec<(String, &str)> = if in_pane {
        [Command::ToggleHelp, Command::Quit]
            .iter()
            .filter_map(|&c| keymap.of(Context::Global).find(|b| b.command == c))
            .map(|b| {
                (
                    b.labels.first().cloned().unwrap_or_default(),
                    b.desc.as_str(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let hint_width = |(key, desc): &(String, &str)| key.width() + desc.width() + 3;
    let reserved: usize = kept.iter().map(hint_width).sum();
    let mut room = usize::from(area.width).saturating_sub(reserved);
    // Hints are in the keymap's order; one that does not fit is left out.
    optional.retain(|hint| {
        let w = hint_width(hint);
        let fits = w <= room;
        if fits {
            room -= w;
        }
        fits
    });
    let mut spans = Vec::new();
    for (key, desc) in optional.iter().chain(&kept) {
        spans.push(Span::styled(
            format!(" {key}"),
            Style::new().fg(super::ACCENT),
        ));
        spans.push(Span::styled(
            format!(" {desc} "),
            Style::new().fg(Color::Gray),
        ));
    }
    frame.render_widget(Line::from(spans), area);
}
