//! The built-in extractor end to end: the cards it makes for a Korean and an English question,
//! and its coverage of the demo questions (almost every question must yield a card that survives
//! the guards, and the deck must be at least twice as large as the question count).

use std::collections::HashSet;
use std::fmt::Write;

use amgi::domain::card::CardDraft;
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

/// A context with the second choice correct.
fn context(topic: &str, question: &str, choices: [&str; 4], explanation: &str) -> SourceContext {
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
    let cards = builtin::extract(ctx);
    assert_eq!(builtin::extract(ctx), cards, "extraction is deterministic");
    let outcome = apply_guards(cards.clone(), &ctx.source_text(), Some(1), &HashSet::new());
    assert_eq!(outcome.kept, cards, "dropped: {:?}", outcome.dropped);
    let render = |c: &CardDraft| match &c.cloze_text {
        Some(text) => format!("[{}] {text} → {} | {}", c.cue, c.fact, c.evidence),
        None => format!("{} → {} | {}", c.cue, c.fact, c.evidence),
    };
    cards.iter().map(render).collect()
}

#[test]
fn korean_question() {
    let ctx = context(
        "한국사",
        "세종대왕이 창제한 훈민정음을 반포한 해는?",
        ["1443년", "1446년", "1450년", "1418년"],
        "훈민정음은 1443년에 창제하고 1446년에 반포하였다. 자음 17자와 모음 11자, 모두 \
         28자이다.\n집현전 학자들이 창제를 도왔다. 짧은 문장이다.",
    );
    let s1 = "훈민정음은 1443년에 창제하고 1446년에 반포하였다.";
    let expected = [
        format!("세종대왕이 창제한 훈민정음을 반포한 해는? → 1446년 | {s1}"),
        format!(
            "[한국사] 훈민정음은 1443년에 창제하고 {{{{blank}}}}에 반포하였다. → 1446년 | {s1}"
        ),
        "[한국사] 자음 {{blank}}와 모음 11자, 모두 28자이다. → 17자 | 자음 17자와 모음 11자, \
         모두 28자이다."
            .to_owned(),
        "[한국사] 집현전 학자들이 {{blank}}를 도왔다. → 창제 | 집현전 학자들이 창제를 도왔다."
            .to_owned(),
    ];
    assert_eq!(extract_kept(&ctx), expected);
}

#[test]
fn english_question() {
    let ctx = context(
        "Networking",
        "Which transport protocol guarantees ordered delivery?",
        ["UDP", "TCP", "ICMP", "ARP"],
        "TCP provides ordered delivery. It performs a three-way handshake first. HTTPS \
         traffic uses port 443, while DNS mostly uses UDP.",
    );
    let s3 = "HTTPS traffic uses port 443, while DNS mostly uses UDP.";
    let expected = [
        "Which transport protocol guarantees ordered delivery? → TCP | TCP provides ordered \
         delivery."
            .to_owned(),
        "[Networking] {{blank}} provides ordered delivery. → TCP | TCP provides ordered \
         delivery."
            .to_owned(),
        format!(
            "[Networking] HTTPS traffic uses port {{{{blank}}}}, while DNS mostly uses UDP. → 443 | {s3}"
        ),
    ];
    assert_eq!(extract_kept(&ctx), expected);
}
