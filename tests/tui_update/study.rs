//! `update` for the Due and Cram panes: reveal, rate, refill, views, filters and send-back.

use amgi::domain::card::{CardFormat, Outcome};
use amgi::domain::schedule::LadderState;
use amgi::store::{CardId, CramFilter, RatingResult};
use amgi::tui::action::{Action, Change};
use amgi::tui::effect::Effect;
use amgi::tui::keymap::Command;
use amgi::tui::study::DueScope;
use amgi::tui::update::update;

use super::cmd;
use crate::common::cards::{due_cards, loaded_state, qa};

#[test]
fn due_reveal_rate_and_refill() {
    let mut s = loaded_state();
    cmd(&mut s, Command::GoDue);
    assert!(
        cmd(&mut s, Command::RateKnow).is_empty(),
        "the first press reveals"
    );
    assert!(s.due.revealed);
    let effects = cmd(&mut s, Command::RateKnow);
    assert!(
        matches!(effects.as_slice(), [Effect::Rate { outcome: Outcome::Correct, card }] if card.card.id == CardId(201))
    );
    assert_eq!(s.due.deck.len(), 1);
    assert!(!s.due.revealed);
    let result = RatingResult {
        card_id: CardId(201),
        outcome: Outcome::Correct,
        before: Some(LadderState {
            stage: Some(1),
            due_at: Some(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH),
        }),
        after: LadderState {
            stage: Some(2),
            due_at: None,
        },
    };
    assert_eq!(
        update(&mut s, Action::Rated(result)),
        vec![Effect::LoadCounts, Effect::RefillDue(DueScope::default())],
        "counts move; a low deck refills after the rating"
    );
    assert!(
        s.status
            .message
            .as_deref()
            .is_some_and(|m| m.contains("+7d"))
    );
    // A refill that raced the rating does not bring the rated card back.
    update(&mut s, Action::DueRefilled(due_cards()));
    let ids: Vec<i64> = s.due.deck.iter().map(|d| d.card.id.0).collect();
    assert_eq!(ids, vec![202]);
    cmd(&mut s, Command::Reveal);
    assert!(matches!(
        cmd(&mut s, Command::RateUnsure).as_slice(),
        [Effect::Rate {
            outcome: Outcome::Unsure,
            ..
        }]
    ));
    // A failed rating puts the card back, answer showing, error in the status bar.
    let card = Box::new(due_cards().remove(1));
    update(
        &mut s,
        Action::RateFailed {
            card,
            error: "rating failed: database is locked".into(),
        },
    );
    assert_eq!(s.due.deck.front().map(|d| d.card.id), Some(CardId(202)));
    assert!(s.due.revealed && s.status.error.is_some());
    assert!(matches!(
        cmd(&mut s, Command::RateDontKnow).as_slice(),
        [Effect::Rate {
            outcome: Outcome::Wrong,
            ..
        }]
    ));
    assert!(cmd(&mut s, Command::RateKnow).is_empty(), "nothing left");
    update(&mut s, Action::DueLoaded(due_cards()));
    assert_eq!(s.due.deck.len(), 2);
    assert_eq!(
        cmd(&mut s, Command::SendBack),
        vec![Effect::SendBack(CardId(201))]
    );
}

#[test]
fn cram_views_filters_and_send_back() {
    let mut s = loaded_state();
    cmd(&mut s, Command::GoCram);
    s.cram.materials = vec!["교과서".into(), "노트".into()];
    cmd(&mut s, Command::Reveal);
    assert!(s.cram.revealed);
    assert_eq!(
        cmd(&mut s, Command::NextCard),
        vec![Effect::RecordView(CardId(201))]
    );
    assert!(!s.cram.revealed);
    let filter = s.cram.filter.clone();
    assert_eq!(
        cmd(&mut s, Command::NextCard),
        vec![Effect::RecordView(CardId(202))],
        "the next round waits for this view"
    );
    assert!(cmd(&mut s, Command::NextCard).is_empty(), "loading");
    assert!(s.cram.current().is_none() && !s.cram.loaded);
    assert_eq!(
        update(
            &mut s,
            Action::Changed(Change::Viewed {
                card_id: CardId(202)
            })
        ),
        vec![Effect::LoadCram(filter)]
    );
    let fmt = |f| CramFilter {
        material: None,
        format: f,
        topic: None,
    };
    assert_eq!(
        cmd(&mut s, Command::CycleFormat),
        vec![Effect::LoadCram(fmt(Some(CardFormat::Qa)))]
    );
    assert_eq!(
        cmd(&mut s, Command::CycleFormat),
        vec![Effect::LoadCram(fmt(Some(CardFormat::Cloze)))]
    );
    assert_eq!(
        cmd(&mut s, Command::CycleFormat),
        vec![Effect::LoadCram(fmt(None))]
    );
    cmd(&mut s, Command::CycleMaterial);
    assert_eq!(s.cram.filter.material.as_deref(), Some("교과서"));
    cmd(&mut s, Command::CycleMaterial);
    assert_eq!(s.cram.filter.material.as_deref(), Some("노트"));
    cmd(&mut s, Command::CycleMaterial);
    assert_eq!(s.cram.filter.material, None);
    update(&mut s, Action::CramLoaded(vec![qa(7, 1, "c", "f")]));
    assert_eq!(
        cmd(&mut s, Command::SendBack),
        vec![Effect::SendBack(CardId(7))]
    );
    assert!(s.cram.deck.is_empty());
}

#[test]
fn another_devices_changes_merge_into_the_held_deck_behind_the_card_on_screen() {
    let mut s = loaded_state();
    cmd(&mut s, Command::GoDue);
    cmd(&mut s, Command::Reveal);
    assert!(
        update(&mut s, Action::ExternalChange).contains(&Effect::RefillDue(DueScope::default()))
    );
    assert!(
        update(&mut s, Action::Tick)
            .iter()
            .all(|e| *e != Effect::RefillDue(DueScope::default())),
        "one refill at a time"
    );
    // Elsewhere: card 202 was rated (no longer due), card 301 was approved (new).
    let mut approved = qa(301, 15, "새 카드", "답");
    approved.needs_review = false;
    let fresh = vec![
        due_cards().remove(0),
        amgi::store::DueCard {
            card: approved,
            ladder: None,
            source: None,
        },
    ];
    update(&mut s, Action::DueRefilled(fresh));
    let ids: Vec<i64> = s.due.deck.iter().map(|d| d.card.id.0).collect();
    assert_eq!(
        ids,
        vec![201, 301],
        "front kept, stale card gone, new card merged"
    );
    assert!(s.due.revealed, "the card on screen is undisturbed");
    assert!(update(&mut s, Action::Tick).contains(&Effect::RefillDue(DueScope::default())));
}

#[test]
fn the_card_whose_rating_was_undone_comes_back_in_front() {
    let mut s = loaded_state();
    cmd(&mut s, Command::GoDue);
    let undone = amgi::store::Undone {
        kind: amgi::store::UndoKind::Rate,
        card_ids: vec![CardId(202)],
    };
    let effects = update(&mut s, Action::Undone(Some(undone)));
    assert!(effects.contains(&Effect::LoadDue(DueScope::default())));
    update(&mut s, Action::DueLoaded(due_cards()));
    let ids: Vec<i64> = s.due.deck.iter().map(|d| d.card.id.0).collect();
    assert_eq!(ids, vec![202, 201]);
    // Only once: the next full load keeps the deck's order.
    update(&mut s, Action::DueLoaded(due_cards()));
    assert_eq!(s.due.deck.front().map(|d| d.card.id), Some(CardId(201)));
}

#[test]
fn cram_counts_a_view_on_screen_at_once() {
    let mut s = loaded_state();
    cmd(&mut s, Command::GoCram);
    let seen = s.cram.deck[0].view_count;
    cmd(&mut s, Command::NextCard);
    assert_eq!(s.cram.deck[0].view_count, seen + 1);
}

#[test]
fn undoing_a_send_back_reloads_the_cram_deck_but_undoing_a_rating_does_not() {
    let mut s = loaded_state();
    let undone = |kind| {
        Action::Undone(Some(amgi::store::Undone {
            kind,
            card_ids: vec![CardId(201)],
        }))
    };
    let effects = update(&mut s, undone(amgi::store::UndoKind::Flag));
    assert!(effects.contains(&Effect::LoadCram(CramFilter::default())));
    let effects = update(&mut s, undone(amgi::store::UndoKind::Rate));
    assert!(!effects.iter().any(|e| matches!(e, Effect::LoadCram(_))));
}

#[test]
fn a_failed_refill_is_tried_again_on_the_next_refresh() {
    let mut s = loaded_state();
    assert!(update(&mut s, Action::Tick).contains(&Effect::RefillDue(DueScope::default())));
    update(
        &mut s,
        Action::DueRefillFailed("refilling the due deck failed: database is locked".into()),
    );
    assert!(s.status.error.is_some());
    assert!(update(&mut s, Action::Tick).contains(&Effect::RefillDue(DueScope::default())));
}
