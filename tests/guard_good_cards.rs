//! The guards keep good cards: percentages, decimals, units, English terms inside Korean
//! text, and short answers that are substrings of longer words or numbers. Each card is
//! checked against the sentence it quotes (its source), as an extraction would be.

use std::collections::HashSet;

use amgi::domain::card::{CLOZE_BLANK, CardDraft, CardFormat};
use amgi::domain::guard::apply_guards;
use amgi::domain::normalize::DedupScope;

/// (source sentence, cue, fact, cloze sentence or "" for a qa card).
const GOOD: &[(&str, &str, &str, &str)] = &[
    (
        "기준금리는 연 3.50%에서 3.75%로 올랐다.",
        "경제",
        "3.75%",
        "기준금리는 연 3.50%에서 {{blank}}로 올랐다.",
    ),
    (
        "물의 결합각은 약 104.5°이다.",
        "물의 결합각은?",
        "104.5°",
        "",
    ),
    (
        "광합성 효율은 10%이고 참가자는 110명이었다.",
        "참가자 110명의 실험에서 효율은?",
        "10%",
        "",
    ),
    (
        "매출은 1.08배로 늘었고 이익률은 8%였다.",
        "매출이 1.08배가 된 해의 이익률은?",
        "8%",
        "",
    ),
    (
        "PostgreSQL은 SQL을 질의 언어로 쓴다.",
        "PostgreSQL이 쓰는 질의 언어는?",
        "SQL",
        "",
    ),
    (
        "The Reform Act of 1832 acts on voting rights.",
        "Which 1832 law reformed voting rights?",
        "Reform Act",
        "",
    ),
    (
        "엽록체의 틸라코이드 막에서 ATP와 NADPH가 만들어진다.",
        "생명과학",
        "ATP",
        "엽록체의 틸라코이드 막에서 {{blank}}와 NADPH가 만들어진다.",
    ),
    (
        "미토콘드리아(mitochondria)는 세포 호흡의 장소이다.",
        "세포 호흡의 장소는?",
        "미토콘드리아",
        "",
    ),
    (
        "TCP는 3-way handshake로 연결을 연다.",
        "네트워크",
        "TCP",
        "{{blank}}는 3-way handshake로 연결을 연다.",
    ),
    (
        "HTTPS는 기본으로 443번 포트를 쓴다.",
        "HTTPS의 기본 포트는?",
        "443번",
        "",
    ),
    (
        "포트 번호는 0부터 65,535까지이다.",
        "가장 큰 포트 번호는?",
        "65,535",
        "",
    ),
    (
        "빛의 속력은 299,792,458 m/s이다.",
        "물리",
        "299,792,458 m/s",
        "빛의 속력은 {{blank}}이다.",
    ),
    (
        "아보가드로수는 약 6.02 × 10²³이다.",
        "아보가드로수는?",
        "6.02 × 10²³",
        "",
    ),
    (
        "표준 상태에서 기체 1몰의 부피는 22.4 L이다.",
        "표준 상태에서 기체 1몰의 부피는?",
        "22.4 L",
        "",
    ),
    (
        "사람의 체세포에는 46개의 염색체가 있다.",
        "생명과학",
        "46개",
        "사람의 체세포에는 {{blank}}의 염색체가 있다.",
    ),
    (
        "훈민정음은 1446년에 반포되었다.",
        "훈민정음이 반포된 해는?",
        "1446년",
        "",
    ),
    (
        "The Berlin Wall fell on November 9, 1989.",
        "World history",
        "1989",
        "The Berlin Wall fell on November 9, {{blank}}.",
    ),
    (
        "About 68% of values lie within one standard deviation.",
        "Statistics",
        "68%",
        "About {{blank}} of values lie within one standard deviation.",
    ),
    (
        "A dry cough occurs in 5–20% of patients on ACE inhibitors.",
        "Which drug class causes a dry cough?",
        "ACE inhibitors",
        "",
    ),
    (
        "The half-life of caffeine is about 5 hours.",
        "Pharmacology",
        "5 hours",
        "The half-life of caffeine is about {{blank}}.",
    ),
    ("pH 7은 중성이다.", "중성의 pH는?", "pH 7", ""),
    (
        "성년은 만 19세부터이다.",
        "성년이 되는 나이는?",
        "만 19세",
        "",
    ),
    (
        "DNA 이중 나선은 1953년에 발표되었다.",
        "DNA 이중 나선이 발표된 해는?",
        "1953년",
        "",
    ),
    (
        "GDP는 국내총생산(Gross Domestic Product)의 약자이다.",
        "국내총생산의 약자는?",
        "GDP",
        "",
    ),
    (
        "인플레이션(inflation)은 물가가 지속적으로 오르는 현상이다.",
        "경제",
        "인플레이션",
        "{{blank}}(inflation)은 물가가 지속적으로 오르는 현상이다.",
    ),
    (
        "The mean of 3 and 5 is 4.",
        "What is the mean of 3 and 5?",
        "4",
        "",
    ),
    (
        "Insulin is made by beta cells in the islets of Langerhans.",
        "Biology",
        "Langerhans",
        "Insulin is made by beta cells in the islets of {{blank}}.",
    ),
    (
        "Metformin lowers HbA1c by about 1.0–1.5 percentage points.",
        "Which first-line drug lowers HbA1c?",
        "Metformin",
        "",
    ),
    (
        "경도 15°마다 표준시는 1시간씩 차이 난다.",
        "경도 15°마다 생기는 표준시 차이는?",
        "1시간",
        "",
    ),
    (
        "한라산의 높이는 1,947 m이다.",
        "지리",
        "1,947 m",
        "한라산의 높이는 {{blank}}이다.",
    ),
    (
        "Ion channels let ions cross the membrane; ionization is different.",
        "What is ionization?",
        "ion",
        "",
    ),
    (
        "The first amendment protects speech; the act was amended later.",
        "Which amendment protects speech?",
        "first amendment",
        "",
    ),
    (
        "RAM은 휘발성 메모리이고 ROM은 비휘발성 메모리이다.",
        "컴퓨터",
        "ROM",
        "RAM은 휘발성 메모리이고 {{blank}}은 비휘발성 메모리이다.",
    ),
    (
        "IPv4 주소는 32비트이다.",
        "IPv4 주소의 길이는?",
        "32비트",
        "",
    ),
    (
        "IPv6 주소는 128비트이다.",
        "네트워크",
        "128비트",
        "IPv6 주소는 {{blank}}이다.",
    ),
    (
        "H₂O 분자에는 수소 원자가 2개 있다.",
        "물 분자 속 수소 원자 수는?",
        "2개",
        "",
    ),
    (
        "CO₂는 이산화 탄소의 화학식이다.",
        "이산화 탄소의 화학식은?",
        "CO₂",
        "",
    ),
    (
        "소리의 속력은 15°C 공기에서 약 340 m/s이다.",
        "15°C 공기에서 소리의 속력은?",
        "약 340 m/s",
        "",
    ),
    (
        "The Magna Carta was sealed in 1215 by King John.",
        "Who sealed the Magna Carta?",
        "King John",
        "",
    ),
    (
        "Nineteen Eighty-Four was written by George Orwell.",
        "Literature",
        "George Orwell",
        "Nineteen Eighty-Four was written by {{blank}}.",
    ),
    (
        "베토벤은 9개의 교향곡을 완성했다.",
        "베토벤이 완성한 교향곡 수는?",
        "9개",
        "",
    ),
    (
        "A4 is tuned to 440 Hz.",
        "What frequency is A4 tuned to?",
        "440 Hz",
        "",
    ),
    (
        "Shakespeare's sonnets have fourteen lines.",
        "How many lines does a Shakespearean sonnet have?",
        "14",
        "",
    ),
    (
        "세 번째 단계에서 전자 전달계가 작동한다.",
        "전자 전달계가 작동하는 단계는?",
        "세 번째 단계",
        "",
    ),
    (
        "The probability is 1/6, or about 16.7%.",
        "Statistics",
        "1/6",
        "The probability is {{blank}}, or about 16.7%.",
    ),
    (
        "반감기가 6시간인 약물은 24시간 뒤 원래 양의 1/16이 남는다.",
        "반감기 6시간 약물이 24시간 뒤 남는 비율은?",
        "1/16",
        "",
    ),
    (
        "지구의 자전 주기는 약 24시간이다.",
        "지구의 자전 주기는?",
        "약 24시간",
        "",
    ),
    (
        "Python 3.12 was released in October 2023.",
        "In which year was Python 3.12 released?",
        "2023",
        "",
    ),
    (
        "The Act of Union was passed in 1707.",
        "When was the Act of Union passed?",
        "1707",
        "",
    ),
    (
        "오존층은 성층권에 있다.",
        "지구과학",
        "성층권",
        "오존층은 {{blank}}에 있다.",
    ),
    (
        "세종대왕은 집현전 학자들과 한글을 만들었다.",
        "한국사",
        "집현전",
        "세종대왕은 {{blank}} 학자들과 한글을 만들었다.",
    ),
    (
        "The FOMC sets the federal funds target range.",
        "Which committee sets the federal funds target range?",
        "FOMC",
        "",
    ),
    (
        "0.5 mg은 500 μg과 같다.",
        "0.5 mg은 몇 μg인가?",
        "500 μg",
        "",
    ),
];

#[test]
fn good_cards_are_all_kept() {
    assert!(GOOD.len() >= 50, "{} cards", GOOD.len());
    let mut dropped = Vec::new();
    for (i, (source, cue, fact, cloze)) in GOOD.iter().enumerate() {
        let card = CardDraft {
            format: if cloze.is_empty() {
                CardFormat::Qa
            } else {
                CardFormat::Cloze
            },
            cue: (*cue).to_owned(),
            fact: (*fact).to_owned(),
            cloze_text: Some((*cloze).to_owned()).filter(|c| c.contains(CLOZE_BLANK)),
            evidence: (*source).to_owned(),
        };
        let id = i64::try_from(i).unwrap_or(0);
        let outcome = apply_guards(
            vec![card],
            source,
            DedupScope::Question(id),
            &HashSet::new(),
        );
        if outcome.kept.len() != 1 {
            dropped.push(format!("{cue} → {fact}: {:?}", outcome.dropped));
        }
    }
    assert!(
        dropped.is_empty(),
        "good cards dropped:\n{}",
        dropped.join("\n")
    );
}
