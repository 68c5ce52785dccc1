//! Store conformance for the learner's workflows: review queue, due deck and rating, cram
//! deck, user isolation. Every case runs on SQLite and on PostgreSQL.

mod common;
#[path = "store_cards/stamp.rs"]
mod stamp;

mod cases {
    pub use super::stamp::*;
    use amgi::domain::card::{CardFormat, Outcome, parse_rating};
    use amgi::domain::schedule::LadderState;
    use amgi::store::{CardEdit, CramFilter, GroupKey, NewManualCard, StoreError};
    use chrono::{DateTime, Duration, Utc};

    use crate::common::fixtures::{approved_card, card, card_row, count, progress_row, question};
    use crate::common::{TestDb, user};

    fn t0() -> DateTime<Utc> {
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
        let shape: Vec<(GroupKey, Vec<i64>)> = groups
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
        assert_eq!(groups[0].title, "훈민정음이 반포된 해는?");
        assert_eq!(groups[0].correct_answer.as_deref(), Some("1446년"));
        assert_eq!(groups[2].title, "[자료] 교과서 3장");
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
        s.flag_card(me, a, t0()).await.err();
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
            let deck: Vec<i64> = s
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
        let deck: Vec<i64> = s
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
        s.rate_card(me, due_early, Outcome::Wrong, t).await.ok();
        s.rate_card(me, due_late, Outcome::Unsure, t + Duration::hours(2))
            .await
            .ok();
        s.rate_card(me, sentinel, Outcome::Correct, t).await.ok();
        s.rate_card(me, not_yet, Outcome::Wrong, t + Duration::days(3))
            .await
            .ok();
        s.delete_card(me, deleted, t).await.ok();
        let now = t + Duration::days(2);
        let deck = s
            .due_deck(me, now, 50)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<i64> = deck.iter().map(|d| d.card.id).collect();
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
        let ids: Vec<i64> = deck.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            vec![c, m.id, b, a],
            "never viewed first, then least recently viewed"
        );
        assert_eq!(deck[3].view_count, 2);
        let only_notes = CramFilter {
            material: Some("노트".into()),
            format: None,
        };
        let ids: Vec<i64> = s
            .cram_deck(me, &only_notes, 10)
            .await
            .unwrap_or_default()
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, vec![m.id]);
        let cloze = CramFilter {
            material: None,
            format: Some(CardFormat::Cloze),
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
);
