//! End to end: the real binary in tmux on a temporary database. Start `amgi demo`, wait for
//! the background extraction to fill the Review pane, approve a whole question, edit a card
//! in Korean, rate three due cards, undo one, quit; then query the database directly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sqlx::{Connection, SqliteConnection};

#[path = "tmux_e2e/quiz.rs"]
mod quiz;

struct Tmux {
    /// The test's own tmux server: tests run in parallel, and clients that start the
    /// default server at the same moment fail all but one ("server exited unexpectedly"),
    /// which left a test waiting 60 s on a session that was never made.
    socket: String,
    session: String,
    /// Where the app's standard error goes, shown when a wait times out.
    stderr: PathBuf,
}

impl Tmux {
    /// Starts `command` in a new `width`×`height` session on a server of its own.
    fn start(name: &str, width: u16, height: u16, command: &str, stderr: PathBuf) -> Tmux {
        let tmux = Tmux {
            socket: format!("amgi-{name}-{}", std::process::id()),
            session: name.to_owned(),
            stderr,
        };
        let (w, h) = (width.to_string(), height.to_string());
        let started = tmux.command(&[
            "new-session",
            "-d",
            "-s",
            &tmux.session,
            "-x",
            &w,
            "-y",
            &h,
            command,
        ]);
        assert!(
            started.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&started.stderr)
        );
        tmux
    }

    fn command(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux: {e}"))
    }

    fn run(&self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.command(args).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", &self.session, key]);
        }
    }

    /// Types text literally (Korean included).
    fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.session, "-l", text]);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    /// Pastes `text` as a terminal would: bracketed when the app asked for it.
    fn paste(&self, text: &str) {
        let buffer = format!("{}-paste", self.session);
        self.run(&["set-buffer", "-b", &buffer, text]);
        self.run(&[
            "paste-buffer",
            "-p",
            "-d",
            "-b",
            &buffer,
            "-t",
            &self.session,
        ]);
    }

    fn alive(&self) -> bool {
        self.command(&["has-session", "-t", &self.session])
            .status
            .success()
    }

    /// What the app wrote to standard error so far.
    fn app_stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits (bounded) until the app has exited.
    fn wait_for_exit(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.alive() {
            assert!(
                Instant::now() < deadline,
                "amgi did not quit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls the screen until `wanted` holds (bounded), returning that screen.
    fn wait_for(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if wanted(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} (session alive: {}); screen:\n{screen}\napp stderr:\n{}",
                self.alive(),
                self.app_stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
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
        eprintln!("\n!!!!! SKIPPING the tmux end-to-end test: tmux is not installed.\n");
    }
    ok
}

/// The number after `prefix` in the screen, e.g. "saved card 123".
/// The Due tab's count, due and new cards together ("Due (12+20)" is 32).
fn due_total(screen: &str) -> i64 {
    let due = number_after(screen, " Due (").unwrap_or(0);
    let new = screen
        .find(" Due (")
        .and_then(|at| number_after(&screen[at..], "+"))
        .unwrap_or(0);
    due + new
}

fn number_after(screen: &str, prefix: &str) -> Option<i64> {
    let rest = &screen[screen.find(prefix)? + prefix.len()..];
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// Starts `amgi demo` in a new tmux session of the given size on a temporary data dir.
fn start_demo(dir: &Path, name: &str, width: u16, height: u16) -> Tmux {
    start_demo_with(dir, name, width, height, "")
}

/// [`start_demo`] with more config lines.
fn start_demo_with(dir: &Path, name: &str, width: u16, height: u16, config: &str) -> Tmux {
    std::fs::write(
        dir.join("config.toml"),
        format!("{config}\n[extract]\npoll_interval_secs = 1\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let stderr = dir.join("stderr.txt");
    let command = format!(
        "{} --data-dir {} demo 2>{}",
        env!("CARGO_BIN_EXE_amgi"),
        dir.display(),
        stderr.display()
    );
    Tmux::start(name, width, height, &command, stderr)
}

async fn count(path: &Path, sql: &'static str) -> i64 {
    let mut db = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut db)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Runtime::new()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(future)
}

#[test]
fn help_is_modal_and_a_paste_in_review_changes_nothing() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tmux = start_demo(dir.path(), "modal", 120, 40);
    tmux.wait_for("extracted cards in Review", |s| {
        s.contains("Review · ") && s.contains("[cloze]")
    });
    tmux.keys(&["?"]);
    tmux.wait_for("the help", |s| s.contains("closes this help"));
    tmux.keys(&["x", "a", "A"]);
    tmux.keys(&["Escape"]);
    tmux.wait_for("the help closed", |s| !s.contains("closes this help"));
    tmux.paste("ox\nay");
    tmux.wait_for("the paste refused", |s| s.contains("paste ignored"));
    tmux.keys(&["q"]);
    tmux.wait_for_exit();
    let db = dir.path().join("amgi.db");
    let changed = block_on(count(
        &db,
        "SELECT COUNT(*) FROM study_memo_cards WHERE deleted_at IS NOT NULL OR NOT needs_review",
    ));
    assert_eq!(changed, 0, "no card deleted or approved");
    assert_eq!(block_on(count(&db, "SELECT COUNT(*) FROM undo_log")), 0);
}

#[test]
fn ten_quick_ratings_then_quit_are_all_stored() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tmux = start_demo(dir.path(), "quit", 120, 40);
    tmux.wait_for("extracted cards in Review", |s| {
        s.contains("Review · ") && s.contains("[cloze]")
    });
    // Approve whole questions until ten cards are in Due (one per question: siblings wait).
    loop {
        let screen = tmux.screen();
        let due = due_total(&screen);
        if due >= 10 {
            break;
        }
        tmux.keys(&["A"]);
        tmux.wait_for("the confirmation", |s| s.contains("Approve all"));
        tmux.keys(&["y"]);
        tmux.wait_for("the approval and the next question selected", |s| {
            !s.contains("Approve all") && due_total(s) > due
        });
    }
    tmux.keys(&["D"]);
    tmux.wait_for("the Due pane", |s| s.contains("Due · "));
    // Ten ratings (each a reveal and a rating) and quit, typed at once.
    let mut keys = vec!["1"; 20];
    keys.push("q");
    tmux.run(&[&["send-keys", "-t", tmux.session.as_str()][..], &keys[..]].concat());
    tmux.wait_for_exit();
    let db = dir.path().join("amgi.db");
    assert_eq!(
        block_on(count(&db, "SELECT COUNT(*) FROM study_card_reviews")),
        10,
        "every rating shown was stored"
    );
}

#[test]
fn learner_session_in_tmux() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("config.toml"),
        "[extract]\npoll_interval_secs = 1\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let stderr = dir.path().join("stderr.txt");
    let command = format!(
        "{} --data-dir {} demo 2>{}",
        env!("CARGO_BIN_EXE_amgi"),
        dir.path().display(),
        stderr.display()
    );
    let tmux = Tmux::start("e2e", 120, 40, &command, stderr);

    // The background extraction fills the Review pane without a key press.
    tmux.wait_for("extracted cards in Review", |s| {
        s.contains("Review · ") && s.contains("[cloze]")
    });

    // Approve every card of the selected question (with the confirmation).
    tmux.keys(&["A"]);
    tmux.wait_for("the confirmation", |s| s.contains("Approve all"));
    tmux.keys(&["y"]);
    tmux.wait_for("the approval", |s| {
        s.contains("approved ") && s.contains(" of the question")
    });

    // Edit the now selected card in Korean and save.
    tmux.keys(&["e"]);
    tmux.wait_for("the editor", |s| s.contains("edit card"));
    tmux.text(" 수정함");
    tmux.keys(&["C-s"]);
    tmux.wait_for("the saved edit", |s| s.contains("saved the card"));

    // Rate two due cards (the approved question and the edited card give at least two),
    // then undo the last rating.
    tmux.keys(&["D"]);
    tmux.wait_for("the Due pane", |s| s.contains("Due · "));
    for (n, key) in ["1", "3"].iter().enumerate() {
        let before = tmux.screen();
        let card = number_after(&before, "left · card ")
            .unwrap_or_else(|| panic!("no due card:\n{before}"));
        tmux.keys(&["Space"]);
        tmux.wait_for("the answer", |s| s.contains("answer  "));
        tmux.keys(&[key]);
        tmux.wait_for(&format!("rating {}", n + 1), |s| {
            s.contains("rated ") && !s.contains(&format!("left · card {card} "))
        });
    }
    tmux.keys(&["u"]);
    tmux.wait_for("the undo", |s| s.contains("undid the rating"));
    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let alive = || {
        Command::new("tmux")
            .args(["has-session", "-t", &tmux.session])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    while alive() {
        assert!(Instant::now() < deadline, "amgi did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }

    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(check_database(&dir.path().join("amgi.db")));
}

async fn check_database(path: &Path) {
    let mut db = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let q = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let edited = q("SELECT id FROM study_memo_cards WHERE cue LIKE '% 수정함'")
        .fetch_one(&mut db)
        .await
        .unwrap_or(-1);
    let question = q(
        "SELECT MIN(source_question_id) FROM study_memo_cards WHERE NOT needs_review AND id <> $1",
    )
    .bind(edited)
    .fetch_one(&mut db)
    .await
    .unwrap_or(-1);
    let in_review_of_question = q("SELECT COUNT(*) FROM study_memo_cards WHERE source_question_id = $1 AND needs_review AND deleted_at IS NULL")
        .bind(question)
        .fetch_one(&mut db)
        .await
        .unwrap_or(-1);
    assert_eq!(
        in_review_of_question, 0,
        "every card of the approved question is approved"
    );
    let approved_elsewhere = q("SELECT COUNT(*) FROM study_memo_cards WHERE NOT needs_review AND source_question_id <> $1 AND id <> $2")
        .bind(question)
        .bind(edited)
        .fetch_one(&mut db)
        .await
        .unwrap_or(-1);
    assert_eq!(
        approved_elsewhere, 0,
        "only that question (and the edited card) were approved"
    );
    let cue: String =
        sqlx::query_scalar("SELECT cue FROM study_memo_cards WHERE id = $1 AND NOT needs_review")
            .bind(edited)
            .fetch_one(&mut db)
            .await
            .unwrap_or_default();
    assert!(
        cue.ends_with(" 수정함"),
        "the Korean edit was saved: {cue:?}"
    );
    let reviews = q("SELECT COUNT(*) FROM study_card_reviews")
        .fetch_one(&mut db)
        .await
        .unwrap_or(-1);
    let progress = q("SELECT COUNT(*) FROM study_memo_card_progress")
        .fetch_one(&mut db)
        .await
        .unwrap_or(-1);
    assert_eq!((reviews, progress), (1, 1), "two ratings, one undone");
}
