//! The run loop: terminal events and effect results become actions; `update` applies them;
//! the screen is drawn once after all pending actions are drained, and the reads they asked
//! for start after it.

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use super::action::Action;
use super::effect::{Effect, EffectRunner};
use super::keymap::{Command, Context, Keymap};
use super::state::{AppState, Pane};
use super::ui;
use super::update::{init, update};
use crate::store::{SharedStore, UserId};

/// How often the app refreshes what other processes may have changed (the polling fallback).
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// How long quitting waits for changes still being written (a stalled database lock).
pub const SAVE_ON_QUIT_WAIT: Duration = Duration::from_secs(30);

/// The app: its state, keymap, and the channel effects report back on.
pub struct App {
    /// Everything shown; changed only by `update`.
    pub state: AppState,
    /// Key bindings, from the keymap file.
    pub keymap: Keymap,
    /// Runs effects on tokio tasks.
    runner: EffectRunner,
    /// Actions from effects, the engine bridge and the change listener.
    rx: UnboundedReceiver<Action>,
    /// The first loads have been asked for.
    started: bool,
    /// Reads asked for since the last frame, started once it is drawn.
    held_reads: Vec<Effect>,
}

impl App {
    pub fn new(store: SharedStore, user: UserId, user_name: &str, keymap: Keymap) -> App {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut state = AppState::default();
        state.status.backend = store.backend().as_str().to_owned();
        state.status.user = user_name.to_owned();
        App {
            state,
            keymap,
            runner: EffectRunner::new(store, user, tx),
            rx,
            started: false,
            held_reads: Vec::new(),
        }
    }

    /// A sender for actions from outside the loop (background engine, change listener, tests).
    pub fn action_tx(&self) -> UnboundedSender<Action> {
        self.runner.tx.clone()
    }

    /// Applies one action and starts the effects it asks for.
    pub fn apply(&mut self, action: Action) {
        for effect in update(&mut self.state, action) {
            self.run_effect(effect);
        }
    }

    fn run_effect(&self, effect: Effect) {
        self.runner.spawn(effect);
    }

    /// [`App::apply`] inside the run loop: writes start at once, reads once the frame this
    /// action changed is drawn. On two cores the reads a landed load releases (the first
    /// Due deck releases four) opened connections beside the frame and delayed it.
    fn apply_drawing_first(&mut self, action: Action) {
        for effect in update(&mut self.state, action) {
            if effect.is_write() {
                self.run_effect(effect);
            } else {
                self.held_reads.push(effect);
            }
        }
    }

    fn start_held_reads(&mut self) {
        for effect in std::mem::take(&mut self.held_reads) {
            self.run_effect(effect);
        }
    }

    /// Turns a terminal event into an action, through the keymap.
    pub fn action_for(&self, event: &Event) -> Option<Action> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.action_for_key(key),
            // Outside the editor a paste is refused by `update`, never replayed as keys.
            Event::Paste(text) => Some(Action::Paste(text.clone())),
            _ => None,
        }
    }

    fn action_for_key(&self, key: &KeyEvent) -> Option<Action> {
        let state = &self.state;
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            // Ctrl-C quits, except that it answers a question with no and that unsaved
            // edits are asked about first.
            let command = if state.confirm.is_some() {
                Command::ConfirmNo
            } else if state.editor.is_some() {
                Command::Cancel
            } else {
                Command::Quit
            };
            return Some(Action::Command(command));
        }
        if state.confirm.is_some() {
            return match self.keymap.lookup(Context::Confirm, key) {
                Some(command) => Some(Action::Command(command)),
                None if matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) => {
                    Some(Action::Command(Command::ConfirmNo))
                }
                None => None,
            };
        }
        if state.editor.is_some() {
            return Some(match self.keymap.lookup(Context::Editor, key) {
                Some(command) => Action::Command(command),
                None => Action::Key(*key),
            });
        }
        if state.help {
            // The help overlay is modal: Esc, q and its own key close it, nothing else acts.
            let closes = matches!(key.code, KeyCode::Esc | KeyCode::Char('q'))
                || self.keymap.lookup(Context::Global, key) == Some(Command::ToggleHelp);
            return closes.then_some(Action::Command(Command::ToggleHelp));
        }
        if state.pane == Pane::Browse && state.browse.searching {
            // The search line takes every key but its own: typing q searches for "q".
            return Some(match self.keymap.lookup(Context::BrowseSearch, key) {
                Some(command) => Action::Command(command),
                None => Action::Key(*key),
            });
        }
        let context = match state.pane {
            Pane::Review => Context::Review,
            Pane::Due => Context::Due,
            Pane::Cram => Context::Cram,
            Pane::Quiz => Context::Quiz,
            Pane::Browse => Context::Browse,
            Pane::Stats => Context::Stats,
        };
        self.keymap.lookup(context, key).map(Action::Command)
    }

    /// Starts the first loads (the shown pane's first), once: called before the terminal is
    /// set up they run while it is, else [`App::run`] starts them.
    pub fn start(&mut self) {
        if !self.started {
            self.started = true;
            for effect in init(&mut self.state) {
                self.run_effect(effect);
            }
        }
    }

    /// Runs until quit: draws, waits for the next event or result, applies everything
    /// pending, draws again. Never awaits the database.
    pub async fn run<B, S>(&mut self, terminal: &mut Terminal<B>, events: S) -> std::io::Result<()>
    where
        B: Backend,
        S: Stream<Item = std::io::Result<Event>> + Unpin,
    {
        self.run_until(terminal, events, |_| false).await
    }

    /// [`App::run`] that also returns once a frame has been drawn from a state for which
    /// `done` holds (benchmarks and tests stop at a given screen). Can be called again.
    pub async fn run_until<B, S, F>(
        &mut self,
        terminal: &mut Terminal<B>,
        mut events: S,
        done: F,
    ) -> std::io::Result<()>
    where
        B: Backend,
        S: Stream<Item = std::io::Result<Event>> + Unpin,
        F: Fn(&AppState) -> bool,
    {
        self.start();
        let mut refresh =
            tokio::time::interval_at(tokio::time::Instant::now() + REFRESH_EVERY, REFRESH_EVERY);
        let mut save_deadline = None;
        loop {
            self.draw(terminal)?;
            self.start_held_reads();
            if done(&self.state) {
                return Ok(());
            }
            if self.state.quit {
                // Every exit path (q, Ctrl-C, signals) waits here for the changes in flight,
                // bounded: the status bar says how many are still being saved.
                if self.state.status.pending_writes == 0 {
                    return Ok(());
                }
                let deadline = *save_deadline
                    .get_or_insert_with(|| tokio::time::Instant::now() + SAVE_ON_QUIT_WAIT);
                tokio::select! {
                    Some(action) = self.rx.recv() => self.apply_drawing_first(action),
                    () = tokio::time::sleep_until(deadline) => return Ok(()),
                }
                while let Ok(action) = self.rx.try_recv() {
                    self.apply_drawing_first(action);
                }
                continue;
            }
            let action = tokio::select! {
                event = events.next() => match event {
                    Some(Ok(event)) => self.action_for(&event),
                    Some(Err(e)) => return Err(e),
                    None => return Ok(()),
                },
                Some(action) = self.rx.recv() => Some(action),
                _ = refresh.tick() => Some(Action::Tick),
            };
            if let Some(action) = action {
                self.apply_drawing_first(action);
            }
            while let Ok(action) = self.rx.try_recv() {
                self.apply_drawing_first(action);
            }
        }
    }

    pub fn draw<B: Backend>(&self, terminal: &mut Terminal<B>) -> std::io::Result<()> {
        terminal
            .draw(|frame| ui::draw(frame, &self.state, &self.keymap))
            .map(|_| ())
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}
