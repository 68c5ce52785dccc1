//! `update`: state + action → new state + effects. No I/O, no clock, no awaiting.

use crate::store::{CardId, QuestionId};
use crossterm::event::{KeyCode, KeyModifiers};

use super::action::{Action, Change};
use super::effect::Effect;
use super::keymap::Command;
use super::state::{AppState, Confirmed, EditorState, Pane};
use super::study::DueScope;
pub use super::update_editor::open_editor;
use crate::domain::schedule::preview;
use crate::store::{GroupKey, UndoKind, Undone};

/// The effects to run when the app starts. On Review or Due, that pane's load runs first
/// and the rest once it has landed; the Due deck is narrowed to the topic remembered in the
/// database, the Cram deck read once the topics (and with them that topic) have arrived.
pub fn init(state: &mut AppState) -> Vec<Effect> {
    state.due.refilling = true;
    let all = vec![
        Effect::LoadFirstDue(state.due.rules),
        Effect::LoadTopics,
        Effect::LoadCounts,
        Effect::LoadMaterials,
        Effect::LoadReview,
    ];
    // The shown pane's load runs alone first: run together, the counts and the review
    // listing share the two cores and the pool with it, and its first frame waited for
    // them (BENCHMARKS.md, *Learner operations*).
    let first = match state.pane {
        Pane::Due => Effect::LoadFirstDue(state.due.rules),
        Pane::Review => Effect::LoadReview,
        _ => return all,
    };
    state.first_loads_waiting = Some(state.pane);
    vec![first]
}

/// The loads [`init`] held back, once the shown pane's own load has landed or failed.
fn release_first_loads(state: &mut AppState, action: &Action) -> Vec<Effect> {
    let other = match (state.first_loads_waiting, action) {
        (
            Some(Pane::Due),
            Action::FirstDueLoaded { .. } | Action::DueLoaded(_) | Action::DueRefillFailed(_),
        ) => Effect::LoadReview,
        (Some(Pane::Review), Action::ReviewLoaded { .. } | Action::Failed(_)) => {
            Effect::LoadFirstDue(state.due.rules)
        }
        _ => return Vec::new(),
    };
    state.first_loads_waiting = None;
    vec![
        other,
        Effect::LoadTopics,
        Effect::LoadCounts,
        Effect::LoadMaterials,
    ]
}

/// What the due deck is read with now: the focused topic and the day rules.
pub fn due_scope(state: &AppState) -> DueScope {
    DueScope {
        topic: state.topics.focused,
        rules: state.due.rules,
    }
}

pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    let effects = if state.first_loads_waiting.is_some() {
        let mut released = release_first_loads(state, &action);
        let mut effects = apply(state, action);
        effects.append(&mut released);
        effects
    } else {
        apply(state, action)
    };
    state.status.pending_writes += effects.iter().filter(|e| e.is_write()).count();
    effects
}

/// A write failed: shown in the status bar, and kept for the exit report when quitting.
fn write_failed(state: &mut AppState, error: String) {
    if state.quit {
        state.status.failed_on_quit.push(error.clone());
    }
    state.status.error = Some(error);
}

fn apply(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::Command(command) => command_effects(state, command),
        Action::Key(key) if state.editor.is_none() && state.browse.searching => {
            super::update_browse::search_key(state, key)
        }
        Action::Paste(text) if state.editor.is_none() && state.browse.searching => {
            state.status.message = None;
            super::update_browse::search_paste(state, &text)
        }
        Action::Key(key) => {
            // Fields are one paragraph: Enter moves on instead of adding a hidden line break.
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            if key.code == KeyCode::Enter || (ctrl && matches!(key.code, KeyCode::Char('j' | 'm')))
            {
                return super::update_editor::command(state, Command::NextField);
            }
            if let Some(area) = state.editor.as_mut().and_then(EditorState::focused_mut) {
                area.input(key);
            }
            vec![]
        }
        Action::Paste(text) => {
            match state.editor.as_mut().and_then(EditorState::focused_mut) {
                Some(area) if state.confirm.is_none() => {
                    area.insert_str(one_line(&text));
                    state.status.message = None;
                }
                _ => {
                    state.status.message =
                        Some("paste ignored: pasted text goes into the card editor only".into());
                }
            }
            vec![]
        }
        Action::Tick | Action::ExternalChange => {
            let mut effects = vec![
                Effect::LoadCounts,
                Effect::RefreshReview(state.review.stamp),
            ];
            // Another device may have approved, rated or deleted cards: the held deck is
            // merged with a fresh read (the card on screen stays).
            if !state.due.refilling {
                state.due.refilling = true;
                effects.push(Effect::RefillDue(due_scope(state)));
            }
            effects
        }
        Action::Extraction {
            message,
            cards_added,
        } => {
            state.status.last_result = Some(message);
            if cards_added {
                vec![Effect::LoadReview, Effect::LoadCounts]
            } else {
                vec![Effect::LoadCounts]
            }
        }
        Action::ExplanationsNeedLlm => super::update_quiz::explanations_need_llm(state),
        Action::ExtractionStarted => {
            state.status.extraction_running = true;
            Vec::new()
        }
        Action::ExtractionError(error) => {
            state.status.error = Some(format!("background extraction: {error}"));
            vec![Effect::LoadCounts]
        }
        Action::ReviewLoaded { groups, stamp } => {
            state.review.stamp = Some(stamp);
            let old_index = state.review.selected_position().map(|pos| {
                state
                    .review
                    .positions()
                    .iter()
                    .position(|p| *p == pos)
                    .unwrap_or(0)
            });
            state.review.groups = groups;
            let approving = std::mem::take(&mut state.review.approving);
            state.review.drop_cards(&approving);
            state.review.approving = approving;
            state.review.loaded = true;
            if !state.review.moved {
                state.review.selected = state
                    .review
                    .groups
                    .first()
                    .and_then(|g| g.cards.first())
                    .map(|c| c.id);
            }
            if state.review.selected_position().is_none() {
                let positions = state.review.positions();
                let index = old_index
                    .unwrap_or(0)
                    .min(positions.len().saturating_sub(1));
                state.review.selected = positions
                    .get(index)
                    .map(|&(g, c)| state.review.groups[g].cards[c].id);
            }
            vec![]
        }
        Action::DueLoaded(deck) => {
            super::update_study::due_loaded(state, deck);
            vec![]
        }
        Action::FirstDueLoaded { deck, topic } => {
            super::update_study::due_loaded(state, deck);
            // The rest of the batch, merged behind the card on screen, of the topic the
            // first cards were read for (the topic list may not have arrived yet).
            state.due.refilling = true;
            state.due.more_coming = true;
            let rules = state.due.rules;
            vec![Effect::RefillDue(DueScope { topic, rules })]
        }
        Action::DueRefillFailed(error) => {
            state.due.refilling = false;
            state.due.more_coming = false;
            state.status.error = Some(error);
            vec![]
        }
        Action::DueRefilled(deck) => {
            super::update_study::merge_due(&mut state.due, deck);
            vec![]
        }
        Action::CramLoaded(deck) => {
            state.cram.reload_after_view = None;
            state.cram.deck = deck;
            state.cram.index = 0;
            state.cram.revealed = false;
            state.cram.loaded = true;
            vec![]
        }
        Action::MaterialsLoaded(materials) => {
            state.cram.materials = materials;
            vec![]
        }
        Action::CountsLoaded(counts) => {
            state.status.counts = counts;
            vec![]
        }
        Action::Changed(change) => changed(state, change),
        Action::Failed(error) => {
            state.status.error = Some(error);
            vec![]
        }
        Action::WriteFailed(error) => {
            write_failed(state, error);
            // The reload below shows again any card whose approval failed.
            state.review.approving.clear();
            // What the screen shows may no longer be what the database holds.
            let mut effects = vec![Effect::LoadReview, Effect::LoadCounts];
            if let Some(id) = state.cram.reload_after_view {
                effects.extend(cram_reload_after(state, id));
            }
            effects.extend(super::update_browse::reload(state));
            effects
        }
        Action::WriteSettled => {
            state.status.pending_writes = state.status.pending_writes.saturating_sub(1);
            vec![]
        }
        Action::EditRefused(error) => {
            if state.quit {
                state.status.failed_on_quit.push(error.clone());
            }
            if let Some(editor) = state.editor.as_mut() {
                editor.error = Some(error);
                editor.saving = false;
            }
            vec![Effect::LoadReview]
        }
        Action::Rated(result) => {
            let label = preview(result.before, result.outcome).label();
            state.status.message =
                Some(format!("rated {} → {label}", result.outcome.korean_label()));
            state.status.error = None;
            state.due.rated += 1;
            let mut effects = vec![Effect::LoadCounts];
            effects.extend(super::update_study::refill_if_low(state));
            effects
        }
        Action::RateFailed { card, error } => {
            state.due.rated_this_session.remove(&card.card.id);
            state.due.deck.push_front(*card);
            state.due.revealed = true;
            write_failed(state, error);
            vec![]
        }
        Action::RateRefused { card_id, error } => {
            state.due.rated_this_session.remove(&card_id);
            write_failed(state, format!("{error}; the due deck was reloaded"));
            state.due.refilling = true;
            vec![Effect::LoadDue(due_scope(state)), Effect::LoadCounts]
        }
        Action::TopicsLoaded(topics) => super::update_tools::topics_loaded(state, topics),
        Action::StatsLoaded(stats) => super::update_tools::stats_loaded(state, *stats),
        Action::StatsFailed(error) => super::update_tools::stats_failed(state, error),
        Action::Quiz(event) => super::update_quiz::event(state, event),
        Action::Browse(event) => super::update_browse::event(state, event),
        Action::Undone(undone) => {
            let undone_changes_cards = undone.as_ref().is_some_and(|u| u.kind != UndoKind::Rate);
            state.status.error = None;
            state.status.message = Some(match &undone {
                Some(u) => format!("undid {}", undone_words(u)),
                None => "nothing to undo".to_owned(),
            });
            // The card whose rating was undone comes back in front of the reloaded deck.
            state.due.front_next = match undone {
                Some(Undone {
                    kind: UndoKind::Rate,
                    card_ids,
                }) => card_ids.first().copied(),
                _ => None,
            };
            state.due.refilling = true;
            let mut effects = vec![
                Effect::LoadReview,
                Effect::LoadCounts,
                Effect::LoadDue(due_scope(state)),
            ];
            // Every undo but a rating's changes which cards are approved: the cram deck.
            if undone_changes_cards {
                effects.push(Effect::LoadCram(state.cram.filter.clone()));
            }
            effects.extend(super::update_browse::reload(state));
            // Undo is a key on the Statistics pane too: its figures follow what it reverted.
            effects.extend(super::update_tools::load_stats_if_shown(state));
            effects
        }
    }
}

/// Pasted text as a one-line field takes it: line breaks and tabs become spaces (a run of
/// them one space); terminal escape sequences, control and invisible characters are dropped
/// whole, as the store would drop them.
fn one_line(text: &str) -> String {
    let stripped = crate::domain::text::strip_controls(&text.replace('\r', "\n"), false);
    let mut out = String::with_capacity(stripped.len());
    for c in stripped.chars() {
        if c != ' ' || !out.ends_with(' ') {
            out.push(c);
        }
    }
    out
}

/// "the rating", "approving 4 cards": what an undo reverted, in the learner's words.
fn undone_words(undone: &Undone) -> String {
    let n = undone.card_ids.len();
    match undone.kind {
        UndoKind::Approve => "the approval".to_owned(),
        UndoKind::ApproveQuestion => format!("approving {}", cards(n)),
        UndoKind::Edit => "the edit".to_owned(),
        UndoKind::Delete => "the delete".to_owned(),
        UndoKind::Flag => "sending the card back".to_owned(),
        UndoKind::Rate => "the rating".to_owned(),
        UndoKind::Add => "adding the card".to_owned(),
        UndoKind::Forget => "forgetting the card's schedule".to_owned(),
    }
}

/// "1 card", "4 cards".
pub fn cards(n: usize) -> String {
    if n == 1 {
        "1 card".to_owned()
    } else {
        format!("{n} cards")
    }
}

/// The cram deck that ran out is read again once the view of its last card has settled.
fn cram_reload_after(state: &mut AppState, card_id: CardId) -> Vec<Effect> {
    if state.cram.reload_after_view == Some(card_id) {
        state.cram.reload_after_view = None;
        vec![Effect::LoadCram(state.cram.filter.clone())]
    } else {
        vec![]
    }
}

/// A change went through: say so, and reload what it may have changed.
fn changed(state: &mut AppState, change: Change) -> Vec<Effect> {
    if let Change::Viewed { card_id } = change {
        return cram_reload_after(state, card_id);
    }
    if let Change::Approved { card_id } = &change {
        state.review.approving.remove(card_id);
    }
    state.status.error = None;
    let mut effects = vec![Effect::LoadReview, Effect::LoadCounts];
    state.status.message = Some(match change {
        Change::Approved { .. } => "approved 1 card".to_owned(),
        Change::ApprovedQuestion { card_ids, .. } => {
            format!("approved {} of the question", cards(card_ids.len()))
        }
        Change::Deleted { .. } => "deleted 1 card (undo brings it back)".to_owned(),
        Change::SentBack { .. } => "sent 1 card back to review".to_owned(),
        Change::Edited(_) => {
            state.editor = None;
            "saved the card".to_owned()
        }
        Change::Added(_) => {
            state.editor = None;
            "added 1 card to review".to_owned()
        }
        Change::Forgot { .. } => "forgot the card's schedule: it is new again".to_owned(),
        Change::Viewed { .. } => return vec![],
    });
    effects.extend(super::update_browse::reload(state));
    // An approval can make cards due at once.
    effects.extend(super::update_study::refill_if_low(state));
    effects
}

fn command_effects(state: &mut AppState, command: Command) -> Vec<Effect> {
    // Overlays are modal: the topmost one takes every command.
    if state.confirm.is_some() {
        return confirm_command(state, command);
    }
    if state.editor.is_some() {
        return super::update_editor::command(state, command);
    }
    if state.help {
        if matches!(
            command,
            Command::ToggleHelp | Command::Quit | Command::Cancel | Command::ConfirmNo
        ) {
            state.help = false;
        }
        return vec![];
    }
    match command {
        Command::Quit => {
            state.quit = true;
            vec![]
        }
        Command::ToggleHelp => {
            state.help = !state.help;
            vec![]
        }
        Command::NextPane => switch(state, state.pane.next()),
        Command::PrevPane => switch(state, state.pane.prev()),
        Command::GoReview => switch(state, Pane::Review),
        Command::GoDue => switch(state, Pane::Due),
        Command::GoCram => switch(state, Pane::Cram),
        Command::GoQuiz => switch(state, Pane::Quiz),
        Command::GoBrowse => switch(state, Pane::Browse),
        Command::GoStats => switch(state, Pane::Stats),
        Command::Undo => vec![Effect::Undo],
        Command::Refresh => {
            state.due.refilling = true;
            let mut effects = vec![
                Effect::LoadReview,
                Effect::LoadDue(due_scope(state)),
                Effect::LoadCounts,
                Effect::LoadCram(state.cram.filter.clone()),
                Effect::LoadMaterials,
                Effect::LoadTopics,
            ];
            effects.extend(super::update_tools::load_stats_if_shown(state));
            effects
        }
        Command::CycleTopic if matches!(state.pane, Pane::Due | Pane::Cram | Pane::Browse) => {
            super::update_tools::cycle_topic(state)
        }
        _ => match state.pane {
            Pane::Review => super::update_review::command(state, command),
            Pane::Due => super::update_study::due_command(state, command),
            Pane::Cram => super::update_study::cram_command(state, command),
            Pane::Quiz => super::update_quiz::command(state, command),
            Pane::Browse => super::update_browse::command(state, command),
            Pane::Stats => vec![],
        },
    }
}

/// Shows `pane`, freshening what it holds: the cram deck is fetched anew (approvals change
/// it), an empty due deck is refilled.
fn switch(state: &mut AppState, pane: Pane) -> Vec<Effect> {
    state.pane = pane;
    state.help = false;
    match pane {
        Pane::Review => vec![],
        Pane::Due if state.due.deck.is_empty() && !state.due.refilling => {
            state.due.refilling = true;
            vec![Effect::RefillDue(due_scope(state))]
        }
        Pane::Due => vec![],
        Pane::Cram => vec![
            Effect::LoadCram(state.cram.filter.clone()),
            Effect::LoadMaterials,
        ],
        Pane::Quiz => super::update_quiz::entered(state),
        Pane::Browse => super::update_browse::entered(state),
        Pane::Stats => super::update_tools::load_stats_if_shown(state),
    }
}

fn confirm_command(state: &mut AppState, command: Command) -> Vec<Effect> {
    match command {
        Command::ConfirmYes => match state.confirm.take().map(|c| c.on_yes) {
            Some(Confirmed::ApproveQuestion(qid)) => {
                select_after_group(state, qid);
                vec![Effect::ApproveQuestion(qid)]
            }
            Some(Confirmed::DiscardEdit) => {
                state.editor = None;
                vec![]
            }
            Some(Confirmed::FinishQuiz) => super::update_quiz::finish(state),
            Some(Confirmed::Forget(card_id)) => vec![Effect::Forget(card_id)],
            None => vec![],
        },
        // q and Ctrl-C (quit) and Esc (cancel) answer no: nothing is done unasked.
        Command::ConfirmNo | Command::Quit | Command::Cancel => {
            state.confirm = None;
            vec![]
        }
        _ => vec![],
    }
}

/// Selects the first card of the group after question `qid` (or before it, when it is the
/// last), so that the selection lands there when the approved group leaves the listing.
fn select_after_group(state: &mut AppState, qid: QuestionId) {
    let groups = &state.review.groups;
    let Some(at) = groups.iter().position(|g| g.key == GroupKey::Question(qid)) else {
        return;
    };
    let next = groups
        .get(at + 1)
        .or_else(|| at.checked_sub(1).and_then(|i| groups.get(i)));
    state.review.selected = next.and_then(|g| g.cards.first()).map(|c| c.id);
    state.review.moved = true;
}

/// The material of the selected review group, for a new manual card.
pub fn selected_material(state: &AppState) -> String {
    match state.review.selected_group().map(|g| &g.key) {
        Some(GroupKey::Material(m)) => m.clone(),
        _ => String::new(),
    }
}
