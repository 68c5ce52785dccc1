//! Card guards (DESIGN §1.2): shape, quantitative, evidence, leak and dedup checks that every
//! extracted card must pass before it is stored.

use std::collections::{BTreeMap, HashSet};

use unicode_normalization::UnicodeNormalization;

use super::card::{CLOZE_BLANK, CardDraft, CardFormat};
use super::normalize::{dedup_hash, normalize_fact};

/// Longest fact a card may have, in characters.
pub const MAX_FACT_CHARS: usize = 200;
/// Longest cue a card may have, in characters.
pub const MAX_CUE_CHARS: usize = 500;
/// Longest cloze sentence a card may have, in characters.
pub const MAX_CLOZE_CHARS: usize = 1000;

/// Why a guard dropped a card; the job payload records counts per reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    Shape,
    Quantitative,
    Evidence,
    Leak,
    Dedup,
}

impl DropReason {
    /// The reason's stored name (also the guard name used in `flagged_by`).
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Shape => "shape",
            DropReason::Quantitative => "quantitative",
            DropReason::Evidence => "evidence",
            DropReason::Leak => "leak",
            DropReason::Dedup => "dedup",
        }
    }
}

/// The cards that survived the guards and how many were dropped for each reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardOutcome {
    pub kept: Vec<CardDraft>,
    pub dropped: BTreeMap<DropReason, u32>,
}

/// Runs every guard over `drafts` in order (shape, quantitative, evidence, leak, dedup).
/// `source_question_id` feeds dedup_hash; `existing_hashes` = dedup hashes of live cards
/// already stored for this user.
pub fn apply_guards(
    drafts: Vec<CardDraft>,
    source_text: &str,
    source_question_id: Option<i64>,
    existing_hashes: &HashSet<String>,
) -> GuardOutcome {
    let source_numbers = number_set(source_text);
    let folded_source = fold_whitespace(source_text);
    let mut batch_hashes = HashSet::new();
    let mut outcome = GuardOutcome::default();
    for draft in drafts {
        let verdict = check_shape(&draft)
            .and_then(|()| quantitative_against(&draft, &source_numbers))
            .and_then(|()| evidence_against(&draft, &folded_source))
            .and_then(|()| check_leak(&draft))
            .and_then(|()| {
                let hash = dedup_hash(source_question_id, draft.format, &draft.fact);
                if existing_hashes.contains(&hash) || !batch_hashes.insert(hash) {
                    Err(DropReason::Dedup)
                } else {
                    Ok(())
                }
            });
        match verdict {
            Ok(()) => outcome.kept.push(draft),
            Err(reason) => *outcome.dropped.entry(reason).or_insert(0) += 1,
        }
    }
    outcome
}

/// The cloze text if it is present and not blank.
fn cloze_of(draft: &CardDraft) -> Option<&str> {
    draft.cloze_text.as_deref().filter(|t| !t.trim().is_empty())
}

/// Non-empty fields, sane lengths, and a cloze text exactly when the format is cloze.
pub fn check_shape(draft: &CardDraft) -> Result<(), DropReason> {
    let cue = draft.cue.trim();
    let fact = draft.fact.trim();
    let sane = !cue.is_empty()
        && !fact.is_empty()
        && !draft.evidence.trim().is_empty()
        && fact.chars().count() <= MAX_FACT_CHARS
        && cue.chars().count() <= MAX_CUE_CHARS;
    let cloze_ok = match (draft.format, cloze_of(draft)) {
        (CardFormat::Qa, None) => true,
        (CardFormat::Cloze, Some(text)) => text.chars().count() <= MAX_CLOZE_CHARS,
        _ => false,
    };
    require(sane && cloze_ok, DropReason::Shape)
}

/// `Ok` if the guard passed, else the reason it failed.
fn require(passed: bool, reason: DropReason) -> Result<(), DropReason> {
    if passed { Ok(()) } else { Err(reason) }
}

/// Every number in the fact, cue and cloze text appears as a number in the source text.
pub fn check_quantitative(draft: &CardDraft, source_text: &str) -> Result<(), DropReason> {
    quantitative_against(draft, &number_set(source_text))
}

fn quantitative_against(draft: &CardDraft, source: &HashSet<String>) -> Result<(), DropReason> {
    let fields = [
        Some(draft.fact.as_str()),
        Some(&draft.cue),
        draft.cloze_text.as_deref(),
    ];
    let all_known = fields
        .into_iter()
        .flatten()
        .flat_map(numbers)
        .all(|n| source.contains(&n.value));
    require(all_known, DropReason::Quantitative)
}

/// The evidence quote (whitespace-folded, NFC, surrounding quote marks and a trailing period
/// trimmed) appears verbatim in the whitespace-folded source text.
pub fn check_evidence(draft: &CardDraft, source_text: &str) -> Result<(), DropReason> {
    evidence_against(draft, &fold_whitespace(source_text))
}

fn evidence_against(draft: &CardDraft, folded_source: &str) -> Result<(), DropReason> {
    let quote = fold_whitespace(trim_quote(&draft.evidence));
    require(
        !quote.is_empty() && folded_source.contains(&quote),
        DropReason::Evidence,
    )
}

/// Trims white space, quote marks and a trailing period from both ends until nothing changes.
fn trim_quote(quote: &str) -> &str {
    const QUOTES: &[char] = &[
        '"', '\'', '`', '“', '”', '‘', '’', '「', '」', '『', '』', '《', '》', '〈', '〉', '«',
        '»',
    ];
    let mut current = quote;
    loop {
        let next = current
            .trim()
            .trim_matches(QUOTES)
            .trim_end_matches(['.', '。'])
            .trim();
        if next == current {
            return current;
        }
        current = next;
    }
}

/// NFC, runs of white space folded to one space, trimmed.
fn fold_whitespace(text: &str) -> String {
    let nfc: String = text.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The answer does not show in the cue; a cloze has exactly one blank and does not show the
/// answer outside it.
pub fn check_leak(draft: &CardDraft) -> Result<(), DropReason> {
    if shows_fact(&draft.fact, &draft.cue) {
        return Err(DropReason::Leak);
    }
    if draft.format == CardFormat::Cloze {
        let text = cloze_of(draft).unwrap_or_default();
        let one_blank = text.matches(CLOZE_BLANK).count() == 1;
        return require(
            one_blank && !shows_fact(&draft.fact, &text.replace(CLOZE_BLANK, " ")),
            DropReason::Leak,
        );
    }
    Ok(())
}

/// Whether `text` gives `fact` away. A fact that is a single number leaks only when that
/// number appears as a whole number ("14" is not given away by "1446", "1446" is by "1,446");
/// anything else leaks when its normalized form, spaces removed, is a substring of the
/// normalized text, spaces removed (Korean spacing varies: "세종 대왕" = "세종대왕").
fn shows_fact(fact: &str, text: &str) -> bool {
    if let Some(number) = whole_number(fact) {
        return numbers(text).any(|n| n.value == number);
    }
    let unspaced = |s: &str| normalize_fact(s).replace(' ', "");
    let fact = unspaced(fact);
    !fact.is_empty() && unspaced(text).contains(&fact)
}

/// The normalized number if `text` (trimmed) is exactly one number and nothing else.
fn whole_number(text: &str) -> Option<String> {
    let text = text.trim();
    let mut found = numbers(text);
    let first = found.next()?;
    (first.start == 0 && first.end == text.len() && found.next().is_none()).then_some(first.value)
}

/// A number found in a text: its byte span and its normalized digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumberToken {
    pub start: usize,
    pub end: usize,
    /// The digits with thousands separators removed (decimal point kept).
    pub value: String,
}

/// Maximal runs of ASCII digits, allowing a `,` followed by exactly three digits (thousands
/// separator) and a `.` followed by a digit (decimal point).
pub(crate) fn numbers(text: &str) -> impl Iterator<Item = NumberToken> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        let mut value = String::new();
        loop {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                value.push(char::from(bytes[i]));
                i += 1;
            }
            let digits_after = |from: usize| {
                bytes[from..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count()
            };
            match bytes.get(i) {
                Some(b',') if i + 1 < bytes.len() && digits_after(i + 1) == 3 => i += 1,
                Some(b'.') if i + 1 < bytes.len() && digits_after(i + 1) > 0 => {
                    value.push('.');
                    i += 1;
                }
                _ => break,
            }
        }
        Some(NumberToken {
            start,
            end: i,
            value,
        })
    })
}

fn number_set(text: &str) -> HashSet<String> {
    numbers(text).map(|n| n.value).collect()
}

#[cfg(test)]
mod tests {
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
    fn shape_requires_fields_lengths_and_format() {
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
        ];
        for (draft, pass) in cases {
            let expected = require(pass, DropReason::Shape);
            assert_eq!(check_shape(&draft), expected, "{draft:?}");
        }
    }

    #[test]
    fn numbers_handle_separators_and_decimals() {
        let text = "1,446년, 65535, 3.14. 1,2,3 and 12,345,678!";
        let found: Vec<String> = numbers(text).map(|n| n.value).collect();
        assert_eq!(found, ["1446", "65535", "3.14", "1", "2", "3", "12345678"]);
    }

    #[test]
    fn quantitative_korean_english_and_thousands_separators() {
        let plain = "There are 65535 ports and 1446 years.";
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
        ];
        for (draft, source, pass) in cases {
            let expected = require(pass, DropReason::Quantitative);
            assert_eq!(check_quantitative(&draft, source), expected, "{draft:?}");
        }
    }

    #[test]
    fn evidence_is_folded_and_leniently_quoted() {
        let cases = [
            ("  “세종대왕은 1443년에   훈민정음을\n창제하고.” ", KO, true),
            ("\"there are 65,535 usable ports.\"", EN, true),
            ("\u{1112}\u{116E}\u{11AB}민정음은", KO, true), // 훈 as jamo
            ("세종대왕은 1444년에", KO, false),
            ("UDP port numbers", EN, false),
            ("\"\" .", EN, false),
        ];
        for (quote, source, pass) in cases {
            let draft = qa("Q", "A", quote);
            let expected = require(pass, DropReason::Evidence);
            assert_eq!(check_evidence(&draft, source), expected, "{quote}");
        }
    }

    #[test]
    fn leak_in_cue() {
        let cases = [
            ("훈민정음을 만든 왕은?", "세종대왕", true),
            ("세종대왕이 만든 문자는?", "세종 대왕", false),
            ("Which protocol is TCP?", "tcp", false),
            ("Which layer does it use?", "TCP", true),
            // A number fact leaks only as a whole number.
            ("What happened in 1446?", "14", true),
            ("Ports up to 65,535?", "65535", false),
            ("1446년에 일어난 일은?", "1446", false),
            ("Is pi 3.14?", "3", true),
        ];
        for (cue, fact, pass) in cases {
            let expected = require(pass, DropReason::Leak);
            assert_eq!(check_leak(&qa(cue, fact, "e")), expected, "{cue}");
        }
    }

    #[test]
    fn leak_in_cloze() {
        let cases = [
            ("1446년", "세종대왕은 {{blank}}에 반포하였다.", true),
            ("세종", "{{blank}}은 {{blank}}이다", false),
            ("세종", "세종은 왕이다", false),
            ("세종", "{{blank}}은 세종 대왕이다", false),
            ("TCP", "{{blank}} is reliable; tcp retransmits.", false),
            ("14", "In 1446 and in {{blank}}.", true),
        ];
        for (fact, text, pass) in cases {
            let expected = require(pass, DropReason::Leak);
            assert_eq!(check_leak(&cloze("T", fact, text, "e")), expected, "{text}");
        }
    }

    #[test]
    fn apply_guards_counts_and_dedups() {
        let good = cloze("역사", "1446년", "{{blank}}에 반포", "1446년에 반포");
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
        let outcome = apply_guards(drafts, KO, Some(7), &HashSet::new());
        assert_eq!(outcome.kept, vec![good.clone(), qa_card.clone()]);
        let all = [
            DropReason::Shape,
            DropReason::Quantitative,
            DropReason::Evidence,
            DropReason::Leak,
            DropReason::Dedup,
        ];
        assert_eq!(outcome.dropped, all.into_iter().map(|r| (r, 1)).collect());

        let existing: HashSet<String> = [dedup_hash(Some(7), CardFormat::Qa, "1446년")].into();
        let outcome = apply_guards(vec![good.clone(), qa_card], KO, Some(7), &existing);
        assert_eq!(outcome.kept, vec![good]);
        assert_eq!(outcome.dropped, [(DropReason::Dedup, 1)].into());
    }

    #[test]
    fn drop_reasons_serialize_in_snake_case() {
        let counts: BTreeMap<_, u32> =
            [(DropReason::Quantitative, 2), (DropReason::Leak, 1)].into();
        let json = serde_json::to_string(&counts).ok();
        assert_eq!(json.as_deref(), Some(r#"{"quantitative":2,"leak":1}"#));
        assert_eq!(DropReason::Dedup.as_str(), "dedup");
    }
}
