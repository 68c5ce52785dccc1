//! Claims, leases, heartbeats, the fence, retries with backoff and manual retry.

use amgi::domain::extract::SourceContext;
use amgi::store::{
    AttemptFailure, Fenced, FinishedExtraction, JobErrorCode, JobId, JobInput, JobStatus,
    QuestionId, StoreError,
};

use crate::common::{TestDb, user};
use crate::extraction_support::{
    EXPLANATION, add_questions, cards_of, delete_question, now_ms, qa, secs,
};
use crate::shared::{LEASE, claim, report};

fn failure(code: JobErrorCode, retry_at: Option<chrono::DateTime<chrono::Utc>>) -> AttemptFailure {
    AttemptFailure {
        code,
        message: format!("{code} happened"),
        retry_at,
    }
}

pub async fn claim_leases_and_fences_a_stale_attempt(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let ids = add_questions(store, me, &[("훈민정음을 반포한 해는?", now - secs(60))]).await;
    store
        .enqueue_ready(20, 3, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));

    let first = claim(store, "w1", now).await;
    assert_eq!((first.attempt, first.max_attempts, first.user), (1, 3, me));
    assert_eq!(first.question_id, ids[0]);
    let expected = SourceContext {
        question_id: ids[0].0,
        topic: "한국사".into(),
        question_text: "훈민정음을 반포한 해는?".into(),
        choices: vec!["1443년".into(), "1446년".into(), "1450년".into()],
        correct_choice: 2,
        explanation: EXPLANATION.into(),
    };
    assert_eq!(first.input, JobInput::Ready(expected));
    let job = store.get_job(me, first.lease.job_id).await;
    let job = job.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(job.status, JobStatus::Processing);
    assert_eq!(job.lease_expires_at, Some(now + secs(30)));
    assert_eq!(job.worker_id.as_deref(), Some("w1"));

    // Held while the lease runs; taken back once it has expired.
    let held = store.claim_job("w2", LEASE, now + secs(29)).await;
    assert!(matches!(held, Ok(None)));
    let second = claim(store, "w2", now + secs(31)).await;
    assert_eq!(second.lease.job_id, first.lease.job_id);
    assert_eq!(second.attempt, 2);
    assert!(second.lease.token > first.lease.token);

    // The first attempt is fenced out of everything and changes nothing.
    let card = qa("반포한 해는?", "1446년", "1446년에 반포하였다");
    let late = now + secs(32);
    let hb = store.heartbeat(first.lease, LEASE, late).await;
    assert!(matches!(hb, Ok(false)));
    let finish = store
        .finish_extraction(first.lease, std::slice::from_ref(&card), &report(), late)
        .await;
    assert!(matches!(finish, Ok(Fenced::Stale)), "{finish:?}");
    let fail = store
        .fail_attempt(first.lease, &failure(JobErrorCode::ParseFail, None), late)
        .await;
    assert!(matches!(fail, Ok(Fenced::Stale)));
    assert!(matches!(
        store.skip_job(first.lease, "x", late).await,
        Ok(Fenced::Stale)
    ));
    assert!(cards_of(db, ids[0]).await.is_empty());
    let unchanged = store.get_job(me, first.lease.job_id).await.ok();
    assert_eq!(
        unchanged.as_ref().map(|j| j.status),
        Some(JobStatus::Processing)
    );
    assert_eq!(unchanged.and_then(|j| j.worker_id), Some("w2".into()));

    // The current attempt completes.
    let done = store
        .finish_extraction(second.lease, &[card], &report(), late)
        .await;
    let Ok(Fenced::Applied(FinishedExtraction::Completed { card_ids, payload })) = done else {
        panic!("{done:?}");
    };
    assert_eq!((card_ids.len(), payload.kept), (1, 1));
    let cards = cards_of(db, ids[0]).await;
    assert_eq!(cards.len(), 1);
    assert!(cards[0].needs_review && !cards[0].deleted);
    assert_eq!(cards[0].evidence, ["1446년에 반포하였다"]);
    let job = store.get_job(me, first.lease.job_id).await.ok();
    assert_eq!(job.as_ref().map(|j| j.status), Some(JobStatus::Completed));
    assert_eq!(job.as_ref().map(|j| j.lease_expires_at), Some(None));
    // Finished is final: the current lease cannot finish twice.
    let twice = store
        .finish_extraction(second.lease, &[], &report(), late)
        .await;
    assert!(matches!(twice, Ok(Fenced::Stale)));
}

pub async fn heartbeat_keeps_the_lease(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    add_questions(store, me, &[("q", now - secs(1))]).await;
    store
        .enqueue_ready(20, 2, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let job = claim(store, "w1", now).await;
    assert!(matches!(
        store.heartbeat(job.lease, LEASE, now + secs(20)).await,
        Ok(true)
    ));
    let held = store.claim_job("w2", LEASE, now + secs(45)).await;
    assert!(matches!(held, Ok(None)), "the renewed lease runs to +50 s");
    let taken = store.claim_job("w2", LEASE, now + secs(51)).await;
    assert!(matches!(taken, Ok(Some(ref j)) if j.attempt == 2));
}

pub async fn failed_attempts_back_off_then_fail_for_good(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    add_questions(store, me, &[("q1", now - secs(2)), ("q2", now - secs(1))]).await;
    store
        .enqueue_ready(20, 2, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));

    let first = claim(store, "w", now).await;
    let retry_at = now + secs(10);
    let failed = store
        .fail_attempt(
            first.lease,
            &failure(JobErrorCode::ParseFail, Some(retry_at)),
            now,
        )
        .await;
    assert!(matches!(failed, Ok(Fenced::Applied(JobStatus::Pending))));
    let job = store.get_job(me, first.lease.job_id).await.ok();
    let job = job.unwrap_or_else(|| panic!("job"));
    assert_eq!((job.status, job.attempts), (JobStatus::Pending, 1));
    assert_eq!(
        (job.run_after, job.error_code),
        (retry_at, Some(JobErrorCode::ParseFail))
    );
    assert_eq!(job.error_message.as_deref(), Some("parse_fail happened"));
    assert_eq!(job.lease_expires_at, None);

    // The other job is due now; this one only after its backoff.
    let other = claim(store, "w", now + secs(1)).await;
    assert_ne!(other.lease.job_id, first.lease.job_id);
    let no_retry = store
        .fail_attempt(other.lease, &failure(JobErrorCode::Unknown, None), now)
        .await;
    assert!(matches!(no_retry, Ok(Fenced::Applied(JobStatus::Failed))));
    assert!(matches!(
        store.claim_job("w", LEASE, now + secs(9)).await,
        Ok(None)
    ));
    assert_eq!(store.earliest_pending_at().await.ok(), Some(Some(retry_at)));

    let second = claim(store, "w", now + secs(10)).await;
    assert_eq!(
        (second.lease.job_id, second.attempt),
        (first.lease.job_id, 2)
    );
    let last = store
        .fail_attempt(
            second.lease,
            &failure(JobErrorCode::LlmTimeout, Some(now + secs(60))),
            now + secs(11),
        )
        .await;
    assert!(
        matches!(last, Ok(Fenced::Applied(JobStatus::Failed))),
        "max_attempts is 2"
    );
    let job = store.get_job(me, first.lease.job_id).await.ok();
    assert_eq!(
        job.map(|j| (j.status, j.error_code, j.completed_at)),
        Some((
            JobStatus::Failed,
            Some(JobErrorCode::LlmTimeout),
            Some(now + secs(11))
        ))
    );
    assert_eq!(store.earliest_pending_at().await.ok(), Some(None));
    let counts = store.job_counts(me).await.unwrap_or_default();
    assert_eq!((counts.failed, counts.pending), (2, 0));

    // Terminal codes are not attempt failures.
    let third = store.enqueue_ready(20, 2, now).await.ok();
    assert_eq!(third.map(|r| r.enqueued), Some(0));
    let bad = store
        .fail_attempt(second.lease, &failure(JobErrorCode::AllDropped, None), now)
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))));
}

pub async fn a_lost_lease_on_the_last_attempt_fails_the_job(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    add_questions(store, me, &[("q", now - secs(1))]).await;
    store
        .enqueue_ready(20, 1, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let only = claim(store, "w", now).await;
    assert!(matches!(
        store.claim_job("w2", LEASE, now + secs(31)).await,
        Ok(None)
    ));
    let job = store.get_job(me, only.lease.job_id).await.ok();
    let job = job.unwrap_or_else(|| panic!("job"));
    assert_eq!(
        (job.status, job.error_code),
        (JobStatus::Failed, Some(JobErrorCode::LeaseLost))
    );
    assert!(job.error_message.is_some_and(|m| m.contains("lease")));
    let late = store
        .finish_extraction(only.lease, &[], &report(), now + secs(32))
        .await;
    assert!(matches!(late, Ok(Fenced::Stale)));
}

pub async fn a_graceful_stop_gives_the_job_back_without_spending_an_attempt(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    add_questions(store, me, &[("q", now - secs(1))]).await;
    store
        .enqueue_ready(20, 1, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let first = claim(store, "w1", now).await;
    assert_eq!(first.attempt, 1);
    let released = store.release_job(first.lease, now + secs(1)).await;
    assert!(matches!(released, Ok(Fenced::Applied(()))), "{released:?}");
    let job = store.get_job(me, first.lease.job_id).await;
    let job = job.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((job.status, job.attempts), (JobStatus::Pending, 0));
    assert_eq!((job.lease_expires_at, job.worker_id), (None, None));
    assert_eq!(job.run_after, now + secs(1));
    // Given back twice, or after another claim: the old lease changes nothing.
    let again = store.release_job(first.lease, now + secs(2)).await;
    assert!(matches!(again, Ok(Fenced::Stale)));
    // The only attempt is still there: the next claim runs it, then a lost lease spends it.
    let second = claim(store, "w2", now + secs(2)).await;
    assert_eq!((second.attempt, second.max_attempts), (1, 1));
    let stale = store.release_job(first.lease, now + secs(3)).await;
    assert!(matches!(stale, Ok(Fenced::Stale)));
    let job = store.get_job(me, second.lease.job_id).await.ok();
    assert_eq!(job.map(|j| j.status), Some(JobStatus::Processing));
}

pub async fn retry_failed_brings_back_every_failed_job_of_the_user(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let other = user(store, "other").await;
    let now = now_ms();
    add_questions(store, me, &[("q1", now - secs(3)), ("q2", now - secs(2))]).await;
    add_questions(store, other, &[("q3", now - secs(1))]).await;
    store
        .enqueue_ready(20, 1, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let claimed = store.claim_jobs("w", LEASE, now, 3).await;
    let claimed = claimed.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(claimed.len(), 3);
    // One of mine refused the key; the others' leases run out on their only attempt.
    let mine = claimed.iter().find(|j| j.user == me);
    let mine = mine.unwrap_or_else(|| panic!("no job of mine"));
    let auth = AttemptFailure {
        code: JobErrorCode::AuthFail,
        message: "HTTP 401".into(),
        retry_at: None,
    };
    let failed = store.fail_attempt(mine.lease, &auth, now).await;
    assert!(matches!(failed, Ok(Fenced::Applied(JobStatus::Failed))));
    let none = store.claim_job("w", LEASE, now + secs(31)).await;
    assert!(matches!(none, Ok(None)));
    let counts = store.job_counts(me).await.unwrap_or_default();
    assert_eq!(counts.failed, 2);

    let retried = store.retry_failed_jobs(me, now + secs(40)).await;
    assert!(matches!(retried, Ok(2)), "{retried:?}");
    let jobs = store.list_jobs(me, None, 10).await.unwrap_or_default();
    assert!(
        jobs.iter()
            .all(|j| j.status == JobStatus::Pending && j.attempts == 0 && j.error_code.is_none()),
        "{jobs:?}"
    );
    let theirs = store.list_jobs(other, None, 10).await.unwrap_or_default();
    assert_eq!(
        theirs
            .iter()
            .map(|j| (j.status, j.error_code))
            .collect::<Vec<_>>(),
        [(JobStatus::Failed, Some(JobErrorCode::LeaseLost))]
    );
    let nothing = store.retry_failed_jobs(me, now + secs(41)).await;
    assert!(matches!(nothing, Ok(0)));
}

pub async fn retry_resets_attempts_and_fences_older_attempts(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let ids = add_questions(store, me, &[("q", now - secs(1))]).await;
    store
        .enqueue_ready(20, 1, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let old = claim(store, "w", now).await;
    let failed = store
        .fail_attempt(
            old.lease,
            &failure(JobErrorCode::LlmTimeout, Some(now)),
            now,
        )
        .await;
    assert!(matches!(failed, Ok(Fenced::Applied(JobStatus::Failed))));

    let later = now + secs(5);
    let retried = store.retry_job(me, old.lease.job_id, later).await;
    let retried = retried.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (retried.status, retried.attempts, retried.max_attempts),
        (JobStatus::Pending, 0, 1)
    );
    assert_eq!((retried.error_code, retried.run_after), (None, later));
    let again = store.retry_job(me, old.lease.job_id, later).await;
    assert!(matches!(again, Err(StoreError::Refused(_))), "{again:?}");

    // Same attempt number as the old claim, but a newer fencing token.
    let new = claim(store, "w", later).await;
    assert_eq!(
        (new.attempt, new.lease.job_id),
        (old.attempt, old.lease.job_id)
    );
    let card = qa("반포한 해는?", "1446년", "1446년에 반포하였다");
    let stale = store
        .finish_extraction(old.lease, std::slice::from_ref(&card), &report(), later)
        .await;
    assert!(matches!(stale, Ok(Fenced::Stale)));
    assert!(cards_of(db, ids[0]).await.is_empty());
    let done = store
        .finish_extraction(new.lease, &[card], &report(), later)
        .await;
    assert!(matches!(
        done,
        Ok(Fenced::Applied(FinishedExtraction::Completed { .. }))
    ));
}

pub async fn a_batch_claim_takes_due_jobs_in_order_each_once(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let ids = add_questions(
        store,
        me,
        &[
            ("a", now - secs(5)),
            ("b", now - secs(4)),
            ("c", now - secs(3)),
            ("d", now - secs(2)),
            ("e", now - secs(1)),
        ],
    )
    .await;
    store
        .enqueue_ready(20, 3, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    delete_question(db, ids[0]).await;

    let first = store.claim_jobs("w1", LEASE, now, 3).await;
    let first = first.unwrap_or_else(|e| panic!("claim: {e}"));
    let second = store.claim_jobs("w2", LEASE, now, 3).await;
    let second = second.unwrap_or_else(|e| panic!("claim: {e}"));
    assert_eq!((first.len(), second.len()), (3, 2));
    let claimed: Vec<QuestionId> = first.iter().chain(&second).map(|j| j.question_id).collect();
    let mut unique = claimed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 5, "a job was claimed twice: {claimed:?}");
    // Within a batch, jobs come in queue order (`run_after`, then id).
    let job_ids: Vec<JobId> = first.iter().map(|j| j.lease.job_id).collect();
    assert!(job_ids.windows(2).all(|w| w[0] < w[1]), "{job_ids:?}");
    for job in first.iter().chain(&second) {
        assert_eq!((job.attempt, job.user), (1, me));
        let ready =
            matches!(job.input, JobInput::Ready(ref s) if s.question_id == job.question_id.0);
        // The deleted question's job comes with no input; the others with their question.
        assert_eq!(ready, job.question_id != ids[0], "{job:?}");
        let stored = store.get_job(me, job.lease.job_id).await.ok();
        assert_eq!(stored.map(|j| j.status), Some(JobStatus::Processing));
    }
    let none = store.claim_jobs("w3", LEASE, now, 3).await;
    assert!(matches!(none, Ok(ref jobs) if jobs.is_empty()), "{none:?}");
}

pub async fn a_finish_stores_every_card_with_its_evidence_in_order(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let now = now_ms();
    let ids = add_questions(store, me, &[("훈민정음", now - secs(1))]).await;
    store
        .enqueue_ready(20, 3, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let job = claim(store, "w", now).await;
    let cards = [
        qa("창제한 해는?", "1443년", "1443년에 창제"),
        qa("반포한 해는?", "1446년", "1446년에 반포"),
        qa("반포한 해를 다시?", "1446년", "a repeat of the answer"),
        qa("누가 만들었나?", "세종대왕", "세종대왕은"),
    ];
    let done = store
        .finish_extraction(job.lease, &cards, &report(), now)
        .await;
    let Ok(Fenced::Applied(FinishedExtraction::Completed { card_ids, payload })) = done else {
        panic!("{done:?}");
    };
    assert_eq!(payload.kept, 3);
    assert_eq!(
        payload.dropped.get(&amgi::domain::guard::DropReason::Dedup),
        Some(&1)
    );
    let stored = cards_of(db, ids[0]).await;
    assert_eq!(stored.iter().map(|c| c.id).collect::<Vec<_>>(), card_ids);
    let facts: Vec<(&str, &[String])> = stored
        .iter()
        .map(|c| (c.fact.as_str(), c.evidence.as_slice()))
        .collect();
    assert_eq!(
        facts,
        [
            ("1443년", &["1443년에 창제".to_owned()][..]),
            ("1446년", &["1446년에 반포".to_owned()][..]),
            ("세종대왕", &["세종대왕은".to_owned()][..]),
        ]
    );
}
