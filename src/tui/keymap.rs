//! The keymap: bindable commands, parsed from TOML (defaults in `assets/keymap.toml`), each
//! with a description so that the help overlay and the footer are generated, not written.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

/// The embedded default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// What a learner can bind a key to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Quit,
    ToggleHelp,
    NextPane,
    PrevPane,
    GoReview,
    GoDue,
    GoCram,
    GoQuiz,
    GoBrowse,
    /// Show the Statistics pane.
    GoStats,
    Undo,
    Refresh,
    SelectNext,
    SelectPrev,
    NextGroup,
    PrevGroup,
    Approve,
    ApproveQuestion,
    Edit,
    Delete,
    NewCard,
    Reveal,
    RateKnow,
    RateUnsure,
    RateDontKnow,
    SendBack,
    NextCard,
    CycleFormat,
    CycleMaterial,
    /// Due, Cram and Browse: narrow to the next topic (all → topic 1 → … → all), remembered.
    CycleTopic,
    Save,
    Cancel,
    NextField,
    PrevField,
    ConfirmYes,
    ConfirmNo,
    /// Quiz: answer with choice N (`command = { answer = N }`).
    Answer(u8),
    /// Quiz: the next answer is a guess (counted unsure when right).
    MarkUnsure,
    SkipQuestion,
    /// Quiz: start, continue, next question, go through the missed ones, mark reviewed.
    Proceed,
    /// Quiz: finish the session now with the answers given.
    AbandonQuiz,
    NewQuiz,
    /// Browse: open the search line (typing narrows the list).
    Search,
    /// Browse: the next order (id, due date, last review, views).
    CycleSort,
    /// Browse: the next state filter (in review, flagged, new, stage 0–3, mastered, all).
    CycleState,
    /// Browse: reset the selected card's schedule (asks first).
    Forget,
}

/// Where a binding applies. Global bindings apply in the four panes, not in the editor or
/// a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Global,
    Review,
    Due,
    Cram,
    Quiz,
    Browse,
    /// The Browse pane's search line, while it has the keyboard.
    BrowseSearch,
    Stats,
    Editor,
    Confirm,
}

/// One parsed key: a code and its modifiers (shift is folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub fn parse(spec: &str) -> Result<Key, KeymapError> {
        let (ctrl, name) = match spec.strip_prefix("ctrl-") {
            Some(rest) if !rest.is_empty() => (true, rest),
            _ => (false, spec),
        };
        let code = match name {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "space" => KeyCode::Char(' '),
            "delete" => KeyCode::Delete,
            "backspace" => KeyCode::Backspace,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            s if s.chars().count() == 1 => KeyCode::Char(s.chars().next().unwrap_or(' ')),
            _ => return Err(KeymapError::UnknownKey(spec.to_owned())),
        };
        Ok(Key { code, ctrl })
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let code = match event.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        self.ctrl == ctrl && self.code == code
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    keys: Vec<String>,
    command: Command,
    context: Context,
    desc: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeymap {
    bind: Vec<RawBinding>,
}

/// A binding with its keys parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<Key>,
    /// The keys as written in the file, for display.
    pub labels: Vec<String>,
    pub command: Command,
    pub context: Context,
    pub desc: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("keymap: {0}")]
    Parse(String),
    #[error("keymap: unknown key {0:?}")]
    UnknownKey(String),
}

impl Keymap {
    pub fn defaults() -> Keymap {
        // Checked by a unit test; an invalid embedded keymap cannot ship.
        Keymap::parse(DEFAULT_KEYMAP).unwrap_or_else(|e| panic!("embedded keymap is invalid: {e}"))
    }

    pub fn parse(text: &str) -> Result<Keymap, KeymapError> {
        let raw: RawKeymap =
            toml::from_str(text).map_err(|e| KeymapError::Parse(e.message().to_owned()))?;
        let bindings = raw
            .bind
            .into_iter()
            .map(|b| {
                let keys = b
                    .keys
                    .iter()
                    .map(|k| Key::parse(k))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Binding {
                    keys,
                    labels: b.keys,
                    command: b.command,
                    context: b.context,
                    desc: b.desc,
                })
            })
            .collect::<Result<Vec<_>, KeymapError>>()?;
        Ok(Keymap { bindings })
    }

    /// The command bound to `event` in `context` (then in global, for the panes).
    pub fn lookup(&self, context: Context, event: &KeyEvent) -> Option<Command> {
        let in_context = |ctx: Context| {
            self.bindings
                .iter()
                .find(|b| b.context == ctx && b.keys.iter().any(|k| k.matches(event)))
                .map(|b| b.command)
        };
        in_context(context).or_else(|| match context {
            Context::Review
            | Context::Due
            | Context::Cram
            | Context::Quiz
            | Context::Browse
            | Context::Stats => in_context(Context::Global),
            _ => None,
        })
    }

    /// The bindings of one context, in file order.
    pub fn of(&self, context: Context) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(move |b| b.context == context)
    }

    /// The first key label bound to `command` in `context`, for hints like "3 know → +7d".
    pub fn label(&self, context: Context, command: Command) -> String {
        self.bindings
            .iter()
            .find(|b| b.context == context && b.command == command)
            .and_then(|b| b.labels.first().cloned())
            .unwrap_or_else(|| "?".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn defaults_parse_and_every_binding_has_a_description() {
        let map = Keymap::defaults();
        assert!(
            map.bindings
                .iter()
                .all(|b| !b.desc.trim().is_empty() && !b.keys.is_empty())
        );
    }

    #[test]
    fn context_bindings_win_over_global_ones() {
        let map = Keymap::defaults();
        assert_eq!(
            map.lookup(Context::Review, &key(KeyCode::Char('a'))),
            Some(Command::Approve)
        );
        assert_eq!(
            map.lookup(Context::Due, &key(KeyCode::Char('q'))),
            Some(Command::Quit)
        );
        assert_eq!(
            map.lookup(Context::Editor, &key(KeyCode::Char('q'))),
            None,
            "typing q in the editor"
        );
        assert_eq!(
            map.lookup(Context::Review, &key(KeyCode::Char('n'))),
            Some(Command::NewCard)
        );
        assert_eq!(
            map.lookup(Context::Cram, &key(KeyCode::Char('n'))),
            Some(Command::NextCard)
        );
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(map.lookup(Context::Editor, &ctrl_s), Some(Command::Save));
        assert_eq!(map.label(Context::Due, Command::RateKnow), "1");
        assert_eq!(
            map.lookup(Context::Browse, &key(KeyCode::Char('F'))),
            Some(Command::Forget)
        );
        assert_eq!(
            map.lookup(Context::Browse, &key(KeyCode::Char('B'))),
            Some(Command::GoBrowse),
            "global keys work in Browse"
        );
        assert_eq!(
            map.lookup(Context::BrowseSearch, &key(KeyCode::Char('q'))),
            None,
            "typing q in the search line"
        );
        let (t, s) = (key(KeyCode::Char('t')), key(KeyCode::Char('S')));
        assert_eq!(map.lookup(Context::Due, &t), Some(Command::CycleTopic));
        assert_eq!(map.lookup(Context::Cram, &t), Some(Command::CycleTopic));
        assert_eq!(map.lookup(Context::Browse, &t), Some(Command::CycleTopic));
        assert_eq!(map.lookup(Context::Stats, &s), Some(Command::GoStats));
        assert_eq!(
            map.lookup(Context::Stats, &key(KeyCode::Char('q'))),
            Some(Command::Quit)
        );
    }

    #[test]
    fn bad_keymaps_are_refused() {
        assert!(
            Keymap::parse(
                "[[bind]]\nkeys=[\"hyper-x\"]\ncommand=\"quit\"\ncontext=\"global\"\ndesc=\"q\""
            )
            .is_err()
        );
        assert!(
            Keymap::parse(
                "[[bind]]\nkeys=[\"q\"]\ncommand=\"explode\"\ncontext=\"global\"\ndesc=\"q\""
            )
            .is_err()
        );
    }
}
