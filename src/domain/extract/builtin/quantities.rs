//! Numbers as cloze blanks: which numbers of a sentence stand as quantities worth recalling
//! (with their unit), and which the rest of the sentence gives away by arithmetic, rounding or
//! a neighbouring number.

use super::targets::Target;
use super::words::KOREAN_UNITS;
use crate::domain::korean::{is_hangul, is_particles};
use crate::domain::numbers::{NumberValue, numbers_in};

/// Whether another number follows the target at once ("{{blank}}에 8번", "{{blank}} 3회"): the
/// number that matters is the one left visible.
pub(super) fn followed_by_number(sentence: &str, t: &Target) -> bool {
    let after =
        sentence[t.end..].trim_start_matches(|c: char| is_hangul(c) && "에의은는이가".contains(c));
    after.trim_start().starts_with(|c: char| c.is_ascii_digit())
}

/// Whether a number is the day of a Korean date ("6월 {{blank}}"): the date is one fact.
pub(super) fn after_month(sentence: &str, t: &Target) -> bool {
    sentence[..t.start].trim_end().ends_with('월')
}

/// A day blanked after its month ("August {{blank}}, 1961") takes the month with it.
pub(super) fn with_month(sentence: &str, start: usize) -> usize {
    const MONTHS: &[&str] = &[
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let before = &sentence[..start];
    MONTHS
        .iter()
        .find_map(|m| {
            before
                .strip_suffix(' ')
                .and_then(|b| b.strip_suffix(m))
                .map(|b| b.len())
        })
        .unwrap_or(start)
}

/// Whether a target holding digits is given away by the sentence: a formula (`=`, `≈`), or
/// another number of the sentence that makes it by arithmetic or rounds to it.
pub(super) fn number_given_away(sentence: &str, t: &Target) -> bool {
    if !sentence[t.start..t.end].contains(|c: char| c.is_ascii_digit()) {
        return false;
    }
    if sentence.contains(['=', '≈', '≒', '>', '<', '×', '÷', '→']) {
        return true;
    }
    let numbers = written_numbers(sentence);
    numbers
        .iter()
        .filter(|n| n.start >= t.start && n.end <= t.end)
        .any(|n| given_away(n, &numbers, sentence))
}

/// A number written with ASCII digits: its span and value.
struct Written {
    start: usize,
    end: usize,
    value: f64,
}

fn written_numbers(sentence: &str) -> Vec<Written> {
    let bytes = sentence.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        loop {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                digits.push(char::from(bytes[i]));
                i += 1;
            }
            let run_after = |at: usize| {
                bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count()
            };
            match bytes.get(i) {
                Some(b',') if run_after(i + 1) == 3 => i += 1,
                Some(b'.') if run_after(i + 1) > 0 && !digits.contains('.') => {
                    digits.push('.');
                    i += 1;
                }
                _ => break,
            }
        }
        found.push(Written {
            start,
            end: i,
            value: digits.parse().unwrap_or(f64::NAN),
        });
    }
    found
}

/// Numbers that occur once in the sentence, stand as quantities (not inside a code or a name
/// like "IPv4", "SSH-2", "3·1" or "30~32"), are not choice numbers ("3번") and are not given
/// away by the sentence's other numbers; each with its attached unit.
pub(super) fn number_targets(sentence: &str) -> Vec<(usize, usize)> {
    let is_joiner = |c: char| {
        matches!(
            c,
            '-' | '–' | '—' | '−' | '·' | '/' | ':' | '~' | '.' | '^' | '×'
        ) || "⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉".contains(c)
    };
    let numbers = written_numbers(sentence);
    numbers
        .iter()
        .filter(|n| numbers.iter().filter(|m| m.value == n.value).count() == 1)
        .filter(|n| {
            let mut before = sentence[..n.start].chars().rev();
            let mut after = sentence[n.end..].chars();
            let (b1, b2) = (before.next(), before.next());
            let (a1, a2) = (after.next(), after.next());
            let letter = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
            let joined_before = b1.is_some_and(is_joiner) && b2.is_some_and(char::is_alphanumeric);
            let joined_after = a1.is_some_and(|c| "⁰¹²³⁴⁵⁶⁷⁸⁹".contains(c))
                || (a1.is_some_and(is_joiner) && a2.is_some_and(|c| c.is_ascii_alphanumeric()));
            // "ISO 16", "RFC 9110", "No. 9": a number that names rather than counts.
            let prefix = sentence[..n.start].trim_end();
            let named = b1 == Some(' ')
                && prefix.rsplit(' ').next().is_some_and(|w| {
                    w.bytes().filter(u8::is_ascii_uppercase).count() >= 2
                        || matches!(w, "No." | "Op." | "No" | "no.")
                });
            // "제4조", "제1항": an article's number.
            let article = b1 == Some('제');
            !letter(b1) && !letter(a1) && !joined_before && !joined_after && !named && !article
        })
        .filter(|n| !given_away(n, &numbers, sentence))
        .filter_map(|n| {
            let unit = unit_len(&sentence[n.end..]);
            let unit_text = &sentence[n.end..n.end + unit];
            // A choice number, or a month or day without the rest of its date.
            let bare = matches!(unit_text, "번" | "번째" | "월" | "일");
            (!bare).then_some((n.start, n.end + unit))
        })
        .collect()
}

/// Whether the other numbers of a sentence give `n` away: a sum, difference, product or
/// ratio of two of them, the sum of all of them, or the rest of 100 for a percentage.
fn given_away(n: &Written, all: &[Written], sentence: &str) -> bool {
    let rest = &sentence[n.end..];
    let mut others: Vec<f64> = all
        .iter()
        .filter(|m| m.start != n.start)
        .map(|m| m.value)
        .collect();
    // Numbers written in words count too ("한 살 낮아져 열아홉 살").
    others.extend(
        numbers_in(sentence)
            .into_iter()
            .filter(|w| w.in_words)
            .filter_map(|w| match w.value {
                NumberValue::Exact(a, b) => Some(a as f64 / b as f64),
                NumberValue::Digits(_) => None,
            }),
    );
    let close = |x: f64| (x - n.value).abs() < 1e-9;
    let percent = rest.starts_with('%');
    let pairwise = others.iter().enumerate().any(|(i, &a)| {
        others[i + 1..].iter().any(|&b| {
            close(a + b)
                || close((a - b).abs())
                || close(a * b)
                || (b != 0.0 && close(a / b))
                || (a != 0.0 && close(b / a))
        })
    });
    let total = others.len() >= 2 && close(others.iter().sum());
    let complement = percent && others.iter().any(|&a| close(100.0 - a));
    let rounded = others
        .iter()
        .any(|&a| (a - n.value).abs() <= n.value.abs() * 0.01);
    pairwise || total || complement || rounded
}

/// Byte length of the unit right after a number: "%", or a known Korean unit (년, 개월, 쌍…)
/// followed by nothing Hangul but particles.
fn unit_len(rest: &str) -> usize {
    if rest.starts_with('%') {
        return 1;
    }
    let run_end = rest
        .char_indices()
        .find(|&(_, c)| !is_hangul(c))
        .map_or(rest.len(), |(i, _)| i);
    let run = &rest[..run_end];
    KOREAN_UNITS
        .iter()
        .find(|unit| {
            run.strip_prefix(**unit)
                .is_some_and(|tail| tail.is_empty() || is_particles(tail))
        })
        .map_or(0, |unit| unit.len())
}
