//! Store conformance for Browse (issue 18): filters, the search (case, full width, Korean,
//! every write path keeping the search text right), sorting and paging without duplicates
//! or gaps, forget and its undo (the review log kept), editing an approved card in place,
//! and user scoping. Every case runs on SQLite and on PostgreSQL.

mod common;

mod cases {
    use std::collections::HashSet;

    use amgi::domain::card::{CardFormat, Outcome};
    use amgi::store::{
        BrowseFilter, BrowseRow, BrowseSort, BrowseState, CardEdit, CardId, NewManualCard,
        StoreError, UserId,
    };
    use chrono::{DateTime, Duration, Utc};

    use crate::common::fixtures::{approved_card, card, count, progress_row, question};
    use crate::common::{Kind, TestDb, user};

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    /// Every row of the listing, read in one page.
    async fn list(db: &TestDb, user: UserId, filter: &BrowseFilter) -> Vec<BrowseRow> {
        let page = db
            .store()
            .browse(user, filter, None, 10_000)
            .await
            .unwrap_or_else(|e| panic!("browse: {e}"));
        assert_eq!(page.next, None, "one page holds everything");
        page.rows
    }

    async fn ids(db: &TestDb, user: UserId, filter: &BrowseFilter) -> Vec<CardId> {
        list(db, user, filter)
            .await
            .into_iter()
            .map(|r| r.card.id)
            .collect()
    }

    fn search(text: &str) -> BrowseFilter {
        BrowseFilter {
            search: text.to_owned(),
            ..Default::default()
        }
    }

    fn state(s: BrowseState) -> BrowseFilter {
        BrowseFilter {
            state: Some(s),
            ..Default::default()
        }
    }

    /// Runs one statement behind the store's back (a writer that knows nothing of the
    /// search column).
    async fn raw(db: &TestDb, sql: &'static str, id: CardId) {
        match &db.kind {
            Kind::Sqlite { sqlite, .. } => sqlx::query(sql)
                .bind(id.0)
                .execute(sqlite.pool())
                .await
                .map(|_| ()),
            Kind::Postgres { pg, .. } => sqlx::query(sql)
                .bind(id.0)
                .execute(pg.pool())
                .await
                .map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn manual(material: &str, cue: &str, fact: &str, cloze: Option<&str>) -> NewManualCard {
        NewManualCard {
            material: material.to_owned(),
            format: if cloze.is_some() {
                CardFormat::Cloze
            } else {
                CardFormat::Qa
            },
            cue: cue.to_owned(),
            fact: fact.to_owned(),
            cloze_text: cloze.map(str::to_owned),
        }
    }

    pub async fn filters_by_state_topic_format_and_material(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let t = t0();
        let q1 = question(db, me, "한국사", "훈민정음이 반포된 해는?").await;
        let q2 = question(db, me, "생물", "세포의 발전소는?").await;
        let in_review = card(db, me, q1, "반포 연도", "1446년").await;
        let flagged = approved_card(db, me, q1, "창제 연도", "1443년").await;
        s.flag_card(me, flagged, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let new = approved_card(db, me, q1, "세종의 아버지", "태종").await;
        let stage0 = approved_card(db, me, q1, "집현전 설치", "1420년").await;
        let mastered = approved_card(db, me, q1, "세종 즉위", "1418년").await;
        let stage1 = approved_card(db, me, q2, "세포의 발전소", "미토콘드리아").await;
        let rate = |id, outcome, at| async move {
            s.rate_card(me, id, outcome, at)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        };
        rate(stage0, Outcome::Wrong, t).await;
        rate(mastered, Outcome::Correct, t).await;
        rate(stage1, Outcome::Wrong, t).await;
        rate(stage1, Outcome::Correct, t + Duration::days(1)).await;
        let m = s
            .create_manual_card(
                me,
                &manual(
                    "교과서 3장",
                    "세종",
                    "집현전",
                    Some("세종은 {{blank}}을 설치했다."),
                ),
                t,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let deleted = approved_card(db, me, q2, "지워진 카드", "없음").await;
        s.delete_card(me, deleted, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        let all = list(db, me, &BrowseFilter::default()).await;
        let all_ids: Vec<CardId> = all.iter().map(|r| r.card.id).collect();
        assert_eq!(
            all_ids,
            vec![in_review, flagged, new, stage0, mastered, stage1, m.id],
            "every live card, approved or not, by id; the deleted one is not listed"
        );
        let states: Vec<BrowseState> = all.iter().map(|r| r.state).collect();
        assert_eq!(
            states,
            vec![
                BrowseState::InReview,
                BrowseState::Flagged,
                BrowseState::New,
                BrowseState::Learning(0),
                BrowseState::Mastered,
                BrowseState::Learning(1),
                BrowseState::InReview,
            ]
        );
        assert_eq!(
            ids(db, me, &state(BrowseState::InReview)).await,
            vec![in_review, flagged, m.id]
        );
        assert_eq!(
            ids(db, me, &state(BrowseState::Flagged)).await,
            vec![flagged]
        );
        assert_eq!(ids(db, me, &state(BrowseState::New)).await, vec![new]);
        assert_eq!(
            ids(db, me, &state(BrowseState::Learning(0))).await,
            vec![stage0]
        );
        assert_eq!(
            ids(db, me, &state(BrowseState::Learning(1))).await,
            vec![stage1]
        );
        assert!(
            ids(db, me, &state(BrowseState::Learning(2)))
                .await
                .is_empty()
        );
        assert_eq!(
            ids(db, me, &state(BrowseState::Mastered)).await,
            vec![mastered]
        );

        let topics = s.list_topics(me).await.unwrap_or_default();
        let biology = topics.iter().find(|t| t.name == "생물").map(|t| t.id);
        let by_topic = BrowseFilter {
            topic: biology,
            ..Default::default()
        };
        assert_eq!(ids(db, me, &by_topic).await, vec![stage1]);
        let cloze = BrowseFilter {
            format: Some(CardFormat::Cloze),
            ..Default::default()
        };
        assert_eq!(ids(db, me, &cloze).await, vec![m.id]);
        let qa_learning = BrowseFilter {
            format: Some(CardFormat::Qa),
            state: Some(BrowseState::Learning(0)),
            ..Default::default()
        };
        assert_eq!(ids(db, me, &qa_learning).await, vec![stage0]);
        let material = BrowseFilter {
            material: Some("교과서 3장".into()),
            ..Default::default()
        };
        assert_eq!(ids(db, me, &material).await, vec![m.id]);
        let row = &all[5];
        assert_eq!(row.ladder.and_then(|l| l.stage), Some(1));
        assert_eq!(row.last_reviewed_at, Some(t + Duration::days(1)));
    }

    pub async fn search_folds_case_width_and_korean(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let t = t0();
        let q = question(db, me, "네트워크", "HTTPS의 기본 포트는?").await;
        // Inserted behind the store's back, as the worker's fixture does: no search text yet.
        let https = card(db, me, q, "HTTPS 기본 포트", "443").await;
        let history = approved_card(db, me, q, "한국사 연표", "조선").await;
        let cloze = s
            .create_manual_card(
                me,
                &manual(
                    "교과서",
                    "세종",
                    "집현전",
                    Some("세종은 {{blank}}을 설치했다."),
                ),
                t,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .id;
        let wild = s
            .create_manual_card(me, &manual("교과서", "할인율", "50%_off", None), t)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .id;
        assert_eq!(ids(db, me, &search("https")).await, vec![https]);
        assert_eq!(
            ids(db, me, &search("ＨＴＴＰＳ")).await,
            vec![https],
            "full width"
        );
        assert_eq!(
            ids(db, me, &search("Https 기본")).await,
            vec![https],
            "case"
        );
        assert_eq!(
            ids(db, me, &search("４４３")).await,
            vec![https],
            "full-width digits"
        );
        assert_eq!(
            ids(db, me, &search("집현전")).await,
            vec![cloze],
            "the answer"
        );
        assert_eq!(
            ids(db, me, &search("설치했다")).await,
            vec![cloze],
            "the cloze"
        );
        // 한 as conjoining jamo (how some input methods and macOS file names write it).
        assert_eq!(
            ids(db, me, &search("\u{1112}\u{1161}\u{11ab}국사")).await,
            vec![history]
        );
        assert_eq!(
            ids(db, me, &search("%_")).await,
            vec![wild],
            "wildcards are literal"
        );
        assert!(ids(db, me, &search("없는말")).await.is_empty());
        assert_eq!(
            ids(db, me, &search("   ")).await.len(),
            4,
            "a blank search is no search"
        );

        // An edit: the new text is found, the old is not.
        s.edit_card(
            me,
            https,
            &CardEdit {
                cue: "ＴＬＳ 포트".into(),
                fact: "443".into(),
                cloze_text: None,
            },
            t,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(ids(db, me, &search("https")).await.is_empty());
        assert_eq!(ids(db, me, &search("tls")).await, vec![https]);
        // Undo restores the text, and the search text with it.
        s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids(db, me, &search("https")).await, vec![https]);
        assert!(ids(db, me, &search("tls")).await.is_empty());
        // A writer that changes the text without the search column leaves it stale, never
        // wrong: the database marks it and the next search computes it again.
        raw(
            db,
            "UPDATE study_memo_cards SET fact = '사백사십삼' WHERE id = $1",
            https,
        )
        .await;
        assert_eq!(ids(db, me, &search("사백사십삼")).await, vec![https]);
        assert!(ids(db, me, &search("443")).await.is_empty());
        // A manual import writes it too.
        let imported = amgi::store::archive::ImportedCard {
            material: "수입".into(),
            format: CardFormat::Qa,
            cue: "Ｋｉｍｃｈｉ".into(),
            fact: "김치".into(),
            cloze_text: None,
            evidence: None,
            ladder: None,
        };
        s.import_cards(me, &[imported], false, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids(db, me, &search("KIMCHI")).await.len(), 1);
    }

    pub async fn pages_cover_every_sort_without_duplicates_or_gaps(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let t = t0();
        let q = question(db, me, "t", "q").await;
        let mut all = Vec::new();
        for i in 0..23i64 {
            let id = approved_card(db, me, q, &format!("단서 {i}"), &format!("답 {i}")).await;
            // A third never rated, a third rated once (due tomorrow), a third twice; some
            // viewed, some alike in every sorted value, so ties are broken by id.
            match i % 3 {
                0 => {}
                1 => {
                    s.rate_card(me, id, Outcome::Wrong, t + Duration::hours(i % 4))
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                _ => {
                    s.rate_card(me, id, Outcome::Wrong, t)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    s.rate_card(me, id, Outcome::Correct, t + Duration::days(1))
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
            for _ in 0..(i % 4) {
                s.record_view(me, id, t)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            all.push(id);
        }
        for sort in [
            BrowseSort::Id,
            BrowseSort::Due,
            BrowseSort::LastReview,
            BrowseSort::Views,
        ] {
            let filter = BrowseFilter {
                sort,
                ..Default::default()
            };
            let whole = list(db, me, &filter).await;
            let mut paged = Vec::new();
            let mut after = None;
            loop {
                let page = s
                    .browse(me, &filter, after, 5)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(page.rows.len() <= 5);
                paged.extend(page.rows.iter().map(|r| r.card.id));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            let whole_ids: Vec<CardId> = whole.iter().map(|r| r.card.id).collect();
            assert_eq!(
                paged, whole_ids,
                "{sort:?}: pages are the listing, in order"
            );
            assert_eq!(
                paged.iter().collect::<HashSet<_>>().len(),
                all.len(),
                "{sort:?}: every card once"
            );
            for pair in whole.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                let ordered = match sort {
                    BrowseSort::Id => a.card.id < b.card.id,
                    BrowseSort::Due => {
                        let due = |r: &BrowseRow| r.ladder.and_then(|l| l.due_at);
                        match (due(a), due(b)) {
                            (Some(x), Some(y)) => (x, a.card.id) < (y, b.card.id),
                            (Some(_), None) => true,
                            (None, Some(_)) => false,
                            (None, None) => a.card.id < b.card.id,
                        }
                    }
                    BrowseSort::LastReview => match (a.last_reviewed_at, b.last_reviewed_at) {
                        (Some(x), Some(y)) => x > y || (x == y && a.card.id < b.card.id),
                        (Some(_), None) => true,
                        (None, Some(_)) => false,
                        (None, None) => a.card.id < b.card.id,
                    },
                    BrowseSort::Views => {
                        a.card.view_count > b.card.view_count
                            || (a.card.view_count == b.card.view_count && a.card.id < b.card.id)
                    }
                };
                assert!(ordered, "{sort:?}: {:?} before {:?}", a.card.id, b.card.id);
            }
        }
        // A search pages the same way.
        let filter = search("단서 1");
        let first = s
            .browse(me, &filter, None, 3)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let rest = s
            .browse(me, &filter, first.next, 100)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let found: Vec<CardId> = first
            .rows
            .iter()
            .chain(&rest.rows)
            .map(|r| r.card.id)
            .collect();
        // 단서 1, 단서 10 … 단서 19.
        assert_eq!(found.len(), 11);
        assert_eq!(rest.next, None);
    }

    pub async fn forget_resets_the_schedule_and_undo_restores_it(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let t = t0();
        let q = question(db, me, "t", "q").await;
        let id = approved_card(db, me, q, "임진왜란", "1592년").await;
        let never = approved_card(db, me, q, "병자호란", "1636년").await;
        s.rate_card(me, id, Outcome::Wrong, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.rate_card(me, id, Outcome::Correct, t + Duration::days(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let before = progress_row(db, id).await;
        let reviews = count(db, "study_card_reviews").await;
        let outbox = count(db, "publish_outbox").await;
        assert_eq!(reviews, 2);

        s.forget_card(me, id, t + Duration::days(2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(progress_row(db, id).await, "none");
        assert_eq!(
            count(db, "study_card_reviews").await,
            reviews,
            "the log stays"
        );
        assert_eq!(
            count(db, "publish_outbox").await,
            outbox + 1,
            "the progress row's tombstone goes to the outbox"
        );
        assert_eq!(ids(db, me, &state(BrowseState::New)).await, vec![id, never]);
        let deck = s
            .due_deck(me, t + Duration::days(2), 10)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let first_recall = deck.iter().find(|d| d.card.id == id);
        assert!(
            first_recall.is_some_and(|d| d.ladder.is_none()),
            "a forgotten card is new in the due deck"
        );
        // Nothing to forget on a card never rated; nothing changes.
        assert!(matches!(
            s.forget_card(me, never, t).await,
            Err(StoreError::Refused(_))
        ));

        let undone = s
            .undo_last(me, t + Duration::days(2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            undone.map(|u| (u.kind, u.card_ids)),
            Some((amgi::store::UndoKind::Forget, vec![id]))
        );
        assert_eq!(
            progress_row(db, id).await,
            before,
            "the row exactly as it was"
        );
        assert_eq!(count(db, "study_card_reviews").await, reviews);
        assert_eq!(count(db, "publish_outbox").await, outbox + 2);
        assert_eq!(
            ids(db, me, &state(BrowseState::Learning(1))).await,
            vec![id]
        );
        // The restored row rates on as before: stage 1 → 2.
        let r = s
            .rate_card(me, id, Outcome::Correct, t + Duration::days(4))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.after.stage, Some(2));
    }

    pub async fn an_approved_card_is_edited_in_place(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let t = t0();
        let q = question(db, me, "t", "q").await;
        let id = approved_card(db, me, q, "임진왜란이 일어난 해", "1592년").await;
        s.rate_card(me, id, Outcome::Wrong, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let edited = s
            .edit_card(
                me,
                id,
                &CardEdit {
                    cue: "임진왜란 발발 연도".into(),
                    fact: "1592년".into(),
                    cloze_text: None,
                },
                t,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!edited.needs_review, "still approved: not sent back first");
        assert!(s.review_queue(me).await.unwrap_or_default().is_empty());
        let rows = list(db, me, &search("발발")).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, BrowseState::Learning(0), "its schedule kept");
        s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(ids(db, me, &search("발발")).await.is_empty());
        assert_eq!(ids(db, me, &search("일어난")).await, vec![id]);
    }

    pub async fn browse_is_scoped_to_the_user(db: &TestDb) {
        let s = db.store();
        let me = user(s, "me").await;
        let other = user(s, "other").await;
        let t = t0();
        let mine = question(db, me, "한국사", "q").await;
        let theirs = question(db, other, "한국사", "q").await;
        let a = approved_card(db, me, mine, "세종", "1446년").await;
        let b = approved_card(db, other, theirs, "세종", "1446년").await;
        s.rate_card(me, a, Outcome::Wrong, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.rate_card(other, b, Outcome::Wrong, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids(db, me, &BrowseFilter::default()).await, vec![a]);
        assert_eq!(ids(db, other, &search("세종")).await, vec![b]);
        let their_topic = s
            .list_topics(other)
            .await
            .unwrap_or_default()
            .first()
            .map(|t| t.id);
        let filter = BrowseFilter {
            topic: their_topic,
            ..Default::default()
        };
        assert!(ids(db, me, &filter).await.is_empty());
        assert!(matches!(
            s.forget_card(me, b, t).await,
            Err(StoreError::NotFound(_))
        ));
        assert_ne!(
            progress_row(db, b).await,
            "none",
            "their schedule untouched"
        );
        // My undo does not reach their forget.
        s.forget_card(other, b, t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let undone = s.undo_last(me, t).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            undone.map(|u| u.card_ids),
            Some(vec![a]),
            "my rating, not their forget"
        );
        assert_eq!(progress_row(db, b).await, "none");
    }
}

conformance!(
    filters_by_state_topic_format_and_material,
    search_folds_case_width_and_korean,
    pages_cover_every_sort_without_duplicates_or_gaps,
    forget_resets_the_schedule_and_undo_restores_it,
    an_approved_card_is_edited_in_place,
    browse_is_scoped_to_the_user,
);
