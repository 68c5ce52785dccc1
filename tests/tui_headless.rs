//! The whole app headless (TestBackend, scripted key events) on a real SQLite file: a
//! keypress is drawn while a store call is blocked, because the UI never awaits the database.

mod common;

use std::time::Duration;

use amgi::tui::app::App;
use amgi::tui::keymap::Keymap;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use sqlx::{Connection, Executor, SqliteConnection};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use common::fixtures::{approved_card, count, question};
use common::{Kind, TestDb, user};

/// A TestBackend that reports every flushed frame as text.
struct Recorder {
    inner: TestBackend,
    frames: UnboundedSender<String>,
}

impl Backend for Recorder {
    type Error = <TestBackend as Backend>::Error;
    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(
        &mut self,
        content: I,
    ) -> Result<(), Self::Error> {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let _ = self.frames.send(format!("{}", self.inner));
        self.inner.flush()
    }
}

fn key(c: char) -> Event {
    let code = match c {
        '\t' => KeyCode::Tab,
        c => KeyCode::Char(c),
    };
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Waits (bounded) for a frame that satisfies `wanted`.
async fn frame_where(
    frames: &mut UnboundedReceiver<String>,
    what: &str,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut last = String::new();
    loop {
        match tokio::time::timeout_at(deadline, frames.recv()).await {
            Ok(Some(frame)) if wanted(&frame) => return frame,
            Ok(Some(frame)) => last = frame,
            Ok(None) | Err(_) => panic!("no frame showed {what}; the last one:\n{last}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keypress_is_drawn_while_the_database_is_blocked() {
    let db = TestDb::sqlite().await;
    let me = user(db.store(), "me").await;
    let q = question(&db, me, "한국사", "훈민정음이 반포된 해는?").await;
    approved_card(&db, me, q, "훈민정음 반포 연도", "1446년").await;
    approved_card(&db, me, q, "훈민정음 창제 연도", "1443년").await;
    let Kind::Sqlite { dir, .. } = &db.kind else {
        unreachable!()
    };
    let db_path = dir.path().join("test.db");

    let (frame_tx, mut frames) = mpsc::unbounded_channel();
    let (key_tx, key_rx) = mpsc::unbounded_channel::<Event>();
    let events = Box::pin(futures_util::stream::unfold(key_rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok(e), rx))
    }));
    let mut app = App::new(db.store().clone(), me, "me", Keymap::defaults());
    // The cards are siblings: both are rated in turn, not buried.
    app.state.due.rules.bury_siblings = false;
    let app_task = tokio::spawn(async move {
        let backend = Recorder {
            inner: TestBackend::new(80, 24),
            frames: frame_tx,
        };
        let mut terminal = Terminal::new(backend).unwrap_or_else(|e| panic!("{e}"));
        app.run(&mut terminal, events).await.map(|()| app)
    });
    frame_where(&mut frames, "the loaded due deck", |f| {
        f.contains("Due (0+2)")
    })
    .await;

    // Another connection takes the write lock: every store write now waits.
    let mut blocker = SqliteConnection::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    blocker
        .execute("BEGIN IMMEDIATE")
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    for c in ['D', ' ', '1'] {
        let _ = key_tx.send(key(c));
    }
    frame_where(&mut frames, "the next card right after rating", |f| {
        f.contains("Due · 1 left")
    })
    .await;
    let _ = key_tx.send(key('\t'));
    frame_where(&mut frames, "the Cram pane", |f| f.contains("Cram · card")).await;
    let committed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM study_memo_card_progress")
        .fetch_one(&mut blocker)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        committed, 0,
        "the rating is still waiting for the database, yet frames were drawn"
    );

    blocker
        .execute("ROLLBACK")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    frame_where(&mut frames, "the committed rating", |f| {
        f.contains("암 → known")
    })
    .await;
    let _ = key_tx.send(key('q'));
    let app = app_task
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.state.due.rated, 1);
    db.finish().await;
}

/// Quitting while the database holds the ratings back: the app says it is saving, waits,
/// and exits once they are stored.
async fn quitting_waits_for_ratings_held_by_a_lock(db: TestDb) {
    let me = user(db.store(), "me").await;
    let q = question(&db, me, "한국사", "훈민정음이 반포된 해는?").await;
    for (cue, fact) in [
        ("반포 연도", "1446년"),
        ("창제 연도", "1443년"),
        ("왕", "세종"),
    ] {
        approved_card(&db, me, q, cue, fact).await;
    }
    let (frame_tx, mut frames) = mpsc::unbounded_channel();
    let (key_tx, key_rx) = mpsc::unbounded_channel::<Event>();
    let events = Box::pin(futures_util::stream::unfold(key_rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok(e), rx))
    }));
    let mut app = App::new(db.store().clone(), me, "me", Keymap::defaults());
    // The cards are siblings: both are rated in turn, not buried.
    app.state.due.rules.bury_siblings = false;
    let app_task = tokio::spawn(async move {
        let backend = Recorder {
            inner: TestBackend::new(120, 30),
            frames: frame_tx,
        };
        let mut terminal = Terminal::new(backend).unwrap_or_else(|e| panic!("{e}"));
        app.run(&mut terminal, events).await.map(|()| app)
    });
    frame_where(&mut frames, "the loaded due deck", |f| {
        f.contains("Due (0+3)")
    })
    .await;

    let mut blocker = Blocker::take(&db).await;
    for c in ['D', ' ', '1', ' ', '2', ' ', '3', 'q'] {
        let _ = key_tx.send(key(c));
    }
    frame_where(&mut frames, "the saving message", |f| {
        f.contains("saving 3 changes")
    })
    .await;
    assert!(!app_task.is_finished(), "the app waits for its writes");
    blocker.release().await;
    let app = app_task
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.state.status.pending_writes, 0);
    assert!(app.state.status.failed_on_quit.is_empty());
    assert_eq!(
        count(&db, "study_card_reviews").await,
        3,
        "every rating stored"
    );
    db.finish().await;
}

/// A second connection holding the progress table, as another process's long transaction.
enum Blocker {
    Sqlite(SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Blocker {
    async fn take(db: &TestDb) -> Blocker {
        match &db.kind {
            Kind::Sqlite { dir, .. } => {
                let path = dir.path().join("test.db");
                let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                conn.execute("BEGIN IMMEDIATE")
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                Blocker::Sqlite(conn)
            }
            Kind::Postgres { schema, admin, .. } => {
                let options = admin
                    .as_ref()
                    .clone()
                    .options([("search_path", schema.as_str())]);
                let mut conn = sqlx::PgConnection::connect_with(&options)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                conn.execute("BEGIN; LOCK TABLE study_memo_card_progress IN EXCLUSIVE MODE")
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                Blocker::Postgres(conn)
            }
        }
    }

    async fn release(&mut self) {
        let done = match self {
            Blocker::Sqlite(conn) => conn.execute("ROLLBACK").await.map(|_| ()),
            Blocker::Postgres(conn) => conn.execute("ROLLBACK").await.map(|_| ()),
        };
        done.unwrap_or_else(|e| panic!("{e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_waits_for_stalled_ratings_sqlite() {
    quitting_waits_for_ratings_held_by_a_lock(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_waits_for_stalled_ratings_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    quitting_waits_for_ratings_held_by_a_lock(db).await;
}
