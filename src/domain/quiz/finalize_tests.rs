//! A hand-computed session through [`finalize`], and entry into the ladder.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::domain::card::Outcome::{self, Correct as C, Skipped as S, Unsure as U, Wrong as W};
use crate::domain::quiz::PatternState::*;

fn t(minutes: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minutes)
}

fn attempt(id: i64, question_id: i64, outcome: Outcome, at: i64) -> Attempt {
    Attempt {
        id,
        question_id,
        topic_id: 7,
        outcome,
        answered_at: t(at),
    }
}

/// The session's attempts, every question's recent attempts, the progress rows before.
type Session = (
    Vec<Attempt>,
    HashMap<i64, Vec<Attempt>>,
    HashMap<i64, QuestionProgress>,
);

/// Six questions with a past, one new, one answered twice in the session:
/// - q1: never seen, correct → newly correct, stable;
/// - q2: past C, now W → relapsed, regressed;
/// - q3: past W W, now C → recovered (was learning); in the ladder at stage 1 → stage 2;
/// - q4: past W W, now U → chronic; in the ladder at stage 2 → back to 0, due tomorrow;
/// - q5: past C, now skipped → counted skipped, pattern from the past alone, ladder unchanged;
/// - q6: past W C (already recovered), now W then C in the session → the last (C) decides,
///   the pattern stays recovered and is not counted again.
fn session() -> Session {
    let past = [
        attempt(1, 2, C, 0),
        attempt(2, 3, W, 1),
        attempt(3, 3, W, 2),
        attempt(4, 4, W, 3),
        attempt(5, 4, W, 4),
        attempt(6, 5, C, 5),
        attempt(7, 6, W, 6),
        attempt(8, 6, C, 7),
    ];
    let now = vec![
        attempt(10, 1, C, 100),
        attempt(11, 2, W, 101),
        attempt(12, 3, C, 102),
        attempt(13, 4, U, 103),
        attempt(14, 5, S, 104),
        attempt(15, 6, W, 105),
        attempt(16, 6, C, 106),
    ];
    let mut recent: HashMap<i64, Vec<Attempt>> = HashMap::new();
    for a in past.iter().chain(&now) {
        recent.entry(a.question_id).or_default().push(a.clone());
    }
    let mut progress = HashMap::new();
    let row = |q: i64, state, due: Option<i64>, stage| QuestionProgress {
        pattern_state: Some(state),
        due_at: due.map(t),
        review_stage: stage,
        last_outcome: Some(C),
        ..QuestionProgress::empty(q, 7)
    };
    progress.insert(2, row(2, Stable, None, None));
    progress.insert(3, row(3, Learning, Some(50), Some(1)));
    progress.insert(4, row(4, Learning, Some(50), Some(2)));
    progress.insert(5, row(5, Stable, Some(50), Some(1)));
    progress.insert(6, row(6, Recovered, None, None));
    (now, recent, progress)
}

#[test]
fn a_hand_computed_session() {
    let (now_attempts, recent, progress) = session();
    let out = finalize(FinalizeInput {
        session: &now_attempts,
        recent: &recent,
        progress: &progress,
        now: t(200),
    });
    assert_eq!(
        out.counts,
        SessionCounts {
            correct: 3,
            wrong: 1,
            unsure: 1,
            skipped: 1,
            newly_correct: 1,
            relapsed: 1,
            recovered: 1,
            chronic_remaining: 1,
        }
    );
    assert_eq!(out.missed, vec![2, 4]);
    let by_q: HashMap<i64, &QuestionProgress> =
        out.rows.iter().map(|r| (r.question_id, r)).collect();
    assert_eq!(
        out.rows.iter().map(|r| r.question_id).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    let shape = |q: i64| {
        let r = by_q[&q];
        (
            r.last_outcome,
            r.last_attempt_id,
            r.pattern_state,
            r.pattern_window_attempts,
            r.review_stage,
            r.due_at,
        )
    };
    assert_eq!(shape(1), (Some(C), Some(10), Some(Stable), 1, None, None));
    assert_eq!(
        shape(2),
        (Some(W), Some(11), Some(Regressed), 2, None, None)
    );
    assert_eq!(
        shape(3),
        (
            Some(C),
            Some(12),
            Some(Recovered),
            3,
            Some(2),
            Some(t(200) + Duration::days(7))
        )
    );
    assert_eq!(
        shape(4),
        (
            Some(U),
            Some(13),
            Some(ChronicWrong),
            3,
            Some(0),
            Some(t(200) + Duration::days(1))
        )
    );
    assert_eq!(
        shape(5),
        (Some(S), Some(14), Some(Stable), 1, Some(1), Some(t(50)))
    );
    assert_eq!(
        shape(6),
        (Some(C), Some(16), Some(Recovered), 3, None, None)
    );
    assert!(
        out.rows
            .iter()
            .all(|r| r.pattern_updated_at == Some(t(200)) && r.topic_id == 7)
    );
    assert_eq!(by_q[&4].last_attempted_at, Some(t(103)));
}

#[test]
fn later_attempts_and_extra_history_do_not_change_the_result() {
    let (now_attempts, mut recent, progress) = session();
    // An attempt after the session (another session answered q2 since) is not read.
    recent.entry(2).or_default().push(attempt(99, 2, C, 300));
    let out = finalize(FinalizeInput {
        session: &now_attempts,
        recent: &recent,
        progress: &progress,
        now: t(200),
    });
    let q2 = out
        .rows
        .iter()
        .find(|r| r.question_id == 2)
        .map(|r| r.pattern_state);
    assert_eq!(q2, Some(Some(Regressed)));
    assert_eq!(out.counts.relapsed, 1);
}

#[test]
fn an_empty_session_writes_nothing() {
    let out = finalize(FinalizeInput {
        session: &[],
        recent: &HashMap::new(),
        progress: &HashMap::new(),
        now: t(0),
    });
    assert_eq!(out.rows, Vec::new());
    assert_eq!(out.counts, SessionCounts::default());
}

#[test]
fn reviewing_enters_the_ladder_once() {
    let fresh = QuestionProgress {
        last_outcome: Some(W),
        last_attempted_at: Some(t(0)),
        ..QuestionProgress::empty(1, 7)
    };
    let reviewed = mark_reviewed(&fresh, t(10));
    assert_eq!(reviewed.last_reviewed_at, Some(t(10)));
    assert_eq!(
        (reviewed.review_stage, reviewed.due_at),
        (Some(0), Some(t(10) + Duration::days(1)))
    );
    assert!(!reviewed.pending_review());
    // Already in the ladder: its place is kept.
    let on = QuestionProgress {
        review_stage: Some(2),
        due_at: Some(t(500)),
        ..fresh
    };
    let again = mark_reviewed(&on, t(20));
    assert_eq!((again.review_stage, again.due_at), (Some(2), Some(t(500))));
}
