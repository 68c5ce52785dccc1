//! The built-in extractor (DESIGN §1.2): offline and deterministic. It turns one question
//! into at most three cards that a learner keeps as they are: a qa card when the question
//! stands alone without its choices, and cloze cards from the explanation's key statements,
//! blanking the answer, a key term or a number, no two cards testing the same fact.

mod question;
mod sentences;
mod targets;

use super::SourceContext;
use crate::domain::card::{CLOZE_BLANK, CardDraft, CardFormat};
use crate::domain::guard::{GuardSource, clean_draft};
use crate::domain::korean::is_hangul;
use crate::domain::matching::shows;
use crate::domain::normalize::fold;
use crate::domain::text::clean_line;
use question::{asks_negative, is_meta, stands_alone, statement_of};
use sentences::plain_sentences;
use targets::{TargetContext, TargetKind, targets};

/// At most this many cards are made per question.
pub const MAX_CARDS: usize = 3;
/// At most this many of them are cloze cards.
pub const MAX_CLOZE_CARDS: usize = 2;
/// Sentences shorter or longer than these (in characters) make poor cloze cards.
const MIN_SENTENCE_CHARS: usize = 15;
const MAX_SENTENCE_CHARS: usize = 220;
/// A qa card's answer longer than this (in characters) is a statement, not a fact to recall.
const MAX_QA_ANSWER_CHARS: usize = 60;
/// A cloze sentence must keep at least this many characters besides the blank.
const MIN_CONTEXT_CHARS: usize = 10;

/// Extracts cards from one question; every card returned passes the shape, quantitative,
/// evidence and leak guards against `ctx.source_text()`.
pub fn extract(ctx: &SourceContext) -> Vec<CardDraft> {
    let guards = GuardSource::new(&ctx.source_text());
    let passes = |card: &CardDraft| guards.check(card).is_ok();
    let question = clean_line(&ctx.question_text);
    let answer = ctx
        .correct_answer()
        .map(clean_line)
        .filter(|a| !a.is_empty());
    let alone = answer
        .as_deref()
        .is_some_and(|a| stands_alone(&ctx.question_text, a));
    let sentences: Vec<String> = plain_sentences(&ctx.explanation)
        .iter()
        .filter(|s| !is_meta(s) || statement_of(s) != s.as_str())
        .map(|s| {
            let statement = statement_of(s);
            // An English statement cut from after a label starts with a capital again.
            if statement.len() < s.len() && !statement.chars().any(is_hangul) {
                capitalised(statement)
            } else {
                statement.to_owned()
            }
        })
        .filter(|s| is_statement(s))
        .collect();
    let mut cards: Vec<CardDraft> = Vec::new();

    if let Some(answer) = answer
        .as_deref()
        .filter(|a| alone && a.chars().count() <= MAX_QA_ANSWER_CHARS)
    {
        let evidence = sentences
            .iter()
            .find(|s| shows(answer, s))
            .map_or(answer, String::as_str);
        let card = clean_draft(&CardDraft {
            format: CardFormat::Qa,
            cue: question.clone(),
            fact: answer.to_owned(),
            cloze_text: None,
            evidence: evidence.to_owned(),
        });
        if passes(&card) {
            cards.push(card);
        }
    }

    let target_ctx = TargetContext {
        question: fold(&question),
        answer: answer.clone(),
        answer_is_fact: !asks_negative(&ctx.question_text),
    };
    let has_qa = !cards.is_empty();
    let mut candidates: Vec<(TargetKind, usize, CardDraft)> = Vec::new();
    for (index, sentence) in sentences.iter().enumerate() {
        for target in targets(sentence, &target_ctx) {
            // With a qa card for the answer, a cloze on a part of it tests the same fact.
            if has_qa && target.kind == TargetKind::AnswerTerm {
                continue;
            }
            let fact = &sentence[target.start..target.end];
            if sentence.chars().count() < fact.chars().count() + MIN_CONTEXT_CHARS {
                continue;
            }
            let cloze_text = format!(
                "{}{CLOZE_BLANK}{}",
                &sentence[..target.start],
                &sentence[target.end..]
            );
            let card = cloze_cues(&ctx.topic, sentence)
                .map(|cue| {
                    clean_draft(&CardDraft {
                        format: CardFormat::Cloze,
                        cue,
                        fact: fact.to_owned(),
                        cloze_text: Some(cloze_text.clone()),
                        evidence: sentence.clone(),
                    })
                })
                .find(|card| passes(card));
            if let Some(card) = card {
                candidates.push((target.kind, index, card));
            }
        }
    }
    // Best kind first, then the explanation's order; one card per sentence and per fact.
    candidates.sort_by_key(|(kind, index, _)| (*kind, *index));
    let mut used_sentences = Vec::new();
    let mut clozes = 0;
    for (_, index, card) in candidates {
        if cards.len() >= MAX_CARDS || clozes >= MAX_CLOZE_CARDS {
            break;
        }
        let same_fact = cards.iter().any(|c| same_fact(&c.fact, &card.fact));
        if same_fact || used_sentences.contains(&index) {
            continue;
        }
        used_sentences.push(index);
        clozes += 1;
        cards.push(card);
    }
    cards
}

/// Whether two facts are the same fact written alike or one inside the other ("BGP" and
/// "Border Gateway Protocol (BGP)", "1446년" and "1446").
fn same_fact(a: &str, b: &str) -> bool {
    shows(a, b) || shows(b, a)
}

/// A sentence a cloze card can be made from: a complete statement of sane length about the
/// subject with a clear subject, not a question, not a "label: value" row or an
/// introduction to a list, not about the choices.
fn is_statement(sentence: &str) -> bool {
    let chars = sentence.chars().count();
    if !(MIN_SENTENCE_CHARS..=MAX_SENTENCE_CHARS).contains(&chars) || is_meta(sentence) {
        return false;
    }
    if sentence.contains(": ") || sentence.contains('：') || starts_vague(sentence) {
        return false;
    }
    let trimmed = sentence.trim_end_matches(['"', '\'', ')', '”', '’', '」', '』']);
    let Some(last) = trimmed.chars().next_back() else {
        return false;
    };
    if matches!(last, '?' | '？' | ':' | '：') {
        return false;
    }
    if sentence.chars().any(is_hangul) {
        // A Korean statement ends in a predicate: "…다." or "…요.".
        let body = trimmed.trim_end_matches(['.', '。', '!']);
        return body.ends_with(['다', '요']);
    }
    let first = sentence
        .trim_start_matches(['"', '“', '\'', '‘'])
        .chars()
        .next()
        .unwrap_or(' ');
    (first.is_uppercase() || first.is_ascii_digit()) && matches!(last, '.' | '!' | '。')
}

/// Whether a sentence leans on the one before it for its subject ("이는 …", "It was …").
fn starts_vague(sentence: &str) -> bool {
    const VAGUE: &[&str] = &[
        "이는 ",
        "이것은 ",
        "이를 ",
        "이처럼 ",
        "이때 ",
        "이 때 ",
        "그것은 ",
        "이들은 ",
        "It ",
        "It's ",
        "Its ",
        "This ",
        "These ",
        "They ",
        "Their ",
        "That ",
        "Those ",
        "He ",
        "She ",
        "His ",
        "Her ",
    ];
    VAGUE.iter().any(|v| sentence.starts_with(v))
}

/// The sentence with its first letter in upper case (a statement cut from after a label).
fn capitalised(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => sentence.to_owned(),
    }
}

/// The cues a cloze card may have, best first: the topic as context, then a generic prompt
/// (for a topic that is empty or gives the answer away).
fn cloze_cues(topic: &str, sentence: &str) -> impl Iterator<Item = String> {
    let generic = if sentence.chars().any(is_hangul) {
        "빈칸 채우기"
    } else {
        "Fill in the blank"
    };
    Some(clean_line(topic))
        .filter(|t| !t.is_empty())
        .into_iter()
        .chain([generic.to_owned()])
}

#[cfg(test)]
mod tests;
