//! Store conformance for undo, the publish outbox and the publisher, and concurrent
//! writers. Every case runs on SQLite and on PostgreSQL.

mod common;

mod cases {
    use std::collections::HashSet;

    use amgi::domain::card::Outcome;
    use amgi::store::{CardEdit, StoreError, UndoKind};
    use chrono::{DateTime, Duration, Utc};

    use crate::common::fixtures::{
        approved_card, break_outbox, card, card_row, count, progress_row, question,
    };
    use crate::common::{TestDb, user};

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    pub async fn adding_a_manual_card_is_undone_first(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "t", "q").await;
        let approved = card(db, me, q, "cue a", "fact a").await;
        s.approve_card(me, approved, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let manual = amgi::store::NewManualCard {
            material: "교과서".into(),
            format: amgi::domain::card::CardFormat::Qa,
            cue: "수도".into(),
            fact: "서울".into(),
            cloze_text: None,
        };
        let added = s
            .create_manual_card(me, &manual, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let undone = s
            .undo_last(me, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            undone.map(|u| (u.kind, u.card_ids)),
            Some((UndoKind::Add, vec![added.id])),
            "the add is undone, not the approval before it"
        );
        assert!(matches!(
            s.get_card(me, added.id).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(
            !s.get_card(me, approved)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .needs_review,
            "the approval stands"
        );
        // The same card can be added again, and the next undo is the approval.
        s.create_manual_card(me, &manual, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.undo_last(me, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let undone = s
            .undo_last(me, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(undone.map(|u| u.kind), Some(UndoKind::Approve));
    }

    pub async fn undo_restores_exact_card_rows(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "t", "q").await;
        let a = card(db, me, q, "cue a", "fact a").await;
        let b = card(db, me, q, "cue b", "fact b").await;
        let t = t0();
        // approve one
        let before = card_row(db, a).await;
        s.approve_card(me, a, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(card_row(db, a).await, before);
        let undone = s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            undone.map(|u| (u.kind, u.card_ids)),
            Some((UndoKind::Approve, vec![a]))
        );
        assert_eq!(card_row(db, a).await, before);
        // approve a whole question
        let before = (card_row(db, a).await, card_row(db, b).await);
        s.approve_question(me, q, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let undone = s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(undone.map(|u| u.kind), Some(UndoKind::ApproveQuestion));
        assert_eq!((card_row(db, a).await, card_row(db, b).await), before);
        // edit, delete, flag
        let before = card_row(db, a).await;
        let edit = CardEdit {
            cue: "새 단서".into(),
            fact: "새 답".into(),
            cloze_text: None,
        };
        s.edit_card(me, a, &edit, t + Duration::minutes(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.undo_last(me, t).await.ok().flatten().map(|u| u.kind),
            Some(UndoKind::Edit)
        );
        assert_eq!(card_row(db, a).await, before);
        s.delete_card(me, a, t + Duration::minutes(2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.undo_last(me, t).await.ok().flatten().map(|u| u.kind),
            Some(UndoKind::Delete)
        );
        assert_eq!(card_row(db, a).await, before);
        s.approve_card(me, a, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let approved = card_row(db, a).await;
        s.flag_card(me, a, t + Duration::minutes(3))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.undo_last(me, t).await.ok().flatten().map(|u| u.kind),
            Some(UndoKind::Flag)
        );
        assert_eq!(card_row(db, a).await, approved);
        // The stack goes further back: the approve before the flag.
        assert_eq!(
            s.undo_last(me, t).await.ok().flatten().map(|u| u.kind),
            Some(UndoKind::Approve)
        );
        assert_eq!(card_row(db, a).await, before);
        assert_eq!(
            s.undo_last(me, t).await.ok(),
            Some(None),
            "nothing left to undo"
        );
    }

    pub async fn undo_restores_exact_progress_and_log(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "t", "q").await;
        let a = approved_card(db, me, q, "cue", "fact").await;
        let t = t0();
        // New card: undo deletes the progress row and the log row.
        s.rate_card(me, a, Outcome::Wrong, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(progress_row(db, a).await, "none");
        assert_eq!(
            s.undo_last(me, t).await.ok().flatten().map(|u| u.kind),
            Some(UndoKind::Rate)
        );
        assert_eq!(progress_row(db, a).await, "none");
        assert_eq!(count(db, "study_card_reviews").await, 0);
        // Existing progress: undo restores the row exactly, every time to the millisecond,
        // whether the card was rated as shown or not.
        let first = s
            .rate_card(me, a, Outcome::Unsure, t + Duration::milliseconds(457))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let before = progress_row(db, a).await;
        let later = t + Duration::days(1) + Duration::milliseconds(38);
        s.rate_card_as_shown(me, a, Some(first.after), Outcome::Correct, later)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(progress_row(db, a).await, before);
        s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(progress_row(db, a).await, before);
        assert_eq!(count(db, "study_card_reviews").await, 1);
        // Shown new, rated, undone: the row goes again.
        s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(progress_row(db, a).await, "none");
        s.rate_card_as_shown(me, a, None, Outcome::Correct, later)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(progress_row(db, a).await, "none");
        s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(progress_row(db, a).await, "none");
        assert_eq!(count(db, "study_card_reviews").await, 0);
    }

    pub async fn undo_that_would_duplicate_an_answer_is_refused(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "t", "q").await;
        let a = card(db, me, q, "cue", "같은 답").await;
        s.delete_card(me, a, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let b = card(db, me, q, "cue 2", "같은 답").await;
        let before = (card_row(db, a).await, card_row(db, b).await);
        assert!(matches!(
            s.undo_last(me, t0()).await,
            Err(StoreError::Refused(_))
        ));
        assert_eq!((card_row(db, a).await, card_row(db, b).await), before);
    }

    pub async fn outbox_rows_commit_with_their_change(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "t", "q").await;
        let a = card(db, me, q, "cue a", "fact a").await;
        let b = approved_card(db, me, q, "cue b", "fact b").await;
        assert_eq!(
            count(db, "publish_outbox").await,
            1,
            "the approve wrote its outbox row"
        );
        s.rate_card(me, b, Outcome::Unsure, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            count(db, "publish_outbox").await,
            2,
            "the rating wrote its progress row"
        );
        let undo_rows = count(db, "undo_log").await;
        break_outbox(db).await;
        let before = (
            card_row(db, a).await,
            card_row(db, b).await,
            progress_row(db, b).await,
        );
        assert!(s.approve_card(me, a, t0()).await.is_err());
        assert!(s.approve_question(me, q, t0()).await.is_err());
        assert!(s.delete_card(me, b, t0()).await.is_err());
        assert!(
            s.rate_card(me, b, Outcome::Correct, t0() + Duration::days(1))
                .await
                .is_err()
        );
        let edit = CardEdit {
            cue: "x".into(),
            fact: "y".into(),
            cloze_text: None,
        };
        assert!(s.edit_card(me, b, &edit, t0()).await.is_err());
        let after = (
            card_row(db, a).await,
            card_row(db, b).await,
            progress_row(db, b).await,
        );
        assert_eq!(
            after, before,
            "a failed outbox write rolled the change back"
        );
        assert_eq!(count(db, "publish_outbox").await, 2);
        assert_eq!(count(db, "study_card_reviews").await, 1);
        assert_eq!(count(db, "undo_log").await, undo_rows);
    }

    pub async fn publisher_skips_unchanged_and_tombstones(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "t", "q").await;
        let a = approved_card(db, me, q, "A", "fact a").await;
        let t = t0();
        let report = s
            .publish_pending(100, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((report.applied, report.skipped), (1, 0));
        // Backfill re-enqueues, the publisher skips: no new feed entry.
        assert_eq!(s.publish_backfill(me, t).await.ok(), Some(1));
        let report = s
            .publish_pending(100, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((report.applied, report.skipped), (0, 1));
        // A → B → A gives three entries in all.
        for cue in ["B", "A"] {
            let edit = CardEdit {
                cue: cue.into(),
                fact: "fact a".into(),
                cloze_text: None,
            };
            s.edit_card(me, a, &edit, t)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        s.publish_pending(100, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let feed = s.feed_since(me, 0, 100).await.unwrap_or_default();
        let cues: Vec<String> = feed
            .iter()
            .map(|f| f.payload["cue"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(cues, vec!["A", "B", "A"]);
        // Send back and delete are tombstones; a rating publishes the progress row.
        s.flag_card(me, a, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.publish_pending(100, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let b = approved_card(db, me, q, "cue b", "fact b").await;
        s.rate_card(me, b, Outcome::Correct, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.delete_card(me, b, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.publish_pending(100, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let feed = s.feed_since(me, 3, 100).await.unwrap_or_default();
        let shape: Vec<(String, i64, bool)> = feed
            .iter()
            .map(|f| (f.kind.clone(), f.source_id, f.deleted))
            .collect();
        assert_eq!(
            shape[0],
            ("study_card".to_owned(), a.0, true),
            "send-back is a tombstone"
        );
        assert_eq!(shape[1], ("study_card".to_owned(), b.0, false));
        assert_eq!(shape[2].0, "study_card_progress");
        assert!(!shape[2].2);
        assert_eq!(
            feed[2].payload["due_at"],
            serde_json::Value::Null,
            "the know-on-new sentinel is published"
        );
        assert_eq!(
            shape[3],
            ("study_card".to_owned(), b.0, true),
            "delete is a tombstone"
        );
        assert_eq!(
            shape.len(),
            4,
            "deleting a card does not tombstone its progress"
        );
        let seqs: Vec<i64> = s
            .feed_since(me, 0, 100)
            .await
            .unwrap_or_default()
            .iter()
            .map(|f| f.seq)
            .collect();
        assert_eq!(seqs, (1..=7).collect::<Vec<i64>>());
        assert_eq!(s.outbox_backlog().await.ok(), Some(0));
    }

    pub async fn concurrent_writers_give_a_gapless_feed(db: &TestDb) {
        let me = user(db.store(), "me").await;
        let q = question(db, me, "t", "q").await;
        let mut cards = Vec::new();
        for i in 0..24 {
            cards.push(approved_card(db, me, q, &format!("cue {i}"), &format!("fact {i}")).await);
        }
        let stores = [db.reopen().await, db.reopen().await];
        let mut tasks = tokio::task::JoinSet::new();
        for (w, store) in stores.iter().enumerate() {
            for (i, id) in cards
                .iter()
                .copied()
                .enumerate()
                .filter(|(i, _)| i % 2 == w)
            {
                let store = store.clone();
                tasks.spawn(async move {
                    let outcome = if i % 3 == 0 {
                        Outcome::Wrong
                    } else {
                        Outcome::Unsure
                    };
                    store.rate_card(me, id, outcome, t0()).await.map(|_| ())
                });
            }
            let store = store.clone();
            tasks.spawn(async move {
                for _ in 0..10 {
                    store.publish_pending(5, t0()).await?;
                }
                Ok(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap_or_else(|e| panic!("join: {e}"))
                .unwrap_or_else(|e| panic!("task: {e}"));
        }
        while db
            .store()
            .publish_pending(100, t0())
            .await
            .map(|r| r.applied + r.skipped)
            .unwrap_or(0)
            > 0
        {}
        let feed = db.store().feed_since(me, 0, 1000).await.unwrap_or_default();
        let seqs: Vec<i64> = feed.iter().map(|f| f.seq).collect();
        assert_eq!(
            seqs,
            (1..=48).collect::<Vec<i64>>(),
            "24 approvals + 24 ratings, no gaps"
        );
        let distinct: HashSet<(String, i64)> =
            feed.iter().map(|f| (f.kind.clone(), f.source_id)).collect();
        assert_eq!(distinct.len(), 48, "no duplicates");
    }

    /// A rating publishes its progress row as a read of the row gives it: the backfill, which
    /// reads every row back, finds nothing new to publish. The time has sub-millisecond
    /// digits, which SQLite does not keep.
    pub async fn a_published_rating_is_the_row_as_stored(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q = question(db, me, "t", "q").await;
        let a = approved_card(db, me, q, "cue a", "fact a").await;
        let b = approved_card(db, me, q, "cue b", "fact b").await;
        let t = t0() + Duration::nanoseconds(123_456_789);
        // A new card (its progress row inserted), then the same card again (updated), then
        // another card after an undo took the newest progress row away.
        for (card, outcome) in [
            (a, Outcome::Wrong),
            (a, Outcome::Correct),
            (b, Outcome::Unsure),
        ] {
            s.rate_card(me, card, outcome, t)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        s.rate_card(me, b, Outcome::Correct, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.publish_pending(100, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let feed = s.feed_since(me, 0, 100).await.unwrap_or_default();
        let published: Vec<i64> = feed
            .iter()
            .filter(|f| f.kind == "study_card_progress" && !f.deleted)
            .map(|f| f.source_id)
            .collect();
        assert_eq!(published.len(), 4, "four ratings, each a change: {feed:?}");
        let enqueued = s
            .publish_backfill(me, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(enqueued, 4, "two cards and their two progress rows");
        let report = s
            .publish_pending(100, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (report.applied, report.skipped),
            (0, 4),
            "every row was published as stored"
        );
        for card in [a, b] {
            let row: serde_json::Value = serde_json::from_str(&progress_row(db, card).await)
                .unwrap_or_else(|e| panic!("{e}"));
            let id = row["id"].as_i64().unwrap_or_default();
            assert_eq!(
                feed.iter()
                    .rfind(|f| f.kind == "study_card_progress" && f.source_id == id)
                    .map(|f| f.payload["card_id"].as_i64()),
                Some(Some(card.0)),
                "the feed names the progress row by its id"
            );
        }
        // The rating after the undo got a fresh review and undo entry: undoing it works.
        let undone = s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(undone.map(|u| u.card_ids), Some(vec![b]));
        assert_eq!(count(db, "study_card_reviews").await, 2);
    }

    /// The journal is pruned as ratings add to it: it keeps 200 to 250 entries of the
    /// learner's, and none of another learner's is touched.
    pub async fn ratings_prune_only_their_learners_undo_journal(db: &TestDb) {
        let s = db.store();
        let (me, other) = (user(s, "me").await, user(s, "other").await);
        let q = question(db, me, "t", "q").await;
        let a = approved_card(db, me, q, "cue", "fact").await;
        let theirs = question(db, other, "t", "q").await;
        let b = approved_card(db, other, theirs, "cue", "fact").await;
        s.rate_card(other, b, Outcome::Correct, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut shown = None;
        for k in 0..260 {
            let at = t0() + Duration::minutes(k);
            shown = Some(
                s.rate_card_as_shown(me, a, shown, Outcome::Wrong, at)
                    .await
                    .unwrap_or_else(|e| panic!("rating {k}: {e}"))
                    .after,
            );
        }
        let kept = count(db, "undo_log").await - 1;
        assert!((200..=250).contains(&kept), "{kept} entries kept");
        assert_eq!(count(db, "study_card_reviews").await, 261);
        let undone = s
            .undo_last(other, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            undone.map(|u| u.card_ids),
            Some(vec![b]),
            "the other's entry is kept"
        );
        let undone = s
            .undo_last(me, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            undone.map(|u| u.card_ids),
            Some(vec![a]),
            "the newest entry is kept"
        );
    }

    pub async fn two_ratings_of_one_card_apply_one_after_the_other(db: &TestDb) {
        let me = user(db.store(), "me").await;
        let q = question(db, me, "t", "q").await;
        let a = approved_card(db, me, q, "cue", "fact").await;
        let (s1, s2) = (db.reopen().await, db.reopen().await);
        let t = t0();
        let (r1, r2) = tokio::join!(
            s1.rate_card(me, a, Outcome::Wrong, t),
            s2.rate_card(me, a, Outcome::Wrong, t)
        );
        let (r1, r2) = (
            r1.unwrap_or_else(|e| panic!("{e}")),
            r2.unwrap_or_else(|e| panic!("{e}")),
        );
        // Exactly one of them saw a new card; the other saw the first one's result.
        let firsts = [r1.before, r2.before]
            .iter()
            .filter(|b| b.is_none())
            .count();
        assert_eq!(firsts, 1, "{r1:?} {r2:?}");
        let second = if r1.before.is_none() { r2 } else { r1 };
        assert_eq!(second.before.and_then(|l| l.stage), Some(0));
        assert_eq!(count(db, "study_card_reviews").await, 2);
        assert_eq!(count(db, "study_memo_card_progress").await, 1);
    }
}

conformance!(
    adding_a_manual_card_is_undone_first,
    undo_restores_exact_card_rows,
    undo_restores_exact_progress_and_log,
    undo_that_would_duplicate_an_answer_is_refused,
    outbox_rows_commit_with_their_change,
    publisher_skips_unchanged_and_tombstones,
    concurrent_writers_give_a_gapless_feed,
    ratings_prune_only_their_learners_undo_journal,
    two_ratings_of_one_card_apply_one_after_the_other,
    a_published_rating_is_the_row_as_stored,
);
