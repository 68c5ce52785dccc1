//! `update` without a terminal: every command and every event, state in → state and effects out.

mod common;

use amgi::domain::card::CardFormat;
use amgi::store::{
    CardEdit, CardId, Counts, CramFilter, QuestionId, ReviewGroup, ReviewStamp, UndoKind, Undone,
};
use amgi::tui::action::{Action, Change};
use amgi::tui::effect::Effect;
use amgi::tui::keymap::Command;
use amgi::tui::quiz::QuizEffect;
use amgi::tui::state::{AppState, Confirmed, EditTarget, Field, Pane};
use amgi::tui::study::DueScope;
use amgi::tui::update::{init, update};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use common::cards::{groups, loaded_state};

#[path = "tui_update/browse.rs"]
mod browse;
#[path = "tui_update/study.rs"]
mod study;
#[path = "tui_update/tools.rs"]
mod tools;

pub(crate) fn cmd(state: &mut AppState, command: Command) -> Vec<Effect> {
    update(state, Action::Command(command))
}

fn typed(state: &mut AppState, text: &str) {
    for c in text.chars() {
        update(
            state,
            Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
}

#[test]
fn start_loads_the_shown_pane_first_then_every_other() {
    let rest = |first: Effect, rules| {
        let mut all = vec![
            Effect::LoadFirstDue(rules),
            Effect::LoadReview,
            Effect::LoadTopics,
            Effect::LoadCounts,
            Effect::LoadMaterials,
        ];
        all.retain(|e| *e != first);
        all
    };
    // On Review (where the app opens) the listing is read alone first.
    let mut s = AppState::default();
    assert_eq!(s.pane, Pane::Review);
    assert_eq!(init(&mut s), vec![Effect::LoadReview]);
    // Nothing else is let go by an unrelated event, nor twice.
    assert_eq!(
        update(&mut s, Action::CountsLoaded(Counts::default())),
        vec![]
    );
    let mut released = update(
        &mut s,
        Action::ReviewLoaded {
            groups: vec![],
            stamp: ReviewStamp::default(),
        },
    );
    let mut wanted = rest(Effect::LoadReview, s.due.rules);
    released.sort_by_key(|e| format!("{e:?}"));
    wanted.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(released, wanted);
    assert_eq!(
        update(
            &mut s,
            Action::ReviewLoaded {
                groups: vec![],
                stamp: ReviewStamp::default(),
            }
        ),
        vec![]
    );

    // On Due the deck is read alone first (narrowed to the topic the database remembers),
    // and a failed read lets the others go too.
    let mut s = AppState {
        pane: Pane::Due,
        ..AppState::default()
    };
    assert_eq!(init(&mut s), vec![Effect::LoadFirstDue(s.due.rules)]);
    assert!(s.due.refilling);
    let mut released = update(&mut s, Action::DueRefillFailed("disk gone".into()));
    let mut wanted = rest(Effect::LoadFirstDue(s.due.rules), s.due.rules);
    released.sort_by_key(|e| format!("{e:?}"));
    wanted.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(released, wanted);
    assert_eq!(s.status.error.as_deref(), Some("disk gone"));

    // Elsewhere everything is read at once; Cram once the topics, and with them the
    // remembered focus, have arrived.
    let mut s = AppState {
        pane: Pane::Cram,
        ..AppState::default()
    };
    let effects = init(&mut s);
    for wanted in rest(Effect::LoadCram(CramFilter::default()), s.due.rules) {
        assert!(effects.contains(&wanted), "{wanted:?}");
    }
    assert!(!effects.iter().any(|e| matches!(e, Effect::LoadDue(_))));
    assert!(!effects.iter().any(|e| matches!(e, Effect::LoadCram(_))));
    assert_eq!(
        update(&mut s, Action::TopicsLoaded(Ok(Vec::new()))),
        vec![Effect::LoadCram(CramFilter::default())]
    );
}

#[test]
fn panes_switch_and_quit() {
    let mut s = loaded_state();
    assert_eq!(s.pane, Pane::Review);
    cmd(&mut s, Command::NextPane);
    assert_eq!(s.pane, Pane::Due);
    let effects = cmd(&mut s, Command::NextPane);
    assert_eq!(s.pane, Pane::Cram);
    assert_eq!(
        effects,
        vec![
            Effect::LoadCram(CramFilter::default()),
            Effect::LoadMaterials
        ],
        "cram is fetched fresh"
    );
    let effects = cmd(&mut s, Command::NextPane);
    assert_eq!(s.pane, Pane::Quiz);
    assert_eq!(
        effects,
        vec![Effect::Quiz(QuizEffect::Load)],
        "the quiz is read on first show"
    );
    cmd(&mut s, Command::NextPane);
    assert_eq!(s.pane, Pane::Browse);
    let effects = cmd(&mut s, Command::NextPane);
    assert_eq!(s.pane, Pane::Stats);
    assert_eq!(
        effects,
        vec![Effect::LoadStats],
        "statistics are computed on show"
    );
    assert!(
        cmd(&mut s, Command::GoStats).is_empty(),
        "not again while computing"
    );
    cmd(&mut s, Command::NextPane);
    assert_eq!(s.pane, Pane::Review);
    cmd(&mut s, Command::PrevPane);
    assert_eq!(s.pane, Pane::Stats);
    cmd(&mut s, Command::PrevPane);
    assert_eq!(s.pane, Pane::Browse);
    cmd(&mut s, Command::PrevPane);
    assert_eq!(s.pane, Pane::Quiz);
    cmd(&mut s, Command::PrevPane);
    assert_eq!(s.pane, Pane::Cram);
    cmd(&mut s, Command::GoDue);
    assert_eq!(s.pane, Pane::Due);
    cmd(&mut s, Command::GoCram);
    assert_eq!(s.pane, Pane::Cram);
    cmd(&mut s, Command::GoReview);
    assert_eq!(s.pane, Pane::Review);
    cmd(&mut s, Command::ToggleHelp);
    assert!(s.help);
    cmd(&mut s, Command::ToggleHelp);
    assert!(!s.help);
    assert_eq!(cmd(&mut s, Command::Undo), vec![Effect::Undo]);
    assert!(cmd(&mut s, Command::Refresh).contains(&Effect::LoadDue(DueScope::default())));
    cmd(&mut s, Command::Quit);
    assert!(s.quit);
}

#[test]
fn review_selection_moves_by_card_and_by_group() {
    let mut s = loaded_state();
    cmd(&mut s, Command::SelectNext);
    assert_eq!(s.review.selected, Some(CardId(102)));
    cmd(&mut s, Command::SelectNext);
    cmd(&mut s, Command::SelectNext);
    assert_eq!(
        s.review.selected,
        Some(CardId(103)),
        "stops at the last card"
    );
    cmd(&mut s, Command::SelectPrev);
    assert_eq!(s.review.selected, Some(CardId(102)));
    cmd(&mut s, Command::NextGroup);
    assert_eq!(s.review.selected, Some(CardId(103)));
    cmd(&mut s, Command::PrevGroup);
    assert_eq!(s.review.selected, Some(CardId(101)));
}

#[test]
fn review_actions_become_effects() {
    let mut s = loaded_state();
    assert_eq!(
        cmd(&mut s, Command::Approve),
        vec![Effect::Approve {
            card_id: CardId(101),
            shown: chrono::DateTime::UNIX_EPOCH
        }]
    );
    // The approved card has left the listing: the next key acts on the card after it.
    assert_eq!(
        cmd(&mut s, Command::Delete),
        vec![Effect::Delete(CardId(102))]
    );
    // Approve-all asks first, then approves that question only.
    assert!(cmd(&mut s, Command::ApproveQuestion).is_empty());
    assert_eq!(
        s.confirm.as_ref().map(|c| c.on_yes.clone()),
        Some(Confirmed::ApproveQuestion(QuestionId(12)))
    );
    assert!(
        cmd(&mut s, Command::Approve).is_empty(),
        "keys other than y/n wait for the answer"
    );
    assert_eq!(
        cmd(&mut s, Command::ConfirmYes),
        vec![Effect::ApproveQuestion(QuestionId(12))]
    );
    assert!(s.confirm.is_none());
    cmd(&mut s, Command::ApproveQuestion);
    assert!(cmd(&mut s, Command::ConfirmNo).is_empty());
    assert!(s.confirm.is_none());
}

#[test]
fn approving_takes_the_card_out_until_the_write_lands_or_fails() {
    let mut s = loaded_state();
    // Two quick presses approve two cards, each as it was shown.
    let approve = |card: i64| {
        vec![Effect::Approve {
            card_id: CardId(card),
            shown: chrono::DateTime::UNIX_EPOCH,
        }]
    };
    assert_eq!(cmd(&mut s, Command::Approve), approve(101));
    assert_eq!(s.review.selected, Some(CardId(102)));
    assert_eq!(cmd(&mut s, Command::Approve), approve(102));
    assert_eq!(
        s.review.selected,
        Some(CardId(103)),
        "the question's group is gone; the next question's card is selected"
    );
    assert_eq!(s.review.groups.len(), 1);
    // A listing read before the approvals committed does not bring the cards back.
    update(&mut s, loaded(groups()));
    assert_eq!(s.review.card_count(), 1);
    assert_eq!(s.review.selected, Some(CardId(103)));
    // One lands; the other fails, and the reload that follows shows it again.
    update(
        &mut s,
        Action::Changed(Change::Approved {
            card_id: CardId(101),
        }),
    );
    let effects = update(&mut s, Action::WriteFailed("approving failed: gone".into()));
    assert!(effects.contains(&Effect::LoadReview), "{effects:?}");
    let mut after = groups();
    after[0].cards.remove(0);
    update(&mut s, loaded(after));
    let ids: Vec<CardId> = s
        .review
        .groups
        .iter()
        .flat_map(|g| g.cards.iter().map(|c| c.id))
        .collect();
    assert_eq!(ids, vec![CardId(102), CardId(103)]);
}

#[test]
fn an_empty_queue_explains_instead_of_acting() {
    let mut s = AppState::default();
    assert!(cmd(&mut s, Command::Approve).is_empty());
    assert!(s.status.message.is_some());
}

#[test]
fn reload_keeps_the_selection_or_its_place() {
    let mut s = loaded_state();
    cmd(&mut s, Command::SelectNext);
    assert_eq!(s.review.selected, Some(CardId(102)));
    update(&mut s, loaded(groups()));
    assert_eq!(s.review.selected, Some(CardId(102)), "same card kept");
    let mut fewer = groups();
    fewer[0].cards.remove(1);
    update(&mut s, loaded(fewer));
    assert_eq!(
        s.review.selected,
        Some(CardId(103)),
        "the card in its place"
    );
    update(&mut s, loaded(vec![]));
    assert_eq!(s.review.selected, None);
}

#[test]
fn the_editor_saves_keeps_text_on_refusal_and_asks_before_discarding() {
    let mut s = loaded_state();
    cmd(&mut s, Command::Edit);
    let editor = s.editor.as_ref().map(|e| e.target.clone());
    assert_eq!(
        editor,
        Some(EditTarget::Card {
            id: CardId(101),
            shown: chrono::DateTime::UNIX_EPOCH,
            format: CardFormat::Qa
        })
    );
    typed(&mut s, " 반포");
    assert!(
        cmd(&mut s, Command::Quit).is_empty(),
        "q types into the editor, it does not quit"
    );
    assert!(!s.quit);
    let effects = cmd(&mut s, Command::Save);
    let expected = CardEdit {
        cue: "훈민정음이 반포된 해는? 반포".into(),
        fact: "1446년".into(),
        cloze_text: None,
    };
    assert_eq!(
        effects,
        vec![Effect::SaveEdit {
            card_id: CardId(101),
            shown: chrono::DateTime::UNIX_EPOCH,
            edit: expected
        }]
    );
    update(
        &mut s,
        Action::EditRefused("a card with the same answer already exists".into()),
    );
    let e = s.editor.as_ref();
    assert_eq!(
        e.and_then(|e| e.error.clone()).as_deref(),
        Some("a card with the same answer already exists")
    );
    assert_eq!(
        e.map(|e| e.text(Field::Cue)).as_deref(),
        Some("훈민정음이 반포된 해는? 반포"),
        "text kept"
    );
    cmd(&mut s, Command::NextField);
    assert_eq!(s.editor.as_ref().map(|e| e.focus), Some(1));
    cmd(&mut s, Command::PrevField);
    assert_eq!(s.editor.as_ref().map(|e| e.focus), Some(0));
    cmd(&mut s, Command::Cancel);
    assert_eq!(
        s.confirm.as_ref().map(|c| c.on_yes.clone()),
        Some(Confirmed::DiscardEdit)
    );
    cmd(&mut s, Command::ConfirmNo);
    assert!(s.editor.is_some(), "still editing");
    update(&mut s, Action::Paste("\n붙여넣기".into()));
    assert!(
        s.editor
            .as_ref()
            .is_some_and(|e| e.text(Field::Cue).ends_with(" 붙여넣기"))
    );
    cmd(&mut s, Command::Cancel);
    cmd(&mut s, Command::ConfirmYes);
    assert!(s.editor.is_none());
    // An unchanged editor closes without asking; a saved one closes on EditSaved.
    cmd(&mut s, Command::Edit);
    cmd(&mut s, Command::Cancel);
    assert!(s.editor.is_none() && s.confirm.is_none());
    cmd(&mut s, Command::Edit);
    let saved = common::cards::qa(101, 12, "훈민정음이 반포된 해는?", "1446년");
    let effects = update(&mut s, Action::Changed(Change::Edited(Box::new(saved))));
    assert!(s.editor.is_none());
    assert!(
        effects.contains(&Effect::LoadReview),
        "update decides the reload"
    );
}

#[test]
fn a_new_card_is_qa_or_cloze_by_its_fields() {
    let mut s = loaded_state();
    cmd(&mut s, Command::NewCard);
    typed(&mut s, "교과서");
    cmd(&mut s, Command::NextField);
    typed(&mut s, "수도");
    cmd(&mut s, Command::NextField);
    typed(&mut s, "서울");
    match cmd(&mut s, Command::Save).as_slice() {
        [Effect::CreateCard(card)] => {
            assert_eq!(
                (card.material.as_str(), card.format, card.cue.as_str()),
                ("교과서", CardFormat::Qa, "수도")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn events_update_the_status_bar() {
    let mut s = AppState::default();
    let counts = Counts {
        cards_in_review: 9,
        ..Counts::default()
    };
    update(&mut s, Action::CountsLoaded(counts));
    assert_eq!(s.status.counts.cards_in_review, 9);
    update(&mut s, Action::Failed("loading failed".into()));
    assert_eq!(s.status.error.as_deref(), Some("loading failed"));
    assert_eq!(
        update(
            &mut s,
            Action::Changed(Change::Approved { card_id: CardId(3) })
        ),
        vec![
            Effect::LoadReview,
            Effect::LoadCounts,
            Effect::RefillDue(DueScope::default())
        ],
        "the queue and counts moved; approvals may be due"
    );
    assert_eq!(
        (s.status.error.clone(), s.status.message.as_deref()),
        (None, Some("approved 1 card"))
    );
    update(
        &mut s,
        Action::Changed(Change::ApprovedQuestion {
            question_id: QuestionId(12),
            card_ids: vec![CardId(1), CardId(2), CardId(3)],
        }),
    );
    assert_eq!(
        s.status.message.as_deref(),
        Some("approved 3 cards of the question")
    );
    let effects = update(
        &mut s,
        Action::Extraction {
            message: "question 12 → 4 cards".into(),
            cards_added: true,
        },
    );
    assert!(effects.contains(&Effect::LoadReview));
    assert_eq!(
        s.status.last_result.as_deref(),
        Some("question 12 → 4 cards")
    );
    let undone = Undone {
        kind: UndoKind::Rate,
        card_ids: vec![CardId(5)],
    };
    let effects = update(&mut s, Action::Undone(Some(undone)));
    assert_eq!(s.status.message.as_deref(), Some("undid the rating"));
    assert!(
        effects.contains(&Effect::LoadDue(DueScope::default()))
            && effects.contains(&Effect::LoadReview)
    );
    update(&mut s, Action::Undone(None));
    assert_eq!(s.status.message.as_deref(), Some("nothing to undo"));
    update(&mut s, Action::MaterialsLoaded(vec!["노트".into()]));
    assert_eq!(s.cram.materials, vec!["노트".to_owned()]);
    assert!(update(&mut s, Action::Tick).contains(&Effect::LoadCounts));
    assert!(update(&mut s, Action::ExternalChange).contains(&Effect::RefreshReview(None)));
}

#[test]
fn a_refresh_names_the_listing_it_holds_so_an_unchanged_queue_is_not_reloaded() {
    let mut s = loaded_state();
    let stamp = ReviewStamp {
        cards: 3,
        id_sum: 306,
        last_change: None,
    };
    update(
        &mut s,
        Action::ReviewLoaded {
            groups: groups(),
            stamp,
        },
    );
    assert!(update(&mut s, Action::Tick).contains(&Effect::RefreshReview(Some(stamp))));
    // New cards reported by the engine reload in full.
    let effects = update(
        &mut s,
        Action::Extraction {
            message: "question 12 → 4 cards".into(),
            cards_added: true,
        },
    );
    assert!(effects.contains(&Effect::LoadReview));
}

fn loaded(groups: Vec<ReviewGroup>) -> Action {
    Action::ReviewLoaded {
        groups,
        stamp: ReviewStamp::default(),
    }
}

#[test]
fn the_help_overlay_takes_every_key_and_q_closes_it() {
    let mut s = loaded_state();
    cmd(&mut s, Command::ToggleHelp);
    for command in [
        Command::Delete,
        Command::Approve,
        Command::NextPane,
        Command::Undo,
    ] {
        assert!(cmd(&mut s, command).is_empty(), "{command:?} under help");
    }
    assert!(s.help, "still open");
    assert_eq!(s.pane, Pane::Review);
    cmd(&mut s, Command::Quit);
    assert!(!s.help && !s.quit, "q closes the help, it does not quit");
    s.pane = Pane::Cram;
    cmd(&mut s, Command::ToggleHelp);
    assert!(
        cmd(&mut s, Command::NextCard).is_empty(),
        "no view recorded"
    );
    cmd(&mut s, Command::Cancel);
    assert!(!s.help, "esc closes the help");
}

#[test]
fn a_confirmation_takes_q_and_esc_as_no() {
    let mut s = loaded_state();
    cmd(&mut s, Command::ApproveQuestion);
    assert!(cmd(&mut s, Command::Quit).is_empty());
    assert!(s.confirm.is_none() && !s.quit, "q answered no");
    cmd(&mut s, Command::ApproveQuestion);
    assert!(cmd(&mut s, Command::Cancel).is_empty());
    assert!(s.confirm.is_none());
}

#[test]
fn a_paste_outside_the_editor_does_nothing_and_says_so() {
    let mut s = loaded_state();
    assert!(update(&mut s, Action::Paste("ox".into())).is_empty());
    assert_eq!(s.review.card_count(), 3);
    assert!(
        s.status
            .message
            .as_deref()
            .is_some_and(|m| m.contains("paste ignored"))
    );
}

#[test]
fn a_multi_line_paste_becomes_one_line_in_the_field() {
    let mut s = loaded_state();
    cmd(&mut s, Command::NewCard);
    update(
        &mut s,
        Action::Paste("첫 줄\r\n둘째 줄\n\n\t셋째\u{7}".into()),
    );
    let editor = s.editor.as_ref().expect("editor open");
    assert_eq!(editor.text(Field::Material), "첫 줄 둘째 줄 셋째");
    assert_eq!(editor.fields[0].1.lines().len(), 1, "no hidden line breaks");
}

#[test]
fn a_paste_loses_whole_escape_sequences_and_invisible_characters() {
    let mut s = loaded_state();
    cmd(&mut s, Command::NewCard);
    update(
        &mut s,
        Action::Paste("붙여\u{1b}[31m넣기\u{1b}]52;c;SGk=\u{7}\u{200B}끝\r둘째".into()),
    );
    let editor = s.editor.as_ref().expect("editor open");
    assert_eq!(editor.text(Field::Material), "붙여넣기끝 둘째");
}

#[test]
fn a_rating_refused_as_stale_reloads_the_deck_and_says_why() {
    let mut s = loaded_state();
    let effects = update(
        &mut s,
        Action::RateRefused {
            card_id: CardId(201),
            error: "this card was rated elsewhere after it was shown; your rating was not saved"
                .into(),
        },
    );
    assert!(
        effects.contains(&Effect::LoadDue(DueScope::default())),
        "{effects:?}"
    );
    assert!(
        s.status
            .error
            .as_deref()
            .is_some_and(|e| e.contains("rated elsewhere") && e.contains("reloaded"))
    );
}

#[test]
fn pending_writes_are_counted_until_settled() {
    let mut s = loaded_state();
    cmd(&mut s, Command::Approve);
    cmd(&mut s, Command::Delete);
    assert_eq!(s.status.pending_writes, 2);
    cmd(&mut s, Command::Quit);
    assert!(s.quit);
    update(
        &mut s,
        Action::WriteFailed("deleting failed: database is locked".into()),
    );
    update(&mut s, Action::WriteSettled);
    update(&mut s, Action::WriteSettled);
    assert_eq!(s.status.pending_writes, 0);
    assert_eq!(
        s.status.failed_on_quit,
        vec!["deleting failed: database is locked".to_owned()],
        "a failure while quitting is kept for the exit report"
    );
}

#[test]
fn approve_all_selects_the_next_questions_first_card() {
    let mut s = loaded_state();
    let mut listing = groups();
    listing[1]
        .cards
        .push(common::cards::qa(104, 14, "Port of HTTP", "80"));
    update(&mut s, loaded(listing.clone()));
    cmd(&mut s, Command::SelectNext);
    assert_eq!(
        s.review.selected,
        Some(CardId(102)),
        "second card of question 12"
    );
    cmd(&mut s, Command::ApproveQuestion);
    cmd(&mut s, Command::ConfirmYes);
    assert_eq!(s.review.selected, Some(CardId(103)));
    listing.remove(0);
    update(&mut s, loaded(listing));
    assert_eq!(
        s.review.selected,
        Some(CardId(103)),
        "kept after the reload"
    );
}

#[test]
fn enter_in_the_editor_moves_to_the_next_field_without_a_line_break() {
    let mut s = loaded_state();
    cmd(&mut s, Command::NewCard);
    typed(&mut s, "교과서");
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let editor = s.editor.as_ref().expect("editor open");
    assert_eq!(editor.focus, 1);
    assert_eq!(editor.fields[0].1.lines(), ["교과서"]);
}

#[test]
fn a_first_run_stays_on_the_first_question_while_the_queue_fills() {
    let mut s = AppState::default();
    let all = groups();
    update(&mut s, loaded(vec![all[1].clone()]));
    assert_eq!(s.review.selected, Some(CardId(103)));
    update(&mut s, loaded(all.clone()));
    assert_eq!(
        s.review.selected,
        Some(CardId(101)),
        "the top, not the first card to arrive"
    );
    cmd(&mut s, Command::SelectNext);
    update(&mut s, loaded(all));
    assert_eq!(
        s.review.selected,
        Some(CardId(102)),
        "a moved selection is kept"
    );
}

#[test]
fn a_database_error_of_the_background_extraction_is_shown() {
    let mut s = loaded_state();
    update(
        &mut s,
        Action::ExtractionError("database error: database is locked".into()),
    );
    assert_eq!(
        s.status.error.as_deref(),
        Some("background extraction: database error: database is locked")
    );
}
