//! The text a Browse search compares: a card's cue, answer and cloze folded once with the
//! shared normalisation (NFKC, case, invisible characters, white space), and a learner's
//! query folded the same way into a LIKE pattern, so that full-width "ＡＢＣ" finds "abc" and
//! Korean is compared as composed syllables whatever form it was typed in.

use super::normalize::fold;

/// What separates the folded fields: no query (folded, so without line breaks) spans it
/// by accident more than by intent, and it is not a control character.
const FIELD_SEPARATOR: &str = " / ";

/// The stored search text of a card: its folded cue, answer and cloze sentence.
pub fn search_text(cue: &str, fact: &str, cloze_text: Option<&str>) -> String {
    let mut out = fold(cue);
    out.push_str(FIELD_SEPARATOR);
    out.push_str(&fold(fact));
    if let Some(cloze) = cloze_text {
        out.push_str(FIELD_SEPARATOR);
        out.push_str(&fold(cloze));
    }
    out
}

/// The escape character of [`like_pattern`] (`LIKE … ESCAPE '\'` on both databases).
pub const LIKE_ESCAPE: char = '\\';

/// A query as a `LIKE` pattern matching any search text that contains it, its own `%`, `_`
/// and `\` escaped; `None` when the query folds to nothing (no search).
pub fn like_pattern(query: &str) -> Option<String> {
    let folded = fold(query);
    if folded.is_empty() {
        return None;
    }
    let mut pattern = String::with_capacity(folded.len() + 4);
    pattern.push('%');
    for ch in folded.chars() {
        if matches!(ch, '%' | '_' | LIKE_ESCAPE) {
            pattern.push(LIKE_ESCAPE);
        }
        pattern.push(ch);
    }
    pattern.push('%');
    Some(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_case_and_spacing_fold_alike() {
        let stored = search_text("HTTPS  기본 포트", "443", None);
        assert_eq!(stored, "https 기본 포트 / 443");
        let pattern = like_pattern("ＨＴＴＰＳ　기본").unwrap_or_default();
        assert_eq!(pattern, "%https 기본%");
        assert_eq!(like_pattern("  \u{200b} "), None);
    }

    #[test]
    fn decomposed_hangul_is_composed() {
        // 한 typed as conjoining jamo (NFD) folds to the precomposed syllable.
        let nfd = "\u{1112}\u{1161}\u{11ab}";
        assert_eq!(like_pattern(nfd).as_deref(), Some("%한%"));
        assert!(search_text("한국사", "x", Some("{{blank}}")).contains("한국사"));
    }

    #[test]
    fn like_wildcards_in_a_query_are_literal() {
        assert_eq!(
            like_pattern("50%_a\\b").as_deref(),
            Some("%50\\%\\_a\\\\b%")
        );
    }
}
