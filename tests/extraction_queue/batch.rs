//! Several finishes committed together (the engine's batch completer): each ends as it
//! would alone, whatever the others in its batch did.

use amgi::domain::guard::DropReason;
use amgi::store::{
    ExtractionFinish, Fenced, FinishedExtraction, JobErrorCode, JobId, JobStatus, Lease,
    QuestionId, StoreError,
};

use crate::common::{TestDb, user};
use crate::extraction_support::{add_questions, cards_of, now_ms, qa, secs, set_explanation};
use crate::shared::{claim, report};

pub async fn a_batch_of_finishes_ends_each_job_as_it_would_alone(db: &TestDb) {
    let store = db.store();
    let me = user(store, "me").await;
    let you = user(store, "you").await;
    let now = now_ms();
    let mine = add_questions(
        store,
        me,
        &[
            ("창제", now - secs(4)),
            ("바뀐 해설", now - secs(3)),
            ("빈 결과", now - secs(2)),
        ],
    )
    .await;
    let yours = add_questions(store, you, &[("반포", now - secs(1))]).await;
    store
        .enqueue_ready(20, 3, now)
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let mut jobs = Vec::new();
    for _ in 0..4 {
        jobs.push(claim(store, "w", now).await);
    }
    let job_of = |question: QuestionId| {
        jobs.iter()
            .find(|j| j.question_id == question)
            .unwrap_or_else(|| panic!("no job for question {question}"))
    };
    // The second question's explanation changes while its job runs.
    set_explanation(db, mine[1], "ready", Some(now + secs(5))).await;

    let finish = |lease: Lease, cards| ExtractionFinish {
        lease,
        cards,
        report: report(),
    };
    let batch = [
        finish(
            job_of(mine[0]).lease,
            vec![
                qa("창제한 해는?", "1443년", "1443년에 창제"),
                qa("누가 만들었나?", "세종대왕", "세종대왕은"),
            ],
        ),
        finish(
            job_of(mine[1]).lease,
            vec![qa("반포한 해는?", "1446년", "1446년")],
        ),
        finish(job_of(mine[2]).lease, vec![]),
        finish(
            job_of(yours[0]).lease,
            vec![
                qa("반포한 해는?", "1446년", "1446년에 반포"),
                qa("반포한 해를 다시?", "1446년", "a repeat of the answer"),
            ],
        ),
        // The first job again: it is finished by then.
        finish(job_of(mine[0]).lease, vec![qa("다른?", "다른", "다른")]),
    ];
    let results = store
        .finish_extractions(&batch, now + secs(1))
        .await
        .unwrap_or_else(|e| panic!("finish: {e}"));
    assert_eq!(results.len(), batch.len());

    let Fenced::Applied(FinishedExtraction::Completed { card_ids, payload }) = &results[0] else {
        panic!("{:?}", results[0]);
    };
    let stored = cards_of(db, mine[0]).await;
    assert_eq!(&stored.iter().map(|c| c.id).collect::<Vec<_>>(), card_ids);
    let facts: Vec<_> = stored
        .iter()
        .map(|c| (c.fact.as_str(), c.evidence.clone()))
        .collect();
    assert_eq!(
        facts,
        [
            ("1443년", vec!["1443년에 창제".to_owned()]),
            ("세종대왕", vec!["세종대왕은".to_owned()]),
        ]
    );
    assert_eq!(payload.kept, 2);
    assert_eq!(
        results[1],
        Fenced::Applied(FinishedExtraction::SourceChanged)
    );
    assert!(cards_of(db, mine[1]).await.is_empty());
    assert!(matches!(
        results[2],
        Fenced::Applied(FinishedExtraction::AllDropped { .. })
    ));
    let Fenced::Applied(FinishedExtraction::Completed { card_ids, payload }) = &results[3] else {
        panic!("{:?}", results[3]);
    };
    assert_eq!(card_ids.len(), 1);
    assert_eq!(payload.dropped.get(&DropReason::Dedup), Some(&1));
    assert_eq!(results[4], Fenced::Stale);

    let status = |owner, job: JobId| async move {
        let job = store.get_job(owner, job).await;
        let job = job.unwrap_or_else(|e| panic!("{e}"));
        (job.status, job.error_code, job.lease_expires_at)
    };
    assert_eq!(
        status(me, job_of(mine[0]).lease.job_id).await,
        (JobStatus::Completed, None, None)
    );
    assert_eq!(
        status(me, job_of(mine[1]).lease.job_id).await,
        (
            JobStatus::Skipped,
            Some(JobErrorCode::NoReadyExplanation),
            None
        )
    );
    assert_eq!(
        status(me, job_of(mine[2]).lease.job_id).await,
        (JobStatus::Completed, Some(JobErrorCode::AllDropped), None)
    );
    assert_eq!(
        status(you, job_of(yours[0]).lease.job_id).await,
        (JobStatus::Completed, None, None)
    );
    // Each user sees only their own job.
    let foreign = store.get_job(me, job_of(yours[0]).lease.job_id).await;
    assert!(
        matches!(foreign, Err(StoreError::NotFound(_))),
        "{foreign:?}"
    );
}
