//! The quiz's rows of an export: sessions with their summary snapshot, every attempt, and
//! each question's progress, read inside the export's snapshot.

use super::at;
use crate::store::StoreResult;
use crate::store::archive::{
    ArchivedAttempt, ArchivedQuestionProgress, ArchivedQuizSession, ArchivedQuizSummary,
};
use crate::store::sql::{Connected, Stamp};
use crate::store::workflows::quiz_rows::{SessionDbRow, session_columns};

#[derive(sqlx::FromRow)]
struct AttemptRow {
    id: i64,
    study_topic_id: i64,
    study_question_id: i64,
    quiz_session_id: i64,
    chosen_choice: Option<i16>,
    outcome: String,
    answered_at: Stamp,
}

#[derive(sqlx::FromRow)]
struct ProgressRow {
    study_topic_id: i64,
    study_question_id: i64,
    last_outcome: Option<String>,
    last_attempted_at: Option<Stamp>,
    last_attempt_id: Option<i64>,
    last_reviewed_at: Option<Stamp>,
    pattern_state: Option<String>,
    pattern_updated_at: Option<Stamp>,
    pattern_window_attempts: i16,
    due_at: Option<Stamp>,
    review_stage: Option<i16>,
    created_at: Stamp,
    updated_at: Stamp,
}

/// The user's quiz rows, in id order.
pub(super) struct QuizRows {
    pub sessions: Vec<ArchivedQuizSession>,
    pub attempts: Vec<ArchivedAttempt>,
    pub progress: Vec<ArchivedQuestionProgress>,
}

pub(super) async fn read(on: &mut impl Connected, user: i64) -> StoreResult<QuizRows> {
    let sessions: Vec<SessionDbRow> = on
        .query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM study_quiz_sessions WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user)
        .fetch_all(&mut *on)
        .await?;
    let attempts: Vec<AttemptRow> = on
        .query(
            "SELECT id, study_topic_id, study_question_id, quiz_session_id, chosen_choice, outcome, \
             answered_at FROM study_question_attempts WHERE user_id = $1 ORDER BY id",
        )
        .bind(user)
        .fetch_all(&mut *on)
        .await?;
    let progress: Vec<ProgressRow> = on
        .query(
            "SELECT study_topic_id, study_question_id, last_outcome, last_attempted_at, \
             last_attempt_id, last_reviewed_at, pattern_state, pattern_updated_at, \
             pattern_window_attempts, due_at, review_stage, created_at, updated_at \
             FROM study_question_progress WHERE user_id = $1 ORDER BY id",
        )
        .bind(user)
        .fetch_all(&mut *on)
        .await?;
    Ok(QuizRows {
        sessions: sessions.into_iter().map(archived_session).collect(),
        attempts: attempts.into_iter().map(AttemptRow::archived).collect(),
        progress: progress.into_iter().map(ProgressRow::archived).collect(),
    })
}

fn archived_session(s: SessionDbRow) -> ArchivedQuizSession {
    ArchivedQuizSession {
        id: s.id,
        topic_id: s.study_topic_id.map(|t| t.0),
        status: s.status,
        question_ids: s.question_ids.0,
        started_at: s.started_at.into(),
        finished_at: at(s.finished_at),
        summary: ArchivedQuizSummary {
            correct: s.correct_count,
            wrong: s.wrong_count,
            unsure: s.unsure_count,
            skipped: s.skipped_count,
            newly_correct: s.newly_correct_count,
            relapsed: s.relapsed_count,
            recovered: s.recovered_count,
            chronic_remaining: s.chronic_remaining_count,
            pending_review: s.pending_review_count,
            chronic: s.chronic_count,
            regressed: s.regressed_count,
        },
    }
}

impl AttemptRow {
    fn archived(self) -> ArchivedAttempt {
        ArchivedAttempt {
            id: self.id,
            topic_id: self.study_topic_id,
            question_id: self.study_question_id,
            session_id: self.quiz_session_id,
            chosen_choice: self.chosen_choice,
            outcome: self.outcome,
            answered_at: self.answered_at.into(),
        }
    }
}

impl ProgressRow {
    fn archived(self) -> ArchivedQuestionProgress {
        ArchivedQuestionProgress {
            topic_id: self.study_topic_id,
            question_id: self.study_question_id,
            last_outcome: self.last_outcome,
            last_attempted_at: at(self.last_attempted_at),
            last_attempt_id: self.last_attempt_id,
            last_reviewed_at: at(self.last_reviewed_at),
            pattern_state: self.pattern_state,
            pattern_updated_at: at(self.pattern_updated_at),
            pattern_window_attempts: self.pattern_window_attempts,
            due_at: at(self.due_at),
            review_stage: self.review_stage,
            created_at: self.created_at.into(),
            updated_at: self.updated_at.into(),
        }
    }
}
