//! The real `amgi worker` binary: killed with SIGKILL while its LLM call hangs, its job is
//! completed by another worker once the lease expires, and a late completion from the dead
//! attempt is refused by the fence. Also: `amgi worker --once` drains a queue and exits, and
//! `amgi jobs` shows the result.

mod common;
mod extraction_support;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use amgi::store::sqlite::SqliteStore;
use amgi::store::{
    AttemptFailure, ExtractionReport, Fenced, JobErrorCode, JobStatus, Lease, SharedStore,
};
use amgi::work::{Engine, EngineEvent, EngineMode, LlmExtractor, LlmSettings};
use chrono::Utc;
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Kind, TestDb};
use extraction_support::{add_questions, cards_of, claim_token, drain_settings, now_ms, qa, secs};

const ANSWER: &str = r#"{"cards":[{"format":"qa","cue":"훈민정음을 반포한 해는?","fact":"1446년","evidence":"1446년에 반포하였다"},{"format":"cloze","cue":"한국사","fact":"집현전","cloze_text":"{{blank}} 학자들이 창제를 도왔다.","evidence":"집현전 학자들이 창제를 도왔다."}]}"#;

fn chat(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
    }))
}

async fn fake_llm(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(chat(ANSWER).set_delay(delay))
        .mount(&server)
        .await;
    server
}

/// `amgi` with its data under `dir`, isolated from the caller's environment.
fn amgi(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_amgi"));
    command
        .args(args)
        .env("AMGI_DATA_DIR", dir)
        .env_remove("AMGI_DATABASE_URL")
        .env_remove("AMGI_USER")
        .env_remove("AMGI_CONFIG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

async fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut text).await;
    }
    text
}

/// A test database on the file the binary uses.
async fn open_shared(dir: tempfile::TempDir) -> TestDb {
    let sqlite = SqliteStore::open(&dir.path().join("amgi.db"))
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    TestDb {
        store: Arc::new(sqlite.clone()),
        kind: Kind::Sqlite { dir, sqlite },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_job_is_taken_over_and_its_late_completion_is_fenced() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let hanging = fake_llm(Duration::from_secs(600)).await;
    let config = dir.path().join("worker.toml");
    let toml = format!(
        "[extract]\nextractor = \"llm\"\npoll_interval_secs = 1\nlease_secs = 1\nmax_attempts = 3\n\
         concurrency = 1\n[llm]\nbase_url = \"{}/v1\"\nmodel = \"slow\"\ntimeout_secs = 600\n\
         api_key_env = \"AMGI_TEST_UNSET_KEY\"\n",
        hanging.uri()
    );
    std::fs::write(&config, toml).unwrap_or_else(|e| panic!("config: {e}"));
    let db = open_shared(dir).await;
    let data_dir = match &db.kind {
        Kind::Sqlite { dir, .. } => dir.path().to_path_buf(),
        Kind::Postgres { .. } => unreachable!(),
    };
    let store: SharedStore = db.store().clone();
    let me = store
        .ensure_user("me")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let question = add_questions(
        &store,
        me,
        &[("훈민정음을 반포한 해는?", now_ms() - secs(60))],
    )
    .await[0];

    let config_arg = config.to_string_lossy().into_owned();
    let mut worker = amgi(&data_dir, &["--config", &config_arg, "worker"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn amgi worker: {e}"));

    // Bounded wait until the worker holds the job and is inside the LLM call.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let job = loop {
        let processing = store
            .list_jobs(me, Some(JobStatus::Processing), 10)
            .await
            .unwrap_or_default();
        let asked = hanging.received_requests().await.map_or(0, |r| r.len());
        if let (Some(job), true) = (processing.first(), asked > 0) {
            break job.clone();
        }
        if let Ok(Some(status)) = worker.try_wait() {
            panic!(
                "amgi worker exited early ({status}): {}",
                stderr_of(&mut worker).await
            );
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker never claimed the job"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job.attempts, 1);
    let dead = Lease {
        job_id: job.id,
        token: claim_token(&db, job.id).await,
    };

    worker.kill().await.unwrap_or_else(|e| panic!("kill: {e}"));
    let status = worker.wait().await.unwrap_or_else(|e| panic!("wait: {e}"));
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "{status}");
    }
    let output = stderr_of(&mut worker).await;
    assert!(
        output.contains(&format!("job {}: question {question}", job.id)),
        "{output}"
    );

    // Another worker (in-process, a fake LLM that answers) takes the job once the lease lapses.
    let working = fake_llm(Duration::ZERO).await;
    let llm = LlmSettings {
        base_url: format!("{}/v1", working.uri()),
        model: "fast".into(),
        api_key: None,
        timeout: Duration::from_secs(10),
        max_response_bytes: 4 << 20,
        retry_after_cap: Duration::from_secs(60),
    };
    let mut settings = drain_settings(
        Arc::new(LlmExtractor::new(llm).unwrap_or_else(|e| panic!("{e}"))),
        3,
    );
    settings.mode = EngineMode::Continuous;
    settings.worker_id = "rescuer".into();
    settings.lease = Duration::from_secs(1);
    let cancel = CancellationToken::new();
    let (engine, mut events) = Engine::spawn(store.clone(), settings, cancel.clone());
    let mut seen = Vec::new();
    let finished = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(event) = events.recv().await {
            seen.push(event.clone());
            if matches!(event, EngineEvent::JobFinished { job_id, .. } if job_id == job.id) {
                return;
            }
        }
    })
    .await;
    cancel.cancel();
    let _ = engine.await;
    assert!(
        finished.is_ok(),
        "no other worker completed the job: {seen:#?}"
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, EngineEvent::JobStarted { attempt: 2, .. })),
        "{seen:#?}"
    );

    let done = store
        .get_job(me, job.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((done.status, done.attempts), (JobStatus::Completed, 2));
    assert_eq!(done.worker_id.as_deref(), Some("rescuer"));
    let cards = cards_of(&db, question).await;
    assert_eq!(cards.len(), 2, "{cards:#?}");

    // The dead attempt comes back late: every fenced operation is refused, nothing changes.
    let report = ExtractionReport {
        extractor: "llm".into(),
        model: Some("slow".into()),
        latency_ms: 600_000,
        proposed: 1,
        over_limit: 0,
        dropped: Default::default(),
    };
    let late_card = qa(
        "반포한 해는 언제인가?",
        "1443년",
        "1443년에 훈민정음을 창제",
    );
    let late = store
        .finish_extraction(dead, &[late_card], &report, Utc::now())
        .await;
    assert!(matches!(late, Ok(Fenced::Stale)), "{late:?}");
    let failure = AttemptFailure {
        code: JobErrorCode::LlmTimeout,
        message: "late".into(),
        retry_at: Some(Utc::now()),
    };
    assert!(matches!(
        store.fail_attempt(dead, &failure, Utc::now()).await,
        Ok(Fenced::Stale)
    ));
    assert!(matches!(
        store.skip_job(dead, "late", Utc::now()).await,
        Ok(Fenced::Stale)
    ));
    assert!(matches!(
        store
            .heartbeat(dead, Duration::from_secs(60), Utc::now())
            .await,
        Ok(false)
    ));
    assert_eq!(cards_of(&db, question).await, cards);
    let after = store
        .get_job(me, job.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after, done);
    assert_eq!(hanging.received_requests().await.map_or(0, |r| r.len()), 1);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_once_drains_the_queue_and_jobs_shows_the_result() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let demo = amgi(dir.path(), &["demo", "--no-app"]).output().await;
    let demo = demo.unwrap_or_else(|e| panic!("amgi demo: {e}"));
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );

    let drained = amgi(dir.path(), &["worker", "--once"]).output().await;
    let drained = drained.unwrap_or_else(|e| panic!("amgi worker --once: {e}"));
    let stderr = String::from_utf8_lossy(&drained.stderr);
    assert!(drained.status.success(), "{stderr}");
    assert!(stderr.contains("builtin extractor"), "{stderr}");
    assert!(stderr.contains("stopped: 36 completed"), "{stderr}");

    let listed = amgi(
        dir.path(),
        &["jobs", "list", "--status", "completed", "--limit", "3"],
    )
    .output()
    .await
    .unwrap_or_else(|e| panic!("amgi jobs list: {e}"));
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        stdout.starts_with("jobs: 0 pending, 0 processing, 36 completed"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 5, "{stdout}");

    let shown = amgi(dir.path(), &["jobs", "show", "1"]).output().await;
    let shown = shown.unwrap_or_else(|e| panic!("amgi jobs show: {e}"));
    let stdout = String::from_utf8_lossy(&shown.stdout);
    assert!(stdout.contains("\"extractor\": \"builtin\""), "{stdout}");

    let retried = amgi(dir.path(), &["jobs", "retry", "1"]).output().await;
    let retried = retried.unwrap_or_else(|e| panic!("amgi jobs retry: {e}"));
    assert!(!retried.status.success());
    let stderr = String::from_utf8_lossy(&retried.stderr);
    assert!(
        stderr.contains("only failed jobs can be retried"),
        "{stderr}"
    );
}
