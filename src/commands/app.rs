//! `amgi` and `amgi demo`: the terminal app, with its background tasks.

use std::time::Duration;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use crate::setup::Settings;
use crate::store::{SharedStore, UserId};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::{Command, Keymap};
use crate::work::{Engine, EngineEvent, EngineSettings, JobOutcome, changes, publisher};

/// The keymap: `keymap.toml` beside the config file when present, else the defaults.
pub fn load_keymap(settings: &Settings) -> anyhow::Result<Keymap> {
    let path = settings.paths.config_file.with_file_name("keymap.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => Keymap::parse(&text)
            .with_context(|| format!("{} is not a valid keymap", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Keymap::defaults()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Runs the app until the learner quits or a signal arrives; the terminal is restored on
/// every exit path (ratatui's panic hook covers panics).
pub async fn run(settings: &Settings, store: SharedStore, user: UserId) -> anyhow::Result<()> {
    let keymap = load_keymap(settings)?;
    let cancel = CancellationToken::new();
    let mut app = App::new(store.clone(), user, &settings.user_name, keymap);
    app.state.quiz.size = settings.config.quiz.size;
    app.state.due.rules = settings.config.study.rules();
    if settings.config.publish.enabled {
        tokio::spawn(publisher::run(
            store.clone(),
            Duration::from_secs(2),
            cancel.clone(),
        ));
    }
    // The daily backup runs beside the app: a copy of a large database takes a while.
    tokio::spawn(crate::backup::daily(
        store.clone(),
        crate::backup::dir(&settings.paths.data_dir),
    ));
    let tx = app.action_tx();
    let on_change = move || {
        let _ = tx.send(Action::ExternalChange);
    };
    tokio::spawn(changes::listen(
        store.clone(),
        user,
        on_change,
        cancel.clone(),
    ));
    let mut engine_task = None;
    if settings.config.extract.in_app {
        let mut engine =
            EngineSettings::from_config(&settings.config.extract, &settings.config.llm)
                .context("cannot set up the extractor")?;
        // Quitting does not wait for the LLM: jobs in flight are given back at once.
        engine.shutdown_grace = Duration::ZERO;
        let (handle, events) = Engine::spawn(store.clone(), engine, cancel.clone());
        engine_task = Some(handle);
        app.apply(Action::ExtractionStarted);
        tokio::spawn(forward_engine_events(events, user, app.action_tx()));
    }
    spawn_signal_quit(app.action_tx(), cancel.clone());
    // The first loads read while the terminal is set up.
    app.start();
    color_eyre::install().map_err(|e| anyhow::anyhow!("cannot install the panic handler: {e}"))?;
    let mut terminal = crate::tui::terminal::init();
    let result = app
        .run(&mut terminal, crossterm::event::EventStream::new())
        .await;
    crate::tui::terminal::restore();
    cancel.cancel();
    if let Some(engine) = engine_task {
        // Claimed jobs go back to the queue without spending an attempt (bounded: a stalled
        // database must not hold the quit).
        if tokio::time::timeout(ENGINE_STOP, engine).await.is_err() {
            tracing::warn!("the extraction engine did not stop in time; its leases will expire");
        }
    }
    // Bounded like the engine: a task still holding a connection must not hold the quit.
    if tokio::time::timeout(STORE_CLOSE, store.close())
        .await
        .is_err()
    {
        tracing::warn!("the database connections did not close in time");
    }
    result.context("the terminal failed")?;
    unsaved_report(&app.state.status)
}

/// What did not reach the database when the app quit, said once the terminal is back.
fn unsaved_report(status: &crate::tui::state::StatusState) -> anyhow::Result<()> {
    for failure in &status.failed_on_quit {
        crate::say_err!("amgi: not saved: {failure}");
    }
    match (status.pending_writes, status.failed_on_quit.len()) {
        (0, 0) => Ok(()),
        (0, 1) => anyhow::bail!("1 change failed while quitting (above)"),
        (0, failed) => anyhow::bail!("{failed} changes failed while quitting (listed above)"),
        (1, _) => anyhow::bail!(
            "1 change was still waiting for the database after {} s and may not be saved",
            crate::tui::app::SAVE_ON_QUIT_WAIT.as_secs()
        ),
        (pending, _) => anyhow::bail!(
            "{pending} changes were still waiting for the database after {} s and may not be saved",
            crate::tui::app::SAVE_ON_QUIT_WAIT.as_secs()
        ),
    }
}

/// How long quitting waits for the database connections to close.
const STORE_CLOSE: Duration = Duration::from_secs(2);

/// How long quitting waits for the extraction engine to give its jobs back.
const ENGINE_STOP: Duration = Duration::from_secs(6);

/// Turns the engine's events about this user into status-bar actions; new cards make the
/// Review pane reload (keeping the selection).
async fn forward_engine_events(
    mut events: tokio::sync::mpsc::UnboundedReceiver<EngineEvent>,
    user: UserId,
    tx: tokio::sync::mpsc::UnboundedSender<Action>,
) {
    while let Some(event) = events.recv().await {
        let action = match &event {
            EngineEvent::JobFinished {
                user: u,
                question_id,
                outcome,
                card_ids,
                ..
            } if *u == user => {
                let message = match outcome {
                    JobOutcome::Completed => {
                        format!(
                            "question {question_id} → {}",
                            crate::tui::update::cards(card_ids.len())
                        )
                    }
                    JobOutcome::AllDropped => {
                        format!("question {question_id} → every card dropped by the guards")
                    }
                    JobOutcome::Skipped => {
                        format!("question {question_id} skipped: no ready explanation")
                    }
                    JobOutcome::Explained => {
                        format!("question {question_id} → explanation written; cards next")
                    }
                    // Said once by the Quiz pane, not once per question.
                    JobOutcome::NoLlm => {
                        if tx.send(Action::ExplanationsNeedLlm).is_err() {
                            return;
                        }
                        continue;
                    }
                    JobOutcome::NotNeeded => continue,
                };
                Action::Extraction {
                    message,
                    cards_added: !card_ids.is_empty(),
                }
            }
            EngineEvent::JobFailed { user: u, .. } if *u == user => Action::Extraction {
                message: crate::commands::worker::describe(&event),
                cards_added: false,
            },
            EngineEvent::Enqueued { jobs } => Action::Extraction {
                message: format!("{jobs} new questions to extract"),
                cards_added: false,
            },
            // Shown in the status bar, not only in the log.
            EngineEvent::StoreError { message } => Action::ExtractionError(message.clone()),
            EngineEvent::Stopped => return,
            _ => continue,
        };
        if tx.send(action).is_err() {
            return;
        }
    }
}

/// SIGTERM, SIGHUP and an external SIGINT quit the app like `q`, so the terminal is
/// restored and pending writes are waited for.
fn spawn_signal_quit(tx: tokio::sync::mpsc::UnboundedSender<Action>, cancel: CancellationToken) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
            () = cancel.cancelled() => return,
        }
        let _ = tx.send(Action::Command(Command::Quit));
    });
    #[cfg(not(unix))]
    let _ = (tx, cancel);
}
