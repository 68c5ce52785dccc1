//! Reading a question the way a learner would: whether its text stands alone without the
//! choices (so a qa card can ask it), whether it asks for what is false, and which sentences
//! of an explanation talk about the choices rather than the subject.

use crate::domain::normalize::fold;

/// Phrases of a question that point at its choices ("which of the following…"): such a
/// question cannot be asked without them.
const NEEDS_CHOICES: &[&str] = &[
    "다음 중",
    "다음에서",
    "다음은",
    "다음 설명",
    "다음과 같은",
    "보기",
    "옳은 것",
    "옳지 않은",
    "옳지않은",
    "아닌 것",
    "틀린 것",
    "바른 것",
    "바르지",
    "적절한 것",
    "적절하지",
    "해당하는 것",
    "해당하지",
    "고른 것",
    "모두 고르",
    "모두 고른",
    "있는 대로",
    "짝지은",
    "연결한",
    "알맞은 것",
    "맞는 것",
    "거리가 먼",
    "관계없는",
    "㉠",
    "(가)",
    "ㄱ.",
    "ㄱ)",
    "which of the following",
    "which of these",
    "which one of",
    "which statement",
    "which option",
    "which choice",
    "which answer",
    "all of the above",
    "none of the above",
    "the following",
    "true about",
    "false about",
    "is true",
    "is false",
    "are true",
    "are false",
    "correct statement",
    "incorrect",
    "best describes",
    "not true",
    "except",
    "least likely",
    "statements",
];
/// "NOT" as a question writes it when it asks for the excluded choice ("Which is NOT…"),
/// as opposed to a "not" inside a clause ("could not be found").
const NOT_PHRASES: &[&str] = &[
    " NOT ",
    " not a ",
    " not an ",
    " not one ",
    " not part ",
    " not among ",
    "is not ",
    "are not ",
    "does not belong",
    "was not ",
    "were not ",
];
/// Phrases of a question that ask for what is false or excluded: its correct choice is a
/// false statement or an outsider, never a fact to learn.
const ASKS_NEGATIVE: &[&str] = &[
    "옳지 않은",
    "옳지않은",
    "아닌 것",
    "틀린 것",
    "바르지",
    "적절하지",
    "해당하지",
    "거리가 먼",
    "관계없는",
    "없는 것",
    "않는 것",
    "except",
    "false",
    "incorrect",
    "least likely",
];
/// Answers that only make sense next to the choices.
const CHOICE_ANSWERS: &[&str] = &[
    "all of the above",
    "none of the above",
    "both",
    "neither",
    "모두 옳다",
    "모두",
    "없음",
    "정답 없음",
    "모두 맞다",
    "해당 없음",
];
/// Sentences about the question or its choices rather than the subject.
const META: &[&str] = &[
    "정답",
    "오답",
    "선택지",
    "보기",
    "이 문제",
    "문제에서",
    "본 문제",
    "문항",
    "해설",
    "번은",
    "번이",
    "번도",
    "번과",
    "번의",
    "번을",
    "번 선택",
    "번째 선택",
    "choice",
    "option",
    "answer",
    "correct",
    "incorrect",
    "wrong",
    "the question",
    "this question",
    "distractor",
    "eliminate",
    "(a)",
    "(b)",
    "(c)",
    "(d)",
    "ㄱ.",
    "ㄴ.",
    "ㄷ.",
    "ㄹ.",
    "ㄱ,",
    "ㄴ,",
    "ㄷ,",
    "ㄱ과",
    "ㄴ과",
    "ㄷ과",
    "ㄱ은",
    "ㄴ은",
    "ㄷ은",
    "기억하",
    "헷갈",
    "외워",
    "암기",
    "let's",
    "let us",
    " you ",
    " your ",
    "여러분",
    "다음과 같",
    "아래와 같",
    "(o)",
    "(x)",
    "the following",
    "as follows",
    "mnemonic",
];

/// The question as a qa card asks it: the question itself when it stands alone, or a
/// question that points at its choices only to pick one of them ("Which of the following is
/// the SI unit of resistance?", "다음 중 … 해당하는 것은?") asked without the pointer, when it
/// asks for a positive, short answer.
pub fn standalone_form(question: &str, answer: &str) -> Option<String> {
    if stands_alone(question, answer) {
        return Some(question.trim().to_owned());
    }
    let q = question.trim();
    if q.lines().count() > 1 || asks_negative(q) || answer.chars().count() > 40 {
        return None;
    }
    // Only "which of the following is …" asks for one thing by what it is; "which of the
    // following novels …" or "…나열한 것은?" still asks to pick among the choices.
    let rewritten = if let Some(rest) = q.strip_prefix("Which of the following ")
        && (rest.starts_with("is ") || rest.starts_with("was "))
    {
        format!("Which {rest}")
    } else if let Some(rest) = q.strip_prefix("다음 중 ")
        && !rest.contains("것은")
        && !rest.contains("것을")
    {
        rest.to_owned()
    } else {
        return None;
    };
    stands_alone(&rewritten, answer).then_some(rewritten)
}

/// Whether the question text (with its correct answer) can be asked on its own.
pub fn stands_alone(question: &str, answer: &str) -> bool {
    let q = format!(" {} ", fold(question));
    let a = fold(answer);
    let combination = is_combination(&a);
    let choice_answer = CHOICE_ANSWERS.iter().any(|c| a == *c);
    let multi_line = question.trim().lines().count() > 1;
    !(NEEDS_CHOICES.iter().any(|p| q.contains(&fold(p)))
        || says_not(question)
        || combination
        || choice_answer
        || multi_line)
}

/// Whether the question asks for the false or excluded choice.
pub fn asks_negative(question: &str) -> bool {
    let q = format!(" {} ", fold(question));
    ASKS_NEGATIVE.iter().any(|p| q.contains(&fold(p))) || says_not(question)
}

/// Whether the question asks which one is not something.
fn says_not(question: &str) -> bool {
    let q = format!(" {question} ");
    NOT_PHRASES.iter().any(|p| q.contains(p))
}

/// An answer that combines statement labels: "ㄱ, ㄷ", "ㄴ과 ㄹ", "①, ③", "A and C", "1, 3".
fn is_combination(answer: &str) -> bool {
    let labels = answer
        .split(|c: char| c == ',' || c == '/' || c.is_whitespace() || c == '과' || c == '와')
        .filter(|part| !part.is_empty() && *part != "and" && *part != "및")
        .collect::<Vec<_>>();
    let is_label = |part: &&str| {
        let mut chars = part.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return part.chars().all(|c| c.is_ascii_digit()) && part.len() <= 2;
        };
        ('ㄱ'..='ㅎ').contains(&c)
            || ('\u{1100}'..='\u{1112}').contains(&c)
            || c.is_ascii_alphabetic()
            || c.is_ascii_digit()
            || ('①'..='⑳').contains(&c)
    };
    // One number alone ("62") answers "how many"; one letter or jamo, or several labels,
    // point at choices.
    let single_number = labels.len() == 1 && labels[0].chars().all(|c| c.is_ascii_digit());
    !labels.is_empty() && !single_number && labels.iter().all(is_label)
}

/// Whether a sentence talks about the question or its choices ("정답은 ③번이다", "In choice
/// B, …", "Option 4 is wrong") rather than the subject.
pub fn is_meta(sentence: &str) -> bool {
    let s = format!(" {} ", fold(sentence));
    let circled = sentence.chars().any(|c| ('①'..='⑳').contains(&c));
    circled || META.iter().any(|m| s.contains(&fold(m)))
}

/// Words that open a sentence without adding to it ("참고로", "Also,"): a card reads better
/// without them.
const OPENERS: &[&str] = &[
    "참고로 ",
    "참고로, ",
    "또한 ",
    "또한, ",
    "즉, ",
    "즉 ",
    "한편 ",
    "한편, ",
    "그래서 ",
    "따라서 ",
    "그러므로 ",
    "결국 ",
    "특히 ",
    "Also, ",
    "In addition, ",
    "However, ",
    "Therefore, ",
    "Thus, ",
    "So, ",
    "So ",
    "Note that ",
    "In fact, ",
    "Remember that ",
    "Importantly, ",
    "Finally, ",
    "Moreover, ",
];

/// The sentence without an opening connective, and without a statement label and its
/// verdict ("(A) is true: enzymes …", "ㄱ. 화폐의 …"), which leave the statement itself.
pub fn statement_of(sentence: &str) -> &str {
    let mut s = sentence.trim();
    if let Some(rest) = label_verdict(s) {
        s = rest;
    }
    for opener in OPENERS {
        if let Some(rest) = s.strip_prefix(opener) {
            s = rest.trim_start();
            break;
        }
    }
    s
}

/// The text after "(A) is true:" / "(B) is false:" / "ㄱ. " at the start of a sentence.
fn label_verdict(s: &str) -> Option<&str> {
    let after_label = s
        .strip_prefix('(')
        .and_then(|r| r.split_once(')'))
        .filter(|(label, _)| label.chars().count() == 1)
        .map(|(_, rest)| rest)
        .or_else(|| {
            let mut chars = s.char_indices();
            let (_, c) = chars.next()?;
            let (i, dot) = chars.next()?;
            (('ㄱ'..='ㅎ').contains(&c) && matches!(dot, '.' | ')'))
                .then(|| &s[i + dot.len_utf8()..])
        })?;
    let after_label = after_label.trim_start();
    for verdict in [
        "is true:",
        "is false:",
        "is correct:",
        "is incorrect:",
        "is wrong:",
        "is true,",
        "is false,",
    ] {
        if let Some(rest) = after_label.strip_prefix(verdict) {
            return Some(rest.trim_start());
        }
    }
    (!after_label.starts_with("is ")).then_some(after_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_that_need_their_choices_are_recognised() {
        for (question, answer, alone) in [
            ("광합성이 일어나는 세포 소기관은?", "엽록체", true),
            (
                "Which protocol exchanges routes between autonomous systems?",
                "BGP",
                true,
            ),
            (
                "다음 중 옳지 않은 것은?",
                "엽록체는 동물 세포에 있다",
                false,
            ),
            (
                "Which of the following is NOT a noble gas?",
                "Nitrogen",
                false,
            ),
            ("What is true about TCP?", "All of the above", false),
            (
                "옳은 것을 <보기>에서 모두 고르면?\nㄱ. 가\nㄴ. 나",
                "ㄱ, ㄴ",
                false,
            ),
            ("Which layer?", "①, ③", false),
            ("Which gas is least likely to react?", "Neon", false),
            (
                "Which status code says the resource could not be found?",
                "404",
                true,
            ),
            (
                "How many usable hosts does a /26 subnet provide?",
                "62",
                true,
            ),
            ("Which layer?", "C", false),
        ] {
            assert_eq!(stands_alone(question, answer), alone, "{question}");
        }
        assert_eq!(
            standalone_form(
                "Which of the following is the SI unit of resistance?",
                "Ohm"
            )
            .as_deref(),
            Some("Which is the SI unit of resistance?")
        );
        assert_eq!(
            standalone_form("다음 중 광합성이 일어나는 소기관은?", "엽록체").as_deref(),
            Some("광합성이 일어나는 소기관은?")
        );
        assert_eq!(
            standalone_form("다음 중 옳지 않은 것은?", "엽록체는 동물 세포에 있다"),
            None
        );
        assert_eq!(
            standalone_form("Which of the following statements are true?", "A and C"),
            None
        );
        assert!(asks_negative("Which of the following is NOT a noble gas?"));
        assert!(asks_negative("다음 중 옳지 않은 것은?"));
        assert!(!asks_negative("광합성이 일어나는 세포 소기관은?"));
    }

    #[test]
    fn statements_lose_labels_verdicts_and_openers() {
        assert_eq!(
            statement_of("(A) is true: enzymes speed up reactions."),
            "enzymes speed up reactions."
        );
        assert_eq!(
            statement_of("ㄱ. 화폐의 구매력이 떨어진다."),
            "화폐의 구매력이 떨어진다."
        );
        assert_eq!(
            statement_of("참고로 25°C에서 물은 중성이다."),
            "25°C에서 물은 중성이다."
        );
        assert_eq!(statement_of("Also, DNA is a helix."), "DNA is a helix.");
        assert_eq!(
            statement_of("(C) is true: most enzymes are proteins."),
            "most enzymes are proteins."
        );
    }

    #[test]
    fn sentences_about_the_choices_are_meta() {
        for sentence in [
            "따라서 정답은 ③번입니다.",
            "In choice B, the protocol is wrong.",
            "Option 4 describes UDP.",
            "ㄱ은 옳은 설명이다.",
            "② 미토콘드리아는 호흡을 담당한다.",
        ] {
            assert!(is_meta(sentence), "{sentence}");
        }
        assert!(!is_meta("엽록체는 광합성이 일어나는 소기관이다."));
        assert!(!is_meta("Enzymes work in multiple steps."));
        assert!(!is_meta("BGP exchanges routes between autonomous systems."));
    }
}
