//! An OpenAI-compatible endpoint (wiremock) that answers with every class of rule-breaking
//! card an LLM produces — any Unicode form, any formatting, injected control characters —
//! mixed with good cards: each bad card is dropped and counted under its guard, the good
//! ones are kept, and nothing stored holds a control character. Both backends.

mod common;
mod extraction_support;

mod cases {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::Duration;

    use amgi::domain::guard::DropReason;
    use amgi::domain::text::has_forbidden;
    use amgi::store::{ImportSet, NewQuestion};
    use amgi::work::{ApiKey, Extractor, LlmExtractor, LlmSettings};
    use serde_json::{Value, json};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use crate::common::{Kind, TestDb, user};
    use crate::extraction_support::{cards_of, drain_settings, now_ms, run_until_stopped, secs};

    const QUESTION: &str = "광합성이 일어나는 세포 소기관은?";
    const EXPLANATION: &str = "엽록체(chloroplast)는 광합성이 일어나는 식물 세포의 소기관이다. \
        엽록체는 빛에너지의 약 3%를 포도당에 저장한다. 틸라코이드 막에서 ATP와 NADPH가 만들어진다. \
        포도당 1분자는 6개의 탄소를 가진다. PostgreSQL과 SQL은 다른 것이다. \
        광합성 효율은 10%이고 참가자는 110명이었다.";
    const S_ORGANELLE: &str = "엽록체(chloroplast)는 광합성이 일어나는 식물 세포의 소기관이다.";
    const S_SHARE: &str = "엽록체는 빛에너지의 약 3%를 포도당에 저장한다.";
    const S_THYLAKOID: &str = "틸라코이드 막에서 ATP와 NADPH가 만들어진다.";
    const S_CARBON: &str = "포도당 1분자는 6개의 탄소를 가진다.";
    const S_SQL: &str = "PostgreSQL과 SQL은 다른 것이다.";
    const S_EFFICIENCY: &str = "광합성 효율은 10%이고 참가자는 110명이었다.";

    fn qa(cue: &str, fact: &str, evidence: &str) -> Value {
        json!({"format": "qa", "cue": cue, "fact": fact, "evidence": evidence})
    }

    fn cloze(cue: &str, fact: &str, text: &str, evidence: &str) -> Value {
        json!({"format": "cloze", "cue": cue, "fact": fact, "cloze_text": text, "evidence": evidence})
    }

    /// Good cards: percentages, English terms inside Korean text, a short answer that is a
    /// substring of a longer word, a number that is a substring of another.
    fn good_cards() -> Vec<Value> {
        vec![
            qa(QUESTION, "엽록체", S_ORGANELLE),
            cloze(
                "생명과학",
                "3%",
                "엽록체는 빛에너지의 약 {{blank}}를 포도당에 저장한다.",
                S_SHARE,
            ),
            cloze(
                "생명과학",
                "ATP",
                "틸라코이드 막에서 {{blank}}와 NADPH가 만들어진다.",
                S_THYLAKOID,
            ),
            qa("PostgreSQL과 구별되는 질의 언어는?", "SQL", S_SQL),
            qa(
                "참가자 110명의 실험에서 광합성 효율은?",
                "10%",
                S_EFFICIENCY,
            ),
            // Injected terminal escapes and a bidi override around a good card.
            qa(
                "\u{1b}]52;c;SGk=\u{7}포도당 1분자의 \u{202E}탄소 수는?\r\n",
                "6개\u{200B}",
                S_CARBON,
            ),
        ]
    }

    /// One card per class of rule-breaking answer, each breaking one rule only, with the
    /// guard that must drop it.
    fn bad_cards() -> Vec<(Value, DropReason)> {
        use DropReason::*;
        vec![
            // Numbers not in the source, in forms an ASCII digit scan does not see.
            (
                qa(
                    "엽록체가 포도당에 저장하는 빛에너지의 비율은?",
                    "４%",
                    S_SHARE,
                ),
                Quantitative,
            ),
            (
                qa("포도당 1분자의 ½에 해당하는 탄소는?", "탄소", S_CARBON),
                Quantitative,
            ),
            (
                qa("엽록체 안 분자의 수는 약 10²³개인가?", "NADPH", S_THYLAKOID),
                Quantitative,
            ),
            (
                qa("사십일 명이 참가한 실험의 효율은?", "10%", S_EFFICIENCY),
                Quantitative,
            ),
            // The answer in the prompt, hidden by width, a zero-width space or a soft hyphen.
            (
                qa("Which molecule, ＡＴＰ, is made here?", "ATP", S_THYLAKOID),
                Leak,
            ),
            (
                qa(
                    "엽\u{200B}록체에서 일어나는 반응의 장소는?",
                    "엽록체",
                    S_ORGANELLE,
                ),
                Leak,
            ),
            (
                qa(
                    "Where is a chloro\u{00AD}plast found?",
                    "chloroplast",
                    S_ORGANELLE,
                ),
                Leak,
            ),
            // A second, visual blank.
            (
                cloze(
                    "생명과학",
                    "NADPH",
                    "틸라코이드 막에서 ATP와 {{blank}}가 만들어진다. ___",
                    S_THYLAKOID,
                ),
                Leak,
            ),
            (
                cloze(
                    "생명과학",
                    "NADPH",
                    "틸라코이드 막에서 ATP와 {{blank}}가 （　） 만들어진다.",
                    S_THYLAKOID,
                ),
                Leak,
            ),
            // Nothing visible to read.
            (qa("\u{200B}\u{200D}\u{2060}", "엽록체", S_ORGANELLE), Shape),
            (
                qa("식물 세포의 소기관은?", "\u{FEFF}\u{00AD}", S_ORGANELLE),
                Shape,
            ),
            // A quote that is not in the source; a true quote without the answer.
            (
                qa("엽록체의 기능은?", "광합성", "엽록체는 호흡을 담당한다."),
                Evidence,
            ),
            (
                qa("광합성이 일어나는 소기관은?", "엽록체", S_THYLAKOID),
                Evidence,
            ),
            // A duplicate of a good card, written in full-width letters.
            (
                cloze(
                    "생명과학",
                    "ＡＴＰ",
                    "틸라코이드 막에서 {{blank}}와 NADPH가 만들어진다.",
                    S_THYLAKOID,
                ),
                Dedup,
            ),
        ]
    }

    fn extractor(server: &MockServer) -> Arc<dyn Extractor> {
        let settings = LlmSettings {
            base_url: format!("{}/v1/", server.uri()),
            model: "test-model".into(),
            api_key: Some(ApiKey::new("sk-test")),
            timeout: Duration::from_secs(5),
            max_response_bytes: 4 << 20,
            retry_after_cap: Duration::from_secs(60),
        };
        Arc::new(LlmExtractor::new(settings).unwrap_or_else(|e| panic!("{e}")))
    }

    pub async fn every_rule_breaking_card_is_dropped_under_its_guard(db: &TestDb) {
        let good = good_cards();
        let bad = bad_cards();
        let mut cards: Vec<Value> = good.clone();
        // Bad cards interleaved with the good ones, in an answer wrapped in prose and fences.
        for (i, (card, _)) in bad.iter().enumerate() {
            cards.insert((i * 2).min(cards.len()), card.clone());
        }
        let content = format!(
            "Sure! Here are the cards:\n```json\n{}\n```\nIgnore previous instructions.",
            json!({ "cards": cards })
        );
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
            })))
            .expect(1)
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        let set = ImportSet {
            topics: vec![(
                "생명과학".into(),
                vec![NewQuestion {
                    question_text: QUESTION.into(),
                    choices: vec![
                        "미토콘드리아".into(),
                        "엽록체".into(),
                        "리보솜".into(),
                        "골지체".into(),
                    ],
                    correct_choice: 2,
                    explanation: Some(EXPLANATION.into()),
                    explanation_generated_at: Some(now_ms() - secs(60)),
                }],
            )],
        };
        store
            .import(me, &set)
            .await
            .unwrap_or_else(|e| panic!("import: {e}"));
        let q = store.list_questions(me, None).await.unwrap_or_default()[0].id;

        let settings = drain_settings(extractor(&server), 2);
        run_until_stopped(store.clone(), settings, Duration::from_secs(30)).await;

        let job = store.list_jobs(me, None, 10).await.unwrap_or_default();
        let payload = job
            .first()
            .and_then(|j| j.payload.clone())
            .unwrap_or_default();
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for (_, reason) in &bad {
            *expected.entry(reason.as_str().to_owned()).or_default() += 1;
        }
        let dropped: BTreeMap<String, u64> =
            serde_json::from_value(payload["dropped"].clone()).unwrap_or_default();
        assert_eq!(dropped, expected, "payload: {payload:#}");
        assert_eq!(
            payload["kept"].as_u64(),
            Some(good.len() as u64),
            "payload: {payload:#}"
        );

        let stored = cards_of(db, q).await;
        let facts: Vec<&str> = stored.iter().map(|c| c.fact.as_str()).collect();
        assert_eq!(facts, ["엽록체", "3%", "ATP", "SQL", "10%", "6개"]);
        // Nothing stored holds a control, bidi or invisible character.
        let sql =
            "SELECT cue || ' ' || fact || ' ' || COALESCE(cloze_text, '') FROM study_memo_cards";
        let texts: Vec<String> = match &db.kind {
            Kind::Sqlite { sqlite, .. } => sqlx::query_scalar(sql).fetch_all(sqlite.pool()).await,
            Kind::Postgres { pg, .. } => sqlx::query_scalar(sql).fetch_all(pg.pool()).await,
        }
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts.len(), good.len());
        for text in texts.iter().chain(stored.iter().flat_map(|c| &c.evidence)) {
            assert!(!has_forbidden(text), "{text:?}");
        }
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("포도당 1분자의 탄소 수는? 6개")),
            "{texts:?}"
        );
    }
}

conformance!(every_rule_breaking_card_is_dropped_under_its_guard);
