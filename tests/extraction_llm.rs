//! The LLM extractor end to end, against a real HTTP server faking an OpenAI-compatible
//! endpoint (wiremock): the engine polls, claims, calls the server, runs the guards and stores
//! the result. Every case runs on SQLite and on PostgreSQL.

mod common;
mod extraction_support;

mod cases {
    use std::sync::Arc;
    use std::time::Duration;

    use amgi::domain::guard::DropReason;
    use amgi::store::{Job, JobErrorCode, JobStatus, QuestionId, SharedStore, UserId};
    use amgi::work::{ApiKey, EngineEvent, Extractor, JobOutcome, LlmExtractor, LlmSettings};
    use serde_json::json;
    use wiremock::matchers::{body_partial_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use crate::common::{TestDb, user};
    use crate::extraction_support::{
        Received, add_questions, cards_of, drain_settings, now_ms, run_until_stopped, secs,
    };

    const LIMIT: Duration = Duration::from_secs(30);
    const QUESTION: &str = "훈민정음을 반포한 해는?";
    const GOOD_QA: &str = r#"{"format":"qa","cue":"훈민정음을 반포한 해는?","fact":"1446년","cloze_text":null,"evidence":"1446년에 반포하였다"}"#;
    const GOOD_CLOZE: &str = r#"{"format":"cloze","cue":"한국사","fact":"집현전","cloze_text":"{{blank}} 학자들이 창제를 도왔다.","evidence":"집현전 학자들이 창제를 도왔다."}"#;
    /// 1448 is in neither the question, the choices nor the explanation.
    const INVENTED_NUMBER: &str = r#"{"format":"qa","cue":"훈민정음을 완성한 해는?","fact":"1448년","evidence":"1446년에 반포하였다"}"#;
    /// The answer shows in the cue.
    const LEAKING: &str = r#"{"format":"qa","cue":"세종대왕이 만든 문자를 만든 왕은?","fact":"세종대왕","evidence":"세종대왕은 1443년에 훈민정음을 창제하고"}"#;

    /// A chat-completions answer whose message content is `content`.
    fn chat(content: &str) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "test-model",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
        }))
    }

    /// Matches only well-formed requests: the right path, key, model and JSON mode.
    fn completions() -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", "Bearer sk-test"))
            .and(body_partial_json(json!({
                "model": "test-model",
                "response_format": {"type": "json_object"},
            })))
    }

    fn extractor(server: &MockServer, timeout: Duration) -> Arc<dyn Extractor> {
        let settings = LlmSettings {
            base_url: format!("{}/v1/", server.uri()),
            model: "test-model".into(),
            api_key: Some(ApiKey::new("sk-test")),
            timeout,
            max_response_bytes: 4 << 20,
            retry_after_cap: Duration::from_secs(60),
        };
        Arc::new(LlmExtractor::new(settings).unwrap_or_else(|e| panic!("{e}")))
    }

    /// One ready question for `me`; returns its id.
    async fn one_question(store: &SharedStore, me: UserId) -> QuestionId {
        add_questions(store, me, &[(QUESTION, now_ms() - secs(60))]).await[0]
    }

    async fn run(
        db: &TestDb,
        server: &MockServer,
        timeout: Duration,
        attempts: u16,
    ) -> Vec<Received> {
        let settings = drain_settings(extractor(server, timeout), attempts);
        run_until_stopped(db.store().clone(), settings, LIMIT).await
    }

    async fn only_job(store: &SharedStore, me: UserId) -> Job {
        let jobs = store.list_jobs(me, None, 10).await.unwrap_or_default();
        assert_eq!(jobs.len(), 1, "{jobs:#?}");
        jobs.into_iter().next().unwrap_or_else(|| unreachable!())
    }

    fn failures(events: &[Received]) -> Vec<(i32, JobErrorCode, bool)> {
        events
            .iter()
            .filter_map(|(_, e)| match e {
                EngineEvent::JobFailed {
                    attempt,
                    code,
                    retry_at,
                    ..
                } => Some((*attempt, *code, retry_at.is_some())),
                _ => None,
            })
            .collect()
    }

    fn finished(
        events: &[Received],
    ) -> Vec<(
        JobOutcome,
        usize,
        std::collections::BTreeMap<DropReason, u32>,
    )> {
        events
            .iter()
            .filter_map(|(_, e)| match e {
                EngineEvent::JobFinished {
                    outcome,
                    card_ids,
                    dropped,
                    ..
                } => Some((*outcome, card_ids.len(), dropped.clone())),
                _ => None,
            })
            .collect()
    }

    pub async fn a_good_answer_stores_cards_with_evidence(db: &TestDb) {
        let server = MockServer::start().await;
        let fenced =
            format!("Here you go:\n```json\n{{\"cards\": [{GOOD_QA}, {GOOD_CLOZE}]}}\n```");
        completions()
            .respond_with(chat(&fenced))
            .expect(1)
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        let q = one_question(store, me).await;

        let events = run(db, &server, Duration::from_secs(5), 2).await;
        assert_eq!(
            finished(&events),
            [(JobOutcome::Completed, 2, Default::default())]
        );
        let cards = cards_of(db, q).await;
        let facts: Vec<_> = cards
            .iter()
            .map(|c| (c.fact.as_str(), c.needs_review))
            .collect();
        assert_eq!(facts, [("1446년", true), ("집현전", true)]);
        assert_eq!(cards[0].evidence, ["1446년에 반포하였다"]);
        assert_eq!(cards[1].evidence, ["집현전 학자들이 창제를 도왔다."]);
        let job = only_job(store, me).await;
        assert_eq!(
            (job.status, job.attempts, job.error_code),
            (JobStatus::Completed, 1, None)
        );
        let payload = job.payload.unwrap_or_default();
        assert_eq!(
            (payload["extractor"].as_str(), payload["model"].as_str()),
            (Some("llm"), Some("test-model"))
        );
        assert_eq!(
            (payload["kept"].as_u64(), payload["proposed"].as_u64()),
            (Some(2), Some(2))
        );
        assert!(payload["latency_ms"].is_u64());

        let requests = server.received_requests().await.unwrap_or_default();
        let body: serde_json::Value = requests[0].body_json().unwrap_or_default();
        let prompt = body["messages"][0]["content"].as_str().unwrap_or_default();
        assert!(
            prompt.contains("VERBATIM") && prompt.contains(QUESTION),
            "{prompt}"
        );
        assert!(prompt.contains("2. 1446년  <- correct"), "{prompt}");
    }

    pub async fn malformed_json_is_retried_then_fails(db: &TestDb) {
        let server = MockServer::start().await;
        completions()
            .respond_with(chat("Sorry, I cannot produce cards for this."))
            .expect(2)
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        let q = one_question(store, me).await;

        let events = run(db, &server, Duration::from_secs(5), 2).await;
        assert_eq!(
            failures(&events),
            [
                (1, JobErrorCode::ParseFail, true),
                (2, JobErrorCode::ParseFail, false)
            ]
        );
        let job = only_job(store, me).await;
        assert_eq!((job.status, job.attempts), (JobStatus::Failed, 2));
        assert_eq!(job.error_code, Some(JobErrorCode::ParseFail));
        assert!(
            job.error_message
                .is_some_and(|m| m.contains("no JSON object"))
        );
        assert!(cards_of(db, q).await.is_empty());
    }

    pub async fn a_hang_is_an_llm_timeout(db: &TestDb) {
        let server = MockServer::start().await;
        let good = format!("{{\"cards\": [{GOOD_QA}]}}");
        completions()
            .respond_with(chat(&good).set_delay(Duration::from_secs(30)))
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        one_question(store, me).await;

        let events = run(db, &server, Duration::from_millis(300), 2).await;
        assert_eq!(
            failures(&events),
            [
                (1, JobErrorCode::LlmTimeout, true),
                (2, JobErrorCode::LlmTimeout, false)
            ]
        );
        let job = only_job(store, me).await;
        assert_eq!(
            (job.status, job.error_code),
            (JobStatus::Failed, Some(JobErrorCode::LlmTimeout))
        );
    }

    pub async fn http_429_and_500_are_retried_with_backoff(db: &TestDb) {
        let server = MockServer::start().await;
        let overloaded = ResponseTemplate::new(429).set_body_string("slow down");
        completions()
            .respond_with(overloaded)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        let broken = ResponseTemplate::new(500).set_body_string("boom");
        completions()
            .respond_with(broken)
            .up_to_n_times(1)
            .with_priority(2)
            .mount(&server)
            .await;
        let good = format!("{{\"cards\": [{GOOD_QA}]}}");
        completions()
            .respond_with(chat(&good))
            .with_priority(3)
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        let q = one_question(store, me).await;

        let events = run(db, &server, Duration::from_secs(5), 3).await;
        assert_eq!(
            failures(&events),
            [
                (1, JobErrorCode::Unknown, true),
                (2, JobErrorCode::Unknown, true)
            ]
        );
        assert_eq!(finished(&events).len(), 1);
        let messages: Vec<String> = events
            .iter()
            .filter_map(|(_, e)| match e {
                EngineEvent::JobFailed { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect();
        assert!(messages[0].contains("HTTP 429") && messages[0].contains("slow down"));
        assert!(messages[1].contains("HTTP 500"));
        // Each retry started only once its backoff had passed.
        let mut retry_at = None;
        for (received, event) in &events {
            match event {
                EngineEvent::JobFailed { retry_at: at, .. } => retry_at = *at,
                EngineEvent::JobStarted { attempt, .. } if *attempt > 1 => {
                    let due =
                        retry_at.unwrap_or_else(|| panic!("no backoff before attempt {attempt}"));
                    assert!(*received >= due, "attempt {attempt} started before {due}");
                }
                _ => {}
            }
        }
        let job = only_job(store, me).await;
        assert_eq!((job.status, job.attempts), (JobStatus::Completed, 3));
        assert_eq!(cards_of(db, q).await.len(), 1);
    }

    pub async fn invented_numbers_and_leaked_answers_are_dropped(db: &TestDb) {
        let server = MockServer::start().await;
        let answer = format!("{{\"cards\": [{INVENTED_NUMBER}, {GOOD_QA}, {LEAKING}]}}");
        completions()
            .respond_with(chat(&answer))
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        let q = one_question(store, me).await;

        let events = run(db, &server, Duration::from_secs(5), 2).await;
        let dropped = [(DropReason::Quantitative, 1), (DropReason::Leak, 1)].into();
        assert_eq!(finished(&events), [(JobOutcome::Completed, 1, dropped)]);
        let facts: Vec<String> = cards_of(db, q).await.into_iter().map(|c| c.fact).collect();
        assert_eq!(facts, ["1446년"]);
        let payload = only_job(store, me).await.payload.unwrap_or_default();
        assert_eq!(payload["dropped"], json!({"quantitative": 1, "leak": 1}));
        assert_eq!(
            (payload["kept"].as_u64(), payload["proposed"].as_u64()),
            (Some(1), Some(3))
        );
    }

    pub async fn all_dropped_completes_and_is_never_extracted_again(db: &TestDb) {
        let server = MockServer::start().await;
        let answer = format!("{{\"cards\": [{INVENTED_NUMBER}, {LEAKING}]}}");
        completions()
            .respond_with(chat(&answer))
            .expect(1)
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        let q = one_question(store, me).await;

        let events = run(db, &server, Duration::from_secs(5), 2).await;
        assert_eq!(
            finished(&events).first().map(|f| f.0),
            Some(JobOutcome::AllDropped)
        );
        let job = only_job(store, me).await;
        assert_eq!(
            (job.status, job.error_code),
            (JobStatus::Completed, Some(JobErrorCode::AllDropped))
        );
        assert!(cards_of(db, q).await.is_empty());

        // Later polls and workers leave that version alone.
        let again = store.enqueue_ready(20, 2, now_ms() + secs(3600)).await.ok();
        assert_eq!(again.map(|r| r.enqueued), Some(0));
        let second_run = run(db, &server, Duration::from_secs(5), 2).await;
        let kinds: Vec<_> = second_run.iter().map(|(_, e)| e.clone()).collect();
        assert_eq!(kinds, [EngineEvent::Stopped]);
        assert_eq!(only_job(store, me).await.id, job.id);
    }
}

conformance!(
    a_good_answer_stores_cards_with_evidence,
    malformed_json_is_retried_then_fails,
    a_hang_is_an_llm_timeout,
    http_429_and_500_are_retried_with_backoff,
    invented_numbers_and_leaked_answers_are_dropped,
    all_dropped_completes_and_is_never_extracted_again,
);
