//! `update` for the Due and Cram panes: their commands (reveal, rate, send back, next,
//! filters) and the Due deck's reads landing (loaded, merged, refilled when low).

use super::effect::{DUE_BATCH, DUE_REFILL_AT, Effect};
use super::keymap::Command;
use super::state::{AppState, DuePane};
use crate::domain::card::{CardFormat, Outcome};
use crate::store::{Card, DueCard};

pub fn due_command(state: &mut AppState, command: Command) -> Vec<Effect> {
    let outcome = match command {
        Command::Reveal => {
            state.due.revealed = !state.due.deck.is_empty();
            return vec![];
        }
        Command::SendBack => {
            let Some(front) = state.due.deck.pop_front() else {
                return vec![];
            };
            state.due.revealed = false;
            return vec![Effect::SendBack(front.card.id)];
        }
        Command::RateKnow => Outcome::Correct,
        Command::RateUnsure => Outcome::Unsure,
        Command::RateDontKnow => Outcome::Wrong,
        _ => return vec![],
    };
    if state.due.deck.is_empty() {
        state.status.message = Some("nothing is due".to_owned());
        return vec![];
    }
    if !state.due.revealed {
        // The first press shows the answer: a rating is given with the answer in view.
        state.due.revealed = true;
        return vec![];
    }
    let Some(card) = state.due.deck.pop_front() else {
        return vec![];
    };
    state.due.revealed = false;
    state.due.rated_this_session.insert(card.card.id);
    if state.due.rules.bury_siblings
        && let Some(question) = card.card.source_question_id
    {
        // The question's other cards wait for tomorrow (the store's next read agrees).
        state.due.buried.insert(question);
        state
            .due
            .deck
            .retain(|d| d.card.source_question_id != Some(question));
    }
    vec![Effect::Rate {
        card: Box::new(card),
        outcome,
    }]
}

pub fn cram_command(state: &mut AppState, command: Command) -> Vec<Effect> {
    let cram = &mut state.cram;
    match command {
        Command::Reveal => {
            cram.revealed = cram.current().is_some();
            vec![]
        }
        Command::NextCard => {
            if cram.reload_after_view.is_some() {
                return vec![];
            }
            let index = cram.index;
            let Some(card) = cram.deck.get_mut(index) else {
                return vec![Effect::LoadCram(cram.filter.clone())];
            };
            card.view_count += 1;
            let id = card.id;
            cram.index += 1;
            cram.revealed = false;
            if cram.index >= cram.deck.len() {
                // The next round is read once this view is stored, so that the card just
                // seen is not first again with its old count.
                cram.reload_after_view = Some(id);
                cram.loaded = false;
            }
            vec![Effect::RecordView(id)]
        }
        Command::SendBack => {
            if cram.index >= cram.deck.len() {
                return vec![];
            }
            let card = cram.deck.remove(cram.index);
            cram.revealed = false;
            vec![Effect::SendBack(card.id)]
        }
        Command::CycleFormat => {
            cram.filter.format = match cram.filter.format {
                None => Some(CardFormat::Qa),
                Some(CardFormat::Qa) => Some(CardFormat::Cloze),
                Some(CardFormat::Cloze) => None,
            };
            vec![Effect::LoadCram(cram.filter.clone())]
        }
        Command::CycleMaterial => {
            let next = match &cram.filter.material {
                None => cram.materials.first().cloned(),
                Some(current) => {
                    let at = cram.materials.iter().position(|m| m == current);
                    at.and_then(|i| cram.materials.get(i + 1)).cloned()
                }
            };
            cram.filter.material = next;
            vec![Effect::LoadCram(cram.filter.clone())]
        }
        _ => vec![],
    }
}

/// A fresh read of the due deck replaces the held one.
pub fn due_loaded(state: &mut AppState, deck: Vec<DueCard>) {
    state.due.deck = deck.into();
    if let Some(id) = state.due.front_next.take()
        && let Some(at) = state.due.deck.iter().position(|d| d.card.id == id)
        && let Some(card) = state.due.deck.remove(at)
    {
        state.due.deck.push_front(card);
    }
    state.due.loaded = true;
    state.due.refilling = false;
    state.due.more_coming = false;
    state.due.revealed = false;
    state.due.rated_this_session.clear();
    state.due.buried.clear();
}

/// Merges a fresh read of the due deck into the held one. The front card (on screen) stays;
/// cards rated in this session whose rating may still be in flight are not brought back.
/// A complete read (shorter than a batch) also drops held cards that are no longer due and
/// takes the fresh order; a partial one only adds the cards not held yet.
pub fn merge_due(due: &mut DuePane, fresh: Vec<DueCard>) {
    let complete = fresh.len() < DUE_BATCH as usize;
    let front_id = due.deck.front().map(|d| d.card.id);
    let front_question = due.deck.front().and_then(|d| d.card.source_question_id);
    // With burying, a question answered in this session (its rating perhaps still in
    // flight) or already on screen brings no other card.
    let bury = due.rules.bury_siblings;
    let wanted = |card: &Card, due: &DuePane| {
        let sibling = bury
            && card.source_question_id.is_some_and(|q| {
                due.buried.contains(&q) || (Some(q) == front_question && Some(card.id) != front_id)
            });
        Some(card.id) != front_id && !due.rated_this_session.contains(&card.id) && !sibling
    };
    if complete {
        let front = due.deck.pop_front();
        let rest: Vec<_> = fresh.into_iter().filter(|d| wanted(&d.card, due)).collect();
        due.deck = front.into_iter().chain(rest).collect();
    } else {
        for card in fresh {
            let id = card.card.id;
            let question = card.card.source_question_id;
            let held_sibling = bury
                && question.is_some()
                && due
                    .deck
                    .iter()
                    .any(|d| d.card.source_question_id == question);
            if wanted(&card.card, due) && !held_sibling && !due.deck.iter().any(|d| d.card.id == id)
            {
                due.deck.push_back(card);
            }
        }
    }
    due.loaded = true;
    due.refilling = false;
    due.more_coming = false;
}

/// Asks for more due cards when the held deck runs low and no read is under way.
pub fn refill_if_low(state: &mut AppState) -> Vec<Effect> {
    if state.due.deck.len() < DUE_REFILL_AT && !state.due.refilling {
        state.due.refilling = true;
        vec![Effect::RefillDue(super::update::due_scope(state))]
    } else {
        vec![]
    }
}
