//! The built-in extractor graded: on the demo questions and on the evaluation set in
//! `tests/eval/questions.json` (not the demo; Korean and English, many subjects, explanations
//! as an AI tutor writes them). Every question must get a card, at most three, none of which
//! trips an automatic rubric check (CARDS.md), and no two testing the same fact.
//!
//! `cargo test --test card_eval -- --nocapture` prints the figures;
//! `AMGI_CARD_EVAL_REPORT=cards.md` also writes every card, for grading by the rubric.

use std::collections::HashSet;
use std::fmt::Write;

use amgi::domain::card::{CardDraft, CardFormat};
use amgi::domain::extract::{SourceContext, builtin};
use amgi::domain::guard::apply_guards;
use amgi::domain::matching::shows;
use amgi::domain::normalize::{DedupScope, fold};
use serde::Deserialize;

#[derive(Deserialize)]
struct QuestionFile {
    topics: Vec<Topic>,
}

#[derive(Deserialize)]
struct Topic {
    name: String,
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    question: String,
    choices: Vec<String>,
    correct_choice: usize,
    explanation: String,
}

fn contexts(relative: &str) -> Vec<SourceContext> {
    let path = format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let file: QuestionFile = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut contexts = Vec::new();
    for topic in file.topics {
        for q in topic.questions {
            contexts.push(SourceContext {
                question_id: i64::try_from(contexts.len()).unwrap_or(i64::MAX) + 1,
                topic: topic.name.clone(),
                question_text: q.question,
                choices: q.choices,
                correct_choice: q.correct_choice,
                explanation: q.explanation,
            });
        }
    }
    contexts
}

/// The automatic rubric checks (CARDS.md, "Automatic checks") a card trips.
fn rubric_hits(card: &CardDraft, ctx: &SourceContext) -> Vec<&'static str> {
    let mut hits = Vec::new();
    let shown = format!(
        "{} {}",
        card.cue,
        card.cloze_text.as_deref().unwrap_or_default()
    );
    let folded = fold(&shown);
    let fact = fold(&card.fact);
    const META: &[&str] = &[
        "정답",
        "오답",
        "보기",
        "선택지",
        "choice",
        "option",
        "the answer",
    ];
    if META.iter().any(|m| folded.contains(m)) || shown.chars().any(|c| ('①'..='⑳').contains(&c))
    {
        hits.push("meta");
    }
    const NEEDS_CHOICES: &[&str] = &[
        "다음 중",
        "옳은 것",
        "옳지 않은",
        "아닌 것",
        "모두 고르",
        "which of the following",
        "except",
    ];
    if card.format == CardFormat::Qa
        && NEEDS_CHOICES
            .iter()
            .any(|p| format!(" {folded} ").contains(p))
    {
        hits.push("needs-choices");
    }
    const FUNCTION: &[&str] = &[
        "은",
        "는",
        "이",
        "가",
        "을",
        "를",
        "의",
        "에",
        "에서",
        "으로",
        "로",
        "것",
        "값",
        "약",
        "the",
        "a",
        "an",
        "of",
        "is",
        "are",
        "about",
        "approximately",
        "value",
        "one",
        "thing",
        "and",
        "or",
        "this",
        "that",
    ];
    let choice_number = fact
        .trim_end_matches('번')
        .chars()
        .all(|c| c.is_ascii_digit())
        && fact.len() <= 4;
    if FUNCTION.contains(&fact.as_str()) || choice_number && fact.ends_with('번') {
        hits.push("blank-on-function-word");
    }
    let emoji = |c: char| matches!(c, '\u{1F300}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}');
    if ["**", "`", "# ", "- ", "__"]
        .iter()
        .any(|m| shown.contains(m) || card.fact.contains(m))
        || shown.chars().any(emoji)
    {
        hits.push("markdown");
    }
    if let Some(text) = &card.cloze_text {
        let end = text.trim_end_matches(['"', '\'', ')', '”', '’']);
        let complete = end.ends_with(['.', '!', '。', '다', '요']);
        let first_word = text.split_whitespace().next().unwrap_or_default();
        let starts_mid = [
            "which", "while", "and", "but", "or", "that", "whereas", "who",
        ]
        .contains(&first_word);
        if !complete || starts_mid {
            hits.push("fragment");
        }
    }
    let negative = ["옳지 않은", "아닌 것", "틀린 것", "except"]
        .iter()
        .any(|p| format!(" {} ", fold(&ctx.question_text)).contains(p))
        || ctx.question_text.contains(" NOT ");
    if negative && ctx.correct_answer().is_some_and(|a| fold(a) == fact) {
        hits.push("distractor-as-fact");
    }
    hits
}

/// Runs the extractor over `contexts`; returns the report and the failures.
fn grade(contexts: &[SourceContext]) -> (String, Vec<String>, Figures) {
    let mut report = String::new();
    let mut failures = Vec::new();
    let mut figures = Figures::default();
    for ctx in contexts {
        let drafts = builtin::extract(ctx);
        let outcome = apply_guards(
            drafts.clone(),
            &ctx.source_text(),
            DedupScope::Question(ctx.question_id),
            &HashSet::new(),
        );
        let cards = outcome.kept;
        figures.questions += 1;
        figures.cards += cards.len();
        figures.qa += cards.iter().filter(|c| c.format == CardFormat::Qa).count();
        let _ = writeln!(
            report,
            "\n### Q{} [{}] {}\nanswer: {}",
            ctx.question_id,
            ctx.topic,
            ctx.question_text.replace('\n', " / "),
            ctx.correct_answer().unwrap_or("?")
        );
        if cards.len() != drafts.len() {
            failures.push(format!(
                "Q{}: the guards dropped {:?}",
                ctx.question_id, outcome.dropped
            ));
        }
        if cards.is_empty() {
            figures.without_cards += 1;
            failures.push(format!("Q{}: no card", ctx.question_id));
        }
        if cards.len() > builtin::MAX_CARDS {
            failures.push(format!("Q{}: {} cards", ctx.question_id, cards.len()));
        }
        for (i, a) in cards.iter().enumerate() {
            for b in &cards[i + 1..] {
                if shows(&a.fact, &b.fact) || shows(&b.fact, &a.fact) {
                    figures.same_fact_pairs += 1;
                    failures.push(format!("Q{}: two cards test {:?}", ctx.question_id, a.fact));
                }
            }
        }
        for card in &cards {
            let hits = rubric_hits(card, ctx);
            let shown = card.cloze_text.as_deref().unwrap_or(&card.cue);
            let _ = writeln!(
                report,
                "- [{}] {shown} → {}  {}",
                card.format,
                card.fact,
                hits.join(" ")
            );
            if !hits.is_empty() {
                figures.flagged += 1;
                failures.push(format!(
                    "Q{}: {hits:?} in {shown:?} → {:?}",
                    ctx.question_id, card.fact
                ));
            }
        }
    }
    (report, failures, figures)
}

#[derive(Debug, Default)]
struct Figures {
    questions: usize,
    cards: usize,
    qa: usize,
    without_cards: usize,
    same_fact_pairs: usize,
    flagged: usize,
}

fn print_figures(name: &str, f: &Figures) {
    println!(
        "{name}: {} questions, {} cards ({} qa, {} cloze), {:.2} per question; {} without a card; \
         {} same-fact pairs; {} cards flagged by the automatic checks",
        f.questions,
        f.cards,
        f.qa,
        f.cards - f.qa,
        f.cards as f64 / f.questions.max(1) as f64,
        f.without_cards,
        f.same_fact_pairs,
        f.flagged
    );
}

#[test]
fn evaluation_set_every_question_gets_clean_cards() {
    let contexts = contexts("tests/eval/questions.json");
    assert!(
        contexts.len() >= 60,
        "the evaluation set has {} questions",
        contexts.len()
    );
    let (report, failures, figures) = grade(&contexts);
    print_figures("evaluation set", &figures);
    if let Ok(path) = std::env::var("AMGI_CARD_EVAL_REPORT") {
        std::fs::write(&path, &report).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}\n{report}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn demo_every_question_gets_clean_cards() {
    let contexts = contexts("assets/demo.json");
    let (report, failures, figures) = grade(&contexts);
    print_figures("demo", &figures);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}\n{report}",
        failures.len(),
        failures.join("\n")
    );
}
