//! The binary's edges: bad input gives one line naming the problem, a non-zero exit, no
//! panic and no partial write; the demo and import are idempotent; the feed prints JSON lines.

use std::path::Path;
use std::process::{Command, Output};

fn amgi(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amgi"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("AMGI_DATABASE_URL")
        .env_remove("AMGI_CONFIG")
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

fn holds(data_dir: &Path) -> String {
    let out = amgi(data_dir, &["demo", "--no-app"]);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn demo_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = holds(dir.path());
    assert!(first.starts_with("3 topics, 36 questions"), "{first}");
    assert!(dir.path().join("amgi.db").exists());
    let out = amgi(dir.path(), &["demo", "--no-app"]);
    assert!(
        stderr(&out).contains("0 new topics, 0 new questions (36 already present)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), first);
}

#[test]
fn a_bad_config_value_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("config.toml"),
        "[extract]\nconcurrency = \"lots\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_refused(&amgi(dir.path(), &["doctor"]), "extract.concurrency");
    std::fs::write(
        dir.path().join("config.toml"),
        "[llm]\nbase_url = \"ftp://x\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_refused(&amgi(dir.path(), &["demo", "--no-app"]), "llm.base_url");
    assert!(!dir.path().join("amgi.db").exists(), "nothing was written");
}

#[test]
fn an_unreachable_database_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = amgi(
        dir.path(),
        &[
            "--database-url",
            "postgres://postgres@127.0.0.1:1/nowhere",
            "demo",
            "--no-app",
        ],
    );
    assert_refused(&out, "127.0.0.1:1");
    let out = amgi(dir.path(), &["--database-url", "mysql://x/y", "migrate"]);
    assert_refused(&out, "unsupported database URL");
}

#[test]
fn a_malformed_import_changes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let before = holds(dir.path());
    let file = dir.path().join("bad.json");
    std::fs::write(&file, "{\"topics\": [\n  {\"name\": \"새 주제\", \"questions\": [\n    {\"question\": \"q\", \"choices\": [\"a\",\"b\"], \"correct_choice\": 9}\n  ]}\n]}")
        .unwrap_or_else(|e| panic!("{e}"));
    let path = file.to_string_lossy().into_owned();
    assert_refused(
        &amgi(dir.path(), &["import", &path]),
        "topics[0].questions[0].correct_choice",
    );
    std::fs::write(&file, "{\"topics\": [ {\"name\": \"x\",, } ]}")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_refused(&amgi(dir.path(), &["import", &path]), "line 1, column");
    assert_eq!(holds(dir.path()), before);
    std::fs::write(&file, "{\"topics\": [{\"name\": \"새 주제\", \"questions\": [{\"question\": \"q\", \"choices\": [\"a\",\"b\"], \"correct_choice\": 2}]}]}")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = amgi(dir.path(), &["import", &path]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 new topics, 1 new questions"),
        "{}",
        stderr(&out)
    );
    let out = amgi(dir.path(), &["import", &path]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("0 new topics, 0 new questions, 1 already present")
    );
    // The question gains an explanation: the import says it updated it, and then that an
    // older, different one in a file is not taken.
    let with = |text: &str, at: &str| {
        format!(
            "{{\"topics\": [{{\"name\": \"새 주제\", \"questions\": [{{\"question\": \"q\", \"choices\": [\"a\",\"b\"], \"correct_choice\": 2, \"explanation\": \"{text}\", \"explanation_generated_at\": \"{at}\"}}]}}]}}"
        )
    };
    std::fs::write(
        &file,
        with("b가 맞는 까닭을 설명하는 풀이.", "2026-03-02T00:00:00Z"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = amgi(dir.path(), &["import", &path]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("1 already present (1 with a newer explanation, updated)"),
        "{said}"
    );
    std::fs::write(
        &file,
        with("예전에 쓴 다른 풀이입니다.", "2026-03-01T00:00:00Z"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = amgi(dir.path(), &["import", &path]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("(0 with a newer explanation, updated)"),
        "{said}"
    );
    assert!(
        said.contains("1 questions already present have a different explanation"),
        "{said}"
    );
}

#[test]
fn the_feed_prints_json_lines() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("config.toml"),
        "[publish]\nenabled = true\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    holds(dir.path());
    let out = amgi(dir.path(), &["worker", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = amgi(dir.path(), &["publish", "backfill"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("backfill: 0 rows enqueued"),
        "nothing approved yet"
    );
    // Approve one card through the library, as the app would, then publish and read the feed.
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let card_id = runtime.block_on(async {
        use amgi::store::sqlite::SqliteStore;
        use amgi::store::{CardStore, ContentStore};
        let store = SqliteStore::open(&dir.path().join("amgi.db"))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .with_publishing(true);
        let me = store
            .ensure_user("me")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let queue = store
            .review_queue(me)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let id = queue[0].cards[0].id;
        store
            .approve_card(me, id, chrono::Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        id
    });
    let out = amgi(dir.path(), &["publish", "run", "--once"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("published: 1 applied"),
        "{}",
        stderr(&out)
    );
    let out = amgi(dir.path(), &["feed", "--since", "0"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line: serde_json::Value =
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        (line["seq"].as_i64(), line["kind"].as_str()),
        (Some(1), Some("study_card"))
    );
    assert_eq!(line["source_id"].as_i64(), Some(card_id.0));
    let out = amgi(dir.path(), &["feed", "--since", "1"]);
    assert!(out.stdout.is_empty());
}
