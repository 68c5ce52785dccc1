//! Coverage of the built-in extractor on the demo questions: almost every question must yield
//! at least one card that survives the guards, and the deck must be at least twice as large as
//! the question count.

use std::collections::HashSet;
use std::fmt::Write;

use amgi::domain::extract::{SourceContext, builtin};
use amgi::domain::guard::apply_guards;
use serde::Deserialize;

#[derive(Deserialize)]
struct Demo {
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

fn demo_contexts() -> Vec<SourceContext> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.json");
    let text = std::fs::read_to_string(path).expect("assets/demo.json is readable");
    let demo: Demo = serde_json::from_str(&text).expect("assets/demo.json parses");
    let mut contexts = Vec::new();
    for topic in demo.topics {
        for q in topic.questions {
            contexts.push(SourceContext {
                question_id: i64::try_from(contexts.len()).expect("few questions") + 1,
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

#[test]
fn builtin_extractor_covers_the_demo_questions() {
    let contexts = demo_contexts();
    assert!(!contexts.is_empty(), "the demo has questions");

    let mut report = String::new();
    let mut covered = 0;
    let mut total_kept = 0;
    for ctx in &contexts {
        let drafts = builtin::extract(ctx);
        let proposed = drafts.len();
        let outcome = apply_guards(
            drafts,
            &ctx.source_text(),
            Some(ctx.question_id),
            &HashSet::new(),
        );
        if !outcome.kept.is_empty() {
            covered += 1;
        }
        total_kept += outcome.kept.len();
        let _ = writeln!(
            report,
            "#{:>2} kept {}/{} dropped {:?} — {}",
            ctx.question_id,
            outcome.kept.len(),
            proposed,
            outcome.dropped,
            ctx.question_text
        );
        for card in &outcome.kept {
            let shown = card.cloze_text.as_deref().unwrap_or(&card.cue);
            let _ = writeln!(report, "      [{}] {shown} → {}", card.format, card.fact);
        }
    }

    let questions = contexts.len();
    println!("{report}");
    println!("covered {covered} of {questions} questions, {total_kept} cards kept");
    assert!(
        covered * 10 >= questions * 9,
        "only {covered} of {questions} questions got a card:\n{report}"
    );
    assert!(
        total_kept >= 2 * questions,
        "only {total_kept} cards for {questions} questions:\n{report}"
    );
}
