//! Store conformance for the learner's everyday tools (issue 18): the daily new-card limit,
//! sibling burying, topic narrowing with the remembered focus, and every statistics query
//! against a hand-built review log. Every case runs on SQLite and on PostgreSQL.

mod common;

mod cases {
    use std::collections::HashSet;

    use amgi::domain::card::Outcome;
    use amgi::domain::due_plan::{DueRules, has_adjacent_siblings};
    use amgi::domain::study_day::StudyDay;
    use amgi::store::{
        CardId, CramFilter, DueRequest, PatternCounts, Retention, SharedStore, StageCounts,
        StatsRequest, StoreError, TodayCounts, TopicId, UserId,
    };
    use amgi::tui::app::App;
    use amgi::tui::keymap::Keymap;
    use chrono::{DateTime, Duration, FixedOffset, Utc};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::common::fixtures::{approved_card, question};
    use crate::common::{TestDb, user};

    /// 18:00 on 1 March in Seoul.
    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn seoul() -> FixedOffset {
        FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| panic!("offset"))
    }

    fn request(now: DateTime<Utc>, rules: DueRules, topic: Option<TopicId>) -> DueRequest {
        DueRequest {
            now,
            today: StudyDay::of(now, seoul()),
            topic,
            rules,
            limit: 200,
        }
    }

    fn rules(new_per_day: u32, bury_siblings: bool) -> DueRules {
        DueRules {
            new_per_day,
            bury_siblings,
        }
    }

    /// The deck's card ids.
    async fn deck(s: &SharedStore, me: UserId, request: DueRequest) -> Vec<CardId> {
        s.due_deck_today(me, &request)
            .await
            .unwrap_or_else(|e| panic!("due deck: {e}"))
            .cards
            .iter()
            .map(|d| d.card.id)
            .collect()
    }

    async fn rate(s: &SharedStore, me: UserId, card: CardId, outcome: Outcome, at: DateTime<Utc>) {
        s.rate_card(me, card, outcome, at)
            .await
            .unwrap_or_else(|e| panic!("rate {card:?}: {e}"));
    }

    /// `n` approved cards, each of its own question of topic `topic`.
    async fn lone_cards(db: &TestDb, me: UserId, topic: &str, n: usize) -> Vec<CardId> {
        let mut ids = Vec::new();
        for i in 0..n {
            let q = question(db, me, topic, &format!("{topic} 문제 {i}")).await;
            ids.push(approved_card(db, me, q, &format!("단서 {i}"), &format!("답 {i}")).await);
        }
        ids
    }

    pub async fn new_cards_are_limited_per_local_day(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let c = lone_cards(db, me, "한국사", 6).await;
        let limit = rules(3, true);
        // 23:30 in Seoul on 1 March.
        let late = t0() + Duration::minutes(330);
        assert_eq!(
            deck(s, me, request(late, limit, None)).await,
            c[..3].to_vec()
        );
        rate(s, me, c[0], Outcome::Correct, late).await;
        rate(s, me, c[1], Outcome::Wrong, late).await;
        let after = s
            .due_deck_today(me, &request(late, limit, None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(after.new_introduced_today, 2);
        let ids: Vec<CardId> = after.cards.iter().map(|d| d.card.id).collect();
        assert_eq!(
            ids,
            vec![c[2]],
            "two of the three new cards were introduced today"
        );
        // 00:30 in Seoul on 2 March: a new local day, though still 1 March in UTC.
        let next_day = late + Duration::hours(1);
        assert_eq!(next_day.date_naive(), late.date_naive());
        assert_eq!(
            deck(s, me, request(next_day, limit, None)).await,
            c[2..5].to_vec(),
            "the allowance starts again at local midnight"
        );
        // A day after the miss, the missed card is due: due cards are never limited.
        let due_day = late + Duration::days(1);
        let none_new = rules(0, true);
        assert_eq!(
            deck(s, me, request(due_day, none_new, None)).await,
            vec![c[1]]
        );
        assert_eq!(
            deck(s, me, request(due_day, limit, None)).await,
            vec![c[1], c[2], c[3], c[4]]
        );
        // The count is the user's own.
        let other = user(s, "other").await;
        assert!(deck(s, other, request(late, limit, None)).await.is_empty());
    }

    pub async fn siblings_are_buried_until_the_next_day(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let q1 = question(db, me, "한국사", "훈민정음이 반포된 해는?").await;
        let q2 = question(db, me, "한국사", "임진왜란이 일어난 해는?").await;
        let a = approved_card(db, me, q1, "훈민정음 반포", "1446년").await;
        let b = approved_card(db, me, q1, "반포한 왕", "세종").await;
        let c = approved_card(db, me, q2, "임진왜란", "1592년").await;
        let bury = rules(20, true);
        let spread = rules(20, false);
        assert_eq!(
            deck(s, me, request(t0(), bury, None)).await,
            vec![a, c],
            "one card per question"
        );
        let unburied = deck(s, me, request(t0(), spread, None)).await;
        assert_eq!(unburied, vec![a, c, b], "siblings spread apart");
        rate(s, me, a, Outcome::Wrong, t0()).await;
        assert_eq!(
            deck(s, me, request(t0() + Duration::minutes(1), bury, None)).await,
            vec![c],
            "b waits for tomorrow"
        );
        assert_eq!(
            deck(s, me, request(t0() + Duration::minutes(1), spread, None)).await,
            vec![b, c],
            "without burying the sibling stays"
        );
        // The next local day (Seoul midnight is 15:00 UTC), before a is due again.
        let tomorrow = t0() + Duration::hours(7);
        assert_eq!(deck(s, me, request(tomorrow, bury, None)).await, vec![b, c]);
        // Once a is due, it comes first and b waits again; never back to back.
        let due = t0() + Duration::days(1);
        let held = s
            .due_deck_today(me, &request(due, bury, None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<CardId> = held.cards.iter().map(|d| d.card.id).collect();
        assert_eq!(ids, vec![a, c]);
        let questions: Vec<Option<i64>> = held
            .cards
            .iter()
            .map(|d| d.card.source_question_id.map(|q| q.0))
            .collect();
        let unique: HashSet<_> = questions.iter().collect();
        assert_eq!(unique.len(), questions.len());
        let spread_deck = s
            .due_deck_today(me, &request(due, spread, None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<CardId> = spread_deck.cards.iter().map(|d| d.card.id).collect();
        assert_eq!(ids, vec![a, c, b]);
        struct Q(Option<i64>);
        impl amgi::domain::due_plan::Sibling for Q {
            fn question(&self) -> Option<i64> {
                self.0
            }
        }
        let shape: Vec<Q> = spread_deck
            .cards
            .iter()
            .map(|d| Q(d.card.source_question_id.map(|q| q.0)))
            .collect();
        assert!(!has_adjacent_siblings(&shape));
    }

    pub async fn topics_narrow_the_decks_and_the_focus_is_remembered(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let history = lone_cards(db, me, "한국사", 2).await;
        let english = lone_cards(db, me, "영어", 2).await;
        let topics = s.list_topics(me).await.unwrap_or_else(|e| panic!("{e}"));
        let topic = |name: &str| {
            topics
                .iter()
                .find(|t| t.name == name)
                .map(|t| t.id)
                .unwrap_or_else(|| panic!("no topic {name}"))
        };
        let (korean_history, en) = (topic("한국사"), topic("영어"));
        let all = rules(20, true);
        assert_eq!(
            deck(s, me, request(t0(), all, Some(korean_history))).await,
            history
        );
        assert_eq!(deck(s, me, request(t0(), all, Some(en))).await, english);
        assert_eq!(deck(s, me, request(t0(), all, None)).await.len(), 4);
        let cram: Vec<CardId> = s
            .cram_deck(
                me,
                &CramFilter {
                    topic: Some(en),
                    ..CramFilter::default()
                },
                10,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(cram, english);

        assert_eq!(s.focused_topic(me).await.ok(), Some(None));
        s.focus_topic(me, Some(en), t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.focused_topic(me).await.ok(), Some(Some(en)));
        s.focus_topic(me, Some(korean_history), t0() + Duration::minutes(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.focused_topic(me).await.ok(),
            Some(Some(korean_history)),
            "the most recently focused topic"
        );
        let listed = s.list_topics(me).await.unwrap_or_default();
        assert!(listed.iter().all(|t| t.focused_at.is_some()));
        // Another process (another run of the app) reads the same focus, and the app's
        // first Due deck is narrowed to it.
        let again = db.reopen().await;
        assert_eq!(
            again.focused_topic(me).await.ok(),
            Some(Some(korean_history))
        );
        let mut app = App::new(again.clone(), me, "me", Keymap::defaults());
        let mut terminal =
            Terminal::new(TestBackend::new(80, 24)).unwrap_or_else(|e| panic!("{e}"));
        app.run_until(&mut terminal, futures_util::stream::pending(), |s| {
            s.due.loaded && s.cram.loaded && s.topics.loaded
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let first_deck: Vec<CardId> = app.state.due.deck.iter().map(|d| d.card.id).collect();
        assert_eq!(first_deck, history, "the first Due deck, narrowed");
        assert_eq!(app.state.topics.focused, Some(korean_history));
        let first_cram: Vec<CardId> = app.state.cram.deck.iter().map(|c| c.id).collect();
        assert_eq!(first_cram, history, "the first Cram deck, narrowed");
        // Another user neither sees nor changes it.
        let other = user(s, "other").await;
        assert_eq!(s.focused_topic(other).await.ok(), Some(None));
        assert!(matches!(
            s.focus_topic(other, Some(en), t0()).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(
            deck(s, other, request(t0(), all, Some(en)))
                .await
                .is_empty()
        );
        // "All topics" clears the focus.
        s.focus_topic(me, None, t0() + Duration::minutes(2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.focused_topic(me).await.ok(), Some(None));
        assert!(
            s.list_topics(me)
                .await
                .unwrap_or_default()
                .iter()
                .all(|t| t.focused_at.is_none())
        );
    }

    pub async fn statistics_match_a_hand_built_review_log(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let ids = lone_cards(db, me, "한국사", 8).await;
        let [a, b, c, d, e, g, h, z] = [
            ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ids[7],
        ];
        let day = |n: i64| t0() + Duration::days(n);
        // The log, oldest first (t0 is 18:00 in Seoul, so each rating is on its local day).
        rate(s, me, d, Outcome::Wrong, day(-400)).await; // outside the year
        rate(s, me, h, Outcome::Wrong, day(-60)).await; // h climbs the whole ladder
        rate(s, me, h, Outcome::Correct, day(-50)).await;
        rate(s, me, h, Outcome::Correct, day(-45)).await;
        rate(s, me, h, Outcome::Correct, day(-35)).await;
        rate(s, me, h, Outcome::Correct, day(-20)).await; // stage 3 → mastered
        rate(s, me, a, Outcome::Correct, day(-10)).await; // known on first sight
        rate(s, me, g, Outcome::Wrong, day(-5)).await; // due day -4: overdue
        rate(s, me, b, Outcome::Wrong, day(-3)).await;
        rate(s, me, z, Outcome::Wrong, day(-2)).await; // then deleted
        rate(s, me, b, Outcome::Correct, day(-1)).await; // stage 0 → 1, due day +2
        rate(s, me, d, Outcome::Correct, t0() - Duration::hours(1)).await; // due +3d -1h
        rate(s, me, c, Outcome::Unsure, t0()).await; // due day +1
        s.delete_card(me, z, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let _never_rated = e;

        let req = StatsRequest::standard(t0() + Duration::minutes(30), StudyDay::of(t0(), seoul()));
        let per_day = s.reviews_per_day(me, &req).await.unwrap_or_default();
        assert_eq!(per_day.len(), 365);
        let mut expected = vec![0u64; 365];
        for (index, n) in [
            (304, 1),
            (314, 1),
            (319, 1),
            (329, 1),
            (344, 1),
            (354, 1),
            (359, 1),
            (361, 1),
            (362, 1),
            (363, 1),
            (364, 2),
        ] {
            expected[index] = n;
        }
        assert_eq!(per_day, expected);

        assert_eq!(
            s.today_counts(me, &req).await.ok(),
            Some(TodayCounts {
                reviewed: 2,
                new: 1,
                again: 1
            })
        );

        let forecast = s.due_forecast(me, &req).await.unwrap_or_default();
        let mut expected = vec![0u64; 30];
        expected[0] = 1; // g, overdue
        expected[1] = 1; // c
        expected[2] = 1; // b
        expected[3] = 1; // d (z is deleted, h mastered, a known)
        assert_eq!(forecast, expected);

        assert_eq!(
            s.stage_counts(me, &req).await.ok(),
            Some(StageCounts {
                new: 1,
                stages: [2, 2, 0, 0],
                mastered: 1,
                known: 1
            })
        );

        let retention = s.retention(me, &req).await.unwrap_or_default();
        let shape: Vec<(Option<i16>, i64, i64)> = retention
            .iter()
            .map(|r| (r.stage, r.reviews, r.known))
            .collect();
        assert_eq!(
            shape,
            vec![(None, 5, 1), (Some(0), 2, 2), (Some(3), 1, 1)],
            "first ratings: a known; g, b, z, c not"
        );
        assert_eq!(retention.first().and_then(Retention::percent), Some(20.0));

        // Everything together, and nothing of it for another user.
        let all = s.stats(me, &req).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.reviews_per_day.iter().sum::<u64>(), 12);
        assert_eq!(all.forecast.iter().sum::<u64>(), 4);
        let other = user(s, "other").await;
        let nothing = s.stats(other, &req).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(nothing.reviews_per_day.iter().sum::<u64>(), 0);
        assert_eq!(nothing.stages, StageCounts::default());
        assert!(nothing.retention.is_empty());
    }

    /// The forecast and stage counts read each progress row's copy of its card's liveness:
    /// sending a card back, deleting it, approving it again and undoing all move it.
    pub async fn rated_cards_leave_and_rejoin_the_figures_with_their_card(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let ids = lone_cards(db, me, "생물학", 3).await;
        for &card in &ids {
            rate(s, me, card, Outcome::Wrong, t0() - Duration::hours(1)).await;
        }
        let req = &StatsRequest::standard(t0(), StudyDay::of(t0(), seoul()));
        let figures = |when: &'static str| async move {
            let forecast: u64 = s
                .due_forecast(me, req)
                .await
                .unwrap_or_else(|e| panic!("{when}: {e}"))
                .iter()
                .sum();
            let stages = s
                .stage_counts(me, req)
                .await
                .unwrap_or_else(|e| panic!("{when}: {e}"));
            (forecast, stages.stages[0], stages.new)
        };
        assert_eq!(figures("all rated").await, (3, 3, 0));

        s.flag_card(me, ids[0], t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(figures("one sent back").await, (2, 2, 0));
        s.approve_card(me, ids[0], t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(figures("approved again").await, (3, 3, 0));

        s.delete_card(me, ids[1], t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(figures("one deleted").await, (2, 2, 0));
        s.undo_last(me, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(figures("delete undone").await, (3, 3, 0));

        // Another learner's cards and ratings change nothing here.
        let other = user(s, "other").await;
        let theirs = lone_cards(db, other, "생물학", 1).await;
        rate(s, other, theirs[0], Outcome::Wrong, t0()).await;
        assert_eq!(figures("another learner rated").await, (3, 3, 0));
    }

    pub async fn question_patterns_come_from_the_quiz(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        for text in ["문제 가", "문제 나", "문제 다"] {
            question(db, me, "한국사", text).await;
        }
        let session = s
            .start_quiz(me, None, 10, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let asked: Vec<_> = session.questions.iter().map(|q| q.id).collect();
        assert_eq!(asked.len(), 3);
        // The fixture's correct choice is 2: one right, one wrong, one unanswered.
        s.answer_question(me, session.id, asked[0], Some(2), false, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.answer_question(me, session.id, asked[1], Some(1), false, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.finalize_quiz(me, session.id, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let req = StatsRequest::standard(t0(), StudyDay::of(t0(), seoul()));
        assert_eq!(
            s.pattern_counts(me, &req).await.ok(),
            Some(PatternCounts {
                stable: 1,
                learning: 1,
                ..PatternCounts::default()
            })
        );
        let other = user(s, "other").await;
        assert_eq!(
            s.pattern_counts(other, &req).await.ok(),
            Some(PatternCounts::default())
        );
    }
}

conformance!(
    new_cards_are_limited_per_local_day,
    siblings_are_buried_until_the_next_day,
    topics_narrow_the_decks_and_the_focus_is_remembered,
    statistics_match_a_hand_built_review_log,
    rated_cards_leave_and_rejoin_the_figures_with_their_card,
    question_patterns_come_from_the_quiz,
);
