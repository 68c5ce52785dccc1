//! Whether a text shows a fact, as the leak and evidence guards ask it: after the shared
//! normalisation, numbers by value and terms on word boundaries (in Korean, a word followed
//! by particles), so that `10%` is not found in `110` nor `SQL` in `PostgreSQL`, while
//! `1446` is found in `１４４６년` and `엽록체` in `엽록체는`.

use super::korean::{is_hangul, is_particles, strip_particles};
use super::normalize::normalize_fact;
use super::numbers::{NumberValue, fold_for_numbers, numbers_in_folded};

/// Whether `text` gives `fact` away (or, for evidence, contains it).
///
/// A fact holding numbers (not counting those inside names like "IPv4") is shown when every
/// one of its numbers appears in the text with the same value. Any other fact is shown when
/// its words appear in the text as whole words, in order; the last may carry Korean
/// particles, and Korean spacing may differ ("세종 대왕" shows "세종대왕"). Text in scripts
/// written without spaces (Chinese, Japanese) is matched as a substring.
pub fn shows(fact: &str, text: &str) -> bool {
    let fact = fold_for_numbers(fact);
    let text = fold_for_numbers(text);
    let quantities: Vec<NumberValue> = numbers_in_folded(&fact)
        .into_iter()
        .filter(|n| !n.in_name)
        .map(|n| n.value)
        .collect();
    if !quantities.is_empty() {
        let found: Vec<NumberValue> = numbers_in_folded(&text)
            .into_iter()
            .filter(|n| !n.in_name)
            .map(|n| n.value)
            .collect();
        return quantities.iter().all(|q| found.contains(q));
    }
    let fact_words = words(&fact);
    let Some((last, init)) = fact_words.split_last() else {
        return false;
    };
    let mut key: String = init.concat();
    key.push_str(strip_particles(last, 2));
    if key.is_empty() {
        return false;
    }
    if key.chars().any(unspaced_script) {
        return words(&text).concat().contains(&key);
    }
    let text_words = words(&text);
    (0..text_words.len()).any(|i| starts_with_key(&text_words[i..], &key))
}

/// Whether the words, concatenated from the first, spell `key` exactly, or `key` followed by
/// particles glued to a Korean word.
fn starts_with_key(words: &[String], key: &str) -> bool {
    let mut spelled = String::new();
    for word in words {
        spelled.push_str(word);
        if spelled == key {
            return true;
        }
        if spelled.len() > key.len() {
            return spelled.strip_prefix(key).is_some_and(|tail| {
                key.chars().next_back().is_some_and(is_hangul) && is_particles(tail)
            });
        }
    }
    false
}

/// The words of a folded text: runs of letters, digits and marks, split where Hangul meets
/// another script ("tcp는" is "tcp" and "는"), number runs kept whole ("3.14").
fn words(folded: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev: Option<char> = None;
    let chars: Vec<char> = folded.chars().collect();
    for (k, &c) in chars.iter().enumerate() {
        let decimal_point = c == '.'
            && prev.is_some_and(|p| p.is_ascii_digit())
            && chars.get(k + 1).is_some_and(char::is_ascii_digit);
        let in_word = c.is_alphanumeric() || is_mark(c) || decimal_point;
        let script_change =
            prev.is_some_and(|p| is_hangul(p) != is_hangul(c)) && !current.is_empty();
        if (!in_word || script_change) && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if in_word {
            current.push(c);
        }
        prev = in_word.then_some(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn is_mark(c: char) -> bool {
    // Combining marks (Latin accents left by NFKC on unusual input, Devanagari signs…).
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{0900}'..='\u{0903}' | '\u{093A}'..='\u{094F}')
}

/// Scripts written without spaces between words, where word boundaries cannot be read.
fn unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{0E00}'..='\u{0E7F}')
}

/// Whether `quote` appears in `source`, ignoring case, width, spacing, punctuation and
/// markdown emphasis: how an evidence quote is checked against its source.
pub fn quotes(source: &str, quote: &str) -> bool {
    let quote = unspaced(quote);
    !quote.is_empty() && unspaced(source).contains(&quote)
}

/// The normalized text with every space removed (Korean spacing varies).
pub fn unspaced(text: &str) -> String {
    normalize_fact(text).replace(' ', "")
}

/// Whether a cloze sentence shows a blank besides its own marker (already removed by the
/// caller): underscores, empty brackets or parentheses, cloze markup of other tools.
pub fn has_visual_blank(text: &str) -> bool {
    let folded = super::normalize::fold(text);
    if folded.contains("__") || folded.contains("{{") || folded.contains("}}") {
        return true;
    }
    if folded.contains('□') || folded.contains('■') || folded.contains("○○") {
        return true;
    }
    let pairs = [
        ('[', ']'),
        ('(', ')'),
        ('〔', '〕'),
        ('【', '】'),
        ('「', '」'),
        ('<', '>'),
    ];
    let chars: Vec<char> = folded.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let Some(&(_, close)) = pairs.iter().find(|(open, _)| *open == c) else {
            continue;
        };
        let inner: Vec<char> = chars[i + 1..]
            .iter()
            .copied()
            .take_while(|&d| d != close)
            .collect();
        let closed = chars.get(i + 1 + inner.len()) == Some(&close);
        // "()" and "[]" are code more often than blanks; a blank holds a space or a line.
        let blank_like = inner
            .iter()
            .all(|d| d.is_whitespace() || matches!(d, '_' | '-' | '?' | '.'));
        if closed && !inner.is_empty() && blank_like {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_matched_by_value_not_digits() {
        assert!(shows("1446", "１４４６년에 반포"));
        assert!(shows("1446년", "It was 1,446."));
        assert!(!shows("10%", "110명이 참여"));
        assert!(!shows("8%", "1.08배 증가"));
        assert!(shows("3.5%", "3.50 퍼센트"));
        assert!(shows("fifteen", "15 members"));
        assert!(shows("15", "fifteen members"));
        assert!(!shows("4", "the IPv4 header"));
        assert!(shows("½", "1/2 of the cells"));
    }

    #[test]
    fn terms_are_matched_on_word_boundaries() {
        assert!(!shows("SQL", "PostgreSQL stores rows"));
        assert!(!shows("Act", "the law acts on"));
        assert!(shows("Act", "The Act of 1832"));
        assert!(shows("TCP", "TCP는 연결 지향"));
        assert!(shows("tcp", "Which protocol is TCP?"));
        assert!(shows("세종대왕", "세종 대왕이 만든 문자는?"));
        assert!(shows("엽록체", "엽록체에서는 광합성이"));
        assert!(!shows("대왕", "세종대왕이 만든"));
        assert!(!shows("광합성", "광합성량이 늘었다"));
        assert!(shows("ＤＮＡ", "the d\u{200B}na helix"));
        assert!(shows("왓슨과 크릭", "왓슨과 크릭은 1953년에"));
        assert!(shows("光合成", "葉緑体で光合成が"));
        assert!(!shows("", "anything"));
    }

    #[test]
    fn quotes_ignore_markdown_and_spacing() {
        let source = "### 핵심\n- **엽록체**는 광합성을 한다.\n- ATP `합성`";
        assert!(quotes(source, "엽록체는 광합성을 한다"));
        assert!(quotes(source, "“엽록체는  광합성을\n한다.”"));
        assert!(!quotes(source, "엽록체는 호흡을 한다"));
        assert!(!quotes(source, " ... "));
    }

    #[test]
    fn visual_blanks_are_found() {
        for text in [
            "a ___ b",
            "a {{c1::x}} b",
            "a [ ] b",
            "a （　） b",
            "a ＿＿ b",
            "a □ b",
            "a [___] b",
        ] {
            assert!(has_visual_blank(text), "{text}");
        }
        for text in ["a (TCP) b", "f(x) = 2", "[참고] 본문", "snake_case"] {
            assert!(!has_visual_blank(text), "{text}");
        }
    }
}
