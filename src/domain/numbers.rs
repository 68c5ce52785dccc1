//! Numbers in text, compared by value: ASCII, full-width and superscript digits, decimals
//! (`3.50` = `3.5`), thousands separators, fractions (`½`, `3/4`), percentages, and English
//! and Korean number words (`fifteen`, `twenty-one`, `사십일`, `다섯`, `세 번`).

use super::korean::{is_hangul, runs, strip_particles};
use super::normalize::fold;

/// A number's value as an exact fraction (numerator, denominator > 0, reduced), or the digit
/// string itself for numbers too long to hold exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumberValue {
    Exact(i128, i128),
    Digits(String),
}

impl NumberValue {
    fn ratio(numerator: i128, denominator: i128) -> Option<Self> {
        if denominator == 0 {
            return None;
        }
        let g = gcd(numerator.abs(), denominator.abs()).max(1);
        Some(NumberValue::Exact(numerator / g, denominator / g))
    }

    fn integer(n: i128) -> Self {
        NumberValue::Exact(n, 1)
    }

    /// Parses `digits[.fraction]` (ASCII digits only).
    fn decimal(integer: &str, fraction: &str) -> Self {
        let fraction = fraction.trim_end_matches('0');
        let integer = integer.trim_start_matches('0');
        if integer.len() + fraction.len() > 30 {
            let integer = if integer.is_empty() { "0" } else { integer };
            return NumberValue::Digits(if fraction.is_empty() {
                integer.to_owned()
            } else {
                format!("{integer}.{fraction}")
            });
        }
        let digits = format!("{integer}{fraction}");
        let numerator: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().unwrap_or(0)
        };
        let denominator = 10_i128.pow(u32::try_from(fraction.len()).unwrap_or(0));
        NumberValue::ratio(numerator, denominator).unwrap_or(NumberValue::integer(numerator))
    }

    fn divided_by(&self, other: &NumberValue) -> Option<NumberValue> {
        match (self, other) {
            (NumberValue::Exact(a, b), NumberValue::Exact(c, d)) => {
                NumberValue::ratio(a.checked_mul(*d)?, b.checked_mul(*c)?)
            }
            _ => None,
        }
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// One number found in a folded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberToken {
    /// Byte span in the folded text.
    pub start: usize,
    pub end: usize,
    pub value: NumberValue,
    /// Other values the same characters stand for (the parts of a fraction).
    pub also: Vec<NumberValue>,
    /// Written with digits glued to Latin letters on either side ("IPv4", "H2O", "mp3"):
    /// part of a name rather than a quantity.
    pub in_name: bool,
    /// Written in words ("fifteen", "사십일").
    pub in_words: bool,
}

/// Every number in `text`, after the shared normalisation ([`fold`]).
pub fn numbers_in(text: &str) -> Vec<NumberToken> {
    numbers_in_folded(&fold_for_numbers(text))
}

/// Folds text for number reading: superscript digits become `^digits` first so that
/// `10²³` reads as 10 and 23 rather than 1023.
pub fn fold_for_numbers(text: &str) -> String {
    let mut marked = String::with_capacity(text.len());
    let mut in_superscript = false;
    for ch in text.chars() {
        let sup = superscript_digit(ch);
        match sup {
            Some(d) => {
                if !in_superscript {
                    marked.push('^');
                }
                marked.push(d);
            }
            None => marked.push(ch),
        }
        in_superscript = sup.is_some();
    }
    fold(&marked)
}

fn superscript_digit(ch: char) -> Option<char> {
    match ch {
        '⁰' => Some('0'),
        '¹' => Some('1'),
        '²' => Some('2'),
        '³' => Some('3'),
        '⁴'..='⁹' => char::from_digit(u32::from(ch) - 0x2070, 10),
        _ => None,
    }
}

/// Every number in an already folded text: digit numbers first, then number words, each in
/// text order.
pub fn numbers_in_folded(folded: &str) -> Vec<NumberToken> {
    let mut tokens = digit_numbers(folded);
    tokens.extend(word_numbers(folded));
    tokens.sort_by_key(|t| t.start);
    tokens
}

/// Digit runs with thousands separators (`,` before exactly three digits), a decimal point
/// (`.` before a digit) and fractions (`a/b`, `a⁄b`).
fn digit_numbers(text: &str) -> Vec<NumberToken> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let (value, end) = read_decimal(bytes, i);
        i = end;
        let mut token = NumberToken {
            start,
            end,
            value,
            also: Vec::new(),
            in_name: false,
            in_words: false,
        };
        // A fraction: digits, a slash, digits ("3/4", "1⁄2" after NFKC).
        let slash = ["/", "\u{2044}"]
            .iter()
            .find(|s| text[end..].starts_with(**s))
            .map(|s| s.len());
        if let Some(slash_len) = slash
            && bytes.get(end + slash_len).is_some_and(u8::is_ascii_digit)
        {
            let (denominator, after) = read_decimal(bytes, end + slash_len);
            if let Some(ratio) = token.value.divided_by(&denominator) {
                token.also = vec![token.value.clone(), denominator];
                token.value = ratio;
                token.end = after;
                i = after;
            }
        }
        let before = text[..token.start].chars().next_back();
        let after = text[token.end..].chars().next();
        let latin = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
        token.in_name = latin(before) || latin(after);
        found.push(token);
    }
    found
}

/// Reads digits with thousands separators and one decimal point from `from`; returns the
/// value and the end offset.
fn read_decimal(bytes: &[u8], from: usize) -> (NumberValue, usize) {
    let digits_at = |at: usize| {
        bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut integer = String::new();
    let mut i = from;
    loop {
        let n = digits_at(i);
        integer.extend(bytes[i..i + n].iter().map(|&b| char::from(b)));
        i += n;
        if bytes.get(i) == Some(&b',') && digits_at(i + 1) == 3 {
            i += 1;
            continue;
        }
        break;
    }
    let mut fraction = String::new();
    if bytes.get(i) == Some(&b'.') && digits_at(i + 1) > 0 {
        let n = digits_at(i + 1);
        fraction.extend(bytes[i + 1..i + 1 + n].iter().map(|&b| char::from(b)));
        i += 1 + n;
    }
    (NumberValue::decimal(&integer, &fraction), i)
}

/// English units and tens; "one" alone is left out (it is far more often a pronoun).
const ENGLISH_SMALL: &[(&str, i128)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];
const ENGLISH_SCALES: &[(&str, i128)] = &[
    ("hundred", 100),
    ("thousand", 1_000),
    ("million", 1_000_000),
    ("billion", 1_000_000_000),
    ("trillion", 1_000_000_000_000),
];

/// Native Korean numbers that stand alone as words.
const KOREAN_NATIVE: &[(&str, i128)] = &[
    ("둘", 2),
    ("셋", 3),
    ("넷", 4),
    ("다섯", 5),
    ("여섯", 6),
    ("일곱", 7),
    ("여덟", 8),
    ("아홉", 9),
    ("열", 10),
    ("스물", 20),
    ("서른", 30),
    ("마흔", 40),
    ("쉰", 50),
    ("예순", 60),
    ("일흔", 70),
    ("여든", 80),
    ("아흔", 90),
];
/// Native Korean numbers in the form used before a counter ("두 개", "세 번").
const KOREAN_PRENOMINAL: &[(&str, i128)] =
    &[("한", 1), ("두", 2), ("세", 3), ("네", 4), ("스무", 20)];
/// Counters after which a prenominal number is a number ("세 번" but not "세 나라").
const KOREAN_COUNTERS: &[&str] = &[
    "개", "명", "번", "가지", "살", "시간", "마리", "권", "장", "대", "차례", "배", "쌍", "층",
    "종류", "단계", "개월", "달", "해", "사람", "곳", "줄", "점", "자리", "분",
];
/// Sino-Korean words that read as numerals but are ordinary words.
const KOREAN_NOT_NUMBERS: &[&str] = &["천사", "오만", "만일", "천만에", "이사", "사이", "이미"];

/// English and Korean number words as numbers.
fn word_numbers(text: &str) -> Vec<NumberToken> {
    let words = words_with_spans(text);
    let mut found = Vec::new();
    let mut k = 0;
    while k < words.len() {
        if let Some((value, last)) = english_number(text, &words, k) {
            found.push(word_token(words[k].0, words[last].1, value));
            k = last + 1;
            continue;
        }
        let (start, end, word) = (words[k].0, words[k].1, words[k].2);
        if let Some(value) = korean_number(word, words.get(k + 1).map(|w| w.2)) {
            found.push(word_token(start, end, value));
        }
        k += 1;
    }
    found
}

fn word_token(start: usize, end: usize, value: i128) -> NumberToken {
    NumberToken {
        start,
        end,
        value: NumberValue::integer(value),
        also: Vec::new(),
        in_name: false,
        in_words: true,
    }
}

/// Words (runs of letters; a hyphen inside a word splits it) with their byte spans.
fn words_with_spans(text: &str) -> Vec<(usize, usize, &str)> {
    runs(text, char::is_alphabetic)
        .into_iter()
        .map(|(start, word)| (start, start + word.len(), word))
        .collect()
}

/// An English number starting at word `k` ("twenty-one", "two hundred and five",
/// "three thousand"): its value and the index of its last word. The words of one number are
/// separated by a space or a hyphen only.
fn english_number(text: &str, words: &[(usize, usize, &str)], k: usize) -> Option<(i128, usize)> {
    let small = |w: &str| ENGLISH_SMALL.iter().find(|(n, _)| *n == w).map(|&(_, v)| v);
    let scale = |w: &str| {
        ENGLISH_SCALES
            .iter()
            .find(|(n, _)| *n == w)
            .map(|&(_, v)| v)
    };
    let joined = |a: usize, b: usize| matches!(&text[words[a].1..words[b].0], " " | "-");
    let mut current = small(words[k].2)?;
    let mut total = 0_i128;
    let mut last = k;
    let mut j = k + 1;
    while j < words.len() && joined(j - 1, j) {
        let word = words[j].2;
        if let Some(s) = scale(word) {
            current = current.checked_mul(s)?;
            if s >= 1_000 {
                total = total.checked_add(current)?;
                current = 0;
            }
        } else if word == "and" && j + 1 < words.len() && small(words[j + 1].2).is_some() {
            j += 1;
            continue;
        } else if let Some(v) = small(word) {
            // "twenty one" continues a number; "five six" or "ten twenty" does not.
            let fits = if v < 10 {
                current % 10 == 0
            } else {
                current % 100 == 0
            };
            if !fits || (current == 0 && total == 0) {
                break;
            }
            current = current.checked_add(v)?;
        } else {
            break;
        }
        last = j;
        j += 1;
    }
    // "one" alone is a pronoun far more often than a number.
    if last == k && words[k].2 == "one" {
        return None;
    }
    Some((total.checked_add(current)?, last))
}

/// A Korean number word (particles stripped): a Sino-Korean numeral with a place word
/// ("사십일", "삼백", "이천오백"), a native number ("다섯", "스물"), or a prenominal form before
/// a counter ("세 번", "두 가지").
fn korean_number(word: &str, next: Option<&str>) -> Option<i128> {
    if !word.chars().all(is_hangul) {
        return None;
    }
    if let Some(&(_, v)) = KOREAN_PRENOMINAL.iter().find(|(n, _)| *n == word) {
        let counter = next.is_some_and(|n| {
            KOREAN_COUNTERS.iter().any(|c| {
                let n = strip_particles(n, 1);
                n == *c || n.strip_suffix('째') == Some(*c)
            })
        });
        return counter.then_some(v);
    }
    let stem = strip_particles(word, 1);
    if let Some(&(_, v)) = KOREAN_NATIVE.iter().find(|(n, _)| *n == stem || *n == word) {
        return Some(v);
    }
    // The numeral may carry a unit and particles ("이천오백년에"): read its longest prefix
    // of numeral syllables.
    let numeral_end = word
        .char_indices()
        .find(|&(_, c)| !"영일이삼사오육칠팔구십백천만억조".contains(c))
        .map_or(word.len(), |(i, _)| i);
    let numeral = &word[..numeral_end];
    if KOREAN_NOT_NUMBERS.iter().any(|w| word.starts_with(w)) {
        return None;
    }
    sino_korean(numeral)
}

/// A Sino-Korean numeral of two syllables or more that uses a place word (십, 백, 천, 만, 억).
fn sino_korean(word: &str) -> Option<i128> {
    let digit = |c: char| "영일이삼사오육칠팔구".chars().position(|d| d == c);
    let small_place = |c: char| match c {
        '십' => Some(10),
        '백' => Some(100),
        '천' => Some(1_000),
        _ => None,
    };
    let big_place = |c: char| match c {
        '만' => Some(10_000_i128),
        '억' => Some(100_000_000),
        '조' => Some(1_000_000_000_000),
        _ => None,
    };
    if word.chars().count() < 2 {
        return None;
    }
    let (mut total, mut section, mut pending) = (0_i128, 0_i128, None::<i128>);
    let mut has_place = false;
    let mut last_small = i128::MAX;
    let mut last_big = i128::MAX;
    for c in word.chars() {
        if let Some(d) = digit(c) {
            if pending.is_some() {
                return None;
            }
            pending = Some(i128::try_from(d).ok()?);
        } else if let Some(p) = small_place(c) {
            if p >= last_small {
                return None;
            }
            last_small = p;
            section += pending.take().unwrap_or(1) * p;
            has_place = true;
        } else if let Some(p) = big_place(c) {
            if p >= last_big {
                return None;
            }
            last_big = p;
            last_small = i128::MAX;
            let unit = section + pending.take().unwrap_or(0);
            total += unit.max(1) * p;
            section = 0;
            has_place = true;
        } else {
            return None;
        }
    }
    has_place.then_some(total + section + pending.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<NumberValue> {
        numbers_in(text).into_iter().map(|t| t.value).collect()
    }

    fn int(n: i128) -> NumberValue {
        NumberValue::integer(n)
    }

    #[test]
    fn digits_in_every_form_read_as_one_value() {
        for text in ["1446", "１４４６", "1,446", "1446.0", "1446.00"] {
            assert_eq!(values(text), [int(1446)], "{text}");
        }
        assert_eq!(values("3.50"), values("3.5"));
        assert_eq!(values("½"), values("1/2"));
        assert_eq!(values("½"), values("0.5"));
        assert_eq!(values("10²³"), [int(10), int(23)]);
        assert_eq!(values("1,2,3"), [int(1), int(2), int(3)]);
        assert_eq!(values("65,535개"), [int(65535)]);
        assert_eq!(values("①"), [int(1)]);
    }

    #[test]
    fn number_words_read_as_values() {
        assert_eq!(values("fifteen"), [int(15)]);
        assert_eq!(values("Twenty-one"), [int(21)]);
        assert_eq!(values("two hundred and five"), [int(205)]);
        assert_eq!(values("three thousand"), [int(3000)]);
        assert_eq!(values("one of them"), Vec::<NumberValue>::new());
        assert_eq!(values("one hundred"), [int(100)]);
        assert_eq!(values("사십일"), [int(41)]);
        assert_eq!(values("이천오백년에"), [int(2500)]);
        assert_eq!(values("다섯 개"), [int(5)]);
        assert_eq!(values("세 번째"), [int(3)]);
        assert_eq!(values("세 나라"), Vec::<NumberValue>::new());
        assert_eq!(values("천사와 이사"), Vec::<NumberValue>::new());
        assert_eq!(values("사람이 일을 한다"), Vec::<NumberValue>::new());
    }

    #[test]
    fn numbers_glued_to_latin_letters_are_names() {
        let tokens = numbers_in("IPv4, H₂O, 1446년, 10%");
        let named: Vec<bool> = tokens.iter().map(|t| t.in_name).collect();
        assert_eq!(named, [true, true, false, false]);
    }
}
