//! The binary under hostile conditions: a database deleted under a running worker, a
//! database that was never created, hostile text in files and settings, a closed pipe, a
//! port that never answers. Each case runs the real `amgi` binary.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn amgi_command(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_amgi"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("AMGI_DATABASE_URL")
        .env_remove("AMGI_CONFIG")
        .env_remove("AMGI_USER");
    command
}

fn amgi(data_dir: &Path, args: &[&str]) -> Output {
    amgi_command(data_dir, args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run amgi: {e}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A refusal: non-zero exit, exactly one line on stderr mentioning `needle`, no panic.
fn assert_refused(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "should fail: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

fn demo(dir: &Path) {
    let out = amgi(dir, &["demo", "--no-app"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_database_deleted_under_a_running_worker_stops_it() {
    let dir = tempdir();
    demo(dir.path());
    let mut child = amgi_command(dir.path(), &["worker"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn worker: {e}"));
    let pipe = child
        .stderr
        .take()
        .unwrap_or_else(|| panic!("no stderr pipe"));
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let started = lines
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("the worker printed nothing: {e}"));
    assert!(started.starts_with("amgi worker"), "{started}");
    for entry in std::fs::read_dir(dir.path()).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n.starts_with("amgi.db")) {
            std::fs::remove_file(&path).unwrap_or_else(|e| panic!("rm {}: {e}", path.display()));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut rest = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => rest.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!("the worker kept running after its database was deleted: {rest:?}");
            }
        }
    }
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(!status.success(), "exit status {status}: {rest:?}");
    let last = rest.last().cloned().unwrap_or_default();
    assert!(
        last.contains("was deleted while amgi ran") && last.contains("stopped writing"),
        "{rest:?}"
    );
    assert!(!dir.path().join("amgi.db").exists(), "nothing recreated it");

    // A later start does not begin again with an empty database.
    let out = amgi(dir.path(), &["worker", "--once"]);
    assert_refused(&out, "is gone");
    assert!(stderr(&out).contains("amgi migrate"), "{}", stderr(&out));
    assert!(!dir.path().join("amgi.db").exists());
    // Starting anew is an explicit choice.
    let out = amgi(dir.path(), &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("amgi.db").exists());
}

#[test]
fn only_demo_and_migrate_create_an_sqlite_database() {
    let dir = tempdir();
    let out = amgi(dir.path(), &["doctor"]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no database at"), "{text}");
    assert_refused(&amgi(dir.path(), &["feed"]), "no database at");
    assert_refused(&amgi(dir.path(), &["jobs", "list"]), "amgi demo");
    assert_refused(&amgi(dir.path(), &["worker", "--once"]), "amgi migrate");
    assert!(
        !dir.path().join("amgi.db").exists(),
        "nothing created a file"
    );
    let out = amgi(dir.path(), &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = amgi(dir.path(), &["doctor"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The test server's URL with `database` in place of its database name.
fn pg_url_with_database(database: &str) -> Option<String> {
    let url = std::env::var("AMGI_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let (server, _) = url.rsplit_once('/')?;
    Some(format!("{server}/{database}"))
}

fn pg_database_exists(name: &str) -> Option<bool> {
    let url = pg_url_with_database("postgres")?;
    let runtime = tokio::runtime::Runtime::new().ok()?;
    runtime.block_on(async {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await
                .ok()?;
        Some(exists)
    })
}

#[test]
fn a_mistyped_postgres_database_is_not_created() {
    let name = format!("helper_reliab_typo_{}", fastrand::u32(..));
    let Some(exists) = pg_database_exists(&name) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and PostgreSQL is unreachable"
        );
        eprintln!("\n!!!!! SKIPPING the PostgreSQL half: no server.\n");
        return;
    };
    assert!(!exists);
    let url = pg_url_with_database(&name).unwrap_or_default();
    let dir = tempdir();
    for args in [
        vec!["--database-url", &url, "feed"],
        vec!["--database-url", &url, "jobs", "list"],
    ] {
        assert_refused(&amgi(dir.path(), &args), "does not exist");
    }
    let out = amgi(dir.path(), &["--database-url", &url, "doctor"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("amgi migrate"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(pg_database_exists(&name), Some(false), "nothing created it");
}

/// Config for an LLM extractor whose endpoint refuses connections, one attempt per job.
const UNREACHABLE_LLM: &str = "[extract]\nextractor = \"llm\"\nmax_attempts = 1\n\
                               [llm]\nbase_url = \"http://127.0.0.1:1/v1\"\ntimeout_secs = 2\n";

#[test]
fn a_drain_with_failed_jobs_exits_non_zero_and_they_can_be_retried_in_bulk() {
    let dir = tempdir();
    demo(dir.path());
    std::fs::write(dir.path().join("config.toml"), UNREACHABLE_LLM)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = amgi(dir.path(), &["worker", "--once"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.trim_end()
            .lines()
            .last()
            .is_some_and(|l| l.contains("36 job(s) failed for good")),
        "{err}"
    );
    let out = amgi(dir.path(), &["jobs", "retry", "--failed"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("36 failed job(s) pending again"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = amgi(
        dir.path(),
        &["jobs", "list", "--status", "pending", "--limit", "1"],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("jobs: 36 pending, 0 processing"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn doctor_checks_the_chat_endpoint_with_a_real_request() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(401).set_body_string("bad key"))
            .mount(&server)
            .await;
        server
    });
    let dir = tempdir();
    demo(dir.path());
    let config = format!(
        "[extract]\nextractor = \"llm\"\n[llm]\nbase_url = \"{}/v1\"\n",
        server.uri()
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap_or_else(|e| panic!("{e}"));
    let out = amgi(dir.path(), &["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("llm endpoint"))
        .unwrap_or_default();
    assert!(
        line.contains("refuses the API key (HTTP 401)") && line.contains("auth_fail"),
        "{text}"
    );
    let requests = runtime
        .block_on(server.received_requests())
        .unwrap_or_default();
    assert_eq!(requests.len(), 1);
    let body: serde_json::Value = requests[0].body_json().unwrap_or_default();
    assert_eq!(body["max_tokens"], 1);
}

#[test]
fn a_postgres_port_that_never_answers_fails_within_the_timeout() {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    // Accepts every connection and never says a word.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            match stream {
                Ok(stream) => held.push(stream),
                Err(_) => return,
            }
        }
    });
    let dir = tempdir();
    std::fs::write(
        dir.path().join("config.toml"),
        "database_connect_timeout_secs = 2\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("postgres://postgres@127.0.0.1:{port}/silent");
    let started = Instant::now();
    let out = amgi(dir.path(), &["--database-url", &url, "doctor"]);
    assert!(started.elapsed() < Duration::from_secs(15), "doctor hung");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "PostgreSQL at 127.0.0.1:{port} did not answer within 2 s"
        )),
        "{text}"
    );
    let started = Instant::now();
    let out = amgi(dir.path(), &["--database-url", &url, "migrate"]);
    assert!(started.elapsed() < Duration::from_secs(15), "migrate hung");
    assert_refused(&out, &format!("127.0.0.1:{port} did not answer"));
}

const OSC52: &str = "\u{1b}]52;c;cHduZWQ=\u{7}";

fn assert_no_escape(bytes: &[u8], what: &str) {
    assert!(
        !bytes.contains(&0x1b) && !bytes.contains(&0x07),
        "{what} printed a raw control byte: {:?}",
        String::from_utf8_lossy(bytes)
    );
}

#[test]
fn hostile_text_in_files_and_settings_prints_no_escape_byte() {
    let dir = tempdir();
    demo(dir.path());
    let file = dir.path().join("hostile.json");
    let text = format!(
        "{{\"topics\": [{{\"name\": \"t\", \"questions\": [{{\"question\": \"q\", \
         \"choices\": [\"a\", \"b\"], \"correct_choice\": 1, \"{OSC52}\": 1}}]}}]}}"
    )
    // As JSON spells control characters in a string.
    .replace('\u{1b}', "\\u001b")
    .replace('\u{7}', "\\u0007");
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let out = amgi(dir.path(), &["import", &file.to_string_lossy()]);
    assert!(!out.status.success());
    assert_no_escape(&out.stderr, "an import error");
    assert!(stderr(&out).contains("\\u{1b}]52;c;"), "{}", stderr(&out));

    let hostile_dir = dir.path().join(OSC52);
    let out = amgi(&hostile_dir, &["doctor"]);
    assert_no_escape(&out.stdout, "doctor");
    assert_no_escape(&out.stderr, "doctor");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\\u{1b}]52;c;cHduZWQ=\\u{7}"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = amgi(dir.path(), &["--user", OSC52, "doctor"]);
    assert_refused(&out, "control characters");
    assert_no_escape(&out.stderr, "a user name error");

    std::fs::write(
        dir.path().join("config.toml"),
        // As TOML spells control characters in a quoted key.
        format!("\"{OSC52}\" = 1\n")
            .replace('\u{1b}', "\\u001b")
            .replace('\u{7}', "\\u0007"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = amgi(dir.path(), &["doctor"]);
    assert!(!out.status.success());
    assert_no_escape(&out.stderr, "a config error");
    assert!(stderr(&out).contains("\\u{1b}]52"), "{}", stderr(&out));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempdir();
    demo(dir.path());
    let mut child = amgi_command(dir.path(), &["doctor"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    // The reader goes away before doctor writes its first line.
    drop(child.stdout.take());
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"));
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn the_app_without_a_terminal_says_so() {
    let dir = tempdir();
    demo(dir.path());
    let out = amgi_command(dir.path(), &[])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_refused(&out, "the app needs a terminal");
    assert!(stderr(&out).contains("doctor"), "{}", stderr(&out));
}

#[test]
fn small_mistakes_get_clear_lines() {
    let dir = tempdir();
    demo(dir.path());
    let long_name = "가".repeat(101);
    assert_refused(
        &amgi(dir.path(), &["--user", &long_name, "doctor"]),
        "101 characters long; at most 100",
    );
    assert_refused(
        &amgi(
            dir.path(),
            &["--database-url", "sqlite::memory:", "migrate"],
        ),
        "in-memory SQLite database keeps nothing",
    );
    let read_only = format!("sqlite://{}?mode=ro", dir.path().join("amgi.db").display());
    assert_refused(
        &amgi(dir.path(), &["--database-url", &read_only, "doctor"]),
        "?mode=ro) are not supported",
    );
    let file = dir.path().join("bom.json");
    std::fs::write(
        &file,
        "\u{feff}{\"topics\": [{\"name\": \"BOM\", \"questions\": [{\"question\": \"q\", \
         \"choices\": [\"a\", \"b\"], \"correct_choice\": 2}]}]}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = amgi(dir.path(), &["import", &file.to_string_lossy()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dir.path().join("amgi.db?mode=ro").exists());
}
