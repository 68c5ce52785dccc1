//! The enqueue poller (DESIGN §1.1): one job per explanation version, whatever its outcome.

use amgi::store::{AttemptFailure, EnqueueReport, JobErrorCode, JobStatus};

use crate::common::{TestDb, user};
use crate::extraction_support::{
    add_questions, count, delete_question, now_ms, qa, secs, set_explanation,
};
use crate::shared::{claim, report};

const JOBS_OF_QUESTION: &str =
    "SELECT COUNT(*) FROM study_memo_card_jobs WHERE source_kind = 'question' AND source_id = $1";

pub async fn enqueues_each_ready_version_once(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let ids = add_questions(
        store,
        me,
        &[
            ("q1", now - secs(300)),
            ("q2", now - secs(200)),
            ("q3", now - secs(100)),
        ],
    )
    .await;
    let first = store.enqueue_ready(20, 2, now).await;
    assert_eq!(
        first.ok(),
        Some(EnqueueReport {
            candidates: 3,
            enqueued: 3
        })
    );
    assert_eq!(
        store.enqueue_ready(20, 2, now).await.ok(),
        Some(EnqueueReport::default())
    );

    // Whatever each job's outcome, its version is never enqueued again.
    let completed = claim(store, "w", now).await;
    let card = qa("훈민정음을 반포한 해는?", "1446년", "1446년에 반포하였다");
    let done = store
        .finish_extraction(completed.lease, &[card], &report(), now)
        .await;
    assert!(done.is_ok_and(|f| !f.is_stale()));
    let failed = claim(store, "w", now).await;
    let failure = AttemptFailure {
        code: JobErrorCode::Unknown,
        message: "down".into(),
        retry_at: None,
    };
    let status = store.fail_attempt(failed.lease, &failure, now).await;
    assert_eq!(
        status.ok().and_then(|s| s.applied()),
        Some(JobStatus::Failed)
    );
    let skipped = claim(store, "w", now).await;
    assert!(store.skip_job(skipped.lease, "gone", now).await.is_ok());
    for later in [now + secs(1), now + secs(3600)] {
        let again = store.enqueue_ready(20, 2, later).await.ok();
        assert_eq!(again.map(|r| r.enqueued), Some(0));
    }

    // A new explanation version gets a new job, automatically.
    let regenerated = now + secs(10);
    set_explanation(db, ids[0], "ready", Some(regenerated)).await;
    let report = store.enqueue_ready(20, 2, now + secs(11)).await.ok();
    assert_eq!(report.map(|r| r.enqueued), Some(1));
    assert_eq!(count(db, JOBS_OF_QUESTION, ids[0].0).await, 2);
    let jobs = store.list_jobs(me, None, 10).await.unwrap_or_default();
    assert_eq!(jobs.len(), 4);
    assert_eq!(jobs[0].source_id, ids[0].0);
    assert_eq!(jobs[0].source_version, Some(regenerated));
    assert_eq!(jobs[0].status, JobStatus::Pending);
}

pub async fn takes_newest_first_within_the_batch(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let versions: Vec<_> = (0..5).map(|i| now - secs(100 * (5 - i))).collect();
    let texts = ["q0", "q1", "q2", "q3", "q4"];
    let pairs: Vec<_> = texts
        .iter()
        .copied()
        .zip(versions.iter().copied())
        .collect();
    let ids = add_questions(store, me, &pairs).await;
    let mut order = Vec::new();
    for expected in [2, 2, 1, 0] {
        let report = store.enqueue_ready(2, 3, now).await;
        assert_eq!(report.ok().map(|r| r.enqueued), Some(expected));
        let mut batch: Vec<_> = store
            .list_jobs(me, None, 10)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|j| j.source_id)
            .filter(|id| !order.contains(id))
            .collect();
        batch.reverse();
        order.extend(batch);
    }
    let newest_first: Vec<i64> = ids.iter().rev().map(|q| q.0).collect();
    assert_eq!(order, newest_first);
    let jobs = store.list_jobs(me, None, 10).await.unwrap_or_default();
    assert!(jobs.iter().all(|j| j.max_attempts == 3 && j.attempts == 0));
    assert!(
        jobs.iter()
            .all(|j| j.run_after == now && j.kind == "card_extract")
    );
}

pub async fn ignores_null_versions_deleted_and_unready_questions(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let v = now - secs(60);
    let ids = add_questions(
        store,
        me,
        &[
            ("ok", v),
            ("null", v),
            ("deleted", v),
            ("pending", v),
            ("failed", v),
        ],
    )
    .await;
    set_explanation(db, ids[1], "ready", None).await;
    delete_question(db, ids[2]).await;
    set_explanation(db, ids[3], "pending", Some(v)).await;
    set_explanation(db, ids[4], "failed", Some(v)).await;
    for poll in 0..3 {
        let report = store.enqueue_ready(20, 2, now + secs(poll)).await.ok();
        let expected = u64::from(poll == 0);
        assert_eq!(report.map(|r| r.enqueued), Some(expected), "poll {poll}");
    }
    let jobs = store.list_jobs(me, None, 10).await.unwrap_or_default();
    assert_eq!(
        jobs.iter().map(|j| j.source_id).collect::<Vec<_>>(),
        [ids[0].0]
    );
    for id in &ids[1..] {
        assert_eq!(count(db, JOBS_OF_QUESTION, id.0).await, 0);
    }
}

pub async fn serves_every_user(db: &TestDb) {
    let store = db.store();
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let now = now_ms();
    add_questions(store, alice, &[("a", now - secs(2))]).await;
    add_questions(store, bob, &[("b", now - secs(1))]).await;
    let report = store.enqueue_ready(20, 2, now).await.ok();
    assert_eq!(report.map(|r| r.enqueued), Some(2));
    let bobs = claim(store, "w", now).await;
    let alices = claim(store, "w", now).await;
    assert_eq!((bobs.user, alices.user), (bob, alice));
    let counts = store.job_counts(alice).await.unwrap_or_default();
    assert_eq!((counts.processing, counts.pending), (1, 0));
}
