//! `update` for the Browse pane: moving through the list (reading the next page ahead),
//! the filters, the sort and the live search, and the actions on the selected card (edit,
//! delete, send back, forget), which go out as the cards' shared effects.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::browse::{BrowseEffect, BrowseEvent, LOAD_AHEAD, PAGE};
use super::effect::Effect;
use super::keymap::Command;
use super::state::{AppState, Confirm, Confirmed};
use crate::domain::card::CardFormat;
use crate::store::BrowseState;

/// The pane was shown: the first time its list and filters are read, later the list again
/// (cards may have been rated or approved meanwhile).
pub fn entered(state: &mut AppState) -> Vec<Effect> {
    if state.browse.loaded || state.browse.loading {
        reload(state)
    } else {
        let mut effects = relist(state);
        effects.push(Effect::Browse(BrowseEffect::LoadChoices));
        effects
    }
}

/// A new listing from the first row (the filter or search changed): the selection goes to
/// the top.
fn relist(state: &mut AppState) -> Vec<Effect> {
    state.browse.selected = 0;
    read_first(state, PAGE)
}

/// The focused topic changed (`update_tools`): the list is read anew once the pane has been
/// shown; before that, its first read uses the new filter.
pub fn renarrowed(state: &mut AppState) -> Vec<Effect> {
    if !state.browse.loaded && !state.browse.loading {
        return vec![];
    }
    relist(state)
}

/// The same listing read again after a change, as many rows as are held, so the selection
/// stays where it was. Nothing is read before the pane was first shown.
pub fn reload(state: &mut AppState) -> Vec<Effect> {
    if !state.browse.loaded && !state.browse.loading {
        return vec![];
    }
    let held = u32::try_from(state.browse.rows.len()).unwrap_or(u32::MAX);
    read_first(state, held.max(PAGE))
}

fn read_first(state: &mut AppState, limit: u32) -> Vec<Effect> {
    let browse = &mut state.browse;
    browse.seq += 1;
    browse.loading = true;
    vec![Effect::Browse(BrowseEffect::Load {
        seq: browse.seq,
        filter: browse.filter.clone(),
        after: None,
        limit,
    })]
}

/// The next page, when the selection is near the end of the rows held and there is one.
fn read_ahead(state: &mut AppState) -> Vec<Effect> {
    let browse = &mut state.browse;
    let near_end = browse.selected + LOAD_AHEAD >= browse.rows.len();
    match browse.next {
        Some(after) if near_end && !browse.loading => {
            browse.loading = true;
            vec![Effect::Browse(BrowseEffect::Load {
                seq: browse.seq,
                filter: browse.filter.clone(),
                after: Some(after),
                limit: PAGE,
            })]
        }
        _ => vec![],
    }
}

pub fn event(state: &mut AppState, event: BrowseEvent) -> Vec<Effect> {
    let browse = &mut state.browse;
    match event {
        BrowseEvent::Page { seq, append, page } => {
            if seq != browse.seq {
                return vec![];
            }
            browse.loading = false;
            browse.loaded = true;
            if append {
                browse.rows.extend(page.rows);
            } else {
                browse.rows = page.rows;
            }
            browse.next = page.next;
            browse.selected = browse.selected.min(browse.rows.len().saturating_sub(1));
            // A selection moved to the end while the page was read wants the one after.
            read_ahead(state)
        }
        BrowseEvent::Choices { topics, materials } => {
            browse.topics = topics;
            browse.materials = materials;
            vec![]
        }
        BrowseEvent::Failed { seq, error } => {
            if seq.is_none_or(|seq| seq == browse.seq) {
                if seq.is_some() {
                    browse.loading = false;
                    browse.loaded = true;
                }
                state.status.error = Some(error);
            }
            vec![]
        }
    }
}

pub fn command(state: &mut AppState, command: Command) -> Vec<Effect> {
    if state.browse.searching {
        return search_command(state, command);
    }
    let browse = &mut state.browse;
    match command {
        Command::SelectNext => {
            if browse.selected + 1 < browse.rows.len() {
                browse.selected += 1;
            }
            read_ahead(state)
        }
        Command::SelectPrev => {
            browse.selected = browse.selected.saturating_sub(1);
            vec![]
        }
        Command::Search => {
            browse.searching = true;
            vec![]
        }
        Command::Cancel => {
            // Esc in the list clears the search and the filters; the sort and the topic
            // (the focus Due and Cram share, changed with its own key) stay.
            let cleared = crate::store::BrowseFilter {
                sort: browse.filter.sort,
                topic: browse.filter.topic,
                ..Default::default()
            };
            if browse.filter == cleared {
                return vec![];
            }
            browse.filter = cleared;
            relist(state)
        }
        Command::CycleSort => {
            browse.filter.sort = browse.filter.sort.next();
            relist(state)
        }
        Command::CycleState => {
            browse.filter.state = cycle(&BrowseState::CYCLE, browse.filter.state);
            relist(state)
        }
        Command::CycleFormat => {
            browse.filter.format =
                cycle(&[CardFormat::Qa, CardFormat::Cloze], browse.filter.format);
            relist(state)
        }
        Command::CycleMaterial => {
            browse.filter.material = cycle(&browse.materials, browse.filter.material.clone());
            relist(state)
        }
        Command::Edit => {
            let Some(row) = browse.selected_row() else {
                return vec![];
            };
            let card = row.card.clone();
            super::update::open_editor(state, &card);
            vec![]
        }
        Command::Delete => match browse.selected_row() {
            Some(row) => vec![Effect::Delete(row.card.id)],
            None => vec![],
        },
        Command::SendBack => match browse.selected_row() {
            Some(row) if row.card.needs_review => {
                state.status.message = Some("the card is in review already".to_owned());
                vec![]
            }
            Some(row) => vec![Effect::SendBack(row.card.id)],
            None => vec![],
        },
        Command::Forget => match browse.selected_row() {
            Some(row) if row.ladder.is_none() => {
                state.status.message =
                    Some("the card is new already: there is no schedule to forget".to_owned());
                vec![]
            }
            Some(row) => {
                state.confirm = Some(Confirm {
                    message: "Forget this card's schedule? It becomes new again; its review \
                              history stays."
                        .to_owned(),
                    on_yes: Confirmed::Forget(row.card.id),
                });
                vec![]
            }
            None => vec![],
        },
        _ => vec![],
    }
}

/// The value after `current` in `choices`, then `None` (no filter) after the last.
fn cycle<T: Clone + PartialEq>(choices: &[T], current: Option<T>) -> Option<T> {
    match current {
        None => choices.first().cloned(),
        Some(value) => choices
            .iter()
            .position(|c| *c == value)
            .and_then(|i| choices.get(i + 1))
            .cloned(),
    }
}

/// Commands while the search line has the keyboard.
fn search_command(state: &mut AppState, command: Command) -> Vec<Effect> {
    match command {
        // Enter keeps the search and gives the keys back to the list.
        Command::Proceed => {
            state.browse.searching = false;
            vec![]
        }
        Command::Cancel => {
            state.browse.searching = false;
            if state.browse.filter.search.is_empty() {
                return vec![];
            }
            state.browse.filter.search.clear();
            relist(state)
        }
        _ => vec![],
    }
}

/// A key typed into the search line: the list narrows at once.
pub fn search_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    let search = &mut state.browse.filter.search;
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => search.clear(),
        KeyCode::Char(c) if !ctrl && !c.is_control() => search.push(c),
        KeyCode::Backspace => {
            if search.pop().is_none() {
                return vec![];
            }
        }
        _ => return vec![],
    }
    relist(state)
}

/// Pasted text goes into the search line, as one line.
pub fn search_paste(state: &mut AppState, text: &str) -> Vec<Effect> {
    let line = crate::domain::text::clean_line(text);
    if line.is_empty() {
        return vec![];
    }
    state.browse.filter.search.push_str(&line);
    relist(state)
}
