//! What a cloze may blank in one sentence, best first: the correct answer, a key term
//! (English names and acronyms, Korean nouns the question uses) or a number with its unit —
//! never a function word, a particle, a choice number, or a number the rest of the sentence
//! gives away by arithmetic.

use super::quantities::{
    after_month, followed_by_number, number_given_away, number_targets, with_month,
};
use super::words::{
    ENGLISH_STOPWORDS, KOREAN_PREDICATE_ENDINGS, KOREAN_STOPWORDS, NAME_CONNECTORS,
};
use crate::domain::korean::{is_hangul, is_particles, runs, strip_particles};
use crate::domain::matching::shows;
use crate::domain::normalize::fold;

/// Why a span is worth blanking; lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TargetKind {
    /// The question's correct answer.
    Answer,
    /// A term that is part of the correct answer.
    AnswerTerm,
    /// A term the question itself uses.
    QuestionTerm,
    /// A term the explanation marks as key (in bold).
    KeyTerm,
    /// A number with its unit.
    Number,
    /// Another English name or acronym.
    Name,
}

/// A span of a sentence (byte offsets) that a cloze may blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub start: usize,
    pub end: usize,
    pub kind: TargetKind,
}

/// What a sentence is read against: the question's text and its correct answer, folded.
pub struct TargetContext {
    pub question: String,
    pub answer: Option<String>,
    /// Whether the correct answer may be blanked (not when the question asks for the false
    /// choice).
    pub answer_is_fact: bool,
    /// Terms the explanation sets in bold.
    pub key_terms: Vec<String>,
    /// The last resort for a question with no card: a term its acronym spells out may be
    /// blanked (it then tests what the acronym stands for).
    pub relaxed: bool,
}

/// The terms an explanation sets in bold (`**…**` or `__…__`) that can be a blank: short,
/// no brackets, not a predicate or an adverb.
pub fn bold_terms(markdown: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for marker in ["**", "__"] {
        let mut parts = markdown.split(marker);
        parts.next();
        while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
            let term = inside.trim();
            // A verb or adjective form ("크게", "핵막이 없어"), not a term to recall.
            let predicate = term.chars().any(is_hangul)
                && (KOREAN_PREDICATE_ENDINGS.iter().any(|e| term.ends_with(e))
                    || term.ends_with([
                        '게', '히', '이', '어', '아', '여', '고', '며', '서', '지', '요', '니',
                        '면',
                    ]));
            let plain = !term.contains(['(', ')', '[', ']', '*', '\n', ':']) && !term.is_empty();
            let length = term.chars().count();
            if plain
                && !predicate
                && (2..=30).contains(&length)
                && term.chars().any(char::is_alphabetic)
            {
                terms.push(term.to_owned());
            }
        }
    }
    terms
}

/// Blank targets of one sentence, best first, without overlapping spans.
pub fn targets(sentence: &str, ctx: &TargetContext) -> Vec<Target> {
    let mut found = Vec::new();
    if ctx.answer_is_fact
        && let Some(answer) = &ctx.answer
        && let Some(start) = single_occurrence(sentence, answer)
    {
        found.push(Target {
            start,
            end: start + answer.len(),
            kind: TargetKind::Answer,
        });
    }
    for (start, end) in english_terms(sentence)
        .into_iter()
        .chain(korean_nouns(sentence, &ctx.question))
    {
        let term = fold(&sentence[start..end]);
        let kind = if ctx.answer.as_ref().is_some_and(|a| contains_word(a, &term)) {
            if !ctx.answer_is_fact {
                continue;
            }
            TargetKind::AnswerTerm
        } else if contains_word(&ctx.question, &term) {
            TargetKind::QuestionTerm
        } else if sentence[start..end].chars().any(|c| c.is_ascii_uppercase()) {
            TargetKind::Name
        } else {
            continue;
        };
        found.push(Target { start, end, kind });
    }
    for term in &ctx.key_terms {
        // The false choice of a negative question is no fact to learn.
        let false_choice =
            !ctx.answer_is_fact && ctx.answer.as_deref().is_some_and(|a| shows(term, a));
        if !false_choice
            && let Some(start) = single_occurrence(sentence, term)
            && !found.iter().any(|t| t.start == start)
        {
            // A bold term the question itself names is the question's subject.
            let kind = if contains_word(&ctx.question, &fold(term)) {
                TargetKind::QuestionTerm
            } else {
                TargetKind::KeyTerm
            };
            found.push(Target {
                start,
                end: start + term.len(),
                kind,
            });
        }
    }
    found.extend(
        number_targets(sentence)
            .into_iter()
            .map(|(start, end)| Target {
                start,
                end,
                kind: TargetKind::Number,
            }),
    );
    found.retain(|t| !given_away_by_its_sentence(sentence, t, ctx.relaxed));
    for t in &mut found {
        if t.kind == TargetKind::Number {
            t.start = with_month(sentence, t.start);
        }
    }
    found.sort_by_key(|t| (t.kind, t.start));
    let mut chosen: Vec<Target> = Vec::new();
    for t in found {
        if !chosen.iter().any(|c| t.start < c.end && c.start < t.end) {
            chosen.push(t);
        }
    }
    chosen
}

/// Whether the rest of the sentence gives the target away or leaves it ambiguous: negated,
/// worked out by arithmetic, beside its gloss or expansion, spelled out by an acronym, half
/// of a dashed name, an example slot, or a number that only makes sense with its neighbour.
fn given_away_by_its_sentence(sentence: &str, t: &Target, relaxed: bool) -> bool {
    let number_part = t.kind == TargetKind::Number
        && (followed_by_number(sentence, t) || after_month(sentence, t));
    let half_name = t.kind == TargetKind::Name && dashed(sentence, t);
    negated(sentence, t)
        || number_given_away(sentence, t)
        || glossed(sentence, t)
        || spelled_out(sentence, t, relaxed)
        || half_name
        || example_slot(sentence, t)
        || number_part
}

/// Whether the target stands beside its own gloss, expansion or abbreviation in brackets
/// ("{{blank}}(inflation)", "프로트롬빈 시간({{blank}})", "0°C({{blank}} K)"): the bracket gives
/// it away.
fn glossed(sentence: &str, t: &Target) -> bool {
    let after = sentence[t.end..].trim_start_matches(|c: char| {
        c == ' ' || c == '°' || c.is_ascii_alphabetic() && t.kind == TargetKind::Number
    });
    let before = sentence[..t.start].trim_end();
    // Inside brackets ("(II, {{blank}}, IX)", "(e.g., the {{blank}}'s)"): an aside.
    let depth =
        before.matches(['(', '（']).count() as i64 - before.matches([')', '）']).count() as i64;
    // A gloss one word later ("{{blank}} 에너지(ionization energy)").
    let next_word_glossed = sentence[t.end..].find('(').is_some_and(|p| {
        let between = &sentence[t.end..t.end + p];
        between.matches(' ').count() <= 1 && !between.contains([',', '.', ';'])
    });
    after.starts_with(['(', '（'])
        || before.ends_with(['(', '（'])
        || depth > 0
        || next_word_glossed
}

/// Whether an acronym is spelled out in its sentence: the initials of consecutive words
/// ("red, yellow and blue" for RYB), or "abbreviated", "stands for", "short for".
fn spelled_out(sentence: &str, t: &Target, allow_phrases: bool) -> bool {
    let term = &sentence[t.start..t.end];
    if !term.is_ascii() {
        return false;
    }
    // A phrase whose initials stand in the sentence as an acronym ("red, yellow and blue"
    // beside "RYB").
    let initials: String = term
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty() && !matches!(*w, "and" | "of" | "the" | "for"))
        .filter_map(|w| w.chars().next())
        .collect::<String>()
        .to_ascii_uppercase();
    if !allow_phrases
        && initials.len() >= 2
        && sentence
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == initials)
    {
        return true;
    }
    if term.chars().count() <= 2 && t.kind == TargetKind::Name {
        // "SI", "UN": labels too short to recall on their own.
        return true;
    }
    if !term.chars().all(|c| c.is_ascii_uppercase()) {
        return false;
    }
    let lower = sentence.to_ascii_lowercase();
    if ["abbreviat", "stands for", "short for", "acronym"]
        .iter()
        .any(|p| lower.contains(p))
    {
        return true;
    }
    let initials: Vec<char> = lower
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty() && !matches!(*w, "and" | "of" | "the" | "for"))
        .filter_map(|w| w.chars().next())
        .collect();
    let wanted: Vec<char> = term.to_ascii_lowercase().chars().collect();
    initials
        .windows(wanted.len())
        .any(|w| w == wanted.as_slice())
}

/// Whether the target fills an example slot ("{{blank}}처럼", "{{blank}} 같은", "such as
/// {{blank}}"): any example would do.
fn example_slot(sentence: &str, t: &Target) -> bool {
    let after = sentence[t.end..].trim_start();
    let before = sentence[..t.start].trim_end().to_ascii_lowercase();
    ["처럼", "같은", "등", "등의", "따위"]
        .iter()
        .any(|w| after.starts_with(w))
        || ["such as", "like", "e.g.", "e.g.,", "including"]
            .iter()
            .any(|w| before.ends_with(w))
}

/// Whether a name is half of a dashed pair ("Hershey–Chase", "Meselson-Stahl").
fn dashed(sentence: &str, t: &Target) -> bool {
    let dash = |c: char| matches!(c, '–' | '-' | '—');
    sentence[t.end..].starts_with(dash) || sentence[..t.start].ends_with(dash)
}

/// Whether the sentence says the target is not the case ("X가 아니라 Y", "not X"): blanking
/// it would leave the learner nothing to recall.
fn negated(sentence: &str, t: &Target) -> bool {
    let after =
        sentence[t.end..].trim_start_matches(|c: char| is_hangul(c) && "이가은는을를".contains(c));
    let before = sentence[..t.start].to_ascii_lowercase();
    after.trim_start().starts_with("아니")
        || before.ends_with("not ")
        || before.ends_with("not the ")
}

/// Whether the folded `hay` holds `word` as a whole word (or, in Korean, a word's start).
fn contains_word(hay: &str, word: &str) -> bool {
    hay.match_indices(word).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + word.len()..].chars().next();
        let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() && !is_hangul(c));
        let hangul_before = before.is_some_and(is_hangul) && word.starts_with(is_hangul);
        !glued(before) && !glued(after) && !hangul_before
    })
}

/// The one start of `answer` in `sentence` on word boundaries (ASCII case-insensitive), or
/// `None` when it is absent or there twice.
fn single_occurrence(sentence: &str, answer: &str) -> Option<usize> {
    if answer.is_empty() {
        return None;
    }
    let ascii_glued = |a: Option<char>, b: Option<char>| {
        a.zip(b)
            .is_some_and(|(a, b)| a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
    };
    let starts: Vec<usize> = sentence
        .char_indices()
        .map(|(i, _)| i)
        .filter(|&i| {
            let end = i + answer.len();
            if !sentence
                .get(i..end)
                .is_some_and(|w| w.eq_ignore_ascii_case(answer))
            {
                return false;
            }
            let before = sentence[..i].chars().next_back();
            let after = sentence[end..].chars().next();
            let (first, last) = (answer.chars().next(), answer.chars().next_back());
            let hangul_glued = before
                .zip(first)
                .is_some_and(|(a, b)| is_hangul(a) && is_hangul(b));
            !ascii_glued(before, first) && !ascii_glued(last, after) && !hangul_glued
        })
        .collect();
    match starts[..] {
        [start] => Some(start),
        _ => None,
    }
}

/// English names: runs of capitalised words ("Border Gateway Protocol"), acronyms (TCP,
/// mRNA, IPv6) and words of the sentence; a capitalised word at the sentence start counts
/// only as part of a longer name or as an acronym.
fn english_terms(sentence: &str) -> Vec<(usize, usize)> {
    let words = ascii_words(sentence);
    let mut spans = Vec::new();
    let mut k = 0;
    while k < words.len() {
        let (start, end) = words[k];
        let word = &sentence[start..end];
        let acronym = word.bytes().filter(u8::is_ascii_uppercase).count() >= 2;
        let capitalised = word.as_bytes()[0].is_ascii_uppercase();
        let stop = ENGLISH_STOPWORDS.contains(&word.to_ascii_lowercase().as_str());
        if !(acronym || capitalised) || stop || word.len() < 2 {
            k += 1;
            continue;
        }
        // Extend over following capitalised words joined by one space, and through "of",
        // "and", "de"… between two of them ("Declaration of Independence").
        let capital_at = |j: usize| {
            j < words.len()
                && sentence[words[j].0..].starts_with(|c: char| c.is_ascii_uppercase())
                && !ENGLISH_STOPWORDS.contains(
                    &sentence[words[j].0..words[j].1]
                        .to_ascii_lowercase()
                        .as_str(),
                )
        };
        let spaced = |j: usize| j < words.len() && &sentence[words[j - 1].1..words[j].0] == " ";
        let slashed = |j: usize| j < words.len() && &sentence[words[j - 1].1..words[j].0] == "/";
        let mut last = k;
        loop {
            if (spaced(last + 1) || slashed(last + 1)) && capital_at(last + 1) {
                last += 1;
            } else if spaced(last + 1)
                && spaced(last + 2)
                && NAME_CONNECTORS.contains(&&sentence[words[last + 1].0..words[last + 1].1])
                && capital_at(last + 2)
            {
                last += 2;
            } else {
                break;
            }
        }
        let at_start = !sentence[..start].chars().any(char::is_alphanumeric);
        // A word right after a capitalised stopword belongs to a longer name ("404 Not Found").
        let inside_name = k > 0
            && spaced(k)
            && !sentence[..words[k - 1].0].trim().is_empty()
            && sentence[words[k - 1].0..].starts_with(|c: char| c.is_ascii_uppercase());
        // A chemical formula ("CaCO₃", "A₂") is not a name to blank.
        let formula =
            sentence[words[last].1..].starts_with(|c: char| "₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻".contains(c));
        if (acronym || last > k || !at_start) && !inside_name && !formula {
            spans.push((start, words[last].1));
        }
        k = last + 1;
    }
    spans
}

/// Runs of ASCII letters and digits that start with a letter, with their byte spans.
fn ascii_words(sentence: &str) -> Vec<(usize, usize)> {
    let bytes = sentence.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts =
            bytes[i].is_ascii_alphabetic() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        words.push((start, i));
    }
    words
}

/// Korean nouns: Hangul runs with particles stripped that are specific enough to learn —
/// three syllables or more, or glossed in parentheses ("수요(demand)") — and are not
/// stopwords nor verbs or adjectives. Where the question uses a longer form of the word
/// ("가속도", "죄형법정주의"), that form is kept rather than stripped further.
fn korean_nouns(sentence: &str, question: &str) -> Vec<(usize, usize)> {
    runs(sentence, is_hangul)
        .into_iter()
        .filter_map(|(start, run)| {
            // A run right after a number is its unit ("1446년에", "3.50%에서").
            if sentence[..start].ends_with(|c: char| c.is_ascii_digit() || c == '%')
                || is_particles(run)
            {
                return None;
            }
            let stem = question_form(run, question).unwrap_or_else(|| strip_particles(run, 2));
            let syllables = stem.chars().count();
            // Glossed in another language: "수요(demand)", "핵산(nucleic acid)".
            let gloss = sentence[start + stem.len()..]
                .strip_prefix('(')
                .unwrap_or_default();
            let glossed = gloss.bytes().take_while(u8::is_ascii_alphabetic).count() >= 3;
            let predicate = KOREAN_PREDICATE_ENDINGS.iter().any(|e| stem.ends_with(e))
                || (syllables >= 3
                    && stem.ends_with(['면', '고', '서', '며', '게', '지', '니', '던', '든']));
            let specific = syllables >= 3 || (syllables == 2 && glossed);
            let noun = specific && !predicate && !KOREAN_STOPWORDS.contains(&stem);
            noun.then_some((start, start + stem.len()))
        })
        .collect()
}

/// The form of `run` that the question uses as a word of its own (what follows it there is
/// particles or nothing), particles of the sentence stripped: "업적이" is "업적" when the
/// question says "업적이 아닌"; "가속도에" stays "가속도" when the question says "가속도".
fn question_form<'a>(run: &'a str, question: &str) -> Option<&'a str> {
    let forms = run
        .char_indices()
        .map(|(i, _)| i)
        .chain([run.len()])
        .filter(|&i| i == run.len() || is_particles(&run[i..]))
        .map(|i| &run[..i])
        .filter(|form| form.chars().count() >= 2);
    let base = strip_particles(run, 2);
    forms
        .filter(|form| form.len() >= base.len())
        .find(|form| used_as_word(question, form))
}

/// Whether `question` uses `form` as a word, with nothing after it but particles.
fn used_as_word(question: &str, form: &str) -> bool {
    question.match_indices(form).any(|(i, _)| {
        let before = question[..i].chars().next_back();
        let rest = &question[i + form.len()..];
        let tail_end = rest.find(|c: char| !is_hangul(c)).unwrap_or(rest.len());
        let tail = &rest[..tail_end];
        !before.is_some_and(is_hangul) && (tail.is_empty() || is_particles(tail))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(sentence: &str, question: &str, answer: Option<&str>) -> Vec<(&'static str, String)> {
        let ctx = TargetContext {
            question: fold(question),
            answer: answer.map(str::to_owned),
            answer_is_fact: true,
            key_terms: Vec::new(),
            relaxed: false,
        };
        targets(sentence, &ctx)
            .into_iter()
            .map(|t| {
                let kind = match t.kind {
                    TargetKind::Answer => "answer",
                    TargetKind::AnswerTerm => "answer-term",
                    TargetKind::QuestionTerm => "question-term",
                    TargetKind::KeyTerm => "key-term",
                    TargetKind::Number => "number",
                    TargetKind::Name => "name",
                };
                (kind, sentence[t.start..t.end].to_owned())
            })
            .collect()
    }

    #[test]
    fn targets_prefer_the_answer_then_terms_then_numbers() {
        let found = spans(
            "엽록체의 틸라코이드 막에서는 빛에너지를 이용해 ATP와 NADPH를 만든다.",
            "광합성의 명반응에서 만들어지는 물질은?",
            Some("ATP"),
        );
        assert_eq!(found[0], ("answer", "ATP".to_owned()));
        assert!(
            found.iter().any(|(k, t)| *k == "name" && t == "NADPH"),
            "{found:?}"
        );
        let found = spans(
            "BGP, defined by the Internet Engineering Task Force, exchanges routes between autonomous systems.",
            "Which protocol exchanges routes between autonomous systems?",
            Some("BGP"),
        );
        assert_eq!(found[0], ("answer", "BGP".to_owned()));
        assert!(
            found
                .iter()
                .any(|(_, t)| t == "Internet Engineering Task Force"),
            "{found:?}"
        );
        // Beside its expansion or gloss, a term is given away.
        let found = spans(
            "The Border Gateway Protocol (BGP) exchanges routes; 인플레이션(inflation)은 물가 상승이다.",
            "Which protocol exchanges routes? 인플레이션",
            Some("BGP"),
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn bold_terms_are_key_terms_unless_they_are_predicates() {
        let md = "우리나라는 **대륙성 기후**의 특징이 강하고 연교차가 **크게** 나타난다. The **ohm** (**Ω**) and __volt__.";
        assert_eq!(bold_terms(md), ["대륙성 기후", "ohm", "volt"]);
    }

    #[test]
    fn numbers_are_blanked_only_as_quantities() {
        let found = |s: &str| -> Vec<String> {
            number_targets(s)
                .into_iter()
                .map(|(a, b)| s[a..b].to_owned())
                .collect()
        };
        assert_eq!(
            found("3·1 운동, SSH-2, IPv4, 30~32분자, 16-bit, 1919년에"),
            ["1919년"]
        );
        assert_eq!(
            found("자음은 17자, 모음은 11자로 모두 28자이다."),
            Vec::<String>::new()
        );
        assert_eq!(found("찬성이 60%, 반대가 40%였다."), Vec::<String>::new());
        assert_eq!(found("정답은 3번이며 1446년에 반포되었다."), ["1446년"]);
        assert_eq!(found("It has 12 pairs of ribs."), ["12"]);
    }

    #[test]
    fn korean_nouns_leave_out_predicates_and_stopwords() {
        let s = "세종대왕은 훈민정음을 창제하여 1446년에 반포하였다.";
        let nouns: Vec<&str> = korean_nouns(s, "")
            .into_iter()
            .map(|(a, b)| &s[a..b])
            .collect();
        assert_eq!(nouns, ["세종대왕", "훈민정음"]);
        let s = "이를 가속도에 대해 정리하고, 죄형법정주의는 원칙이며 수요(demand)와 나라가 있다.";
        let nouns: Vec<&str> = korean_nouns(s, "가속도와 죄형법정주의")
            .into_iter()
            .map(|(a, b)| &s[a..b])
            .collect();
        assert_eq!(nouns, ["가속도", "죄형법정주의", "수요"]);
    }
}
