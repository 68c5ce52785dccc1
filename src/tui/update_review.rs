//! `update` for the Review pane's commands: selection, approve, edit, delete, new card.

use super::effect::Effect;
use super::keymap::Command;
use super::state::{AppState, Confirm, Confirmed, EditTarget, EditorState, Field};
use super::update::{open_editor, selected_material};
use crate::store::GroupKey;

pub fn command(state: &mut AppState, command: Command) -> Vec<Effect> {
    if matches!(
        command,
        Command::SelectNext | Command::SelectPrev | Command::NextGroup | Command::PrevGroup
    ) {
        state.review.moved = true;
    }
    match command {
        Command::SelectNext => move_selection(state, 1),
        Command::SelectPrev => move_selection(state, -1),
        Command::NextGroup => move_group(state, 1),
        Command::PrevGroup => move_group(state, -1),
        Command::Approve => match state.review.selected_card() {
            Some(card) => {
                let (card_id, shown) = (card.id, card.updated_at);
                // The card leaves the listing at once, as a rated card leaves Due: a second
                // press approves the next card, not this one again (which the store refuses
                // as changed since it was shown). A failed write reloads the listing.
                state.review.approving.insert(card_id);
                state.review.take_out(card_id);
                vec![Effect::Approve { card_id, shown }]
            }
            None => nothing_selected(state),
        },
        Command::ApproveQuestion => {
            let Some(group) = state.review.selected_group() else {
                return nothing_selected(state);
            };
            match group.key {
                GroupKey::Question(qid) => {
                    state.confirm = Some(Confirm {
                        message: format!(
                            "Approve all {} cards of this question?",
                            group.cards.len()
                        ),
                        on_yes: Confirmed::ApproveQuestion(qid),
                    });
                }
                GroupKey::Material(_) => {
                    state.status.message = Some(
                        "approve-all works on a question's cards; approve manual cards one by one"
                            .into(),
                    );
                }
            }
            vec![]
        }
        Command::Edit => {
            let Some(card) = state.review.selected_card().cloned() else {
                return nothing_selected(state);
            };
            open_editor(state, &card);
            vec![]
        }
        Command::Delete => match state.review.selected {
            Some(id) => vec![Effect::Delete(id)],
            None => nothing_selected(state),
        },
        Command::NewCard => {
            let material = selected_material(state);
            let mut editor = EditorState::open(
                EditTarget::NewCard,
                &[
                    (Field::Material, material.clone()),
                    (Field::Cue, String::new()),
                    (Field::Fact, String::new()),
                    (Field::Cloze, String::new()),
                ],
            );
            editor.focus_on(usize::from(!material.is_empty()));
            state.editor = Some(editor);
            vec![]
        }
        _ => vec![],
    }
}

fn nothing_selected(state: &mut AppState) -> Vec<Effect> {
    state.status.message = Some("no card selected: the review queue is empty".into());
    vec![]
}

fn move_selection(state: &mut AppState, step: isize) -> Vec<Effect> {
    let positions = state.review.positions();
    if positions.is_empty() {
        return vec![];
    }
    let current = state
        .review
        .selected_position()
        .and_then(|pos| positions.iter().position(|p| *p == pos))
        .unwrap_or(0);
    let next = current.saturating_add_signed(step).min(positions.len() - 1);
    let (g, c) = positions[next];
    state.review.selected = Some(state.review.groups[g].cards[c].id);
    vec![]
}

fn move_group(state: &mut AppState, step: isize) -> Vec<Effect> {
    let groups = &state.review.groups;
    if groups.is_empty() {
        return vec![];
    }
    let current = state.review.selected_position().map_or(0, |(g, _)| g);
    let next = current.saturating_add_signed(step).min(groups.len() - 1);
    state.review.selected = groups[next].cards.first().map(|c| c.id);
    vec![]
}
