//! Finalize on a hand-computed sequence of three sessions, its idempotence, and entry into
//! the ladder.

use amgi::domain::card::Outcome::{Correct as C, Skipped as S, Unsure as U, Wrong as W};
use amgi::domain::quiz::PatternState::*;
use amgi::domain::quiz::{QuestionProgress, SessionCounts};
use amgi::store::quiz::{QuizSummary, SessionStatus};
use amgi::store::{QuestionId, StoreError};
use chrono::Duration;

use super::cases::{answer, at, questions};
use crate::common::{TestDb, user};

fn ids_of(session: &amgi::store::quiz::QuizSession) -> Vec<QuestionId> {
    session.questions.iter().map(|q| q.id).collect()
}

/// (pattern, window, last outcome, stage, due) of a question's progress row.
type Shape = (
    Option<amgi::domain::quiz::PatternState>,
    i16,
    Option<amgi::domain::card::Outcome>,
    Option<i16>,
    Option<chrono::DateTime<chrono::Utc>>,
);

fn shape(rows: &[QuestionProgress], id: QuestionId) -> Shape {
    let p = rows
        .iter()
        .find(|p| p.question_id == id.0)
        .unwrap_or_else(|| panic!("no progress for {id}"));
    (
        p.pattern_state,
        p.pattern_window_attempts,
        p.last_outcome,
        p.review_stage,
        p.due_at,
    )
}

/// Three sessions of the topic 한국사 (five questions), worked out by hand:
/// - A (day 0, 4 questions, all new by id): q1 C, q2 W, q3 U, q4 skipped; then q2 reviewed.
/// - B (day 2): due q2, pending q3, new q5, then least recently attempted q1, q4. Answers
///   q2 C (ladder 0 → 1, +3d; recovered), q3 W, q1 W (relapsed, regressed), q4 C; q5 is left
///   unanswered (finalized with what was answered).
/// - C (day 4): pending q3, q1; new q5; rest q2, q4. Answers q3 W (chronic), q2 W (ladder
///   back to 0, +1d; regressed; relapsed).
///
/// A question of another topic answered wrong never counts in this topic's summary.
pub async fn finalize_a_hand_computed_sequence(db: &TestDb) {
    let s = db.store();
    let me = user(s, "me").await;
    let other_topic = questions(db, me, "세계사", &["프랑스 혁명이 일어난 해는?"]).await;
    let q = questions(db, me, "한국사", &["q1", "q2", "q3", "q4", "q5"]).await;
    let topics = s.list_topics(me).await.unwrap_or_else(|e| panic!("{e}"));
    let topic_of = |name: &str| topics.iter().find(|t| t.name == name).map(|t| t.id);
    let (korean, world) = (topic_of("한국사"), topic_of("세계사"));

    let w = s
        .start_quiz(me, world, 10, at(-60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids_of(&w), other_topic);
    answer(db, me, w.id, other_topic[0], W, at(-59)).await;
    s.finalize_quiz(me, w.id, at(-58))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Session A.
    let a = s
        .start_quiz(me, korean, 4, at(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids_of(&a), q[..4].to_vec());
    for (n, outcome) in [C, W, U, S].into_iter().enumerate() {
        answer(db, me, a.id, q[n], outcome, at(1 + n as i64)).await;
    }
    let sa = s
        .finalize_quiz(me, a.id, at(10))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let want_a = QuizSummary {
        session: SessionCounts {
            correct: 1,
            wrong: 1,
            unsure: 1,
            skipped: 1,
            newly_correct: 1,
            ..Default::default()
        },
        pending_review: 2,
        chronic: 0,
        regressed: 0,
    };
    assert_eq!(sa, want_a);
    let rows_a = s
        .question_progress(me, korean)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows_a.len(), 4);
    assert_eq!(shape(&rows_a, q[0]), (Some(Stable), 1, Some(C), None, None));
    assert_eq!(
        shape(&rows_a, q[1]),
        (Some(Learning), 1, Some(W), None, None)
    );
    assert_eq!(
        shape(&rows_a, q[2]),
        (Some(Learning), 1, Some(U), None, None)
    );
    assert_eq!(shape(&rows_a, q[3]), (None, 0, Some(S), None, None));
    let q1 = rows_a.iter().find(|p| p.question_id == q[1].0).cloned();
    assert_eq!(q1.as_ref().and_then(|p| p.last_attempted_at), Some(at(2)));
    assert_eq!(q1.as_ref().and_then(|p| p.pattern_updated_at), Some(at(10)));

    // Idempotent: the same summary, nothing rewritten, the snapshot stored on the session.
    let again = s
        .finalize_quiz(me, a.id, at(20))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, want_a);
    assert_eq!(
        s.question_progress(me, korean).await.unwrap_or_default(),
        rows_a
    );
    let stored = s
        .quiz_session(me, a.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (stored.status, stored.finished_at, stored.summary),
        (SessionStatus::Done, Some(at(10)), Some(want_a))
    );
    assert_eq!(stored.attempts.len(), 4);

    // q2 reviewed: into the ladder.
    let reviewed = s
        .mark_question_reviewed(me, q[1], at(15))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (reviewed.review_stage, reviewed.due_at),
        (Some(0), Some(at(15) + Duration::days(1)))
    );

    // Session B, day 2.
    let day2 = at(2 * 24 * 60);
    let b = s
        .start_quiz(me, korean, 10, day2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids_of(&b), vec![q[1], q[2], q[4], q[0], q[3]]);
    for (n, (id, outcome)) in [(q[1], C), (q[2], W), (q[0], W), (q[3], C)]
        .into_iter()
        .enumerate()
    {
        answer(
            db,
            me,
            b.id,
            id,
            outcome,
            day2 + Duration::minutes(1 + n as i64),
        )
        .await;
    }
    let sb = s
        .finalize_quiz(me, b.id, day2 + Duration::minutes(10))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        sb,
        QuizSummary {
            session: SessionCounts {
                correct: 2,
                wrong: 2,
                relapsed: 1,
                recovered: 1,
                ..Default::default()
            },
            pending_review: 2,
            chronic: 0,
            regressed: 1,
        }
    );
    let rows_b = s
        .question_progress(me, korean)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let done_b = day2 + Duration::minutes(10);
    assert_eq!(
        shape(&rows_b, q[1]),
        (
            Some(Recovered),
            2,
            Some(C),
            Some(1),
            Some(done_b + Duration::days(3))
        )
    );
    assert_eq!(
        shape(&rows_b, q[2]),
        (Some(Learning), 2, Some(W), None, None)
    );
    assert_eq!(
        shape(&rows_b, q[0]),
        (Some(Regressed), 2, Some(W), None, None)
    );
    assert_eq!(shape(&rows_b, q[3]), (Some(Stable), 1, Some(C), None, None));
    assert!(
        rows_b.iter().all(|p| p.question_id != q[4].0),
        "an unanswered question has no progress"
    );

    // Session C, day 4.
    let day4 = at(4 * 24 * 60);
    let c = s
        .start_quiz(me, korean, 10, day4)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids_of(&c), vec![q[2], q[0], q[4], q[1], q[3]]);
    answer(db, me, c.id, q[2], W, day4 + Duration::minutes(1)).await;
    answer(db, me, c.id, q[1], W, day4 + Duration::minutes(2)).await;
    let done_c = day4 + Duration::minutes(10);
    let sc = s
        .finalize_quiz(me, c.id, done_c)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        sc,
        QuizSummary {
            session: SessionCounts {
                wrong: 2,
                relapsed: 1,
                chronic_remaining: 1,
                ..Default::default()
            },
            pending_review: 3,
            chronic: 1,
            regressed: 2,
        }
    );
    let rows_c = s
        .question_progress(me, korean)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        shape(&rows_c, q[2]),
        (Some(ChronicWrong), 3, Some(W), None, None)
    );
    assert_eq!(
        shape(&rows_c, q[1]),
        (
            Some(Regressed),
            3,
            Some(W),
            Some(0),
            Some(done_c + Duration::days(1))
        )
    );
    // The all-topics view counts the other topic's miss as well.
    let pending_all = s
        .pending_questions(me, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pending_all.len(), 4);
    let pending_korean: Vec<QuestionId> = s
        .pending_questions(me, korean)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|p| p.question.id)
        .collect();
    // Oldest miss first: q1 (B), q3 then q2 (C).
    assert_eq!(pending_korean, vec![q[0], q[2], q[1]]);
}

/// Two finalizes of the same session at once (two connections): one does the work, the
/// other returns the same snapshot; the ladder moves once.
pub async fn finalize_twice_at_once_advances_once(db: &TestDb) {
    let s = db.store();
    let me = user(s, "me").await;
    let q = questions(db, me, "한국사", &["q1"]).await;
    let a = s
        .start_quiz(me, None, 10, at(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    answer(db, me, a.id, q[0], W, at(1)).await;
    s.finalize_quiz(me, a.id, at(2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.mark_question_reviewed(me, q[0], at(3))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let day2 = at(2 * 24 * 60);
    let b = s
        .start_quiz(me, None, 10, day2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    answer(db, me, b.id, q[0], C, day2).await;
    let other = db.reopen().await;
    let (one, two) = tokio::join!(
        s.finalize_quiz(me, b.id, day2),
        other.finalize_quiz(me, b.id, day2)
    );
    let (one, two) = (
        one.unwrap_or_else(|e| panic!("{e}")),
        two.unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(one, two);
    let rows = s
        .question_progress(me, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shape(&rows, q[0]).3, Some(1), "advanced once: stage 0 → 1");
}

/// Reviewing: only answered questions; a question already in the ladder keeps its place;
/// due questions come first in the next quiz.
pub async fn reviewing_enters_the_ladder(db: &TestDb) {
    let s = db.store();
    let me = user(s, "me").await;
    let other = user(s, "other").await;
    let q = questions(db, me, "한국사", &["q1", "q2", "q3"]).await;
    assert!(matches!(
        s.mark_question_reviewed(me, q[0], at(0)).await,
        Err(StoreError::NotFound(_))
    ));
    let a = s
        .start_quiz(me, None, 10, at(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    answer(db, me, a.id, q[0], C, at(1)).await;
    answer(db, me, a.id, q[1], C, at(2)).await;
    answer(db, me, a.id, q[2], U, at(3)).await;
    s.finalize_quiz(me, a.id, at(4))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        s.mark_question_reviewed(other, q[2], at(5)).await,
        Err(StoreError::NotFound(_))
    ));
    let pending = s
        .pending_questions(me, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pending.iter().map(|p| p.question.id).collect::<Vec<_>>(),
        vec![q[2]]
    );
    assert_eq!(pending[0].question.choices.len(), 3);
    let first = s
        .mark_question_reviewed(me, q[2], at(5))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (first.review_stage, first.due_at, first.last_reviewed_at),
        (Some(0), Some(at(5) + Duration::days(1)), Some(at(5)))
    );
    let second = s
        .mark_question_reviewed(me, q[2], at(6))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (second.review_stage, second.due_at),
        (Some(0), Some(at(5) + Duration::days(1)))
    );
    assert!(
        s.pending_questions(me, None)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    // Next day: the due question first, then the least recently attempted.
    let b = s
        .start_quiz(me, None, 2, at(2 * 24 * 60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids_of(&b), vec![q[2], q[0]]);
}

/// With publishing on (the test stores have it), finalize and review write each question's
/// progress row to the outbox in the same transaction, like card progress rows; the
/// publisher applies them, a backfill re-enqueues them and an unchanged row is skipped.
pub async fn question_progress_is_published(db: &TestDb) {
    use amgi::store::snapshot::KIND_QUESTION_PROGRESS;
    let s = db.store();
    let me = user(s, "me").await;
    let q = questions(db, me, "한국사", &["q1", "q2"]).await;
    let session = s
        .start_quiz(me, None, 10, at(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    answer(db, me, session.id, q[0], C, at(1)).await;
    answer(db, me, session.id, q[1], W, at(2)).await;
    s.finalize_quiz(me, session.id, at(3))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.mark_question_reviewed(me, q[1], at(4))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let published = s
        .publish_pending(100, at(5))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((published.applied, published.skipped), (3, 0));
    let feed = s
        .feed_since(me, 0, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<_> = feed
        .iter()
        .filter(|f| f.kind == KIND_QUESTION_PROGRESS)
        .map(|f| {
            (
                f.payload["question_id"].as_i64(),
                f.payload["last_outcome"].as_str().map(str::to_owned),
                f.payload["review_stage"].as_i64(),
                f.deleted,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (Some(q[0].0), Some("correct".into()), None, false),
            (Some(q[1].0), Some("wrong".into()), None, false),
            (Some(q[1].0), Some("wrong".into()), Some(0), false),
        ]
    );
    let last = feed.last().map(|f| f.payload.clone()).unwrap_or_default();
    assert_eq!(last["pattern_state"], "learning");
    assert!(last["due_at"].is_string() && last["last_reviewed_at"].is_string());
    // Another user sees none of it; a backfill re-enqueues both rows, unchanged: skipped.
    let other = user(s, "other").await;
    assert!(
        s.feed_since(other, 0, 100)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    let again = s
        .publish_backfill(me, at(6))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, 2);
    let republished = s
        .publish_pending(100, at(7))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((republished.applied, republished.skipped), (0, 2));
}
