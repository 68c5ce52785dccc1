//! The built-in extractor (DESIGN §1.2): offline and deterministic, it turns one question into
//! a QA card (question → correct choice) and up to four cloze cards from the explanation.

use std::cmp::Reverse;

use super::SourceContext;
use crate::domain::card::{CLOZE_BLANK, CardDraft, CardFormat};
use crate::domain::guard::{self, check_evidence, check_leak, check_quantitative, check_shape};
use crate::domain::normalize::normalize_fact;

/// At most this many cloze cards are made per question.
pub const MAX_CLOZE_CARDS: usize = 4;
/// Sentences shorter than this (in characters) are too thin for a cloze card.
const MIN_SENTENCE_CHARS: usize = 12;
/// A cloze sentence must keep at least this many characters besides the blank.
const MIN_CONTEXT_CHARS: usize = 6;
/// Number units longer than this (in syllables) are not units.
const MAX_UNIT_CHARS: usize = 3;

/// Korean particles and copula endings stripped from the end of a word, longest first.
const PARTICLES: &str = "에서는 이므로 입니다 이었다 에서 에는 부터 까지 으로 이다 이며 이고 \
                         은 이 을 과 는 가 를 와 로 의 에 도";
/// Particles that only follow a final consonant (받침).
const AFTER_BATCHIM: &str = "으로 은 이 을 과";
/// Particles that only follow a vowel.
const AFTER_VOWEL: &str = "는 가 를 와";
/// Question words that say nothing about the subject.
const KOREAN_STOPWORDS: &str = "다음 무엇 옳은 옳지 않은 것은 설명 가장 올바른 해당 보기 아닌";

/// Extracts cards from one question; every card returned passes the shape, quantitative,
/// evidence and leak guards against `ctx.source_text()`.
pub fn extract(ctx: &SourceContext) -> Vec<CardDraft> {
    let source = ctx.source_text();
    let passes = |card: &CardDraft| {
        check_shape(card)
            .and_then(|()| check_quantitative(card, &source))
            .and_then(|()| check_evidence(card, &source))
            .and_then(|()| check_leak(card))
            .is_ok()
    };
    let sentences = split_sentences(&ctx.explanation);
    let answer = ctx
        .correct_answer()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let mut cards = Vec::new();

    if let Some(answer) = answer {
        let evidence = sentences
            .iter()
            .copied()
            .find(|s| s.contains(answer))
            .unwrap_or(answer);
        let card = CardDraft {
            format: CardFormat::Qa,
            cue: ctx.question_text.trim().to_owned(),
            fact: answer.to_owned(),
            cloze_text: None,
            evidence: evidence.to_owned(),
        };
        if passes(&card) {
            cards.push(card);
        }
    }

    let mut used_facts: Vec<String> = Vec::new();
    for sentence in sentences
        .iter()
        .filter(|s| s.chars().count() >= MIN_SENTENCE_CHARS)
    {
        if used_facts.len() >= MAX_CLOZE_CARDS {
            break;
        }
        'targets: for (start, end) in targets(sentence, answer, ctx) {
            let fact = &sentence[start..end];
            let normalized = normalize_fact(fact);
            if normalized.is_empty()
                || used_facts.contains(&normalized)
                || sentence.chars().count() < fact.chars().count() + MIN_CONTEXT_CHARS
            {
                continue;
            }
            let cloze_text = format!("{}{CLOZE_BLANK}{}", &sentence[..start], &sentence[end..]);
            for cue in cloze_cues(&ctx.topic, sentence) {
                let card = CardDraft {
                    format: CardFormat::Cloze,
                    cue: cue.to_owned(),
                    fact: fact.to_owned(),
                    cloze_text: Some(cloze_text.clone()),
                    evidence: (*sentence).to_owned(),
                };
                if passes(&card) {
                    cards.push(card);
                    used_facts.push(normalized);
                    break 'targets;
                }
            }
        }
    }
    cards
}

/// The cue of a cloze card: the topic, or a generic prompt if the topic cannot be used.
fn cloze_cues<'a>(topic: &'a str, sentence: &str) -> impl Iterator<Item = &'a str> {
    let korean = sentence.chars().any(is_hangul);
    let generic = if korean {
        "빈칸 채우기"
    } else {
        "Fill in the blank"
    };
    Some(topic.trim())
        .filter(|t| !t.is_empty())
        .into_iter()
        .chain([generic])
}

/// Blank targets for one sentence as byte spans, best first: the correct answer, numbers
/// (with a Korean unit such as 년 or a %), named English terms, then Korean terms that the
/// question or its choices use, longest first.
fn targets(sentence: &str, answer: Option<&str>, ctx: &SourceContext) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    if let Some(answer) = answer {
        let found = occurrences(sentence, answer);
        if let [start] = found[..] {
            spans.push((start, start + answer.len()));
        }
    }
    spans.extend(number_targets(sentence));
    spans.extend(english_targets(sentence));
    spans.extend(korean_targets(sentence, ctx));
    spans
}

/// Start offsets of `needle` in `hay` (ASCII case-insensitive) that are not glued to a longer
/// word: no ASCII letter or digit on either side of an ASCII end, no syllable before Hangul.
fn occurrences(hay: &str, needle: &str) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    let ascii_glued = |a: Option<char>, b: Option<char>| {
        a.zip(b)
            .is_some_and(|(a, b)| a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
    };
    hay.char_indices()
        .map(|(i, _)| i)
        .filter(|&i| {
            let end = i + needle.len();
            if !hay
                .get(i..end)
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
            {
                return false;
            }
            let before = hay[..i].chars().next_back();
            let after = hay[end..].chars().next();
            let (first, last) = (needle.chars().next(), needle.chars().next_back());
            let hangul_glued = before
                .zip(first)
                .is_some_and(|(a, b)| is_hangul(a) && is_hangul(b));
            !ascii_glued(before, first) && !ascii_glued(last, after) && !hangul_glued
        })
        .collect()
}

/// Numbers that occur once in the sentence and are not part of a code or a name like "IPv4",
/// "SSH-2", "3·1" or "30~32", each with its attached unit.
fn number_targets(sentence: &str) -> Vec<(usize, usize)> {
    let is_joiner = |c: char| matches!(c, '-' | '·' | '/' | ':' | '~');
    let tokens: Vec<_> = guard::numbers(sentence).collect();
    tokens
        .iter()
        .filter(|t| tokens.iter().filter(|u| u.value == t.value).count() == 1)
        .filter(|t| {
            let mut before = sentence[..t.start].chars().rev();
            let mut after = sentence[t.end..].chars();
            let (b1, b2) = (before.next(), before.next());
            let (a1, a2) = (after.next(), after.next());
            let letter = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
            let joined_before = b1.is_some_and(is_joiner) && b2.is_some_and(char::is_alphanumeric);
            let joined_after = a1.is_some_and(is_joiner) && a2.is_some_and(|c| c.is_ascii_digit());
            !letter(b1) && !letter(a1) && !joined_before && !joined_after
        })
        .map(|t| (t.start, t.end + unit_len(&sentence[t.end..])))
        .collect()
}

/// Byte length of the unit right after a number: "%", or a short Hangul word such as 년, 쌍 or
/// 개월 with any particle after it stripped.
fn unit_len(rest: &str) -> usize {
    if rest.starts_with('%') {
        return 1;
    }
    let run_end = rest
        .char_indices()
        .find(|&(_, c)| !is_hangul(c))
        .map_or(rest.len(), |(i, _)| i);
    let run = &rest[..run_end];
    if strip_particles(run, 0).is_empty() {
        return 0;
    }
    let unit = strip_particles(run, 1);
    // A copula after the unit ("2계층인") is not part of it; "33인" (people) is.
    let unit = unit
        .strip_suffix('인')
        .filter(|u| !u.is_empty())
        .unwrap_or(unit);
    if unit.chars().count() <= MAX_UNIT_CHARS {
        unit.len()
    } else {
        0
    }
}

/// Capitalized English words and acronyms (two capitals or more: TCP, mRNA, IPv6); a word at
/// the start of the sentence counts only if it is an acronym.
fn english_targets(sentence: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let bytes = sentence.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word =
            bytes[i].is_ascii_alphabetic() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if !starts_word {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let word = &sentence[start..i];
        let uppercase = word.bytes().filter(u8::is_ascii_uppercase).count();
        let acronym = uppercase >= 2;
        let capitalized = word.as_bytes()[0].is_ascii_uppercase();
        let at_start = !sentence[..start].chars().any(char::is_alphanumeric);
        if word.len() >= 2 && (acronym || (capitalized && !at_start)) {
            spans.push((start, i));
        }
    }
    spans
}

/// Hangul words (particles stripped, two syllables or more) that the question or a choice
/// uses, longest first.
fn korean_targets(sentence: &str, ctx: &SourceContext) -> Vec<(usize, usize)> {
    let in_question = |word: &str| {
        ctx.question_text.contains(word) || ctx.choices.iter().any(|c| c.contains(word))
    };
    let mut spans: Vec<(usize, usize)> = hangul_runs(sentence)
        .into_iter()
        .map(|(start, run)| (start, strip_particles(run, 2)))
        .filter(|&(_, word)| {
            word.chars().count() >= 2 && !listed(KOREAN_STOPWORDS, word) && in_question(word)
        })
        .map(|(start, word)| (start, start + word.len()))
        .collect();
    spans.sort_by_key(|&(start, end)| (Reverse(sentence[start..end].chars().count()), start));
    spans
}

/// Maximal runs of Hangul syllables with their byte offsets.
fn hangul_runs(text: &str) -> Vec<(usize, &str)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (start, is_hangul(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                runs.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// Strips trailing particles one at a time while at least `min_chars` syllables remain.
fn strip_particles(word: &str, min_chars: usize) -> &str {
    let mut word = word;
    'strip: loop {
        for particle in PARTICLES.split_whitespace() {
            let Some(rest) = word.strip_suffix(particle) else {
                continue;
            };
            let fits = match rest.chars().next_back() {
                None => true,
                Some(c) if listed(AFTER_BATCHIM, particle) => has_batchim(c),
                Some(c) if listed(AFTER_VOWEL, particle) => is_hangul(c) && !has_batchim(c),
                Some(_) => true,
            };
            if fits && rest.chars().count() >= min_chars {
                word = rest;
                continue 'strip;
            }
        }
        return word;
    }
}

/// Whether `word` is one of the space-separated words of `list`.
fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

fn is_hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

fn has_batchim(c: char) -> bool {
    is_hangul(c) && (u32::from(c) - 0xAC00) % 28 != 0
}

/// Splits an explanation into trimmed sentences, each keeping its terminator. A '.', '!' or
/// '?' ends a sentence unless a letter or digit follows it ("3.14", "Node.js"); Korean "다."
/// ends one even with no space after it. '。' and line breaks always end one.
fn split_sentences(text: &str) -> Vec<&str> {
    let is_terminator = |c: char| matches!(c, '.' | '!' | '?' | '。' | '！' | '？');
    let is_closer = |c: char| matches!(c, '"' | '\'' | ')' | '”' | '’' | '」' | '』' | '》' | '〉');
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut k = 0;
    let mut push = |from: usize, to: usize| {
        let sentence = text[from..to].trim();
        if !sentence.is_empty() {
            sentences.push(sentence);
        }
    };
    while k < chars.len() {
        let (i, ch) = chars[k];
        k += 1;
        if ch == '\n' || ch == '\r' {
            push(start, i);
            start = i + ch.len_utf8();
        } else if is_terminator(ch) {
            while k < chars.len() && is_terminator(chars[k].1) {
                k += 1;
            }
            let next = chars.get(k).map(|&(_, c)| c);
            if ch == '。' || !next.is_some_and(|c| c.is_ascii_alphanumeric()) {
                while k < chars.len() && is_closer(chars[k].1) {
                    k += 1;
                }
                let end = chars.get(k).map_or(text.len(), |&(j, _)| j);
                push(start, end);
                start = end;
            }
        }
    }
    push(start, text.len());
    sentences
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::guard::apply_guards;

    /// A context with the second choice correct.
    fn context(
        topic: &str,
        question: &str,
        choices: [&str; 4],
        explanation: &str,
    ) -> SourceContext {
        SourceContext {
            question_id: 1,
            topic: topic.into(),
            question_text: question.into(),
            choices: choices.map(str::to_owned).to_vec(),
            correct_choice: 2,
            explanation: explanation.into(),
        }
    }

    /// Extracts, checks that the guards keep every card, and renders the cards one a line.
    fn extract_kept(ctx: &SourceContext) -> Vec<String> {
        let cards = extract(ctx);
        assert_eq!(extract(ctx), cards, "extraction is deterministic");
        let outcome = apply_guards(cards.clone(), &ctx.source_text(), Some(1), &HashSet::new());
        assert_eq!(outcome.kept, cards, "dropped: {:?}", outcome.dropped);
        let render = |c: &CardDraft| match &c.cloze_text {
            Some(text) => format!("[{}] {text} → {} | {}", c.cue, c.fact, c.evidence),
            None => format!("{} → {} | {}", c.cue, c.fact, c.evidence),
        };
        cards.iter().map(render).collect()
    }

    #[test]
    fn leaking_qa_card_and_repeated_targets_are_skipped() {
        let ctx = context(
            "Biology",
            "Is the Ribosome the powerhouse of the cell?",
            ["Nucleus", "Ribosome", "Golgi", "Vacuole"],
            "The Ribosome makes proteins; every Ribosome reads mRNA. Only some cells hold 5 Golgi \
             stacks.",
        );
        let expected = [
            "[Biology] The Ribosome makes proteins; every Ribosome reads {{blank}}. → mRNA | The \
             Ribosome makes proteins; every Ribosome reads mRNA.",
            "[Biology] Only some cells hold {{blank}} Golgi stacks. → 5 | Only some cells hold 5 \
             Golgi stacks.",
        ];
        assert_eq!(extract_kept(&ctx), expected);
    }

    #[test]
    fn splits_sentences_and_finds_units() {
        let text = "pi is 3.14. Node.js runs! 했다.그리고 끝이다。 Why?\"Yes.\"\nend";
        let expected = [
            "pi is 3.14.",
            "Node.js runs!",
            "했다.",
            "그리고 끝이다。",
            "Why?\"",
            "Yes.\"",
            "end",
        ];
        assert_eq!(split_sentences(text), expected);
        for (word, min, stem) in [
            ("세종대왕은", 2, "세종대왕"),
            ("아이는", 2, "아이"),
            ("프로토콜이다", 2, "프로토콜"),
            ("학교에서", 1, "학교"),
        ] {
            assert_eq!(strip_particles(word, min), stem);
        }
        for (rest, unit) in [
            ("년에 반포", "년"),
            ("에서", ""),
            ("%의", "%"),
            ("계층인 데이터", "계층"),
            ("인이", "인"),
        ] {
            assert_eq!(unit_len(rest), unit.len(), "{rest}");
        }
        let text = "3·1 운동, SSH-2, IPv4, 30~32분자, 16-bit, 1919년에";
        let found: Vec<_> = number_targets(text)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect();
        assert_eq!(found, ["16", "1919년"]);
    }
}
