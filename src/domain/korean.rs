//! Hangul helpers shared by the guards and the built-in extractor: syllables, final
//! consonants (받침) and the particles (조사) and copula endings that follow a Korean word.

/// Particles and copula endings stripped from the end of a word, longest first so that
/// "에서는" goes before "는".
const PARTICLES: &[&str] = &[
    "에게서는",
    "으로서는",
    "으로써는",
    "이었으며",
    "이었는데",
    "이라는",
    "이라고",
    "이었다",
    "입니다",
    "이므로",
    "으로서",
    "으로써",
    "에서는",
    "에서도",
    "에게서",
    "에게는",
    "이지만",
    "이어서",
    "이었고",
    "까지는",
    "부터는",
    "보다는",
    "에서",
    "에는",
    "에도",
    "에게",
    "한테",
    "께서",
    "부터",
    "까지",
    "으로",
    "로서",
    "로써",
    "이다",
    "이며",
    "이고",
    "이나",
    "이란",
    "라는",
    "였다",
    "처럼",
    "보다",
    "마다",
    "조차",
    "만큼",
    "와의",
    "과의",
    "로는",
    "으로는",
    "이자",
    "라고",
    "이든",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "과",
    "와",
    "로",
    "의",
    "에",
    "도",
    "만",
    "인",
    "란",
    "나",
    "며",
    "고",
    "다",
];
/// Nouns whose last syllable looks like a particle (주의, 속도, 결과…): that syllable is part
/// of the word, not a particle to strip.
const NOUNS_ENDING_LIKE_PARTICLES: &[&str] = &[
    "주의", "정의", "회의", "의의", "논의", "합의", "동의", "결의", "강의", "협의", "건의", "속도",
    "온도", "밀도", "정도", "제도", "각도", "농도", "강도", "습도", "용도", "태도", "지도", "경도",
    "위도", "빈도", "한도", "척도", "고도", "진도", "채도", "명도", "차이", "길이", "높이", "넓이",
    "깊이", "나이", "종이", "경로", "통로", "회로", "도로", "진로", "항로", "효과", "결과", "학과",
    "국가", "평가", "물가", "주가", "단가", "원가", "대가", "전가", "작가", "화가", "기와", "과도",
    "보도", "인도", "적도", "호주",
];
/// Particles that only follow a final consonant (받침).
const AFTER_BATCHIM: &[&str] = &[
    "으로",
    "으로서",
    "으로써",
    "으로는",
    "은",
    "이",
    "을",
    "과",
    "과의",
];
/// Particles that only follow a vowel.
const AFTER_VOWEL: &[&str] = &[
    "는", "가", "를", "와", "와의", "란", "라는", "라고", "나", "며", "다",
];

/// A precomposed Hangul syllable (가–힣).
pub fn is_hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Whether a syllable has a final consonant.
pub fn has_batchim(c: char) -> bool {
    is_hangul(c) && (u32::from(c) - 0xAC00) % 28 != 0
}

/// Strips trailing particles one at a time while at least `min_chars` syllables remain, and
/// only where the particle's form fits the syllable before it (은 after 받침, 는 after a vowel).
pub fn strip_particles(word: &str, min_chars: usize) -> &str {
    let mut word = word;
    'strip: loop {
        for particle in PARTICLES {
            let Some(rest) = word.strip_suffix(particle) else {
                continue;
            };
            if particle.chars().count() == 1
                && NOUNS_ENDING_LIKE_PARTICLES
                    .iter()
                    .any(|n| word.ends_with(n))
            {
                continue;
            }
            let fits = match rest.chars().next_back() {
                None => true,
                Some(c) if AFTER_BATCHIM.contains(particle) => has_batchim(c),
                Some(c) if AFTER_VOWEL.contains(particle) => is_hangul(c) && !has_batchim(c),
                Some(_) => true,
            };
            if fits && rest.chars().count() >= min_chars {
                word = rest;
                continue 'strip;
            }
        }
        return word;
    }
}

/// Maximal runs of characters that satisfy `keep`, with their byte offsets.
pub fn runs(text: &str, keep: impl Fn(char) -> bool) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), '\0')))
    {
        match (start, c != '\0' && keep(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                found.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    found
}

/// Whether `tail` is nothing but particles (as they may follow any word).
pub fn is_particles(tail: &str) -> bool {
    !tail.is_empty() && tail.chars().all(is_hangul) && strip_particles(tail, 0).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn particles_are_stripped_where_they_fit() {
        for (word, min, stem) in [
            ("세종대왕은", 2, "세종대왕"),
            ("아이는", 2, "아이"),
            ("프로토콜이다", 2, "프로토콜"),
            ("학교에서", 1, "학교"),
            ("엽록체에서는", 2, "엽록체"),
            ("광합성을", 2, "광합성"),
            // 는 does not follow a final consonant: 반은 is 반 + 은, 반는 is no word.
            ("반는", 1, "반는"),
            ("가속도에", 2, "가속도"),
            ("죄형법정주의는", 2, "죄형법정주의"),
            ("결과가", 2, "결과"),
        ] {
            assert_eq!(strip_particles(word, min), stem, "{word}");
        }
        assert!(is_particles("에서는"));
        assert!(!is_particles("량"));
        assert!(!is_particles(""));
    }
}
