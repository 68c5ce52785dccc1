//! Store conformance for studying: every step of the review ladder, the due deck's order and
//! exclusions, the cram deck's order, filters and views.

use amgi::domain::card::{CardFormat, Outcome, parse_rating};
use amgi::domain::schedule::LadderState;
use amgi::store::{CardId, CramFilter, NewManualCard, StoreError};
use chrono::Duration;

use crate::cases::t0;
use crate::common::fixtures::{approved_card, card, count, progress_row, question};
use crate::common::{TestDb, user};

pub async fn every_ladder_step(db: &TestDb) {
    let s = db.store();
    let me = user(s, "me").await;
    let q = question(db, me, "t", "q").await;
    let know = approved_card(db, me, q, "c1", "f1").await;
    let unsure = approved_card(db, me, q, "c2", "f2").await;
    let wrong = approved_card(db, me, q, "c3", "f3").await;
    let in_review = card(db, me, q, "c4", "f4").await;
    let t = t0();
    let r = s
        .rate_card(me, know, Outcome::Correct, t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (r.before, r.after),
        (
            None,
            LadderState {
                stage: None,
                due_at: None
            }
        )
    );
    for id in [unsure, wrong] {
        let outcome = if id == unsure {
            Outcome::Unsure
        } else {
            Outcome::Wrong
        };
        let r = s
            .rate_card(me, id, outcome, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.after,
            LadderState {
                stage: Some(0),
                due_at: Some(t + Duration::days(1))
            }
        );
    }
    // Climb: 0 → 1 (+3d) → 2 (+7d) → 3 (+14d) → 4 (mastered).
    let mut now = t + Duration::days(1);
    for (stage, days) in [(1, Some(3)), (2, Some(7)), (3, Some(14)), (4, None)] {
        let deck: Vec<CardId> = s
            .due_deck(me, now, 50)
            .await
            .unwrap_or_default()
            .iter()
            .map(|d| d.card.id)
            .collect();
        assert!(
            deck.contains(&unsure),
            "stage {} card is due at {now}",
            stage - 1
        );
        let r = s
            .rate_card(me, unsure, Outcome::Correct, now)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.after.stage, Some(stage));
        assert_eq!(r.after.due_at, days.map(|d| now + Duration::days(d)));
        now = r.after.due_at.unwrap_or(now + Duration::days(30));
    }
    let deck: Vec<CardId> = s
        .due_deck(me, now + Duration::days(365), 50)
        .await
        .unwrap_or_default()
        .iter()
        .map(|d| d.card.id)
        .collect();
    assert!(!deck.contains(&unsure), "mastered cards leave the deck");
    assert!(
        !deck.contains(&know),
        "known-on-first-sight cards never enter it"
    );
    // Reset: a wrong answer at stage 1 goes back to stage 0, due tomorrow.
    let r = s
        .rate_card(me, wrong, Outcome::Correct, t + Duration::days(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.after.stage, Some(1));
    let later = t + Duration::days(5);
    let r = s
        .rate_card(me, wrong, Outcome::Wrong, later)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.after,
        LadderState {
            stage: Some(0),
            due_at: Some(later + Duration::days(1))
        }
    );
    // Skipped changes nothing on the ladder.
    let r = s
        .rate_card(me, wrong, Outcome::Skipped, later)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.after,
        r.before.unwrap_or(LadderState {
            stage: None,
            due_at: None
        })
    );
    // A card in review cannot be rated; an unknown rating never reaches the store.
    assert!(matches!(
        s.rate_card(me, in_review, Outcome::Correct, t).await,
        Err(StoreError::Refused(_))
    ));
    assert_eq!(progress_row(db, in_review).await, "none");
    assert!(parse_rating("maybe").is_err());
    assert_eq!(count(db, "study_card_reviews").await, 10);
}

pub async fn due_deck_order_and_exclusions(db: &TestDb) {
    let s = db.store();
    let me = user(s, "me").await;
    let q = question(db, me, "t", "q").await;
    let t = t0();
    let new_a = approved_card(db, me, q, "c1", "f1").await;
    let due_late = approved_card(db, me, q, "c2", "f2").await;
    let due_early = approved_card(db, me, q, "c3", "f3").await;
    let sentinel = approved_card(db, me, q, "c4", "f4").await;
    let deleted = approved_card(db, me, q, "c5", "f5").await;
    let _in_review = card(db, me, q, "c6", "f6").await;
    let new_b = approved_card(db, me, q, "c7", "f7").await;
    let not_yet = approved_card(db, me, q, "c8", "f8").await;
    s.rate_card(me, due_early, Outcome::Wrong, t)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    s.rate_card(me, due_late, Outcome::Unsure, t + Duration::hours(2))
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    s.rate_card(me, sentinel, Outcome::Correct, t)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    s.rate_card(me, not_yet, Outcome::Wrong, t + Duration::days(3))
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    s.delete_card(me, deleted, t)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let now = t + Duration::days(2);
    let deck = s
        .due_deck(me, now, 50)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<CardId> = deck.iter().map(|d| d.card.id).collect();
    assert_eq!(ids, vec![due_early, due_late, new_a, new_b]);
    assert_eq!(deck[0].ladder.map(|l| l.stage), Some(Some(0)));
    assert_eq!(deck[2].ladder, None);
    assert_eq!(s.due_deck(me, now, 1).await.map(|d| d.len()).ok(), Some(1));
}

pub async fn cram_order_filters_and_views(db: &TestDb) {
    let s = db.store();
    let me = user(s, "me").await;
    let q = question(db, me, "t", "q").await;
    let a = approved_card(db, me, q, "c1", "f1").await;
    let b = approved_card(db, me, q, "c2", "f2").await;
    let c = approved_card(db, me, q, "c3", "f3").await;
    let manual = NewManualCard {
        material: "노트".into(),
        format: CardFormat::Qa,
        cue: "수도".into(),
        fact: "서울".into(),
        cloze_text: None,
    };
    let m = s
        .create_manual_card(me, &manual, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.approve_card(me, m.id, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.record_view(me, b, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.record_view(me, a, t0() + Duration::minutes(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.record_view(me, a, t0() + Duration::minutes(2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let deck = s
        .cram_deck(me, &CramFilter::default(), 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<CardId> = deck.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        vec![c, m.id, b, a],
        "never viewed first, then least recently viewed"
    );
    assert_eq!(deck[3].view_count, 2);
    let only_notes = CramFilter {
        material: Some("노트".into()),
        ..CramFilter::default()
    };
    let ids: Vec<CardId> = s
        .cram_deck(me, &only_notes, 10)
        .await
        .unwrap_or_default()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, vec![m.id]);
    let cloze = CramFilter {
        format: Some(CardFormat::Cloze),
        ..CramFilter::default()
    };
    assert!(
        s.cram_deck(me, &cloze, 10)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert_eq!(
        s.materials(me).await.unwrap_or_default(),
        vec!["노트".to_owned()]
    );
    // Viewing does not schedule anything.
    assert_eq!(progress_row(db, a).await, "none");
}
