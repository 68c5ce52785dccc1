//! The built-in extractor on single questions: the cards it makes, and the ones it must not.

use std::collections::HashSet;

use super::*;
use crate::domain::guard::apply_guards;
use crate::domain::normalize::DedupScope;

/// A context with the given choices and correct choice.
fn context(
    topic: &str,
    question: &str,
    choices: &[&str],
    correct: usize,
    explanation: &str,
) -> SourceContext {
    SourceContext {
        question_id: 1,
        topic: topic.into(),
        question_text: question.into(),
        choices: choices.iter().map(|c| (*c).to_owned()).collect(),
        correct_choice: correct,
        explanation: explanation.into(),
    }
}

/// Extracts, checks that the guards keep every card, and renders the cards one a line.
fn extract_kept(ctx: &SourceContext) -> Vec<String> {
    let cards = extract(ctx);
    assert_eq!(extract(ctx), cards, "extraction is deterministic");
    let outcome = apply_guards(
        cards.clone(),
        &ctx.source_text(),
        DedupScope::Question(1),
        &HashSet::new(),
    );
    assert_eq!(outcome.kept, cards, "dropped: {:?}", outcome.dropped);
    let render = |c: &CardDraft| match &c.cloze_text {
        Some(text) => format!("[{}] {text} → {}", c.cue, c.fact),
        None => format!("{} → {}", c.cue, c.fact),
    };
    cards.iter().map(render).collect()
}

#[test]
fn a_standalone_question_gets_a_qa_card_and_clozes_of_other_facts() {
    let ctx = context(
        "생명과학",
        "광합성이 일어나는 세포 소기관은?",
        &["미토콘드리아", "엽록체", "리보솜", "골지체"],
        2,
        "**엽록체(chloroplast)**는 광합성이 일어나는 식물 세포의 소기관이다.\n\
         - 엽록체의 틸라코이드 막에서는 빛에너지를 이용해 ATP와 NADPH를 만든다.\n\
         - 따라서 정답은 ②번입니다.",
    );
    let cards = extract_kept(&ctx);
    assert_eq!(cards[0], "광합성이 일어나는 세포 소기관은? → 엽록체");
    assert!(cards.len() <= MAX_CARDS);
    assert!(cards.iter().all(|c| !c.contains("정답")), "{cards:?}");
    assert!(
        cards.iter().skip(1).all(|c| !c.ends_with("→ 엽록체")),
        "{cards:?}"
    );
}

#[test]
fn a_question_that_needs_its_choices_gets_no_qa_card() {
    let ctx = context(
        "Chemistry",
        "Which of the following is NOT a noble gas?",
        &["Helium", "Neon", "Nitrogen", "Argon"],
        3,
        "Noble gases such as Helium, Neon and Argon have full valence shells. Nitrogen is a \
         diatomic gas in group 15, so it is not a noble gas. The answer is C.",
    );
    let cards = extract_kept(&ctx);
    assert!(
        cards.iter().all(|c| c.starts_with('[')),
        "no qa card: {cards:?}"
    );
    assert!(
        cards.iter().all(|c| !c.ends_with("→ Nitrogen")),
        "{cards:?}"
    );
}
