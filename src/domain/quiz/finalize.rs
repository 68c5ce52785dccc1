//! Finalizing a quiz session (seed `session_finalize.py`): per question, the session's last
//! attempt sets the progress row and its pattern; a question already in the ladder advances
//! like a card; the counts of the summary. Entering the ladder by reviewing a question.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Attempt, PatternState, QuestionProgress, pattern};
use crate::domain::card::Outcome;
use crate::domain::schedule::{FIRST_DUE_DAYS, advance};

/// What finalize reads: the session's attempts and, for each of its questions, the recent
/// attempts and the current progress row.
#[derive(Debug, Clone, Copy)]
pub struct FinalizeInput<'a> {
    /// The session's attempts, oldest first (`answered_at`, then id).
    pub session: &'a [Attempt],
    /// Per question of the session, its attempts oldest first. Only the latest matter: the
    /// last three not skipped (the window) and the one before the latest (the store reads
    /// just those); attempts after the session's last one for the question are ignored.
    pub recent: &'a HashMap<i64, Vec<Attempt>>,
    /// The progress rows that exist, by question id.
    pub progress: &'a HashMap<i64, QuestionProgress>,
    pub now: DateTime<Utc>,
}

/// The session's own counts: one per question, by its last attempt in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionCounts {
    pub correct: i64,
    pub wrong: i64,
    pub unsure: i64,
    pub skipped: i64,
    /// First attempt ever, and correct.
    pub newly_correct: i64,
    /// The attempt before was correct, this one wrong.
    pub relapsed: i64,
    /// The pattern became `recovered` (it was something else, or nothing, before).
    pub recovered: i64,
    /// Questions of the session whose pattern is `chronic_wrong` afterwards.
    pub chronic_remaining: i64,
}

/// The rows finalize writes and the counts it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finalized {
    /// One progress row per question of the session, in the order they were first answered.
    pub rows: Vec<QuestionProgress>,
    pub counts: SessionCounts,
    /// Questions whose last attempt was wrong or unsure (explanation candidates).
    pub missed: Vec<i64>,
}

/// Computes the new progress rows and the counts of a session (DESIGN §1.7).
pub fn finalize(input: FinalizeInput<'_>) -> Finalized {
    let mut order: Vec<i64> = Vec::new();
    let mut last: HashMap<i64, &Attempt> = HashMap::new();
    for attempt in input.session {
        if last.insert(attempt.question_id, attempt).is_none() {
            order.push(attempt.question_id);
        }
    }
    let mut counts = SessionCounts::default();
    let mut rows = Vec::with_capacity(order.len());
    let mut missed = Vec::new();
    for question_id in order {
        let Some(attempt) = last.get(&question_id).copied() else {
            continue;
        };
        let key = (attempt.answered_at, attempt.id);
        let prior: Vec<&Attempt> = input
            .recent
            .get(&question_id)
            .map(|all| all.iter().filter(|a| (a.answered_at, a.id) < key).collect())
            .unwrap_or_default();
        let outcome = attempt.outcome;
        match outcome {
            Outcome::Correct => counts.correct += 1,
            Outcome::Wrong => counts.wrong += 1,
            Outcome::Unsure => counts.unsure += 1,
            Outcome::Skipped => counts.skipped += 1,
        }
        if matches!(outcome, Outcome::Wrong | Outcome::Unsure) {
            missed.push(question_id);
        }
        match prior.last() {
            None if outcome == Outcome::Correct => counts.newly_correct += 1,
            Some(before) if before.outcome == Outcome::Correct && outcome == Outcome::Wrong => {
                counts.relapsed += 1
            }
            _ => {}
        }
        let history: Vec<Outcome> = prior
            .iter()
            .map(|a| a.outcome)
            .chain(std::iter::once(outcome))
            .collect();
        let (state, window) = pattern(&history);
        let before = input.progress.get(&question_id);
        if state == Some(PatternState::Recovered)
            && before.and_then(|p| p.pattern_state) != Some(PatternState::Recovered)
        {
            counts.recovered += 1;
        }
        if state == Some(PatternState::ChronicWrong) {
            counts.chronic_remaining += 1;
        }
        let mut row = before
            .cloned()
            .unwrap_or_else(|| QuestionProgress::empty(question_id, attempt.topic_id));
        row.last_outcome = Some(outcome);
        row.last_attempted_at = Some(attempt.answered_at);
        row.last_attempt_id = Some(attempt.id);
        row.pattern_state = state;
        row.pattern_updated_at = Some(input.now);
        row.pattern_window_attempts = window;
        // Only a question already in the ladder moves on it; a plain answer never puts one
        // there (reviewing it does).
        if row.due_at.is_some()
            && let Some((stage, due_at)) =
                advance(row.review_stage.unwrap_or(0), outcome, input.now)
        {
            row.review_stage = Some(stage);
            row.due_at = due_at;
        }
        rows.push(row);
    }
    Finalized {
        rows,
        counts,
        missed,
    }
}

/// A question reviewed (its explanation read, marked reviewed): `last_reviewed_at` is now
/// and a question not in the ladder enters it at stage 0, due in [`FIRST_DUE_DAYS`].
pub fn mark_reviewed(progress: &QuestionProgress, now: DateTime<Utc>) -> QuestionProgress {
    let mut row = progress.clone();
    row.last_reviewed_at = Some(now);
    if row.due_at.is_none() {
        row.review_stage = Some(0);
        row.due_at = Some(now + Duration::days(FIRST_DUE_DAYS));
    }
    row
}

#[cfg(test)]
#[path = "finalize_tests.rs"]
mod tests;
