//! Applying an extraction: all dropped, supersede of older versions, dedup against live
//! cards, sources that changed meanwhile, and jobs that stay private to their user.

use amgi::domain::guard::DropReason;
use amgi::store::{
    AttemptFailure, CardId, ExtractionReport, Fenced, FinishedExtraction, JobErrorCode, JobInput,
    JobStatus, StoreError,
};

use crate::common::{TestDb, user};
use crate::extraction_support::{
    add_questions, approve_card, cards_of, delete_question, now_ms, qa, secs, set_explanation,
};
use crate::shared::{claim, report};

pub async fn all_dropped_completes_and_is_never_reenqueued(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let ids = add_questions(store, me, &[("q", now - secs(1))]).await;
    store
        .enqueue_ready(20, 2, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let job = claim(store, "w", now).await;
    let guarded = ExtractionReport {
        extractor: "llm".into(),
        model: Some("m".into()),
        latency_ms: 42,
        proposed: 3,
        over_limit: 0,
        dropped: [(DropReason::Quantitative, 2), (DropReason::Leak, 1)].into(),
    };
    let done = store.finish_extraction(job.lease, &[], &guarded, now).await;
    let Ok(Fenced::Applied(FinishedExtraction::AllDropped { payload })) = done else {
        panic!("{done:?}");
    };
    assert_eq!((payload.kept, payload.proposed), (0, 3));
    let stored = store.get_job(me, job.lease.job_id).await;
    let stored = stored.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored.status, JobStatus::Completed);
    assert_eq!(stored.error_code, Some(JobErrorCode::AllDropped));
    let payload = stored.payload.unwrap_or_default();
    assert_eq!(payload["dropped"]["quantitative"], 2);
    assert_eq!(payload["dropped"]["leak"], 1);
    assert_eq!(
        (payload["extractor"].as_str(), payload["model"].as_str()),
        (Some("llm"), Some("m"))
    );
    assert_eq!(payload["latency_ms"], 42);
    for later in [now + secs(5), now + secs(86_400)] {
        let again = store.enqueue_ready(20, 2, later).await.ok();
        assert_eq!(again.map(|r| r.enqueued), Some(0));
    }
    assert!(cards_of(db, ids[0]).await.is_empty());
}

pub async fn a_new_version_supersedes_review_cards_and_keeps_approved_ones(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let v1 = now - secs(100);
    let q = add_questions(store, me, &[("훈민정음", v1)]).await[0];
    store
        .enqueue_ready(20, 2, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let first = claim(store, "w", now).await;
    let cards_v1 = [
        qa("반포한 해는?", "1446년", "1446년에 반포하였다"),
        qa("창제한 해는?", "1443년", "1443년에 훈민정음을 창제"),
        qa(
            "창제를 도운 곳은?",
            "집현전",
            "집현전 학자들이 창제를 도왔다",
        ),
    ];
    let done = store
        .finish_extraction(first.lease, &cards_v1, &report(), now)
        .await;
    let Ok(Fenced::Applied(FinishedExtraction::Completed { card_ids, .. })) = done else {
        panic!("{done:?}");
    };
    approve_card(db, card_ids[0]).await;

    let v2 = now + secs(10);
    set_explanation(db, q, "ready", Some(v2)).await;
    let later = now + secs(20);
    assert_eq!(
        store
            .enqueue_ready(20, 2, later)
            .await
            .ok()
            .map(|r| r.enqueued),
        Some(1)
    );
    let second = claim(store, "w", later).await;
    assert_eq!(second.source_version, Some(v2));
    assert!(matches!(second.input, JobInput::Ready(_)));

    // The approved answer collides and counts as a dedup drop; the review card of v1 with the
    // same answer as a v2 card is retired first, so that card is stored.
    let cards_v2 = [
        qa("언제 반포되었나?", "1446년.", "1446년에 반포하였다"),
        qa("언제 창제되었나?", "1443년", "1443년에 훈민정음을 창제"),
        qa("창제한 왕은?", "세종대왕", "세종대왕은 1443년에"),
    ];
    let done = store
        .finish_extraction(second.lease, &cards_v2, &report(), later)
        .await;
    let Ok(Fenced::Applied(FinishedExtraction::Completed {
        card_ids: new_ids,
        payload,
    })) = done
    else {
        panic!("{done:?}");
    };
    assert_eq!((payload.kept, payload.superseded), (2, 2));
    assert_eq!(payload.dropped.get(&DropReason::Dedup), Some(&1));

    let cards = cards_of(db, q).await;
    let state = |fact: &str, deleted: bool| {
        cards
            .iter()
            .find(|c| c.fact == fact && c.deleted == deleted)
            .cloned()
    };
    let approved = state("1446년", false).unwrap_or_else(|| panic!("{cards:#?}"));
    assert!(!approved.needs_review && approved.retired_reason.is_none());
    for fact in ["1443년", "집현전"] {
        let retired = state(fact, true).unwrap_or_else(|| panic!("{fact}: {cards:#?}"));
        assert_eq!(retired.retired_reason.as_deref(), Some("superseded"));
    }
    let live: Vec<CardId> = cards
        .iter()
        .filter(|c| !c.deleted && c.needs_review)
        .map(|c| c.id)
        .collect();
    assert_eq!(live, new_ids);
    assert_eq!(cards.len(), 5);
}

pub async fn a_changed_or_deleted_source_is_skipped(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let ids = add_questions(
        store,
        me,
        &[("changed", now - secs(2)), ("deleted", now - secs(1))],
    )
    .await;
    store
        .enqueue_ready(20, 2, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));

    // Deleted after the claim: the finish stores nothing and skips the job.
    let deleted_job = claim(store, "w", now).await;
    assert_eq!(deleted_job.question_id, ids[1]);
    delete_question(db, ids[1]).await;
    let card = qa("반포한 해는?", "1446년", "1446년에 반포하였다");
    let done = store
        .finish_extraction(deleted_job.lease, &[card], &report(), now)
        .await;
    assert!(matches!(
        done,
        Ok(Fenced::Applied(FinishedExtraction::SourceChanged))
    ));
    assert!(cards_of(db, ids[1]).await.is_empty());

    // Regenerated before the claim: the claim says so, the worker skips it.
    set_explanation(db, ids[0], "ready", Some(now + secs(5))).await;
    let changed_job = claim(store, "w", now).await;
    assert_eq!(changed_job.input, JobInput::NoReadyExplanation);
    let skipped = store
        .skip_job(changed_job.lease, "no ready explanation", now)
        .await;
    assert!(matches!(skipped, Ok(Fenced::Applied(()))));

    for job in [deleted_job, changed_job] {
        let stored = store.get_job(me, job.lease.job_id).await.ok();
        assert_eq!(
            stored.map(|j| (j.status, j.error_code)),
            Some((JobStatus::Skipped, Some(JobErrorCode::NoReadyExplanation)))
        );
    }
}

pub async fn jobs_are_private_to_their_user(db: &TestDb) {
    let store = db.store();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let now = now_ms();
    add_questions(store, alice, &[("alice's question", now - secs(1))]).await;
    store
        .enqueue_ready(20, 1, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let job = claim(store, "w", now).await;
    let failure = AttemptFailure {
        code: JobErrorCode::ParseFail,
        message: "bad json".into(),
        retry_at: None,
    };
    assert!(store.fail_attempt(job.lease, &failure, now).await.is_ok());
    let id = job.lease.job_id;

    assert!(
        store
            .list_jobs(bob, None, 10)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    let failed_only = store.list_jobs(bob, Some(JobStatus::Failed), 10).await;
    assert!(failed_only.unwrap_or_default().is_empty());
    assert!(matches!(
        store.get_job(bob, id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.retry_job(bob, id, now).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.job_counts(bob).await.unwrap_or_default().failed, 0);

    let alices = store
        .list_jobs(alice, Some(JobStatus::Failed), 10)
        .await
        .unwrap_or_default();
    assert_eq!(alices.iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
    assert!(
        store
            .list_jobs(alice, Some(JobStatus::Pending), 10)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert_eq!(
        store.get_job(alice, id).await.ok().map(|j| j.status),
        Some(JobStatus::Failed)
    );
    assert!(store.retry_job(alice, id, now).await.is_ok());
}
