//! `update` for the Due and Cram panes' commands: reveal, rate, send back, next, filters.

use super::effect::Effect;
use super::keymap::Command;
use super::state::AppState;
use crate::domain::card::{CardFormat, Outcome};

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
