//! The engine's loop: it wakes for a PostgreSQL notification and for a retry coming due
//! (both long before its poll interval) and works through a backlog larger than one batch
//! without waiting for the next poll; stopping it lets a job in flight finish within the
//! grace period, interrupts one that would outlast it (given back without spending its
//! attempt); and `amgi worker` stops cleanly on SIGINT.

mod common;
mod extraction_support;

use std::sync::Arc;
use std::time::Duration;

use amgi::store::{JobStatus, SharedStore, UserId};
use amgi::work::{BuiltinExtractor, Engine, EngineEvent, EngineMode, LlmExtractor, LlmSettings};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{TestDb, user};
use extraction_support::{add_questions, drain_settings, now_ms, secs};

const ANSWER: &str = r#"{"cards":[{"format":"qa","cue":"훈민정음을 반포한 해는?","fact":"1446년","evidence":"1446년에 반포하였다"}]}"#;

/// A fake LLM answering after `delay`.
async fn llm(delay: Duration) -> (MockServer, LlmSettings) {
    let server = MockServer::start().await;
    let body = json!({"choices": [{"message": {"content": ANSWER}}]});
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    let settings = LlmSettings {
        base_url: format!("{}/v1", server.uri()),
        model: "m".into(),
        api_key: None,
        timeout: Duration::from_secs(60),
        max_response_bytes: 4 << 20,
        retry_after_cap: Duration::from_secs(60),
    };
    (server, settings)
}

/// Starts a continuous engine, cancels it as soon as the job has started, and returns every
/// event up to `Stopped`.
async fn stop_after_start(
    store: &SharedStore,
    llm: LlmSettings,
    grace: Duration,
) -> Vec<EngineEvent> {
    let extractor = Arc::new(LlmExtractor::new(llm).unwrap_or_else(|e| panic!("{e}")));
    let mut settings = drain_settings(extractor, 2);
    settings.mode = EngineMode::Continuous;
    settings.shutdown_grace = grace;
    let cancel = CancellationToken::new();
    let (handle, mut events) = Engine::spawn(store.clone(), settings, cancel.clone());
    let mut seen = Vec::new();
    let collect = async {
        while let Some(event) = events.recv().await {
            if matches!(event, EngineEvent::JobStarted { .. }) {
                cancel.cancel();
            }
            let stopped = event == EngineEvent::Stopped;
            seen.push(event);
            if stopped {
                break;
            }
        }
    };
    let stopped = tokio::time::timeout(Duration::from_secs(30), collect).await;
    assert!(stopped.is_ok(), "the engine did not stop: {seen:#?}");
    handle.await.unwrap_or_else(|e| panic!("engine: {e}"));
    seen
}

fn kinds(events: &[EngineEvent]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            EngineEvent::Enqueued { .. } => "enqueued",
            EngineEvent::JobStarted { .. } => "started",
            EngineEvent::JobFinished { .. } => "finished",
            EngineEvent::JobFailed { .. } => "failed",
            EngineEvent::JobFenced { .. } => "fenced",
            EngineEvent::JobInterrupted { .. } => "interrupted",
            EngineEvent::StoreError { .. } => "store error",
            EngineEvent::Stopped => "stopped",
        })
        .collect()
}

async fn one_job(db: &TestDb) -> UserId {
    let me = user(db.store(), "me").await;
    add_questions(
        db.store(),
        me,
        &[("훈민정음을 반포한 해는?", now_ms() - secs(5))],
    )
    .await;
    me
}

/// Waits (bounded) for the first event that `wanted` accepts.
async fn next_matching(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<EngineEvent>,
    wanted: impl Fn(&EngineEvent) -> bool,
) -> EngineEvent {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.recv().await {
            if wanted(&event) {
                return Some(event);
            }
        }
        None
    })
    .await;
    found
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no such event within 10 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_wakes_a_postgres_worker_before_its_next_poll() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let me = user(db.store(), "me").await;
    // The channel itself: a poll that enqueues notifies every listener.
    let listener = db.store().job_listener().await.ok().flatten();
    let mut listener = listener.unwrap_or_else(|| panic!("postgres has a listener"));

    add_questions(db.store(), me, &[("first", now_ms() - secs(5))]).await;
    let mut settings = drain_settings(Arc::new(BuiltinExtractor), 2);
    settings.mode = EngineMode::Continuous;
    settings.poll_interval = Duration::from_secs(3600);
    let cancel = CancellationToken::new();
    let (handle, mut events) = Engine::spawn(db.reopen().await, settings, cancel.clone());
    // Its first poll found and finished the first question; the next poll is an hour away.
    next_matching(&mut events, |e| {
        matches!(e, EngineEvent::JobFinished { .. })
    })
    .await;
    let heard = tokio::time::timeout(Duration::from_secs(10), listener.recv()).await;
    assert!(
        matches!(heard, Ok(Ok(()))),
        "no notification for the engine's poll"
    );

    // Another process enqueues: only its notification can wake the engine.
    add_questions(db.store(), me, &[("second", now_ms() - secs(4))]).await;
    let polled = db.store().enqueue_ready(20, 2, chrono::Utc::now()).await;
    assert_eq!(polled.ok().map(|r| r.enqueued), Some(1));
    let heard = tokio::time::timeout(Duration::from_secs(10), listener.recv()).await;
    assert!(
        matches!(heard, Ok(Ok(()))),
        "no notification for the second poll"
    );
    let finished = next_matching(&mut events, |e| {
        matches!(e, EngineEvent::JobFinished { .. })
    })
    .await;
    assert!(matches!(finished, EngineEvent::JobFinished { card_ids, .. } if !card_ids.is_empty()));
    cancel.cancel();
    handle.await.unwrap_or_else(|e| panic!("engine: {e}"));
    // The listener holds a pooled connection; closing the pool waits for it.
    drop(listener);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_larger_than_a_batch_is_worked_through_before_the_next_poll() {
    let db = TestDb::sqlite().await;
    let me = user(db.store(), "me").await;
    let questions: Vec<(String, chrono::DateTime<chrono::Utc>)> = (0..7)
        .map(|k| {
            (
                format!("훈민정음을 반포한 해는? ({k})"),
                now_ms() - secs(10 - k),
            )
        })
        .collect();
    let questions: Vec<(&str, _)> = questions.iter().map(|(t, v)| (t.as_str(), *v)).collect();
    add_questions(db.store(), me, &questions).await;
    let mut settings = drain_settings(Arc::new(BuiltinExtractor), 2);
    settings.mode = EngineMode::Continuous;
    settings.poll_interval = Duration::from_secs(3600);
    settings.batch = 2;
    let cancel = CancellationToken::new();
    let (handle, mut events) = Engine::spawn(db.store().clone(), settings, cancel.clone());
    // Seven questions, two per poll, one poll an hour: only polling again whenever the
    // slots run dry after a full batch finishes them all.
    for _ in 0..7 {
        next_matching(&mut events, |e| {
            matches!(e, EngineEvent::JobFinished { .. })
        })
        .await;
    }
    cancel.cancel();
    handle.await.unwrap_or_else(|e| panic!("engine: {e}"));
    let counts = db.store().job_counts(me).await.unwrap_or_default();
    assert_eq!((counts.completed, counts.pending), (7, 0), "{counts:?}");
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_coming_due_wakes_the_worker_before_its_next_poll() {
    let db = TestDb::sqlite().await;
    let me = one_job(&db).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"choices": [{"message": {"content": ANSWER}}]})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let llm_settings = LlmSettings {
        base_url: format!("{}/v1", server.uri()),
        model: "m".into(),
        api_key: None,
        timeout: Duration::from_secs(10),
        max_response_bytes: 4 << 20,
        retry_after_cap: Duration::from_secs(60),
    };
    let extractor = Arc::new(LlmExtractor::new(llm_settings).unwrap_or_else(|e| panic!("{e}")));
    let mut settings = drain_settings(extractor, 2);
    settings.mode = EngineMode::Continuous;
    settings.poll_interval = Duration::from_secs(3600);
    let cancel = CancellationToken::new();
    let (handle, mut events) = Engine::spawn(db.store().clone(), settings, cancel.clone());
    let failed = next_matching(&mut events, |e| matches!(e, EngineEvent::JobFailed { .. })).await;
    assert!(
        matches!(
            failed,
            EngineEvent::JobFailed {
                retry_at: Some(_),
                ..
            }
        ),
        "{failed:?}"
    );
    next_matching(&mut events, |e| {
        matches!(e, EngineEvent::JobFinished { .. })
    })
    .await;
    cancel.cancel();
    handle.await.unwrap_or_else(|e| panic!("engine: {e}"));
    let jobs = db.store().list_jobs(me, None, 5).await.unwrap_or_default();
    assert_eq!(
        jobs.first().map(|j| (j.status, j.attempts)),
        Some((JobStatus::Completed, 2))
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_in_flight_finishes_within_the_grace_period() {
    let db = TestDb::sqlite().await;
    let me = one_job(&db).await;
    let (_server, llm) = llm(Duration::from_millis(300)).await;
    let events = stop_after_start(db.store(), llm, Duration::from_secs(20)).await;
    assert_eq!(
        kinds(&events),
        ["enqueued", "started", "finished", "stopped"]
    );
    let jobs = db.store().list_jobs(me, None, 5).await.unwrap_or_default();
    assert_eq!(jobs.first().map(|j| j.status), Some(JobStatus::Completed));
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_outlasting_the_grace_period_goes_back_without_spending_its_attempt() {
    let db = TestDb::sqlite().await;
    let me = one_job(&db).await;
    let (_server, llm) = llm(Duration::from_secs(600)).await;
    let events = stop_after_start(db.store(), llm, Duration::from_millis(200)).await;
    assert_eq!(
        kinds(&events),
        ["enqueued", "started", "interrupted", "stopped"]
    );
    let jobs = db.store().list_jobs(me, None, 5).await.unwrap_or_default();
    let job = jobs.first().unwrap_or_else(|| panic!("no job"));
    assert_eq!((job.status, job.attempts), (JobStatus::Pending, 0));
    assert!(job.lease_expires_at.is_none());
    db.finish().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amgi_worker_stops_cleanly_on_sigint() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let migrated = tokio::process::Command::new(env!("CARGO_BIN_EXE_amgi"))
        .arg("migrate")
        .env("AMGI_DATA_DIR", dir.path())
        .env_remove("AMGI_DATABASE_URL")
        .env_remove("AMGI_CONFIG")
        .output()
        .await;
    assert!(migrated.is_ok_and(|o| o.status.success()), "amgi migrate");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_amgi"))
        .arg("worker")
        .env("AMGI_DATA_DIR", dir.path())
        .env_remove("AMGI_DATABASE_URL")
        .env_remove("AMGI_CONFIG")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut lines = BufReader::new(stderr).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
    let first = first
        .ok()
        .and_then(Result::ok)
        .flatten()
        .unwrap_or_default();
    assert!(first.contains("Ctrl-C to stop"), "{first}");

    let pid = child.id().unwrap_or_else(|| panic!("no pid")).to_string();
    let sent = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await;
    assert!(sent.is_ok_and(|s| s.success()), "kill -INT failed");
    let mut rest = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        rest.push(line);
    }
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
    let status = status.ok().and_then(Result::ok);
    assert!(status.is_some_and(|s| s.success()), "{status:?}: {rest:?}");
    assert!(rest.iter().any(|l| l.starts_with("stopped:")), "{rest:?}");
}
