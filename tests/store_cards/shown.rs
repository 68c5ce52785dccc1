//! Store conformance for changes checked against what was shown: a rating, edit or approval
//! made from a screen that another instance has since made stale is refused, and nothing is
//! written. Two independent stores on one database play the two devices.

use amgi::domain::card::CardFormat;
use amgi::domain::card::Outcome;
use amgi::store::{Card, CardEdit, NewManualCard, StoreError};
use chrono::Duration;

use crate::cases::t0;
use crate::common::fixtures::{approved_card, card, card_row, count, progress_row, question};
use crate::common::{TestDb, user};

pub async fn a_rating_of_a_card_rated_elsewhere_is_refused(db: &TestDb) {
    let a = db.store();
    let b = db.reopen().await;
    let me = user(a, "me").await;
    let q = question(db, me, "t", "q").await;
    let id = approved_card(db, me, q, "c", "f").await;
    // Sub-millisecond digits: the deck's ladder must come back exactly as stored.
    let t = t0() + Duration::microseconds(123_457);
    let shown_on_a = a
        .due_deck(me, t, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shown_on_a.len(), 1);
    assert_eq!(shown_on_a[0].ladder, None, "new on A");
    assert_eq!(
        shown_on_a[0].source.as_ref().map(|s| s.text.as_str()),
        Some("q"),
        "the source question comes with the card"
    );
    // B rates it "don't know" first.
    let on_b = b
        .due_deck(me, t, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    b.rate_card_as_shown(me, id, on_b[0].ladder, Outcome::Wrong, t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let progress = progress_row(db, id).await;
    // A's rating, for the card as A showed it, is refused and writes nothing.
    let refused = a
        .rate_card_as_shown(me, id, shown_on_a[0].ladder, Outcome::Correct, t)
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Changed(m)) if m.contains("rated elsewhere")),
        "{refused:?}"
    );
    assert_eq!(progress_row(db, id).await, progress, "the ladder is B's");
    assert_eq!(count(db, "study_card_reviews").await, 1, "one review row");
    // Once due again, the card as now shown can be rated.
    let later = t + Duration::days(1);
    let deck = a
        .due_deck(me, later, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deck[0].ladder.and_then(|l| l.stage), Some(0));
    let r = a
        .rate_card_as_shown(me, id, deck[0].ladder, Outcome::Correct, later)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.after.stage, Some(1));
    // A second rating from the same (now stale) screen is refused too.
    let again = a
        .rate_card_as_shown(me, id, deck[0].ladder, Outcome::Correct, later)
        .await;
    assert!(matches!(again, Err(StoreError::Changed(_))), "{again:?}");
    assert_eq!(count(db, "study_card_reviews").await, 2);
}

pub async fn an_edit_or_approval_of_a_card_changed_elsewhere_is_refused(db: &TestDb) {
    let a = db.store();
    let b = db.reopen().await;
    let me = user(a, "me").await;
    let q = question(db, me, "t", "q").await;
    let id = card(db, me, q, "수도", "서울").await;
    let shown = a.get_card(me, id).await.unwrap_or_else(|e| panic!("{e}"));
    let edit = |fact: &str| CardEdit {
        cue: "수도".into(),
        fact: fact.into(),
        cloze_text: None,
    };
    // B edits the card (which also approves it).
    b.edit_card_as_shown(me, id, shown.updated_at, &edit("서울특별시"), t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let row = card_row(db, id).await;
    let refused = a
        .approve_card_as_shown(me, id, shown.updated_at, t0())
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Changed(m)) if m.contains("changed elsewhere")),
        "{refused:?}"
    );
    let refused = a
        .edit_card_as_shown(me, id, shown.updated_at, &edit("한양"), t0())
        .await;
    assert!(
        matches!(refused, Err(StoreError::Changed(_))),
        "{refused:?}"
    );
    assert_eq!(card_row(db, id).await, row, "B's edit stands");
    // From a fresh read the edit goes through.
    let fresh = a.get_card(me, id).await.unwrap_or_else(|e| panic!("{e}"));
    let saved = a
        .edit_card_as_shown(
            me,
            id,
            fresh.updated_at,
            &edit("한양"),
            t0() + Duration::hours(1),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved.fact, "한양");
    // An approval from a fresh read of an in-review card goes through.
    let other = card(db, me, q, "강", "한강").await;
    let shown = a
        .get_card(me, other)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    a.approve_card_as_shown(me, other, shown.updated_at, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The review listing hands out each card's `updated_at` to the microsecond the database
/// holds (PostgreSQL keeps microseconds), so an approval from the listing is not refused as
/// "changed elsewhere".
pub async fn a_card_approved_from_the_review_listing_is_not_stale(db: &TestDb) {
    let s = db.store();
    let me = user(s, "me").await;
    let q = question(db, me, "t", "q").await;
    let id = approved_card(db, me, q, "수도는?", "서울").await;
    // Sent back at a time with sub-millisecond digits.
    let sent_back = t0() + Duration::microseconds(1_234_567);
    s.flag_card(me, id, sent_back)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let listed = s.review_queue(me).await.unwrap_or_else(|e| panic!("{e}"));
    let card = listed
        .iter()
        .flat_map(|g| &g.cards)
        .find(|c| c.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("the card is listed: {listed:?}"));
    assert_eq!(
        card.updated_at,
        s.get_card(me, id)
            .await
            .map(|c| c.updated_at)
            .unwrap_or_default()
    );
    assert_eq!(card.cue, "수도는?");
    assert!(card.needs_review && card.flagged_by.is_some());
    s.approve_card_as_shown(me, id, card.updated_at, t0() + Duration::seconds(5))
        .await
        .unwrap_or_else(|e| panic!("approved from the listing: {e}"));
}

/// The listing is built as JSON by the database: text that looks like JSON, quotes,
/// backslashes, Korean, full-width letters, combining marks and emoji come out exactly as a
/// single card read (row by row) gives them, evidence and material included.
pub async fn the_review_listing_gives_each_card_as_a_single_read_does(db: &TestDb) {
    let s = db.store();
    let me = user(s, "me").await;
    let q = question(db, me, "t", "q").await;
    let hostile = [
        (
            r#"{"cue": "x"}의 "따옴표"와 \ 역슬래시는?"#,
            r#"[1, "２"] \n 🙂"#,
        ),
        (
            "ＡＢＣ 전각과 e\u{301} 결합 문자",
            "</script><b>굵게</b> ' OR 1=1 --",
        ),
    ];
    let mut ids = Vec::new();
    for (cue, fact) in hostile {
        ids.push(card(db, me, q, cue, fact).await);
    }
    let manual = s
        .create_manual_card(
            me,
            &NewManualCard {
                material: "교재 \"3장\" \\ ｐ.７".into(),
                format: CardFormat::Cloze,
                cue: "훈민정음 \"창제\"".into(),
                fact: "1443년".into(),
                cloze_text: Some("세종은 {{blank}}에 훈민정음을 창제했다 🙂".into()),
            },
            t0(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    ids.push(manual.id);
    let listed: Vec<Card> = s
        .review_queue(me)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .flat_map(|g| g.cards)
        .collect();
    assert_eq!(listed.len(), ids.len());
    for id in ids {
        let single = s.get_card(me, id).await.unwrap_or_else(|e| panic!("{e}"));
        let from_listing = listed.iter().find(|c| c.id == id);
        assert_eq!(from_listing, Some(&single), "card {id}");
    }
    assert!(
        listed
            .iter()
            .any(|c| c.cue.contains(r#"{"cue": "x"}"#) && c.cue.contains('\\')),
        "{listed:?}"
    );
}
