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

#[test]
fn a_cloze_never_turns_the_qa_card_around() {
    let ctx = context(
        "World History",
        "In which year did the Berlin Wall fall?",
        &["1961", "1989", "1991", "1945"],
        2,
        "The Berlin Wall fell on November 9, 1989, when crowds crossed the border. \
         The Berlin Wall was built in 1961 by the German Democratic Republic.",
    );
    let cards = extract_kept(&ctx);
    assert_eq!(cards[0], "In which year did the Berlin Wall fall? → 1989");
    // The first sentence states the answer: a cloze of it would ask the same fact back.
    assert!(cards.iter().all(|c| !c.contains("November 9")), "{cards:?}");
    assert!(cards.iter().any(|c| c.ends_with("→ 1961")), "{cards:?}");
}

#[test]
fn a_positive_which_of_the_following_is_asked_without_the_pointer() {
    let ctx = context(
        "Physics",
        "Which of the following is the SI unit of electrical resistance?",
        &["Volt", "Ohm", "Ampere", "Watt"],
        2,
        "The SI unit of electrical resistance is the **ohm**, named after Georg Simon Ohm.",
    );
    let cards = extract_kept(&ctx);
    assert_eq!(
        cards[0],
        "Which is the SI unit of electrical resistance? → Ohm"
    );
}

#[test]
fn clozes_skip_sentences_that_lean_on_context_and_blanks_beside_a_gloss() {
    let ctx = context(
        "경제",
        "<보기>에서 인플레이션의 영향으로 옳은 것을 모두 고르면?\nㄱ. 화폐 가치 하락\nㄴ. 채무자 유리",
        &["ㄱ", "ㄱ, ㄴ", "ㄴ", "없음"],
        2,
        "인플레이션(inflation)은 물가 수준이 지속적으로 오르는 현상이다. 이는 화폐 가치를 떨어뜨린다. \
         **구매력**은 같은 돈으로 살 수 있는 재화의 양이다.",
    );
    let cards = extract_kept(&ctx);
    assert!(
        cards
            .iter()
            .all(|c| !c.contains("(inflation)") && !c.starts_with("[경제] 이는")),
        "{cards:?}"
    );
    assert!(!cards.is_empty());
}
