//! The built-in extractor (DESIGN §1.2): offline and deterministic. It turns one question
//! into at most three cards that a learner keeps as they are: a qa card when the question
//! stands alone without its choices, and cloze cards from the explanation's key statements,
//! blanking the answer, a key term or a number, no two cards testing the same fact.

mod quantities;
mod question;
mod sentences;
mod targets;
mod words;

use super::SourceContext;
use crate::domain::card::{CLOZE_BLANK, CardDraft, CardFormat};
use crate::domain::guard::{GuardSource, clean_draft};
use crate::domain::korean::is_hangul;
use crate::domain::matching::shows;
use crate::domain::normalize::fold;
use crate::domain::text::clean_line;
use question::{asks_negative, is_meta, standalone_form, statement_of};
use sentences::sentences_with_origin;
use targets::{TargetContext, TargetKind, bold_terms, targets};

/// At most this many cards are made per question.
pub const MAX_CARDS: usize = 3;
/// At most this many of them are cloze cards.
pub const MAX_CLOZE_CARDS: usize = 2;
/// Sentences shorter or longer than these (in characters) make poor cloze cards.
const MIN_SENTENCE_CHARS: usize = 15;
const MAX_SENTENCE_CHARS: usize = 160;
/// The last-resort pass takes longer sentences.
const MAX_RELAXED_SENTENCE_CHARS: usize = 220;
/// A qa card's answer longer than this (in characters) is a statement, not a fact to recall.
const MAX_QA_ANSWER_CHARS: usize = 60;
/// A cloze sentence must keep at least this many characters besides the blank.
const MIN_CONTEXT_CHARS: usize = 10;

/// Extracts cards from one question; every card returned passes the shape, quantitative,
/// evidence and leak guards against `ctx.source_text()`.
pub fn extract(ctx: &SourceContext) -> Vec<CardDraft> {
    let guards = GuardSource::new(&ctx.source_text());
    let answer = ctx
        .correct_answer()
        .map(clean_line)
        .filter(|a| !a.is_empty());
    let qa_cue = answer
        .as_deref()
        .and_then(|a| standalone_form(&ctx.question_text, a));
    let cards = extract_with(ctx, &guards, answer.as_deref(), qa_cue.as_deref(), true);
    if !cards.is_empty() {
        return cards;
    }
    // Nothing from self-contained sentences: one card that needs a word of context added is
    // still better than none.
    let mut cards = extract_with(ctx, &guards, answer.as_deref(), qa_cue.as_deref(), false);
    cards.truncate(1);
    cards
}

/// One extraction pass; `strict` leaves out sentences that lean on the one before them.
fn extract_with(
    ctx: &SourceContext,
    guards: &GuardSource,
    answer: Option<&str>,
    qa_cue: Option<&str>,
    strict: bool,
) -> Vec<CardDraft> {
    let passes = |card: &CardDraft| guards.check(card).is_ok();
    let sentences: Vec<String> = sentences_with_origin(&ctx.explanation)
        .into_iter()
        // An English list item ("About 95% fall within ±2σ.") leans on the line that
        // introduced the list unless it names its own subject.
        .filter(|s| !(strict && s.from_list && !names_its_subject(&s.text)))
        .map(|s| s.text)
        .filter(|s| !is_meta(s) || statement_of(s) != s.as_str())
        .map(|s| {
            let statement = statement_of(&s);
            // An English statement cut from after a label starts with a capital again.
            if statement.len() < s.len() && !statement.chars().any(is_hangul) {
                capitalised(statement)
            } else {
                statement.to_owned()
            }
        })
        .filter(|s| {
            is_statement(s)
                && !(strict && (leans_on_context(s) || s.chars().count() > MAX_SENTENCE_CHARS))
        })
        .collect();
    let mut cards: Vec<CardDraft> = Vec::new();

    if let (Some(answer), Some(cue)) = (answer, qa_cue)
        && answer.chars().count() <= MAX_QA_ANSWER_CHARS
    {
        let evidence = sentences
            .iter()
            .find(|s| shows(answer, s))
            .map_or(answer, String::as_str);
        let card = clean_draft(&CardDraft {
            format: CardFormat::Qa,
            cue: clean_line(cue),
            fact: answer.to_owned(),
            cloze_text: None,
            evidence: evidence.to_owned(),
        });
        if passes(&card) {
            cards.push(card);
        }
    }

    let target_ctx = TargetContext {
        question: fold(&clean_line(&ctx.question_text)),
        answer: answer.map(str::to_owned),
        answer_is_fact: !asks_negative(&ctx.question_text),
        key_terms: bold_terms(&ctx.explanation),
        relaxed: !strict,
    };
    let has_qa = !cards.is_empty();
    let mut candidates: Vec<(TargetKind, usize, CardDraft)> = Vec::new();
    for (index, sentence) in sentences.iter().enumerate() {
        // With a qa card, a sentence that states its answer would only turn it around.
        if has_qa && answer.is_some_and(|a| shows(a, sentence)) {
            continue;
        }
        for target in targets(sentence, &target_ctx) {
            // With a qa card for the answer, a cloze on a part of it or on the question's own
            // subject tests the same fact.
            if has_qa
                && matches!(
                    target.kind,
                    TargetKind::AnswerTerm | TargetKind::QuestionTerm
                )
            {
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
    shows(a, b) || shows(b, a) || abbreviates(a, b) || abbreviates(b, a) || shares_a_name(a, b)
}

/// Whether `short` is an abbreviation of `long` ("NAC" of "N-acetylcysteine", "ATP" of
/// "adenosine triphosphate"): its letters appear in order in it, starting with its first.
fn abbreviates(short: &str, long: &str) -> bool {
    let short: Vec<char> = short.chars().filter(|c| c.is_alphanumeric()).collect();
    if !(2..=6).contains(&short.len())
        || !short
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let long: Vec<char> = fold(long).chars().filter(|c| c.is_alphanumeric()).collect();
    if long.len() <= short.len()
        || long.first() != short.first().map(|c| c.to_ascii_lowercase()).as_ref()
    {
        return false;
    }
    let mut rest = long.iter();
    short
        .iter()
        .all(|s| rest.any(|l| *l == s.to_ascii_lowercase()))
}

/// Whether two facts share a name of four letters or more ("Meselson–Stahl experiment" and
/// "Matthew Meselson and Franklin Stahl").
fn shares_a_name(a: &str, b: &str) -> bool {
    let names = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 4 && w.starts_with(|c: char| c.is_uppercase()))
            .map(|w| w.to_lowercase())
            .collect()
    };
    let b_names = names(b);
    names(a).iter().any(|n| b_names.contains(n))
}

/// A sentence a cloze card can be made from: a complete statement of sane length about the
/// subject with a clear subject, not a question, not a "label: value" row or an
/// introduction to a list, not about the choices.
fn is_statement(sentence: &str) -> bool {
    let chars = sentence.chars().count();
    if !(MIN_SENTENCE_CHARS..=MAX_RELAXED_SENTENCE_CHARS).contains(&chars) || is_meta(sentence) {
        return false;
    }
    if sentence.contains(": ") || sentence.contains(['：', '=', '≈', '>', '<']) {
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

/// Whether a list item starts with its own subject: Korean items are checked like any
/// sentence (a subject or topic is required there); English ones start with a name.
fn names_its_subject(item: &str) -> bool {
    if item.chars().any(is_hangul) {
        return true;
    }
    let first = item.split_whitespace().next().unwrap_or_default();
    first.starts_with(|c: char| c.is_ascii_uppercase())
        && !matches!(
            first,
            "About"
                | "Approximately"
                | "Around"
                | "Roughly"
                | "Only"
                | "Most"
                | "Some"
                | "All"
                | "Over"
                | "Under"
                | "Nearly"
                | "Almost"
        )
}

/// Whether a sentence leans on the one before it, so that as a card it would not say what
/// it is about: a connective or a demonstrative first ("반면", "이는", "However", "The site"),
/// an English pronoun anywhere ("it", "they"), or a Korean sentence without a subject or topic.
fn leans_on_context(sentence: &str) -> bool {
    const KOREAN_OPENERS: &[&str] = &[
        "또 ",
        "또한",
        "반면",
        "하지만",
        "반대로",
        "그러나",
        "그래서",
        "따라서",
        "즉",
        "이때",
        "이 때",
        "여기서",
        "한편",
        "특히",
        "결국",
        "그 결과",
        "이로써",
        "이는",
        "이것",
        "이를",
        "이처럼",
        "이와",
        "이런",
        "이러한",
        "이에",
        "그것",
        "그런",
        "그 ",
        "이 ",
        "이들",
        "같은 ",
        "위의",
        "앞의",
        "다만",
        "예를 들어",
        "예컨대",
    ];
    const ENGLISH_OPENERS: &[&str] = &[
        "By comparison",
        "In contrast",
        "For example",
        "However",
        "Also",
        "So ",
        "Then",
        "Both",
        "Each",
        "Such",
        "Here",
        "Thus",
        "Therefore",
        "Instead",
        "Similarly",
        "Likewise",
        "Otherwise",
    ];
    const PRONOUNS: &[&str] = &[
        "it", "its", "they", "them", "their", "he", "his", "him", "she", "her", "this", "these",
        "those", "here", "there", "former", "latter",
    ];
    if sentence.chars().any(is_hangul) {
        if KOREAN_OPENERS.iter().any(|o| sentence.starts_with(o)) {
            return true;
        }
        // A demonstrative anywhere ("이 기행문", "그 제도") points outside the sentence.
        let demonstrative = sentence.split_whitespace().any(|w| {
            matches!(
                w,
                "이" | "그" | "저" | "이런" | "그런" | "이러한" | "그러한" | "해당"
            )
        });
        let refers_back = ["같은 의미", "앞서", "위에서", "이와 같이", "앞의"]
            .iter()
            .any(|p| sentence.contains(p));
        if demonstrative || refers_back {
            return true;
        }
        // A subject or topic: a word of two syllables or more marked by 은/는/이/가.
        let has_subject = sentence.split_whitespace().any(|w| {
            let w = w.trim_end_matches([',', '.']);
            let stem_len = w.chars().count().saturating_sub(1);
            stem_len >= 2 && w.ends_with(['은', '는', '이', '가'])
        });
        return !has_subject;
    }
    if ENGLISH_OPENERS.iter().any(|o| sentence.starts_with(o)) {
        return true;
    }
    // "the drug", "the idea": a common noun standing for something named before.
    const REFERRING: &[&str] = &[
        " the drug",
        " the idea",
        " the copy",
        " the engrossed",
        " the site",
        " the war",
        " the class",
        " the agent",
        " the medication",
        " the compound",
        " the work",
        " the book",
        " the term",
        " the concept",
        " the theory",
        " the process",
        " the reaction",
        " the result",
        " the study",
        " the experiment",
        " the protocol",
        " the device",
        " the method",
    ];
    let lower = format!(" {}", sentence.to_ascii_lowercase());
    if REFERRING
        .iter()
        .any(|r| lower.contains(r) && !lower.contains(&format!("{r} of ")))
    {
        return true;
    }
    // "The client sends…", "The wall had…": a definite article before a common noun refers
    // back; before a name ("The Berlin Wall") it does not.
    if let Some(rest) = sentence.strip_prefix("The ")
        && rest.starts_with(|c: char| c.is_lowercase())
    {
        return true;
    }
    let words: Vec<&str> = sentence.split(|c: char| !c.is_ascii_alphabetic()).collect();
    // Code ("SELECT name FROM users") is not a statement to learn by heart.
    let code = words
        .iter()
        .filter(|w| {
            matches!(
                **w,
                "SELECT" | "FROM" | "WHERE" | "INSERT" | "UPDATE" | "JOIN" | "def" | "return"
            )
        })
        .count()
        >= 2;
    code || words
        .iter()
        .any(|w| PRONOUNS.contains(&w.to_ascii_lowercase().as_str()))
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
