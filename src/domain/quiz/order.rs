//! The next session's questions: due ones first, then those waiting for review, then never
//! attempted ones, then the least recently attempted.

use chrono::{DateTime, Utc};

use super::QuestionProgress;

/// A question that may be asked, with its progress row if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub question_id: i64,
    pub progress: Option<QuestionProgress>,
}

/// Which group a question is asked in, earliest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bucket {
    /// In the ladder and due now.
    Due,
    /// Last answered wrong or unsure and not reviewed since.
    PendingReview,
    /// Never attempted.
    New,
    /// Everything else, least recently attempted first.
    Rest,
}

/// The group `candidate` belongs to at `now`.
pub fn bucket(candidate: &Candidate, now: DateTime<Utc>) -> Bucket {
    match &candidate.progress {
        Some(p) if p.due_at.is_some_and(|due| due <= now) => Bucket::Due,
        Some(p) if p.pending_review() => Bucket::PendingReview,
        Some(p) if p.last_attempted_at.is_some() => Bucket::Rest,
        _ => Bucket::New,
    }
}

/// The first `size` questions of the next session, in the order they are asked. Within a
/// group: due by due date, pending and the rest by when they were last attempted, new ones
/// by id (import order); ties by id, so the order is fully determined.
pub fn next_session(candidates: &[Candidate], now: DateTime<Utc>, size: usize) -> Vec<i64> {
    let mut keyed: Vec<(Bucket, Option<DateTime<Utc>>, i64)> = candidates
        .iter()
        .map(|c| {
            let group = bucket(c, now);
            let when = c.progress.as_ref().and_then(|p| match group {
                Bucket::Due => p.due_at,
                Bucket::PendingReview | Bucket::Rest => p.last_attempted_at,
                Bucket::New => None,
            });
            (group, when, c.question_id)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().take(size).map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::card::Outcome;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minutes)
    }

    fn with(
        id: i64,
        outcome: Outcome,
        attempted: i64,
        due: Option<i64>,
        reviewed: Option<i64>,
    ) -> Candidate {
        Candidate {
            question_id: id,
            progress: Some(QuestionProgress {
                last_outcome: Some(outcome),
                last_attempted_at: Some(t(attempted)),
                last_reviewed_at: reviewed.map(t),
                due_at: due.map(t),
                review_stage: due.map(|_| 0),
                ..QuestionProgress::empty(id, 1)
            }),
        }
    }

    fn new(id: i64) -> Candidate {
        Candidate {
            question_id: id,
            progress: None,
        }
    }

    #[test]
    fn groups_then_dates_then_ids() {
        let now = t(1_000);
        let candidates = vec![
            new(9),
            with(1, Outcome::Correct, 10, None, None), // rest, attempted at 10
            with(2, Outcome::Wrong, 20, Some(900), Some(30)), // due at 900
            with(3, Outcome::Wrong, 40, None, None),   // pending, attempted at 40
            new(4),
            with(5, Outcome::Correct, 5, Some(2_000), None), // in the ladder, not due: rest at 5
            with(6, Outcome::Unsure, 30, None, Some(20)),    // pending (reviewed before it)
            with(7, Outcome::Correct, 50, Some(800), None),  // due at 800
            with(8, Outcome::Wrong, 60, None, Some(70)),     // reviewed since: rest at 60
        ];
        let buckets: Vec<Bucket> = candidates.iter().map(|c| bucket(c, now)).collect();
        use Bucket::*;
        assert_eq!(
            buckets,
            vec![
                New,
                Rest,
                Due,
                PendingReview,
                New,
                Rest,
                PendingReview,
                Due,
                Rest
            ]
        );
        assert_eq!(
            next_session(&candidates, now, 100),
            vec![7, 2, 6, 3, 4, 9, 5, 1, 8]
        );
        assert_eq!(next_session(&candidates, now, 3), vec![7, 2, 6]);
        assert_eq!(next_session(&[], now, 10), Vec::<i64>::new());
    }
}
