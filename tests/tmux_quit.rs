//! Quitting the app while the LLM is still working on claimed jobs gives them back: they are
//! pending again with no attempt spent, however often the learner quits (the real binary in
//! tmux, a fake LLM that never answers in time, one attempt per job).

use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::{Connection, SqliteConnection};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("tmux: {e}"))
}

struct Session(String);

impl Session {
    fn screen(&self) -> String {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", &self.0]).stdout).into_owned()
    }

    /// Polls the screen until `wanted` holds (bounded).
    fn wait_for(&self, what: &str, wanted: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if wanted(&screen) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.0]);
    }
}

fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and tmux is not installed (scripts/test installs it)"
        );
        eprintln!("\n!!!!! SKIPPING the tmux quit test: tmux is not installed.\n");
    }
    ok
}

/// (processing, failed, attempts spent) over every job.
async fn job_state(db: &std::path::Path) -> (i64, i64, i64) {
    let url = format!("sqlite://{}", db.display());
    let mut conn = SqliteConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query_as(
        "SELECT COALESCE(SUM(status = 'processing'), 0), COALESCE(SUM(status = 'failed'), 0), \
           COALESCE(SUM(attempts), 0) FROM study_memo_card_jobs",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn quitting_gives_claimed_jobs_back_without_spending_attempts() {
    if !tmux_available() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(600)))
            .mount(&server)
            .await;
        server
    });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let amgi = env!("CARGO_BIN_EXE_amgi");
    let demo = Command::new(amgi)
        .args([
            "--data-dir",
            &dir.path().to_string_lossy(),
            "demo",
            "--no-app",
        ])
        .env_remove("AMGI_DATABASE_URL")
        .env_remove("AMGI_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(demo.status.success());
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[extract]\nextractor = \"llm\"\nmax_attempts = 1\nconcurrency = 2\n\
             poll_interval_secs = 1\n[llm]\nbase_url = \"{}/v1\"\ntimeout_secs = 600\n",
            server.uri()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("amgi.db");

    for round in 0..2 {
        let name = format!("amgi-quit-{}-{round}", std::process::id());
        let exit_file = dir.path().join(format!("exit-{round}.txt"));
        let command = format!(
            "env -u AMGI_DATABASE_URL -u AMGI_CONFIG {amgi} --data-dir {} 2>{}; echo $? >{}",
            dir.path().display(),
            dir.path().join("stderr.txt").display(),
            exit_file.display()
        );
        let started = tmux(&[
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            "120",
            "-y",
            "40",
            &command,
        ]);
        assert!(started.status.success(), "{started:?}");
        let session = Session(name);
        session.wait_for("two jobs at the LLM", |s| s.contains(" 2 running"));
        tmux(&["send-keys", "-t", &session.0, "q"]);
        // The session ends with the app (bounded).
        let deadline = Instant::now() + Duration::from_secs(30);
        while tmux(&["has-session", "-t", &session.0]).status.success() {
            assert!(
                Instant::now() < deadline,
                "the app did not quit within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let code = std::fs::read_to_string(&exit_file).unwrap_or_default();
        assert_eq!(code.trim(), "0", "the app's exit status");
        let (processing, failed, spent) = runtime.block_on(job_state(&db));
        assert_eq!(
            (processing, failed, spent),
            (0, 0, 0),
            "round {round}: jobs left claimed, failed or charged an attempt"
        );
    }
}
