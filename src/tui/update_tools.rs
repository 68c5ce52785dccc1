//! `update` for the learner's everyday tools: the topic Due, Cram and Browse are narrowed to,
//! and the Statistics pane's loads.

use super::effect::Effect;
use super::state::{AppState, Pane};
use super::study::{LoadedStats, TopicFocus};
use super::update::due_scope;
use crate::store::Topic;

/// The topics arrived: the first time, the remembered focus narrows Cram (and Browse), whose
/// first read waits for it (the first Due deck was read narrowed to the same topic, see
/// `Effect::LoadFirstDue`); later, a focused topic that is gone falls back to all topics.
pub fn topics_loaded(state: &mut AppState, topics: Result<Vec<Topic>, String>) -> Vec<Effect> {
    let first = !state.topics.loaded;
    let topics = match topics {
        Ok(topics) => topics,
        Err(error) => {
            state.status.error = Some(error);
            Vec::new()
        }
    };
    let before = state.topics.focused;
    let focused = if first {
        TopicFocus::remembered(&topics)
    } else {
        before.filter(|id| topics.iter().any(|t| t.id == *id))
    };
    state.topics = TopicFocus {
        topics,
        focused,
        loaded: true,
    };
    if first {
        state.cram.filter.topic = focused;
        state.browse.filter.topic = focused;
        vec![Effect::LoadCram(state.cram.filter.clone())]
    } else if focused != before {
        narrow(state)
    } else {
        Vec::new()
    }
}

/// Moves the focus to the next topic (all → topic 1 → … → all), remembers it, and reads the
/// due and cram decks of that topic.
pub fn cycle_topic(state: &mut AppState) -> Vec<Effect> {
    if state.topics.topics.is_empty() {
        state.status.message = Some("no topics yet: import questions first".to_owned());
        return Vec::new();
    }
    state.topics.focused = state.topics.next();
    state.status.error = None;
    state.status.message = Some(match state.topics.name() {
        Some(name) => format!("topic: {name}"),
        None => "all topics".to_owned(),
    });
    let mut effects = vec![Effect::FocusTopic(state.topics.focused)];
    effects.extend(narrow(state));
    effects
}

/// Reads the due and cram decks (and Browse's list, once shown) for the focused topic,
/// replacing what is held.
fn narrow(state: &mut AppState) -> Vec<Effect> {
    state.cram.filter.topic = state.topics.focused;
    state.browse.filter.topic = state.topics.focused;
    state.due.refilling = true;
    state.due.loaded = false;
    state.due.deck.clear();
    state.due.revealed = false;
    let mut effects = vec![
        Effect::LoadDue(due_scope(state)),
        Effect::LoadCram(state.cram.filter.clone()),
    ];
    effects.extend(super::update_browse::renarrowed(state));
    effects
}

/// Asks for the figures when the Statistics pane is on screen and none are being computed.
pub fn load_stats_if_shown(state: &mut AppState) -> Vec<Effect> {
    if state.pane != Pane::Stats || state.stats.loading {
        return Vec::new();
    }
    state.stats.loading = true;
    vec![Effect::LoadStats]
}

pub fn stats_loaded(state: &mut AppState, stats: LoadedStats) -> Vec<Effect> {
    state.stats.loaded = Some(stats);
    state.stats.loading = false;
    state.stats.error = None;
    Vec::new()
}

pub fn stats_failed(state: &mut AppState, error: String) -> Vec<Effect> {
    state.stats.loading = false;
    state.stats.error = Some(error.clone());
    state.status.error = Some(error);
    Vec::new()
}
