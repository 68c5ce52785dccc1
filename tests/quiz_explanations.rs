//! Explanation jobs (issue 17): a finished quiz asks for an explanation of each question
//! answered wrong or unsure that has none ready; with an LLM (a wiremock endpoint) the engine
//! stores it with a new version, the poller turns that version into a card job and the cards
//! land in Review; with the built-in extractor the jobs end `skipped` / `no_llm`. Every case
//! runs on SQLite and on PostgreSQL.

mod common;
mod extraction_support;

mod cases {
    use std::sync::Arc;
    use std::time::Duration;

    use amgi::domain::card::ExplanationStatus;
    use amgi::store::{
        ImportSet, Job, JobErrorCode, JobStatus, NewQuestion, QuestionId, SharedStore, UserId,
    };
    use amgi::work::{
        ApiKey, BuiltinExtractor, EngineEvent, Extractor, JobOutcome, LlmExtractor, LlmSettings,
    };
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use crate::common::{TestDb, user};
    use crate::extraction_support::{
        EXPLANATION, Received, drain_settings, now_ms, run_until_stopped, secs,
    };

    const LIMIT: Duration = Duration::from_secs(30);
    const MISSED: &str = "훈민정음을 반포한 해는?";
    const UNSURE: &str = "훈민정음 창제를 도운 기관은?";
    const RIGHT: &str = "조선을 세운 왕은?";
    const EXPLAINED: &str = "이미 풀이가 있는 문제는?";
    const CARD: &str = r#"{"format":"qa","cue":"훈민정음을 반포한 해는?","fact":"1446년","cloze_text":null,"evidence":"1446년에 반포하였다"}"#;

    fn chat(content: &str) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        }))
    }

    fn llm(server: &MockServer) -> Arc<dyn Extractor> {
        let settings = LlmSettings {
            api_key: Some(ApiKey::new("sk-test")),
            ..LlmSettings::new(
                format!("{}/v1", server.uri()),
                "test-model",
                Duration::from_secs(5),
            )
        };
        Arc::new(LlmExtractor::new(settings).unwrap_or_else(|e| panic!("{e}")))
    }

    /// Three questions without explanations (the second choice is correct), and one with a
    /// ready explanation; returns (missed, unsure, right, explained).
    async fn questions(store: &SharedStore, me: UserId) -> [QuestionId; 4] {
        let new = |text: &str, explanation: Option<&str>| NewQuestion {
            question_text: text.to_owned(),
            choices: vec!["1443년".into(), "1446년".into(), "1450년".into()],
            correct_choice: 2,
            explanation: explanation.map(str::to_owned),
            explanation_generated_at: explanation.map(|_| now_ms() - secs(600)),
        };
        let set = ImportSet {
            topics: vec![(
                "한국사".to_owned(),
                vec![
                    new(MISSED, None),
                    new(UNSURE, None),
                    new(RIGHT, None),
                    new(EXPLAINED, Some(EXPLANATION)),
                ],
            )],
        };
        store
            .import(me, &set)
            .await
            .unwrap_or_else(|e| panic!("import: {e}"));
        let all = store.list_questions(me, None).await.unwrap_or_default();
        let id = |i: usize| all[i].id;
        [id(0), id(1), id(2), id(3)]
    }

    /// A quiz over every question: the first wrong, the second right but unsure, the third
    /// right, the fourth (explained already) wrong; finalized at `at`.
    async fn quiz(store: &SharedStore, me: UserId, q: &[QuestionId; 4], at: DateTime<Utc>) {
        let session = store
            .start_quiz(me, None, 10, at)
            .await
            .unwrap_or_else(|e| panic!("start: {e}"));
        let answers = [
            (q[0], 3, false),
            (q[1], 2, true),
            (q[2], 2, false),
            (q[3], 1, false),
        ];
        for (question, chosen, unsure) in answers {
            store
                .answer_question(me, session.id, question, Some(chosen), unsure, at)
                .await
                .unwrap_or_else(|e| panic!("answer: {e}"));
        }
        store
            .finalize_quiz(me, session.id, at + secs(1))
            .await
            .unwrap_or_else(|e| panic!("finalize: {e}"));
        // Idempotent: a second finalize asks for nothing more.
        store
            .finalize_quiz(me, session.id, at + secs(2))
            .await
            .unwrap_or_else(|e| panic!("finalize again: {e}"));
    }

    async fn jobs_of_kind(store: &SharedStore, me: UserId, kind: &str) -> Vec<Job> {
        let mut jobs: Vec<Job> = store
            .list_jobs(me, None, 100)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .filter(|j| j.kind == kind)
            .collect();
        jobs.sort_by_key(|j| j.source_id);
        jobs
    }

    fn outcomes(events: &[Received]) -> Vec<JobOutcome> {
        events
            .iter()
            .filter_map(|(_, e)| match e {
                EngineEvent::JobFinished { outcome, .. } => Some(*outcome),
                _ => None,
            })
            .collect()
    }

    pub async fn an_llm_explains_missed_questions_and_their_cards_reach_review(db: &TestDb) {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(body_string_contains("You explain one multiple-choice"))
            .and(body_string_contains(MISSED))
            .respond_with(chat(&json!({ "explanation": EXPLANATION }).to_string()))
            .expect(1)
            .mount(&server)
            .await;
        // The unsure question's explanation is refused by the check (too short), twice.
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(body_string_contains("You explain one multiple-choice"))
            .and(body_string_contains(UNSURE))
            .respond_with(chat(r#"{"explanation": "집현전"}"#))
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(body_string_contains("You write memo cards"))
            .and(body_string_contains(MISSED))
            .respond_with(chat(&format!("{{\"cards\": [{CARD}]}}")))
            .expect(1)
            .mount(&server)
            .await;
        // The question imported with its explanation is carded as before (no cards here).
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(body_string_contains("You write memo cards"))
            .and(body_string_contains(EXPLAINED))
            .respond_with(chat(r#"{"cards": []}"#))
            .expect(1)
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        let q = questions(store, me).await;
        let asked = now_ms() - secs(60);
        quiz(store, me, &q, asked).await;
        let requested = jobs_of_kind(store, me, "explanation").await;
        assert_eq!(
            requested
                .iter()
                .map(|j| (QuestionId(j.source_id), j.status, j.source_version))
                .collect::<Vec<_>>(),
            vec![
                (q[0], JobStatus::Pending, Some(asked + secs(1))),
                (q[1], JobStatus::Pending, Some(asked + secs(1))),
            ],
            "one job per missed question without a ready explanation"
        );

        let events = run_until_stopped(store.clone(), drain_settings(llm(&server), 2), LIMIT).await;
        let mut finished = outcomes(&events);
        finished.sort_by_key(|o| o.as_str());
        assert_eq!(
            finished,
            [
                JobOutcome::AllDropped,
                JobOutcome::Completed,
                JobOutcome::Explained
            ]
        );

        let all = store.list_questions(me, None).await.unwrap_or_default();
        let missed = all.iter().find(|x| x.id == q[0]);
        let missed = missed.unwrap_or_else(|| panic!("question gone"));
        assert_eq!(missed.ai_explanation.as_deref(), Some(EXPLANATION));
        assert_eq!(missed.ai_explanation_status, ExplanationStatus::Ready);
        let version = missed.ai_explanation_generated_at;
        assert!(version.is_some_and(|v| v > asked), "{version:?}");
        let unsure = all.iter().find(|x| x.id == q[1]);
        assert!(
            unsure.is_some_and(|x| x.ai_explanation.is_none()
                && x.ai_explanation_status == ExplanationStatus::None)
        );

        let explained = jobs_of_kind(store, me, "explanation").await;
        let states: Vec<_> = explained
            .iter()
            .map(|j| (j.status, j.error_code, j.attempts))
            .collect();
        assert_eq!(
            states,
            [
                (JobStatus::Completed, None, 1),
                (JobStatus::Failed, Some(JobErrorCode::ParseFail), 2)
            ]
        );
        assert_eq!(
            explained[0].payload.as_ref().map(|p| p["model"].clone()),
            Some(json!("test-model"))
        );
        // The new version became a card job, and its card waits in Review.
        let card_jobs = jobs_of_kind(store, me, "card_extract").await;
        let carded: Vec<_> = card_jobs
            .iter()
            .filter(|j| j.source_id == q[0].0)
            .map(|j| (j.status, j.source_version))
            .collect();
        assert_eq!(carded, [(JobStatus::Completed, version)]);
        let review = store
            .review_queue(me)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let facts: Vec<(Option<String>, String)> = review
            .iter()
            .flat_map(|g| g.cards.iter().map(|c| (g.question.clone(), c.fact.clone())))
            .collect();
        assert_eq!(facts, [(Some(MISSED.to_owned()), "1446년".to_owned())]);
    }

    pub async fn without_an_llm_explanation_jobs_end_no_llm(db: &TestDb) {
        let store = db.store();
        let me = user(store, "me").await;
        let q = questions(store, me).await;
        let first = now_ms() - secs(120);
        quiz(store, me, &q, first).await;
        // Asked again while the first jobs are still open: no second job.
        quiz(store, me, &q, first + secs(30)).await;
        assert_eq!(jobs_of_kind(store, me, "explanation").await.len(), 2);

        let builtin: Arc<dyn Extractor> = Arc::new(BuiltinExtractor);
        let events =
            run_until_stopped(store.clone(), drain_settings(builtin.clone(), 2), LIMIT).await;
        let mut finished = outcomes(&events);
        finished.sort_by_key(|o| o.as_str());
        // The question imported with its explanation is carded by the built-in as before.
        assert_eq!(
            finished,
            [JobOutcome::Completed, JobOutcome::NoLlm, JobOutcome::NoLlm]
        );
        let ended = jobs_of_kind(store, me, "explanation").await;
        for job in &ended {
            assert_eq!(
                (job.status, job.error_code),
                (JobStatus::Skipped, Some(JobErrorCode::NoLlm))
            );
            assert!(
                job.error_message
                    .as_deref()
                    .is_some_and(|m| m.contains("[llm]"))
            );
        }
        assert!(
            jobs_of_kind(store, me, "card_extract")
                .await
                .iter()
                .all(|j| j.source_id == q[3].0)
        );
        let all = store.list_questions(me, None).await.unwrap_or_default();
        assert!(
            all[..3]
                .iter()
                .all(|x| x.ai_explanation_status == ExplanationStatus::None)
        );

        // The jobs have ended: missing the questions again is a new request.
        quiz(store, me, &q, first + secs(60)).await;
        assert_eq!(jobs_of_kind(store, me, "explanation").await.len(), 4);
        let other = user(store, "other").await;
        assert!(
            store
                .list_jobs(other, None, 10)
                .await
                .unwrap_or_default()
                .is_empty()
        );
    }
}

conformance!(
    an_llm_explains_missed_questions_and_their_cards_reach_review,
    without_an_llm_explanation_jobs_end_no_llm,
);
