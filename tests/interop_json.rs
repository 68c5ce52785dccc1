//! amgi JSON export and restore: a collection exported and restored into an empty database
//! holds every row it held (ids aside), on each backend and from SQLite to PostgreSQL and
//! back; a bad archive changes nothing.

mod common;

use amgi::domain::card::{CardEdit, CardFormat, Outcome};
use amgi::domain::normalize::{DedupScope, dedup_hash};
use amgi::store::archive::UserArchive;
use amgi::store::prelude::*;
use amgi::store::{NewManualCard, StoreError, UserId};
use chrono::{Duration, Utc};
use common::dump::{assert_same, dump};
use common::{Kind, TestDb, fixtures, user};

/// A collection with something of everything: approved, in-review, edited, flagged,
/// deleted and manual cards, ratings over several days, views, jobs, a second user.
async fn collection(db: &TestDb) -> (UserId, UserId) {
    let me = user(&db.store, "me").await;
    let other = user(&db.store, "other").await;
    let store = &db.store;
    let now = Utc::now();
    let q1 = fixtures::question(db, me, "한국사", "훈민정음이 반포된 해는?").await;
    let q2 = fixtures::question(db, me, "과학", "광합성이 일어나는 곳은?").await;
    let a = fixtures::approved_card(db, me, q1, "훈민정음이 반포된 해는?", "1446년").await;
    let b = fixtures::approved_card(db, me, q2, "광합성이 일어나는 곳은?", "엽록체").await;
    let _in_review = fixtures::card(db, me, q1, "훈민정음을 만든 왕은?", "세종").await;
    let gone = fixtures::card(db, me, q2, "광합성의 산물은?", "포도당").await;
    let flagged =
        fixtures::approved_card(db, me, q2, "광합성에 필요한 기체는?", "이산화탄소").await;
    let edit = CardEdit {
        cue: "광합성이 일어나는 세포 소기관은?".into(),
        fact: "엽록체".into(),
        cloze_text: None,
    };
    let ok = |what: &str, r: Result<(), StoreError>| r.unwrap_or_else(|e| panic!("{what}: {e}"));
    store
        .edit_card(me, b, &edit, now)
        .await
        .unwrap_or_else(|e| panic!("edit: {e}"));
    ok("delete", store.delete_card(me, gone, now).await);
    ok("flag", store.flag_card(me, flagged, now).await);
    let manual = store
        .create_manual_card(
            me,
            &NewManualCard {
                material: "생물 교과서".into(),
                format: CardFormat::Cloze,
                cue: "세포 호흡".into(),
                fact: "미토콘드리아".into(),
                cloze_text: Some("세포 호흡은 {{blank}}에서 일어난다.".into()),
            },
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("manual: {e}"));
    ok(
        "approve manual",
        store.approve_card(me, manual.id, now).await,
    );
    for (card, outcome, days) in [
        (a, Outcome::Wrong, 0),
        (a, Outcome::Correct, 1),
        (a, Outcome::Correct, 4),
        (b, Outcome::Correct, 0),
        (manual.id, Outcome::Unsure, 0),
    ] {
        store
            .rate_card(me, card, outcome, now + Duration::days(days))
            .await
            .unwrap_or_else(|e| panic!("rate: {e}"));
    }
    ok("view", store.record_view(me, a, now).await);
    // A finished quiz (one miss, reviewed into the ladder) and an unfinished one.
    let quiz = |r: Result<amgi::store::quiz::QuizSession, StoreError>| {
        r.unwrap_or_else(|e| panic!("quiz: {e}"))
    };
    let done = quiz(store.start_quiz(me, None, 10, now).await);
    for (q, chosen, minute) in [(q1, Some(1), 1), (q2, Some(2), 2)] {
        store
            .answer_question(
                me,
                done.id,
                q,
                chosen,
                false,
                now + Duration::minutes(minute),
            )
            .await
            .unwrap_or_else(|e| panic!("answer: {e}"));
    }
    store
        .finalize_quiz(me, done.id, now + Duration::minutes(3))
        .await
        .unwrap_or_else(|e| panic!("finalize: {e}"));
    store
        .mark_question_reviewed(me, q1, now + Duration::minutes(4))
        .await
        .unwrap_or_else(|e| panic!("mark reviewed: {e}"));
    let open = quiz(
        store
            .start_quiz(me, None, 10, now + Duration::days(1))
            .await,
    );
    store
        .answer_question(me, open.id, q2, None, false, now + Duration::days(1))
        .await
        .unwrap_or_else(|e| panic!("skip: {e}"));
    store
        .enqueue_ready(20, 2, now)
        .await
        .unwrap_or_else(|e| panic!("enqueue: {e}"));
    let q3 = fixtures::question(db, other, "수학", "원주율의 근삿값은?").await;
    fixtures::approved_card(db, other, q3, "원주율의 근삿값은?", "3.14").await;
    (me, other)
}

/// A fresh, empty database of the same backend as `db`.
async fn empty_like(db: &TestDb) -> TestDb {
    match db.kind {
        Kind::Sqlite { .. } => TestDb::sqlite().await,
        Kind::Postgres { .. } => TestDb::postgres()
            .await
            .unwrap_or_else(|| panic!("PostgreSQL answered a moment ago")),
    }
}

async fn export(db: &TestDb, user: UserId) -> UserArchive {
    db.store
        .export_user(user)
        .await
        .unwrap_or_else(|e| panic!("export: {e}"))
}

async fn restore_as(db: &TestDb, name: &str, archive: &UserArchive) -> UserId {
    db.store
        .restore(&[(name.to_owned(), archive)], &|_| {})
        .await
        .unwrap_or_else(|e| panic!("restore: {e}"));
    user(&db.store, name).await
}

/// Every live card's stored hash is the one its (new) question id gives.
async fn hashes_are_current(db: &TestDb, user: UserId) {
    let archive = export(db, user).await;
    let pool_hashes = common::fixtures::dedup_hashes(db, user).await;
    for card in archive.cards.iter().filter(|c| c.deleted_at.is_none()) {
        let format: CardFormat = card.format.parse().unwrap_or(CardFormat::Qa);
        let material = card.extra.get("material").and_then(|m| m.as_str());
        let want = dedup_hash(
            DedupScope::of(card.source_question_id, material),
            format,
            &card.fact,
        );
        assert_eq!(pool_hashes.get(&card.id), Some(&want), "card {}", card.id);
    }
}

/// The due deck's answers and ladders: what a learner studies next.
async fn due(
    store: &SharedStore,
    user: UserId,
    now: chrono::DateTime<Utc>,
) -> Vec<(String, Option<amgi::domain::schedule::LadderState>)> {
    store
        .due_deck(user, now, 100)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.card.fact, d.ladder))
        .collect()
}

mod cases {
    use super::*;

    pub async fn a_restored_export_holds_every_row(db: &TestDb) {
        let (me, _) = collection(db).await;
        let archive = export(db, me).await;
        assert_eq!(archive.cards.len(), 6);
        assert_eq!(archive.reviews.len(), 5);
        assert_eq!(
            (
                archive.quiz_sessions.len(),
                archive.question_attempts.len(),
                archive.question_progress.len()
            ),
            (2, 3, 2)
        );
        let target = empty_like(db).await;
        // Another user's rows first, so that every id of the restore differs.
        let _ = fixtures::question(&target, user(&target.store, "x").await, "t", "q?").await;
        let restored = restore_as(&target, "me", &archive).await;
        assert_same(&dump(db, me).await, &dump(&target, restored).await);
        hashes_are_current(&target, restored).await;
        // The comparison sees a one-column difference.
        let mut tampered = archive.clone();
        tampered.cards[0].view_count += 1;
        let other = restore_as(&target, "tampered", &tampered).await;
        let cards = |d: common::dump::Dump| d.get("study_memo_cards").cloned();
        assert_eq!(
            cards(dump(db, me).await).map(|c| c.len()),
            cards(dump(&target, other).await).map(|c| c.len())
        );
        assert_ne!(cards(dump(db, me).await), cards(dump(&target, other).await));
        let now = Utc::now() + Duration::days(30);
        assert_eq!(
            due(&db.store, me, now).await,
            due(&target.store, restored, now).await
        );
        target.finish().await;
    }

    pub async fn every_user_is_restored_under_its_name(db: &TestDb) {
        let (me, other) = collection(db).await;
        let (a, b) = (export(db, me).await, export(db, other).await);
        let target = empty_like(db).await;
        target
            .store
            .restore(&[("me".into(), &a), ("other".into(), &b)], &|_| {})
            .await
            .unwrap_or_else(|e| panic!("restore: {e}"));
        for (name, id) in [("me", me), ("other", other)] {
            let restored = user(&target.store, name).await;
            assert_same(&dump(db, id).await, &dump(&target, restored).await);
        }
        target.finish().await;
    }

    pub async fn a_bad_archive_changes_nothing(db: &TestDb) {
        let (me, _) = collection(db).await;
        let archive = export(db, me).await;
        let target = empty_like(db).await;
        let before = dump(&target, user(&target.store, "me").await).await;

        let mut dangling = archive.clone();
        dangling.reviews[0].card_id = 999_999;
        let err = target
            .store
            .restore(&[("me".into(), &dangling)], &|_| {})
            .await;
        assert!(
            matches!(&err, Err(StoreError::Invalid(m)) if m.contains("reviews[0].card_id") && m.contains("999999")),
            "{err:?}"
        );
        let mut orphan = archive.clone();
        orphan.question_attempts[0].session_id = 424_242;
        let err = target
            .store
            .restore(&[("me".into(), &orphan)], &|_| {})
            .await;
        assert!(
            matches!(&err, Err(StoreError::Invalid(m)) if m.contains("question_attempts[0].session_id")),
            "{err:?}"
        );
        let mut two_open = archive.clone();
        for session in &mut two_open.quiz_sessions {
            session.status = "active".into();
            session.finished_at = None;
        }
        let err = target
            .store
            .restore(&[("me".into(), &two_open)], &|_| {})
            .await;
        assert!(
            matches!(&err, Err(StoreError::Invalid(m)) if m.contains("second active session")),
            "{err:?}"
        );
        // Refused by the database half-way (a cloze card without its sentence): rolled back.
        let mut broken = archive.clone();
        if let Some(card) = broken.cards.last_mut() {
            card.format = "cloze".into();
            card.cloze_text = None;
        }
        assert!(
            target
                .store
                .restore(&[("me".into(), &broken)], &|_| {})
                .await
                .is_err()
        );
        assert_same(
            &before,
            &dump(&target, user(&target.store, "me").await).await,
        );
        assert_eq!(fixtures::count(&target, "study_topics").await, 0);

        // A collection that is not empty is refused, and left as it was.
        let _ = restore_as(&target, "me", &archive).await;
        let full = dump(&target, user(&target.store, "me").await).await;
        let again = target
            .store
            .restore(&[("me".into(), &archive)], &|_| {})
            .await;
        assert!(
            matches!(&again, Err(StoreError::Refused(m)) if m.contains("empty")),
            "{again:?}"
        );
        assert_same(&full, &dump(&target, user(&target.store, "me").await).await);
        target.finish().await;
    }
}

conformance!(
    a_restored_export_holds_every_row,
    every_user_is_restored_under_its_name,
    a_bad_archive_changes_nothing,
);

/// SQLite → PostgreSQL → SQLite: the last database holds exactly what the first did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back_keeps_every_row() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let first = TestDb::sqlite().await;
    let (me, _) = collection(&first).await;
    let on_pg = restore_as(&pg, "me", &export(&first, me).await).await;
    let back = TestDb::sqlite().await;
    let last = restore_as(&back, "me", &export(&pg, on_pg).await).await;
    assert_same(&dump(&first, me).await, &dump(&back, last).await);
    hashes_are_current(&back, last).await;
    for db in [first, pg, back] {
        db.finish().await;
    }
}
