//! Word wrapping by display width. ratatui's `Wrap` can put a wide character (Hangul) in the
//! last column of a line, so that its second half covers the pane's right border
//! (ratatui#2679); every wrapped pane goes through [`paragraph`] instead.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Whether a row may start with spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indent {
    /// Leading spaces are kept (aligned lists).
    Keep,
    /// Every row starts at its first non-space (text and key lists).
    Trim,
}

/// A paragraph of `text` inside `block`, wrapped to the block's inner width at `area`.
pub fn paragraph(
    text: impl Into<Text<'static>>,
    block: Block<'static>,
    area: Rect,
    indent: Indent,
) -> Paragraph<'static> {
    let width = block.inner(area).width;
    Paragraph::new(wrap(text.into().lines, width, indent)).block(block)
}

/// A paragraph of `text` with no block, wrapped to `area`'s width.
pub fn bare(text: impl Into<Text<'static>>, area: Rect) -> Paragraph<'static> {
    Paragraph::new(wrap(text.into().lines, area.width, Indent::Trim))
}

/// Each line broken into lines at most `width` cells wide: at the last space that fits,
/// or inside a word longer than the line; the spaces a break falls on are dropped, styles
/// are kept.
pub fn wrap(lines: Vec<Line<'static>>, width: u16, indent: Indent) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let style = line.style;
        let alignment = line.alignment;
        let cells: Vec<(String, Style)> = line
            .spans
            .iter()
            .flat_map(|span| {
                span.content
                    .graphemes(true)
                    .map(move |g| (g.to_owned(), span.style))
            })
            .collect();
        let skip = match indent {
            Indent::Keep => 0,
            Indent::Trim => leading_spaces(&cells),
        };
        for mut piece in break_cells(&cells[skip..], width) {
            if indent == Indent::Trim {
                piece = &piece[leading_spaces(piece)..];
            }
            let mut wrapped = Line::from(join(piece)).style(style);
            wrapped.alignment = alignment;
            out.push(wrapped);
        }
    }
    out
}

fn leading_spaces(cells: &[(String, Style)]) -> usize {
    cells.iter().take_while(|(g, _)| g == " ").count()
}

/// The graphemes of one line split into rows that fit `width`.
fn break_cells(cells: &[(String, Style)], width: usize) -> Vec<&[(String, Style)]> {
    let mut rows = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let mut used = 0;
        let mut end = start;
        let mut last_space = None;
        while end < cells.len() {
            let w = cells[end].0.width();
            if used + w > width {
                break;
            }
            if cells[end].0 == " " {
                last_space = Some(end);
            }
            used += w;
            end += 1;
        }
        if end == cells.len() {
            rows.push(&cells[start..end]);
            break;
        }
        let (row_end, next) = match last_space {
            // The line is full just before a space: break there, dropping the space.
            _ if cells[end].0 == " " => (end, end + 1),
            // Break at the last space that fits, which neither row keeps.
            Some(space) if space > start => (space, space + 1),
            // A word longer than the line is cut where the line is full; a grapheme wider
            // than the whole pane gets a row of its own rather than being lost.
            _ => {
                let end = end.max(start + 1);
                (end, end)
            }
        };
        rows.push(&cells[start..row_end.max(start)]);
        start = next;
    }
    if rows.is_empty() {
        rows.push(&cells[0..0]);
    }
    rows
}

/// Graphemes back into spans, one span per run of one style.
fn join(cells: &[(String, Style)]) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut current: Option<Style> = None;
    for (g, style) in cells {
        if current.is_some_and(|s| s != *style) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                current.unwrap_or_default(),
            ));
        }
        current = Some(*style);
        text.push_str(g);
    }
    if let Some(style) = current {
        spans.push(Span::styled(text, style));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, width: u16) -> Vec<String> {
        wrap(vec![Line::from(text.to_owned())], width, Indent::Keep)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn no_row_is_wider_than_the_width_even_with_hangul_at_the_edge() {
        let text = "훈민정음은 세종대왕이 1443년에 창제하였다. 훈민정음은 1446년에 반포되었다. \
                    반포 당시 훈민정음은 자음 17자와 모음 11자, 총 28자로 이루어져 있었다.";
        for width in [10u16, 17, 31, 40, 77, 78, 79] {
            let rows = rows(text, width);
            for row in &rows {
                assert!(row.width() <= usize::from(width), "{width}: {row:?}");
            }
            // Nothing is lost but the spaces at breaks.
            let kept: String = rows.concat().split_whitespace().collect();
            let all: String = text.split_whitespace().collect();
            assert_eq!(kept, all, "width {width}");
        }
    }

    #[test]
    fn words_break_at_spaces_and_long_words_are_cut() {
        assert_eq!(rows("one two three", 7), vec!["one two", "three"]);
        assert_eq!(rows("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(rows("가나다라", 3), vec!["가", "나", "다", "라"]);
        assert_eq!(rows("", 5), vec![""]);
        assert_eq!(rows("가a", 1), vec!["가", "a"], "nothing is dropped");
    }
}
