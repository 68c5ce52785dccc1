//! An explanation as plain sentences: markdown markup removed (headers, list bullets,
//! emphasis, code ticks), then split with Unicode's sentence boundaries (UAX #29, which keeps
//! "3.14", "Node.js" and "e.g. the" whole and splits "다.그리고"), with abbreviations such as
//! "U.S." or "Dr." glued back to the sentence they belong to.

use unicode_segmentation::UnicodeSegmentation;

/// Abbreviations that almost never end a sentence.
const ALWAYS_CONTINUE: &[&str] = &[
    "dr.", "mr.", "mrs.", "ms.", "prof.", "st.", "vs.", "no.", "nos.", "fig.", "approx.", "e.g.",
    "i.e.", "cf.", "jr.", "sr.", "gen.", "gov.", "sen.", "rep.", "dept.", "vol.", "ch.", "pp.",
    "p.", "ca.", "est.", "mt.", "ft.", "ave.",
];
/// Abbreviations that may end a sentence: glued to the next part unless it starts like a
/// new sentence.
const MAY_CONTINUE: &[&str] = &[
    "u.s.", "u.k.", "u.n.", "e.u.", "p.p.", "etc.", "inc.", "ltd.", "co.", "a.m.", "p.m.",
];
/// Words a new English sentence commonly starts with.
const SENTENCE_STARTS: &[&str] = &[
    "The",
    "This",
    "That",
    "These",
    "Those",
    "It",
    "Its",
    "In",
    "On",
    "At",
    "A",
    "An",
    "He",
    "She",
    "They",
    "We",
    "You",
    "I",
    "However",
    "Therefore",
    "Thus",
    "So",
    "But",
    "And",
    "As",
    "For",
    "When",
    "While",
    "After",
    "Before",
    "By",
    "With",
    "Because",
    "Since",
    "If",
    "Each",
    "Every",
    "Both",
    "Most",
    "Some",
    "All",
    "There",
    "Here",
    "Remember",
    "Note",
];

/// The explanation's sentences, plain (markdown removed), trimmed, each keeping its
/// terminator. A line break always ends a sentence (list items, headers); header lines are
/// left out.
#[cfg(test)]
fn plain_sentences(text: &str) -> Vec<String> {
    sentences_with_origin(text)
        .into_iter()
        .map(|s| s.text)
        .collect()
}

/// A plain sentence and whether it came from a list item (which leans on the line that
/// introduced the list).
pub struct PlainSentence {
    pub text: String,
    pub from_list: bool,
}

/// [`plain_sentences`], each with where it came from.
pub fn sentences_with_origin(text: &str) -> Vec<PlainSentence> {
    let mut sentences = Vec::new();
    for raw in text.lines() {
        let Some(line) = plain_line(raw) else {
            continue;
        };
        let trimmed = raw.trim().trim_start_matches('>').trim_start();
        let from_list = strip_bullet(trimmed).len() != trimmed.len();
        let mut parts: Vec<String> = Vec::new();
        for part in line.unicode_sentences().flat_map(split_after_korean_period) {
            let part = without_decoration(part.trim());
            if part.is_empty() {
                continue;
            }
            match parts.last_mut() {
                Some(previous) if continues(previous, part) => {
                    previous.push(' ');
                    previous.push_str(part);
                }
                _ => parts.push(part.to_owned()),
            }
        }
        sentences.extend(
            parts
                .into_iter()
                .map(|text| PlainSentence { text, from_list }),
        );
    }
    sentences
}

/// A sentence without the emoji or symbol that decorates its start ("💡 ", "✅ ", "⚠️ ").
fn without_decoration(sentence: &str) -> &str {
    sentence
        .trim_start_matches(|c: char| {
            !c.is_alphanumeric()
                && !matches!(
                    c,
                    '(' | '"'
                        | '“'
                        | '\''
                        | '‘'
                        | '['
                        | '<'
                        | '-'
                        | '+'
                        | '$'
                        | '€'
                        | '£'
                        | '¥'
                        | '₩'
                )
        })
        .trim_start()
}

/// Splits after a Korean sentence's period followed by a space ("…뜻해요. c는 …"), which
/// Unicode's rules keep together when a lower-case letter follows.
fn split_after_korean_period(part: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = part.char_indices().collect();
    for w in chars.windows(3) {
        let [(_, a), (i, b), (_, c)] = w else {
            continue;
        };
        if crate::domain::korean::is_hangul(*a) && *b == '.' && *c == ' ' {
            pieces.push(&part[start..=*i]);
            start = i + 1;
        }
    }
    pieces.push(&part[start..]);
    pieces
}

/// Whether `next` continues `previous`, which was cut after an abbreviation.
fn continues(previous: &str, next: &str) -> bool {
    let last_word = previous
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or_default()
        .trim_start_matches(['(', '"', '\''])
        .to_lowercase();
    // A lone capital initial ("J. Watson") is not a sentence end either.
    let initial = last_word.len() == 2 && last_word.ends_with('.') && previous.len() > 2;
    if ALWAYS_CONTINUE.contains(&last_word.as_str()) || initial {
        return true;
    }
    if MAY_CONTINUE.contains(&last_word.as_str()) {
        let first = next.split_whitespace().next().unwrap_or_default();
        return !SENTENCE_STARTS.contains(&first);
    }
    false
}

/// One line of markdown as plain text, or `None` for a header, a rule or an empty line.
fn plain_line(line: &str) -> Option<String> {
    let line = line.trim();
    if line.is_empty()
        || line.starts_with('#')
        || line
            .chars()
            .all(|c| matches!(c, '-' | '*' | '_' | '=' | ' '))
    {
        return None;
    }
    let line = line.trim_start_matches('>').trim_start();
    let line = strip_bullet(line);
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '`' => {}
            '_' if chars.peek() == Some(&'_') => {
                chars.next();
            }
            '~' if chars.peek() == Some(&'~') => {
                chars.next();
            }
            c => out.push(c),
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    (!out.is_empty()).then_some(out)
}

/// A list bullet or number at the start of a line ("- ", "* ", "• ", "1. ", "2) ", "① ").
fn strip_bullet(line: &str) -> &str {
    for bullet in ["- ", "* ", "+ ", "• ", "· ", "‣ ", "◦ ", "▪ ", "→ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return rest.trim_start();
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if (1..=2).contains(&digits) {
        let rest = &line[digits..];
        for marker in [". ", ") "] {
            if let Some(rest) = rest.strip_prefix(marker) {
                return rest.trim_start();
            }
        }
    }
    if let Some(c) = line.chars().next()
        && ('①'..='⑳').contains(&c)
    {
        return line[c.len_utf8()..].trim_start();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_keeping_decimals_names_and_abbreviations() {
        let text = "pi is 3.14. Node.js runs! 했다.그리고 끝이다。 뜻해요. c는 빛이다. The U.S. Congress passed it in 1964. \
                    Dr. Watson agreed, e.g. the team did. It grew 3.2 p.p. over a year.";
        let expected = [
            "pi is 3.14.",
            "Node.js runs!",
            "했다.",
            "그리고 끝이다。",
            "뜻해요.",
            "c는 빛이다.",
            "The U.S. Congress passed it in 1964.",
            "Dr. Watson agreed, e.g. the team did.",
            "It grew 3.2 p.p. over a year.",
        ];
        assert_eq!(plain_sentences(text), expected);
    }

    #[test]
    fn markdown_is_removed_and_lines_end_sentences() {
        let text = "### 핵심 정리\n- **엽록체**는 광합성이 일어나는 소기관이다\n1. `ATP`를 만든다.\n\n---\n> 참고: 미토콘드리아(mitochondria)는 호흡을 한다.\n💡 ⚠️ 효소는 단백질이다.\n- **💡 RNA**도 촉매이다. 앞 문장이다. 💡 이부프로펜은 NSAID이다.";
        let expected = [
            "엽록체는 광합성이 일어나는 소기관이다",
            "ATP를 만든다.",
            "참고: 미토콘드리아(mitochondria)는 호흡을 한다.",
            "효소는 단백질이다.",
            "RNA도 촉매이다.",
            "앞 문장이다.",
            "이부프로펜은 NSAID이다.",
        ];
        assert_eq!(plain_sentences(text), expected);
    }
}
