//! Store conformance for the learner's workflows: review queue, due deck and rating, cram
//! deck, user isolation. Every case runs on SQLite and on PostgreSQL.

mod common;
#[path = "store_cards/shown.rs"]
mod shown;
#[path = "store_cards/stamp.rs"]
mod stamp;
#[path = "store_cards/study.rs"]
mod study;

mod cases {
    pub use super::shown::*;
    pub use super::stamp::*;
    pub use super::study::*;
    use amgi::domain::card::{CardFormat, Outcome};
    use amgi::store::{CardEdit, CardId, CramFilter, GroupKey, NewManualCard, StoreError};
    use chrono::{DateTime, Utc};

    use crate::common::fixtures::{approved_card, card, card_row, question};
    use crate::common::{TestDb, user};

    pub(crate) fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    pub async fn review_queue_groups_by_question_and_material(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q1 = question(db, me, "한국사", "훈민정음이 반포된 해는?").await;
        let q2 = question(db, me, "한국사", "임진왜란이 일어난 해는?").await;
        let a = card(db, me, q1, "훈민정음 반포", "1446년").await;
        let b = card(db, me, q2, "임진왜란", "1592년").await;
        let c = card(db, me, q1, "창제 연도", "1443년").await;
        let manual = NewManualCard {
            material: "교과서 3장".into(),
            format: CardFormat::Cloze,
            cue: "세종".into(),
            fact: "집현전".into(),
            cloze_text: Some("세종은 {{blank}}을 설치했다.".into()),
        };
        let m = s
            .create_manual_card(me, &manual, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let groups = s.review_queue(me).await.unwrap_or_else(|e| panic!("{e}"));
        let shape: Vec<(GroupKey, Vec<CardId>)> = groups
            .iter()
            .map(|g| (g.key.clone(), g.cards.iter().map(|c| c.id).collect()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (GroupKey::Question(q1), vec![a, c]),
                (GroupKey::Question(q2), vec![b]),
                (GroupKey::Material("교과서 3장".into()), vec![m.id]),
            ]
        );
        assert_eq!(
            groups[0].question.as_deref(),
            Some("훈민정음이 반포된 해는?")
        );
        assert_eq!(groups[0].correct_answer.as_deref(), Some("1446년"));
        assert_eq!(groups[2].key, GroupKey::Material("교과서 3장".into()));
        assert_eq!(groups[2].question, None);
        assert_eq!(groups[0].cards[0].evidence.len(), 1);
        assert_eq!(s.review_stamp(me).await.map(|r| r.cards).unwrap_or(0), 4);
        // The same answer for the same material is refused.
        assert!(matches!(
            s.create_manual_card(me, &manual, t0()).await,
            Err(StoreError::DuplicateAnswer)
        ));
    }

    pub async fn approve_batch_touches_only_that_question(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let other = user(s, "other").await;
        let q1 = question(db, me, "t", "q1").await;
        let q2 = question(db, me, "t", "q2").await;
        let a = card(db, me, q1, "cue a", "fact a").await;
        let b = card(db, me, q1, "cue b", "fact b").await;
        let c = card(db, me, q2, "cue c", "fact c").await;
        assert!(matches!(
            s.approve_question(other, q1, t0()).await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(s.review_stamp(me).await.map(|r| r.cards).unwrap_or(0), 3);
        let approved = s
            .approve_question(me, q1, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(approved, vec![a, b]);
        assert!(
            !s.get_card(me, a)
                .await
                .map(|c| c.needs_review)
                .unwrap_or(true)
        );
        assert!(
            s.get_card(me, c)
                .await
                .map(|c| c.needs_review)
                .unwrap_or(false)
        );
        assert_eq!(
            s.approve_question(me, q1, t0()).await.map(|v| v.len()).ok(),
            Some(0)
        );
    }

    pub async fn edit_recomputes_hash_and_refuses_collisions(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "t", "q").await;
        let a = card(db, me, q, "반포 연도", "1446년").await;
        let b = card(db, me, q, "창제 연도", "1443년").await;
        assert!(
            s.flag_card(me, a, t0()).await.is_err(),
            "a card in review cannot be sent back"
        );
        let edited = s
            .edit_card(
                me,
                a,
                &CardEdit {
                    cue: " 반포한 해 ".into(),
                    fact: "1446년".into(),
                    cloze_text: None,
                },
                t0(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(edited.cue, "반포한 해");
        assert!(
            !edited.needs_review,
            "an edit is the learner's confirmed version"
        );
        let before = card_row(db, b).await;
        let collide = CardEdit {
            cue: "창제 연도".into(),
            fact: " 1446년. ".into(),
            cloze_text: None,
        };
        assert!(matches!(
            s.edit_card(me, b, &collide, t0()).await,
            Err(StoreError::DuplicateAnswer)
        ));
        assert_eq!(
            card_row(db, b).await,
            before,
            "a refused edit changes nothing"
        );
        let empty = CardEdit {
            cue: "x".into(),
            fact: "  ".into(),
            cloze_text: None,
        };
        assert!(matches!(
            s.edit_card(me, b, &empty, t0()).await,
            Err(StoreError::Invalid(_))
        ));
    }

    pub async fn delete_and_flag(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "t", "q").await;
        let a = approved_card(db, me, q, "cue a", "fact a").await;
        let b = card(db, me, q, "cue b", "fact b").await;
        assert!(
            matches!(s.flag_card(me, b, t0()).await, Err(StoreError::Refused(_))),
            "already in review"
        );
        s.flag_card(me, a, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let flagged = s.get_card(me, a).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(flagged.needs_review);
        assert_eq!(flagged.flagged_by.as_deref(), Some("user"));
        s.delete_card(me, b, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            s.get_card(me, b).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            s.delete_card(me, b, t0()).await,
            Err(StoreError::NotFound(_))
        ));
        // The deleted card's answer is free again.
        let again = card(db, me, q, "cue b", "fact b").await;
        assert_ne!(again, b);
    }

    pub async fn another_users_card_is_not_found_everywhere(db: &TestDb) {
        let s = db.store();
        let alice = user(s, "alice").await;
        let bob = user(s, "bob").await;
        let q = question(db, alice, "t", "q").await;
        let review = card(db, alice, q, "c1", "f1").await;
        let approved = approved_card(db, alice, q, "c2", "f2").await;
        let before = (card_row(db, review).await, card_row(db, approved).await);
        let edit = CardEdit {
            cue: "x".into(),
            fact: "y".into(),
            cloze_text: None,
        };
        let t = t0();
        let nf =
            |r: Result<(), StoreError>| assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
        nf(s.get_card(bob, review).await.map(|_| ()));
        nf(s.approve_card(bob, review, t).await);
        nf(s.edit_card(bob, review, &edit, t).await.map(|_| ()));
        nf(s.delete_card(bob, review, t).await);
        nf(s.flag_card(bob, approved, t).await);
        nf(s.rate_card(bob, approved, Outcome::Correct, t)
            .await
            .map(|_| ()));
        nf(s.record_view(bob, approved, t).await);
        nf(s.approve_question(bob, q, t).await.map(|_| ()));
        assert!(s.review_queue(bob).await.unwrap_or_default().is_empty());
        assert!(s.due_deck(bob, t, 10).await.unwrap_or_default().is_empty());
        assert!(
            s.cram_deck(bob, &CramFilter::default(), 10)
                .await
                .unwrap_or_default()
                .is_empty()
        );
        assert_eq!(
            s.undo_last(bob, t).await.ok(),
            Some(None),
            "bob has nothing to undo"
        );
        assert_eq!(
            (card_row(db, review).await, card_row(db, approved).await),
            before
        );
    }
}

conformance!(
    review_queue_groups_by_question_and_material,
    approve_batch_touches_only_that_question,
    edit_recomputes_hash_and_refuses_collisions,
    delete_and_flag,
    every_ladder_step,
    due_deck_order_and_exclusions,
    cram_order_filters_and_views,
    another_users_card_is_not_found_everywhere,
    the_review_stamp_moves_with_every_change_to_the_queue,
    a_rating_of_a_card_rated_elsewhere_is_refused,
    a_card_approved_from_the_review_listing_is_not_stale,
    the_review_listing_gives_each_card_as_a_single_read_does,
    an_edit_or_approval_of_a_card_changed_elsewhere_is_refused,
);
