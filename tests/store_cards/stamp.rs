//! The review queue's stamp: it moves with every change to the queue and with nothing else,
//! so the app's periodic refresh can skip reloading an unchanged listing.

use amgi::domain::card::Outcome;
use amgi::store::{CardEdit, ReviewStamp, SharedStore, UserId};
use chrono::{DateTime, Duration, Utc};

use crate::common::fixtures::{approved_card, card, question};
use crate::common::{TestDb, user};

async fn stamp(s: &SharedStore, user: UserId) -> ReviewStamp {
    s.review_stamp(user)
        .await
        .unwrap_or_else(|e| panic!("review stamp: {e}"))
}

pub async fn the_review_stamp_moves_with_every_change_to_the_queue(db: &TestDb) {
    let s = db.store();
    let me = user(s, "me").await;
    let other = user(s, "other").await;
    let t = DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default();
    let q = question(db, me, "한국사", "훈민정음이 반포된 해는?").await;
    let a = card(db, me, q, "반포", "1446년").await;
    let b = card(db, me, q, "창제", "1443년").await;
    let approved = approved_card(db, me, q, "세종", "세종대왕").await;

    let start = stamp(s, me).await;
    assert_eq!(start.cards, 2);
    assert_eq!(stamp(s, me).await, start, "nothing changed");
    // Another user's queue and a rating of an approved card leave it as it was.
    let theirs = question(db, other, "t", "q").await;
    card(db, other, theirs, "c", "f").await;
    let rated = s.rate_card(me, approved, Outcome::Correct, t).await;
    assert!(rated.is_ok(), "{rated:?}");
    assert_eq!(stamp(s, me).await, start);

    // Each change moves the stamp away from the one a listing read just before holds. (An
    // undo may bring back an earlier stamp: the queue is then as it was at that stamp.)
    let mut held = start;
    let mut moved = |now: ReviewStamp, what: &str| {
        assert_ne!(now, held, "{what}: the stamp did not move");
        held = now;
    };
    let approve = s.approve_card(me, b, t + Duration::seconds(1)).await;
    assert!(approve.is_ok(), "{approve:?}");
    moved(stamp(s, me).await, "an approval");
    let flag = s.flag_card(me, approved, t + Duration::seconds(2)).await;
    assert!(flag.is_ok(), "{flag:?}");
    moved(stamp(s, me).await, "a card sent back");
    let delete = s.delete_card(me, a, t + Duration::seconds(3)).await;
    assert!(delete.is_ok(), "{delete:?}");
    moved(stamp(s, me).await, "a deletion");
    let undo = s.undo_last(me, t + Duration::seconds(4)).await;
    assert!(matches!(undo, Ok(Some(_))), "{undo:?}");
    moved(stamp(s, me).await, "an undone deletion");
    // An edit approves the card: it leaves the queue.
    let edit = CardEdit {
        cue: "반포한 해".into(),
        fact: "1446년".into(),
        cloze_text: None,
    };
    let edited = s.edit_card(me, a, &edit, t + Duration::seconds(5)).await;
    assert!(edited.is_ok(), "{edited:?}");
    moved(stamp(s, me).await, "an edit");
    assert_eq!(stamp(s, me).await.cards, 1);
}
