//! The question quiz (DESIGN §1.7, seeds `session_finalize.py`, `sr_schedule.py`): grading an
//! answer, the learning pattern, finalizing a session, entering the ladder, the next
//! session's order and the check of a generated explanation. Pure: rows in, rows out.

mod explanation;
mod finalize;
mod order;
mod pattern;

pub use explanation::{
    EXPLANATION_MAX_CHARS, EXPLANATION_MIN_CHARS, ExplanationError, check_explanation,
};
pub use finalize::{FinalizeInput, Finalized, SessionCounts, finalize, mark_reviewed};
pub use order::{Bucket, Candidate, bucket, next_session};
pub use pattern::{PATTERN_WINDOW, PatternState, pattern};

use chrono::{DateTime, Utc};

use super::card::Outcome;

/// The default number of questions in a quiz session.
pub const DEFAULT_SESSION_SIZE: u32 = 10;

/// One stored answer to a question (`study_question_attempts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: i64,
    pub question_id: i64,
    pub topic_id: i64,
    pub outcome: Outcome,
    pub answered_at: DateTime<Utc>,
}

/// One row of `study_question_progress`: the learner's standing on one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionProgress {
    pub question_id: i64,
    pub topic_id: i64,
    pub last_outcome: Option<Outcome>,
    pub last_attempted_at: Option<DateTime<Utc>>,
    pub last_attempt_id: Option<i64>,
    pub last_reviewed_at: Option<DateTime<Utc>>,
    pub pattern_state: Option<PatternState>,
    pub pattern_updated_at: Option<DateTime<Utc>>,
    /// How many attempts the pattern was read from (0 to [`PATTERN_WINDOW`]).
    pub pattern_window_attempts: i16,
    /// `None`: not in the ladder (or mastered).
    pub due_at: Option<DateTime<Utc>>,
    pub review_stage: Option<i16>,
}

impl QuestionProgress {
    /// A question never answered or reviewed: the row an upsert starts from.
    pub fn empty(question_id: i64, topic_id: i64) -> Self {
        QuestionProgress {
            question_id,
            topic_id,
            last_outcome: None,
            last_attempted_at: None,
            last_attempt_id: None,
            last_reviewed_at: None,
            pattern_state: None,
            pattern_updated_at: None,
            pattern_window_attempts: 0,
            due_at: None,
            review_stage: None,
        }
    }

    /// Waiting to be reviewed: last answered wrong or unsure, and not reviewed since.
    pub fn pending_review(&self) -> bool {
        let missed = matches!(self.last_outcome, Some(Outcome::Wrong | Outcome::Unsure));
        let reviewed_since = match (self.last_reviewed_at, self.last_attempted_at) {
            (Some(reviewed), Some(attempted)) => reviewed >= attempted,
            (Some(_), None) => true,
            (None, _) => false,
        };
        missed && !reviewed_since
    }

    /// Whether the question is on the review ladder.
    pub fn in_ladder(&self) -> bool {
        self.due_at.is_some()
    }
}

/// What an answer counts as: no choice is `skipped`; a wrong choice is `wrong` whether or not
/// the learner was sure; a right choice marked unsure is `unsure` (a guess is not yet known).
pub fn grade(correct_choice: i16, chosen: Option<i16>, marked_unsure: bool) -> Outcome {
    match chosen {
        None => Outcome::Skipped,
        Some(c) if c != correct_choice => Outcome::Wrong,
        Some(_) if marked_unsure => Outcome::Unsure,
        Some(_) => Outcome::Correct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_grade_as_the_table_says() {
        let cases = [
            (None, false, Outcome::Skipped),
            (None, true, Outcome::Skipped),
            (Some(2), false, Outcome::Correct),
            (Some(2), true, Outcome::Unsure),
            (Some(1), false, Outcome::Wrong),
            (Some(1), true, Outcome::Wrong),
        ];
        for (chosen, unsure, want) in cases {
            assert_eq!(grade(2, chosen, unsure), want, "{chosen:?} {unsure}");
        }
    }

    #[test]
    fn pending_review_needs_a_miss_not_reviewed_since() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let later = t + chrono::Duration::minutes(1);
        let row = |outcome, attempted, reviewed| QuestionProgress {
            last_outcome: Some(outcome),
            last_attempted_at: attempted,
            last_reviewed_at: reviewed,
            ..QuestionProgress::empty(1, 1)
        };
        assert!(row(Outcome::Wrong, Some(t), None).pending_review());
        assert!(row(Outcome::Unsure, Some(later), Some(t)).pending_review());
        assert!(!row(Outcome::Wrong, Some(t), Some(later)).pending_review());
        assert!(!row(Outcome::Wrong, Some(t), Some(t)).pending_review());
        assert!(!row(Outcome::Correct, Some(t), None).pending_review());
        assert!(!row(Outcome::Skipped, Some(t), None).pending_review());
        assert!(!QuestionProgress::empty(1, 1).pending_review());
    }
}
