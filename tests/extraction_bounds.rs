//! A hostile or broken LLM endpoint is bounded: a body past the size limit (declared or
//! never-ending) fails as parse_fail without being read further, an answer with thousands of
//! cards gives at most the per-answer limit, a refused key fails at once as auth_fail,
//! `Retry-After` is honoured up to its cap, and a redirect loop ends after a few hops.

mod common;
mod extraction_support;

use std::sync::Arc;
use std::time::Duration;

use amgi::domain::extract::SourceContext;
use amgi::work::{ExtractError, Extractor, LlmExtractor, LlmSettings};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn source() -> SourceContext {
    SourceContext {
        question_id: 1,
        topic: "한국사".into(),
        question_text: "훈민정음을 반포한 해는?".into(),
        choices: vec!["1443년".into(), "1446년".into()],
        correct_choice: 2,
        explanation: "훈민정음은 1446년에 반포하였다.".into(),
    }
}

fn extractor(settings: LlmSettings) -> LlmExtractor {
    LlmExtractor::new(settings).unwrap_or_else(|e| panic!("{e}"))
}

fn chat(content: &str) -> serde_json::Value {
    json!({"choices": [{"message": {"role": "assistant", "content": content}}]})
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_parse_fail() {
    let server = MockServer::start().await;
    let padding = "x".repeat(2 << 20);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat(&padding)))
        .mount(&server)
        .await;
    let settings = LlmSettings {
        max_response_bytes: 1 << 20,
        ..LlmSettings::new(format!("{}/v1", server.uri()), "m", Duration::from_secs(10))
    };
    let answer = extractor(settings).extract(&source()).await;
    match answer {
        Err(ExtractError::Parse(message)) => {
            assert!(message.contains("llm.max_response_bytes"), "{message}")
        }
        other => panic!("expected parse_fail, got {other:?}"),
    }
}

/// A server that answers every connection with a chunked body that never ends.
async fn endless_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let address = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("address: {e}"));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                if socket.read(&mut request).await.is_err() {
                    return;
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));
                // Until the client hangs up.
                while socket.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    format!("http://{address}/v1")
}

#[tokio::test]
async fn a_never_ending_body_is_cut_at_the_limit() {
    let base_url = endless_server().await;
    let settings = LlmSettings {
        max_response_bytes: 1 << 20,
        ..LlmSettings::new(base_url, "m", Duration::from_secs(30))
    };
    let answer = tokio::time::timeout(
        Duration::from_secs(25),
        extractor(settings).extract(&source()),
    )
    .await
    .unwrap_or_else(|_| panic!("the extractor kept reading a never-ending body"));
    assert!(
        matches!(&answer, Err(ExtractError::Parse(m)) if m.contains("larger than 1048576 bytes")),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_refused_key_is_auth_fail_and_not_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string("invalid api key"))
        .mount(&server)
        .await;
    let settings = LlmSettings::new(format!("{}/v1", server.uri()), "m", Duration::from_secs(5));
    let answer = extractor(settings).extract(&source()).await;
    let error = answer.err().unwrap_or_else(|| panic!("a 401 must fail"));
    assert_eq!(error.code(), amgi::store::JobErrorCode::AuthFail);
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("API key was refused"), "{error}");
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_its_cap() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let settings = LlmSettings {
        retry_after_cap: Duration::from_secs(7),
        ..LlmSettings::new(format!("{}/v1", server.uri()), "m", Duration::from_secs(5))
    };
    let error = extractor(settings).extract(&source()).await.err();
    let error = error.unwrap_or_else(|| panic!("a 429 must fail"));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(error.to_string().contains("asked to wait 7 s"), "{error}");
}

#[tokio::test]
async fn a_redirect_loop_ends_after_a_few_hops() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/v1/chat/completions"))
        .mount(&server)
        .await;
    let settings = LlmSettings::new(format!("{}/v1", server.uri()), "m", Duration::from_secs(5));
    let answer = extractor(settings).extract(&source()).await;
    assert!(
        matches!(&answer, Err(ExtractError::Transport(_))),
        "{answer:?}"
    );
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), amgi::http::MAX_REDIRECTS + 1);
}

mod cases {
    use super::*;

    use amgi::store::{JobErrorCode, JobStatus};
    use amgi::work::ApiKey;

    use crate::common::{TestDb, user};
    use crate::extraction_support::{
        add_questions, drain_settings, now_ms, run_until_stopped, secs,
    };

    const LIMIT: Duration = Duration::from_secs(60);

    async fn engine_extractor(server: &MockServer) -> Arc<dyn Extractor> {
        let settings = LlmSettings {
            api_key: Some(ApiKey::new("sk-test")),
            ..LlmSettings::new(format!("{}/v1", server.uri()), "m", Duration::from_secs(10))
        };
        Arc::new(extractor(settings))
    }

    pub async fn thousands_of_cards_in_one_answer_are_cut_to_the_limit(db: &TestDb) {
        let server = MockServer::start().await;
        let cards: Vec<serde_json::Value> = (0..5000)
            .map(|i| {
                json!({"format": "qa", "cue": format!("훈민정음 질문 {i}?"), "fact": "1446년",
                       "evidence": "1446년에 반포하였다"})
            })
            .collect();
        let content = json!({ "cards": cards }).to_string();
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(chat(&content)))
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        let q = add_questions(
            store,
            me,
            &[("훈민정음을 반포한 해는?", now_ms() - secs(60))],
        )
        .await;
        let settings = drain_settings(engine_extractor(&server).await, 2);
        run_until_stopped(store.clone(), settings, LIMIT).await;
        let jobs = store.list_jobs(me, None, 5).await.unwrap_or_default();
        let job = jobs.first().unwrap_or_else(|| panic!("no job"));
        assert_eq!(job.status, JobStatus::Completed, "{job:?}");
        let payload = job.payload.clone().unwrap_or_default();
        assert_eq!(
            (payload["proposed"].as_u64(), payload["over_limit"].as_u64()),
            (Some(20), Some(4980)),
            "{payload}"
        );
        let stored = crate::extraction_support::cards_of(db, q[0]).await;
        assert!(stored.len() <= 20, "{} cards stored", stored.len());
    }

    pub async fn a_refused_key_fails_the_job_at_once(db: &TestDb) {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(403).set_body_string("forbidden"))
            .expect(1)
            .mount(&server)
            .await;
        let store = db.store();
        let me = user(store, "me").await;
        add_questions(
            store,
            me,
            &[("훈민정음을 반포한 해는?", now_ms() - secs(60))],
        )
        .await;
        let settings = drain_settings(engine_extractor(&server).await, 3);
        run_until_stopped(store.clone(), settings, LIMIT).await;
        let jobs = store.list_jobs(me, None, 5).await.unwrap_or_default();
        let job = jobs.first().unwrap_or_else(|| panic!("no job"));
        assert_eq!(
            (job.status, job.attempts, job.error_code),
            (JobStatus::Failed, 1, Some(JobErrorCode::AuthFail))
        );
    }
}

conformance!(
    thousands_of_cards_in_one_answer_are_cut_to_the_limit,
    a_refused_key_fails_the_job_at_once,
);
