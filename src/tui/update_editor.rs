//! `update` for the card editor: moving between fields, saving (an edit of a card or a new
//! manual card), cancelling with a question when something was changed, and opening it on a
//! card.

use super::effect::Effect;
use super::keymap::Command;
use super::state::{AppState, Confirm, Confirmed, EditTarget, EditorState, Field};
use crate::domain::card::CardFormat;
use crate::store::NewManualCard;

/// A command while the editor has the keyboard.
pub fn command(state: &mut AppState, command: Command) -> Vec<Effect> {
    let Some(editor) = state.editor.as_mut() else {
        return vec![];
    };
    match command {
        Command::NextField => {
            editor.focus_on((editor.focus + 1) % editor.fields.len().max(1));
            vec![]
        }
        Command::PrevField => {
            let n = editor.fields.len().max(1);
            editor.focus_on((editor.focus + n - 1) % n);
            vec![]
        }
        Command::Cancel => {
            if editor.changed() {
                state.confirm = Some(Confirm {
                    message: "Discard your changes to this card?".to_owned(),
                    on_yes: Confirmed::DiscardEdit,
                });
            } else {
                state.editor = None;
            }
            vec![]
        }
        Command::Save if !editor.saving => {
            editor.saving = true;
            editor.error = None;
            match editor.target.clone() {
                EditTarget::Card { id, shown, .. } => vec![Effect::SaveEdit {
                    card_id: id,
                    shown,
                    edit: editor.edit(),
                }],
                EditTarget::NewCard => {
                    let edit = editor.edit();
                    let format = if edit.cloze_text.is_some() {
                        CardFormat::Cloze
                    } else {
                        CardFormat::Qa
                    };
                    vec![Effect::CreateCard(NewManualCard {
                        material: editor.text(Field::Material),
                        format,
                        cue: edit.cue,
                        fact: edit.fact,
                        cloze_text: edit.cloze_text,
                    })]
                }
            }
        }
        _ => vec![],
    }
}

/// Opens the editor on an existing card.
pub fn open_editor(state: &mut AppState, card: &crate::store::Card) {
    let mut values = vec![
        (Field::Cue, card.cue.clone()),
        (Field::Fact, card.fact.clone()),
    ];
    if card.format == CardFormat::Cloze {
        values.push((Field::Cloze, card.cloze_text.clone().unwrap_or_default()));
    }
    state.editor = Some(EditorState::open(
        EditTarget::Card {
            id: card.id,
            shown: card.updated_at,
            format: card.format,
        },
        &values,
    ));
}
