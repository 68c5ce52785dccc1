//! The quiz's rows of a restore: sessions (their question lists renumbered), attempts and
//! question progress, with the ids of the questions, topics and attempts they refer to
//! given anew like every other table's.

use serde_json::json;

use super::{IdMap, Writer, new_id};
use crate::store::StoreResult;
use crate::store::archive::UserArchive;

impl Writer<'_, '_> {
    /// The user's quiz sessions, attempts and question progress.
    pub(super) async fn quiz(
        &mut self,
        user: i64,
        archive: &UserArchive,
        topics: &IdMap,
        questions: &IdMap,
    ) -> StoreResult<()> {
        let sessions = self.quiz_sessions(user, archive, topics, questions).await?;
        let attempts = self
            .question_attempts(user, archive, topics, questions, &sessions)
            .await?;
        self.question_progress(user, archive, topics, questions, &attempts)
            .await
    }

    async fn quiz_sessions(
        &mut self,
        user: i64,
        archive: &UserArchive,
        topics: &IdMap,
        questions: &IdMap,
    ) -> StoreResult<IdMap> {
        let base = self
            .next_id("SELECT COALESCE(MAX(id), 0) + 1 FROM study_quiz_sessions")
            .await?;
        let ids = Self::number(base, archive.quiz_sessions.iter().map(|s| s.id));
        let mut rows = Vec::with_capacity(archive.quiz_sessions.len());
        for s in &archive.quiz_sessions {
            let question_ids = s
                .question_ids
                .iter()
                .map(|q| new_id(questions, *q))
                .collect::<StoreResult<Vec<_>>>()?;
            let c = &s.summary;
            rows.push(json!({"id": new_id(&ids, s.id)?,
                "topic_id": s.topic_id.map(|t| new_id(topics, t)).transpose()?,
                "status": s.status, "question_ids": question_ids,
                "started_at": self.ts(Some(s.started_at)), "finished_at": self.ts(s.finished_at),
                "correct": c.correct, "wrong": c.wrong, "unsure": c.unsure, "skipped": c.skipped,
                "newly_correct": c.newly_correct, "relapsed": c.relapsed, "recovered": c.recovered,
                "chronic_remaining": c.chronic_remaining, "pending_review": c.pending_review,
                "chronic": c.chronic, "regressed": c.regressed}));
        }
        self.insert(
            user,
            rows,
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_quiz_sessions (id, user_id, study_topic_id, status, question_ids, \
               started_at, finished_at, correct_count, wrong_count, unsure_count, skipped_count, \
               newly_correct_count, relapsed_count, recovered_count, chronic_remaining_count, \
               pending_review_count, chronic_count, regressed_count) \
             SELECT v ->> 'id', $1, v ->> 'topic_id', v ->> 'status', v -> 'question_ids', \
               v ->> 'started_at', v ->> 'finished_at', v ->> 'correct', v ->> 'wrong', \
               v ->> 'unsure', v ->> 'skipped', v ->> 'newly_correct', v ->> 'relapsed', \
               v ->> 'recovered', v ->> 'chronic_remaining', v ->> 'pending_review', \
               v ->> 'chronic', v ->> 'regressed' FROM batch ORDER BY key",
            "INSERT INTO study_quiz_sessions (id, user_id, study_topic_id, status, question_ids, \
               started_at, finished_at, correct_count, wrong_count, unsure_count, skipped_count, \
               newly_correct_count, relapsed_count, recovered_count, chronic_remaining_count, \
               pending_review_count, chronic_count, regressed_count) \
             SELECT (value ->> 'id')::BIGINT, $1, (value ->> 'topic_id')::BIGINT, value ->> 'status', \
               value -> 'question_ids', (value ->> 'started_at')::TIMESTAMPTZ, \
               (value ->> 'finished_at')::TIMESTAMPTZ, (value ->> 'correct')::BIGINT, \
               (value ->> 'wrong')::BIGINT, (value ->> 'unsure')::BIGINT, \
               (value ->> 'skipped')::BIGINT, (value ->> 'newly_correct')::BIGINT, \
               (value ->> 'relapsed')::BIGINT, (value ->> 'recovered')::BIGINT, \
               (value ->> 'chronic_remaining')::BIGINT, (value ->> 'pending_review')::BIGINT, \
               (value ->> 'chronic')::BIGINT, (value ->> 'regressed')::BIGINT \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
        )
        .await?;
        Ok(ids)
    }

    async fn question_attempts(
        &mut self,
        user: i64,
        archive: &UserArchive,
        topics: &IdMap,
        questions: &IdMap,
        sessions: &IdMap,
    ) -> StoreResult<IdMap> {
        let base = self
            .next_id("SELECT COALESCE(MAX(id), 0) + 1 FROM study_question_attempts")
            .await?;
        let ids = Self::number(base, archive.question_attempts.iter().map(|a| a.id));
        let mut rows = Vec::with_capacity(archive.question_attempts.len());
        for a in &archive.question_attempts {
            rows.push(
                json!({"id": new_id(&ids, a.id)?, "topic_id": new_id(topics, a.topic_id)?,
                "question_id": new_id(questions, a.question_id)?,
                "session_id": new_id(sessions, a.session_id)?, "chosen_choice": a.chosen_choice,
                "outcome": a.outcome, "answered_at": self.ts(Some(a.answered_at))}),
            );
        }
        self.insert(
            user,
            rows,
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_question_attempts (id, user_id, study_topic_id, study_question_id, \
               quiz_session_id, chosen_choice, outcome, answered_at) \
             SELECT v ->> 'id', $1, v ->> 'topic_id', v ->> 'question_id', v ->> 'session_id', \
               v ->> 'chosen_choice', v ->> 'outcome', v ->> 'answered_at' FROM batch ORDER BY key",
            "INSERT INTO study_question_attempts (id, user_id, study_topic_id, study_question_id, \
               quiz_session_id, chosen_choice, outcome, answered_at) \
             SELECT (value ->> 'id')::BIGINT, $1, (value ->> 'topic_id')::BIGINT, \
               (value ->> 'question_id')::BIGINT, (value ->> 'session_id')::BIGINT, \
               (value ->> 'chosen_choice')::SMALLINT, value ->> 'outcome', \
               (value ->> 'answered_at')::TIMESTAMPTZ \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
        )
        .await?;
        Ok(ids)
    }

    async fn question_progress(
        &mut self,
        user: i64,
        archive: &UserArchive,
        topics: &IdMap,
        questions: &IdMap,
        attempts: &IdMap,
    ) -> StoreResult<()> {
        let mut rows = Vec::with_capacity(archive.question_progress.len());
        for p in &archive.question_progress {
            rows.push(json!({"topic_id": new_id(topics, p.topic_id)?,
                "question_id": new_id(questions, p.question_id)?,
                "last_outcome": p.last_outcome, "last_attempted_at": self.ts(p.last_attempted_at),
                "last_attempt_id": p.last_attempt_id.map(|a| new_id(attempts, a)).transpose()?,
                "last_reviewed_at": self.ts(p.last_reviewed_at), "pattern_state": p.pattern_state,
                "pattern_updated_at": self.ts(p.pattern_updated_at),
                "pattern_window_attempts": p.pattern_window_attempts, "due_at": self.ts(p.due_at),
                "review_stage": p.review_stage, "created_at": self.ts(Some(p.created_at)),
                "updated_at": self.ts(Some(p.updated_at))}));
        }
        self.insert(
            user,
            rows,
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_question_progress (user_id, study_topic_id, study_question_id, \
               last_outcome, last_attempted_at, last_attempt_id, last_reviewed_at, pattern_state, \
               pattern_updated_at, pattern_window_attempts, due_at, review_stage, created_at, updated_at) \
             SELECT $1, v ->> 'topic_id', v ->> 'question_id', v ->> 'last_outcome', \
               v ->> 'last_attempted_at', v ->> 'last_attempt_id', v ->> 'last_reviewed_at', \
               v ->> 'pattern_state', v ->> 'pattern_updated_at', v ->> 'pattern_window_attempts', \
               v ->> 'due_at', v ->> 'review_stage', v ->> 'created_at', v ->> 'updated_at' \
             FROM batch ORDER BY key",
            "INSERT INTO study_question_progress (user_id, study_topic_id, study_question_id, \
               last_outcome, last_attempted_at, last_attempt_id, last_reviewed_at, pattern_state, \
               pattern_updated_at, pattern_window_attempts, due_at, review_stage, created_at, updated_at) \
             SELECT $1, (value ->> 'topic_id')::BIGINT, (value ->> 'question_id')::BIGINT, \
               value ->> 'last_outcome', (value ->> 'last_attempted_at')::TIMESTAMPTZ, \
               (value ->> 'last_attempt_id')::BIGINT, (value ->> 'last_reviewed_at')::TIMESTAMPTZ, \
               value ->> 'pattern_state', (value ->> 'pattern_updated_at')::TIMESTAMPTZ, \
               (value ->> 'pattern_window_attempts')::SMALLINT, (value ->> 'due_at')::TIMESTAMPTZ, \
               (value ->> 'review_stage')::SMALLINT, (value ->> 'created_at')::TIMESTAMPTZ, \
               (value ->> 'updated_at')::TIMESTAMPTZ \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
        )
        .await
    }
}
