//! The guards, case by case: each class of card a guard must drop, and the good cards it
//! must keep.

use super::*;

const KO: &str = "훈민정음은 몇 년에 반포되었는가?\n1443년\n1446년\n세종대왕은 1443년에 훈민정음을 \
                  창제하고 1446년에 반포하였다. 자음은 17자, 모음은 11자로 모두 28자이다.";
const EN: &str = "How many ports does TCP have?\n1024\n65,535\nTCP port numbers are 16-bit, so \
                  there are 65,535 usable ports. HTTPS uses port 443.";

fn card(
    format: CardFormat,
    cue: &str,
    fact: &str,
    cloze: Option<&str>,
    evidence: &str,
) -> CardDraft {
    let (cue, fact, evidence) = (cue.into(), fact.into(), evidence.into());
    CardDraft {
        format,
        cue,
        fact,
        cloze_text: cloze.map(Into::into),
        evidence,
    }
}

fn qa(cue: &str, fact: &str, evidence: &str) -> CardDraft {
    card(CardFormat::Qa, cue, fact, None, evidence)
}

fn cloze(cue: &str, fact: &str, text: &str, evidence: &str) -> CardDraft {
    card(CardFormat::Cloze, cue, fact, Some(text), evidence)
}

#[test]
fn shape_requires_visible_fields_lengths_and_format() {
    let (long_fact, long_cue) = ("가".repeat(201), "q".repeat(501));
    let long_cloze = format!("{}{CLOZE_BLANK}", "가".repeat(1000));
    let mut qa_with_cloze = qa("Q?", "A", "e");
    qa_with_cloze.cloze_text = Some("x {{blank}}".into());
    let mut qa_with_empty_cloze = qa_with_cloze.clone();
    qa_with_empty_cloze.cloze_text = Some(String::new());
    let cases = [
        (qa("Q?", "A", "e"), true),
        (qa("  ", "A", "e"), false),
        (qa("Q?", " ", "e"), false),
        (qa("Q?", "A", ""), false),
        (qa("Q?", &long_fact, "e"), false),
        (qa("Q?", &long_fact[3..], "e"), true),
        (qa(&long_cue, "A", "e"), false),
        (qa_with_cloze, false),
        (qa_with_empty_cloze, true),
        (cloze("c", "A", "{{blank}} b", "e"), true),
        (cloze("c", "A", " ", "e"), false),
        (cloze("c", "A", &long_cloze, "e"), false),
        // Nothing to read: zero-width characters, punctuation, a lone blank.
        (qa("\u{200B}\u{200D}\u{FEFF}", "A", "e"), false),
        (qa("Q?", "\u{2060}\u{00AD}", "e"), false),
        (qa("Q?", "—", "e"), false),
        (cloze("c", "A", "{{blank}}.", "e"), false),
        (cloze("c", "A", "{{blank}} \u{200B}", "e"), false),
    ];
    for (draft, pass) in cases {
        let expected = require(pass, DropReason::Shape);
        assert_eq!(check_shape(&draft), expected, "{draft:?}");
    }
}

#[test]
fn quantitative_compares_values_in_every_form() {
    let plain = "There are 65535 ports and 1446 years; ½ of them, 3.50 m, 10²³ atoms.";
    let words = "Fifteen members sat; 사십일 명이 왔고 다섯 개가 남았다.";
    let cases = [
        (cloze("역사", "1446년", "{{blank}}에", "e"), KO, true),
        (cloze("역사", "1446년", "{{blank}} 1445", "e"), KO, false),
        (qa("한글 자모는 모두 몇 자인가?", "24자", "e"), KO, false),
        (qa("What did TCP get in 1981?", "ports", "e"), EN, false),
        (qa("HTTPS port?", "443", "e"), EN, true),
        (qa("How many ports?", "65535", "e"), EN, true),
        (qa("How many ports?", "65,535", "e"), plain, true),
        // Compared as whole numbers, never as substrings of longer ones.
        (qa("Q?", "14", "e"), plain, false),
        (qa("Q?", "65.5", "e"), plain, false),
        // Full-width, superscript, fraction and decimal forms are the same value.
        (qa("Q?", "１４４６년", "e"), plain, true),
        (qa("Q?", "１４４７년", "e"), plain, false),
        (qa("Q?", "0.5", "e"), plain, true),
        (qa("Q?", "½", "e"), plain, true),
        (qa("Q?", "¾", "e"), plain, false),
        (qa("Q?", "3.5 m", "e"), plain, true),
        (qa("Q?", "10^23", "e"), plain, true),
        (qa("Q?", "10²⁴", "e"), plain, false),
        // Number words are numbers.
        (qa("How many?", "fifteen", "e"), plain, false),
        (qa("How many?", "15", "e"), words, true),
        (qa("How many?", "twenty-one", "e"), words, false),
        (qa("몇 명?", "41명", "e"), words, true),
        (qa("몇 명?", "사십이 명", "e"), words, false),
        (qa("몇 개?", "5개", "e"), words, true),
        (qa("몇 개?", "여섯 개", "e"), words, false),
    ];
    for (draft, source, pass) in cases {
        let expected = require(pass, DropReason::Quantitative);
        assert_eq!(check_quantitative(&draft, source), expected, "{draft:?}");
    }
}

#[test]
fn evidence_is_quoted_from_the_source_and_holds_the_answer() {
    let cases = [
        (
            qa(
                "Q",
                "1443년",
                "  “세종대왕은 1443년에   훈민정음을\n창제하고.” ",
            ),
            KO,
            true,
        ),
        (
            qa("Q", "65,535", "\"there are 65,535 usable ports.\""),
            EN,
            true,
        ),
        (
            qa("Q", "훈민정음", "\u{1112}\u{116E}\u{11AB}민정음은"),
            KO,
            true,
        ),
        (qa("Q", "1444년", "세종대왕은 1444년에"), KO, false),
        (qa("Q", "UDP", "UDP port numbers"), EN, false),
        (qa("Q", "A", "\"\" ."), EN, false),
        // Quoted truly, but the answer is not in the quote.
        (
            qa("Q", "1446년", "세종대왕은 1443년에 훈민정음을 창제하고"),
            KO,
            false,
        ),
        (qa("Q", "HTTPS", "TCP port numbers are 16-bit"), EN, false),
        // A cloze's evidence is its sentence with the blank filled.
        (
            cloze(
                "c",
                "1446년",
                "세종대왕은 1443년에 훈민정음을 창제하고 {{blank}}에 반포하였다.",
                "세종대왕은 1443년에 훈민정음을 창제하고 1446년에 반포하였다.",
            ),
            KO,
            true,
        ),
        (
            cloze(
                "c",
                "1446년",
                "세종대왕은 {{blank}}에 반포하였다.",
                "세종대왕은 1443년에 훈민정음을 창제하고 1446년에 반포하였다.",
            ),
            KO,
            false,
        ),
        (
            cloze(
                "c",
                "443",
                "HTTPS uses port {{blank}}.",
                "HTTPS uses port 443.",
            ),
            EN,
            true,
        ),
        (
            cloze(
                "c",
                "443",
                "HTTP uses port {{blank}}.",
                "HTTPS uses port 443.",
            ),
            EN,
            false,
        ),
    ];
    for (draft, source, pass) in cases {
        let expected = require(pass, DropReason::Evidence);
        assert_eq!(check_evidence(&draft, source), expected, "{draft:?}");
    }
}

#[test]
fn evidence_ignores_markdown_of_the_source() {
    let source = "### 핵심 정리\n- **엽록체**는 *광합성*이 일어나는 소기관이다.\n- `ATP`를 만든다.";
    let good = qa(
        "광합성이 일어나는 소기관은?",
        "엽록체",
        "엽록체는 광합성이 일어나는 소기관이다.",
    );
    assert_eq!(check_evidence(&good, source), Ok(()));
}

#[test]
fn leak_in_cue() {
    let cases = [
        ("훈민정음을 만든 왕은?", "세종대왕", true),
        ("세종대왕이 만든 문자는?", "세종 대왕", false),
        ("Which protocol is TCP?", "tcp", false),
        ("Which layer does it use?", "TCP", true),
        // A number fact leaks only as a whole number of the same value.
        ("What happened in 1446?", "14", true),
        ("Ports up to 65,535?", "65535", false),
        ("1446년에 일어난 일은?", "1446", false),
        ("Is pi 3.14?", "3", true),
        ("１４４６년에 일어난 일은?", "1446년", false),
        ("참가자 110명 중 몇 %가 찬성했나?", "10%", true),
        ("매출이 1.08배가 되었다. 증가율은?", "8%", true),
        // Terms leak on word boundaries only, through width, case and invisible characters.
        ("Which database is PostgreSQL built on?", "SQL", true),
        ("How the law acts on trade?", "Act", true),
        ("Ｗｈｉｃｈ protocol is ＴＣＰ?", "TCP", false),
        ("Which protocol is T\u{200B}C\u{00AD}P?", "TCP", false),
        ("엽록체에서 일어나는 반응은?", "엽록체", false),
        ("광합성량을 결정하는 요인은?", "광합성", true),
    ];
    for (cue, fact, pass) in cases {
        let expected = require(pass, DropReason::Leak);
        assert_eq!(check_leak(&qa(cue, fact, "e")), expected, "{cue} / {fact}");
    }
}

#[test]
fn leak_in_cloze() {
    let cases = [
        ("1446년", "세종대왕은 {{blank}}에 반포하였다.", true),
        ("세종", "{{blank}}은 {{blank}}이다", false),
        ("세종", "세종은 왕이다", false),
        ("세종", "{{blank}}은 세종 대왕이다", false),
        ("세종대왕", "{{blank}}은 세종 대왕이다", false),
        ("TCP", "{{blank}} is reliable; tcp retransmits.", false),
        ("TCP", "{{blank}} is reliable; ＴＣＰ retransmits.", false),
        ("14", "In 1446 and in {{blank}}.", true),
        // A second, visual blank.
        ("TCP", "{{blank}} and _____ are transport protocols.", false),
        (
            "TCP",
            "{{blank}} and （　） are transport protocols.",
            false,
        ),
        (
            "TCP",
            "{{blank}} and {{c1::UDP}} are transport protocols.",
            false,
        ),
        ("TCP", "{{blank}} and [ ] are transport protocols.", false),
        (
            "TCP",
            "{{blank}} (Transmission Control Protocol) is reliable.",
            true,
        ),
    ];
    for (fact, text, pass) in cases {
        let expected = require(pass, DropReason::Leak);
        assert_eq!(check_leak(&cloze("T", fact, text, "e")), expected, "{text}");
    }
}

#[test]
fn apply_guards_cleans_counts_and_dedups() {
    let good = cloze(
        "역사",
        "1446년",
        "{{blank}}에 반포하였다.",
        "1446년에 반포하였다.",
    );
    let qa_card = qa("언제 반포되었나?", "1446년", "1446년에 반포");
    let drafts = vec![
        good.clone(),
        cloze("역사", " 1446년. ", "{{blank}}에", "1446년에 반포"),
        qa_card.clone(),
        qa("", "x", "e"),
        qa("몇 자인가?", "24자", "모두 28자이다"),
        qa("몇 자인가?", "28자", "모두 29자이다"),
        qa("28자인가?", "28자", "모두 28자이다"),
    ];
    let source = format!("{KO} 1446년에 반포하였다.");
    let scope = DedupScope::Question(7);
    let outcome = apply_guards(drafts, &source, scope, &HashSet::new());
    assert_eq!(outcome.kept, vec![good.clone(), qa_card.clone()]);
    let all = [
        DropReason::Shape,
        DropReason::Quantitative,
        DropReason::Evidence,
        DropReason::Leak,
        DropReason::Dedup,
    ];
    assert_eq!(outcome.dropped, all.into_iter().map(|r| (r, 1)).collect());

    let existing: HashSet<String> = [dedup_hash(scope, CardFormat::Qa, "1446년")].into();
    let outcome = apply_guards(vec![good.clone(), qa_card], &source, scope, &existing);
    assert_eq!(outcome.kept, vec![good]);
    assert_eq!(outcome.dropped, [(DropReason::Dedup, 1)].into());

    // Kept cards are stored clean; a duplicate written in full-width letters is a duplicate.
    let hostile = qa(
        "\u{1b}[m언제\u{7} 반포\u{202E}되었나?\r\n",
        "1446년\u{200B}",
        "1446년에 반포",
    );
    let twin = qa("반포 연도는?", "１４４６년", "1446년에 반포");
    let outcome = apply_guards(vec![hostile, twin], &source, scope, &HashSet::new());
    assert_eq!(
        outcome.kept,
        vec![qa("언제 반포되었나?", "1446년", "1446년에 반포")]
    );
    assert_eq!(outcome.dropped, [(DropReason::Dedup, 1)].into());
}

#[test]
fn drop_reasons_serialize_in_snake_case() {
    let counts: BTreeMap<_, u32> = [(DropReason::Quantitative, 2), (DropReason::Leak, 1)].into();
    let json = serde_json::to_string(&counts).ok();
    assert_eq!(json.as_deref(), Some(r#"{"quantitative":2,"leak":1}"#));
    assert_eq!(DropReason::Dedup.as_str(), "dedup");
}

mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::numbers::numbers_in;
    use crate::domain::text::has_forbidden;

    const SOURCE: &str = "엽록체(chloroplast)는 광합성이 일어나는 소기관이다. 빛에너지의 약 3%를 포도당에 \
                          저장한다. 틸라코이드 막에서 ATP와 NADPH가 만들어진다. 포도당 1분자는 6개의 \
                          탄소를 가진다. PostgreSQL과 SQL은 다르다. 효율은 10%이고 참가자는 110명이었다. \
                          The Magna Carta was sealed in 1215 by King John.";

    /// Facts: good ones and hostile variants of them.
    fn fact() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "엽록체",
            "ＡＴＰ",
            "ATP",
            "A\u{200B}TP",
            "3%",
            "３%",
            "10%",
            "1215",
            "１２１５",
            "King John",
            "SQL",
            "6개",
            "사십일",
            "fifteen",
            "½",
            "10²³",
            "\u{200B}",
            "—",
            "NADPH\u{1b}[2J",
            "110",
        ])
        .prop_map(str::to_owned)
    }

    /// Text around a fact: plain, or with a number, a hostile character or a visual blank.
    fn around() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "",
            " 광합성",
            " in 1215",
            " ＡＴＰ",
            " 1,215년",
            " ___",
            " （　）",
            " {{c1::x}}",
            "\u{202E}",
            "\u{7}",
            " 4%",
            " PostgreSQL",
            " 엽\u{00AD}록체에서",
            " sealed",
        ])
        .prop_map(str::to_owned)
    }

    fn evidence() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "엽록체(chloroplast)는 광합성이 일어나는 소기관이다.",
            "빛에너지의 약 3%를 포도당에 저장한다.",
            "틸라코이드 막에서 ATP와 NADPH가 만들어진다.",
            "The Magna Carta was sealed in 1215 by King John.",
            "효율은 10%이고 참가자는 110명이었다.",
            "엽록체는 호흡을 담당한다.",
        ])
        .prop_map(str::to_owned)
    }

    fn draft() -> impl Strategy<Value = CardDraft> {
        (
            fact(),
            around(),
            around(),
            evidence(),
            any::<bool>(),
            0usize..3,
        )
            .prop_map(|(fact, before, after, evidence, is_cloze, blanks)| {
                if is_cloze {
                    let text = format!("{before}{}{after} 문장이다.", CLOZE_BLANK.repeat(blanks));
                    cloze("생명과학", &fact, &text, &evidence)
                } else {
                    qa(&format!("{before} 무엇인가{after}?"), &fact, &evidence)
                }
            })
    }

    proptest! {
        #[test]
        fn every_kept_card_holds_every_rule(drafts in prop::collection::vec(draft(), 1..12)) {
            let outcome = apply_guards(drafts, SOURCE, DedupScope::Question(1), &HashSet::new());
            let source_values: Vec<_> = numbers_in(SOURCE)
                .into_iter()
                .flat_map(|n| std::iter::once(n.value).chain(n.also))
                .collect();
            for card in &outcome.kept {
                let fields = [Some(&card.cue), Some(&card.fact), card.cloze_text.as_ref(), Some(&card.evidence)];
                for field in fields.into_iter().flatten() {
                    prop_assert!(!has_forbidden(field), "control character in {field:?}");
                }
                for field in [&card.cue, &card.fact, &card.evidence] {
                    prop_assert!(fold(field).chars().any(char::is_alphanumeric), "nothing visible in {field:?}");
                }
                let texts = [Some(&card.fact), Some(&card.cue), card.cloze_text.as_ref()];
                for n in texts.into_iter().flatten().flat_map(|t| numbers_in(t)) {
                    prop_assert!(source_values.contains(&n.value), "{:?} not in the source", n.value);
                }
                prop_assert!(!shows(&card.fact, &card.cue), "fact in cue: {card:?}");
                if let Some(text) = &card.cloze_text {
                    prop_assert_eq!(text.matches(CLOZE_BLANK).count(), 1);
                    let rest = text.replace(CLOZE_BLANK, " | ");
                    prop_assert!(!shows(&card.fact, &rest), "fact outside the blank: {card:?}");
                    prop_assert!(!has_visual_blank(&rest), "a second blank: {card:?}");
                }
            }
        }
    }
}
