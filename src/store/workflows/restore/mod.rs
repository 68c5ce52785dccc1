//! Restoring amgi exports: every user's rows written in one transaction, in bulk (one
//! `INSERT … SELECT` over a JSON array per chunk of rows, as `rehash` does), with new ids
//! given explicitly from each table's maximum so that rows refer to each other without a
//! round trip per row.

mod quiz;

use crate::domain::search::search_text;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::types::Json;

use crate::domain::card::CardFormat;
use crate::domain::normalize::{DedupScope, dedup_hash};
use crate::store::archive::{ProgressFn, RestoreReport, UserArchive};
use crate::store::sql::{Connected, Db, Dialect, Tx};
use crate::store::{StoreError, StoreResult};

/// Rows per statement: large enough that a 100k-card collection takes a few hundred
/// statements, small enough that one statement's JSON stays a few megabytes.
const CHUNK: usize = 2_000;

pub(super) async fn restore(
    db: &Db,
    targets: &[(String, &UserArchive)],
    progress: ProgressFn<'_>,
) -> StoreResult<RestoreReport> {
    // Everything is checked and cleaned before the transaction starts: a bad file changes
    // nothing and names the place of its first problem.
    let mut cleaned = Vec::with_capacity(targets.len());
    for (i, (name, archive)) in targets.iter().enumerate() {
        cleaned.push((name.as_str(), archive.cleaned(&format!("users[{i}]"))?));
    }
    let mut tx = db.write().await?;
    let dialect = tx.dialect();
    if dialect == Dialect::Postgres {
        // A large restore runs longer than an ordinary statement may; the ids below are
        // computed, not drawn, so other writers wait for this transaction.
        tx.query("SET LOCAL statement_timeout = 0")
            .execute(&mut tx)
            .await?;
        tx.query(
            "LOCK TABLE study_topics, study_questions, study_memo_cards, study_quiz_sessions, \
             study_question_attempts IN EXCLUSIVE MODE",
        )
        .execute(&mut tx)
        .await?;
    }
    let mut report = RestoreReport::default();
    let mut done = 0u64;
    for (name, archive) in &cleaned {
        let mut writer = Writer {
            tx: &mut tx,
            dialect,
            progress,
            done: &mut done,
        };
        writer.user(name, archive).await?;
        report.users += 1;
        report.topics += archive.topics.len() as u64;
        report.questions += archive.questions.len() as u64;
        report.cards += archive.cards.len() as u64;
        report.reviews += archive.reviews.len() as u64;
        report.rows += archive.rows();
    }
    if dialect == Dialect::Postgres {
        // The ids above were given, not drawn: the sequences move past them.
        for moved in [
            "SELECT setval(pg_get_serial_sequence('study_topics', 'id'), (SELECT COALESCE(MAX(id), 1) FROM study_topics))",
            "SELECT setval(pg_get_serial_sequence('study_questions', 'id'), (SELECT COALESCE(MAX(id), 1) FROM study_questions))",
            "SELECT setval(pg_get_serial_sequence('study_memo_cards', 'id'), (SELECT COALESCE(MAX(id), 1) FROM study_memo_cards))",
            "SELECT setval(pg_get_serial_sequence('study_quiz_sessions', 'id'), (SELECT COALESCE(MAX(id), 1) FROM study_quiz_sessions))",
            "SELECT setval(pg_get_serial_sequence('study_question_attempts', 'id'), (SELECT COALESCE(MAX(id), 1) FROM study_question_attempts))",
        ] {
            tx.query(moved).execute(&mut tx).await?;
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// One restore's transaction and its progress.
struct Writer<'a, 'p> {
    tx: &'a mut Tx,
    dialect: Dialect,
    progress: ProgressFn<'p>,
    done: &'a mut u64,
}

/// Old id → new id of one table.
type IdMap = HashMap<i64, i64>;

/// The new id of a row the file refers to. [`UserArchive::cleaned`] has checked every
/// reference, so a miss is a bug, reported rather than panicking.
fn new_id(map: &IdMap, old: i64) -> StoreResult<i64> {
    map.get(&old)
        .copied()
        .ok_or_else(|| StoreError::Corrupt(format!("the file refers to a row {old} it lacks")))
}

impl Writer<'_, '_> {
    /// A timestamp as the statements below read it: unix ms on SQLite, RFC 3339 on PostgreSQL.
    fn ts(&self, at: Option<DateTime<Utc>>) -> Value {
        self.dialect.json_time(at)
    }

    async fn next_id(&mut self, sql: &'static str) -> StoreResult<i64> {
        self.tx.query(sql).scalar(&mut *self.tx).await
    }

    async fn user(&mut self, name: &str, archive: &UserArchive) -> StoreResult<()> {
        let user: i64 = self
            .tx
            .query(
                "INSERT INTO users (name, created_at) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            )
            .bind(name)
            .bind(archive.created_at)
            .scalar(&mut *self.tx)
            .await?;
        let existing: i64 = self
            .tx
            .query(
                "SELECT (SELECT COUNT(*) FROM study_topics WHERE user_id = $1) \
                      + (SELECT COUNT(*) FROM study_questions WHERE user_id = $1) \
                      + (SELECT COUNT(*) FROM study_memo_cards WHERE user_id = $1) \
                      + (SELECT COUNT(*) FROM study_memo_card_jobs WHERE user_id = $1) \
                      + (SELECT COUNT(*) FROM study_quiz_sessions WHERE user_id = $1)",
            )
            .bind(user)
            .scalar(&mut *self.tx)
            .await?;
        if existing > 0 {
            return Err(StoreError::Refused(format!(
                "user {name:?} already has a collection: an amgi export is restored only into \
                 an empty one (another --user, or a new database)"
            )));
        }
        self.tx
            .query("UPDATE users SET created_at = $2 WHERE id = $1")
            .bind(user)
            .bind(archive.created_at)
            .execute(&mut *self.tx)
            .await?;
        let topics = self.topics(user, archive).await?;
        let questions = self.questions(user, archive, &topics).await?;
        let cards = self.cards(user, archive, &topics, &questions).await?;
        self.card_rows(user, archive, &questions, &cards).await?;
        self.reviews(user, archive, &cards).await?;
        self.jobs(user, archive, &questions).await?;
        self.quiz(user, archive, &topics, &questions).await
    }

    /// New ids from `base` on, in the file's order.
    fn number(base: i64, ids: impl Iterator<Item = i64>) -> IdMap {
        ids.enumerate()
            .map(|(i, old)| (old, base + i as i64))
            .collect()
    }

    async fn topics(&mut self, user: i64, archive: &UserArchive) -> StoreResult<IdMap> {
        let base = self
            .next_id("SELECT COALESCE(MAX(id), 0) + 1 FROM study_topics")
            .await?;
        let ids = Self::number(base, archive.topics.iter().map(|t| t.id));
        let mut rows = Vec::with_capacity(archive.topics.len());
        for t in &archive.topics {
            rows.push(json!({"id": new_id(&ids, t.id)?, "name": t.name,
                "focused_at": self.ts(t.focused_at), "created_at": self.ts(Some(t.created_at)),
                "deleted_at": self.ts(t.deleted_at)}));
        }
        self.insert(
            user,
            rows,
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_topics (id, user_id, name, focused_at, created_at, deleted_at) \
             SELECT v ->> 'id', $1, v ->> 'name', v ->> 'focused_at', \
               v ->> 'created_at', v ->> 'deleted_at' FROM batch ORDER BY key",
            "INSERT INTO study_topics (id, user_id, name, focused_at, created_at, deleted_at) \
             SELECT (value ->> 'id')::BIGINT, $1, value ->> 'name', (value ->> 'focused_at')::TIMESTAMPTZ, \
               (value ->> 'created_at')::TIMESTAMPTZ, (value ->> 'deleted_at')::TIMESTAMPTZ \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
        )
        .await?;
        Ok(ids)
    }

    async fn questions(
        &mut self,
        user: i64,
        archive: &UserArchive,
        topics: &IdMap,
    ) -> StoreResult<IdMap> {
        let base = self
            .next_id("SELECT COALESCE(MAX(id), 0) + 1 FROM study_questions")
            .await?;
        let ids = Self::number(base, archive.questions.iter().map(|q| q.id));
        let mut rows = Vec::with_capacity(archive.questions.len());
        for q in &archive.questions {
            rows.push(json!({"id": new_id(&ids, q.id)?, "topic_id": new_id(topics, q.topic_id)?,
                       "question_text": q.question_text, "choices": q.choices,
                       "correct_choice": q.correct_choice, "ai_explanation": q.ai_explanation,
                       "ai_explanation_status": q.ai_explanation_status,
                       "ai_explanation_generated_at": self.ts(q.ai_explanation_generated_at),
                       "card_job_version": self.ts(q.card_job_version),
                       "created_at": self.ts(Some(q.created_at)),
                       "updated_at": self.ts(Some(q.updated_at)), "deleted_at": self.ts(q.deleted_at)}));
        }
        self.insert(
            user,
            rows,
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_questions (id, user_id, study_topic_id, question_text, choices, \
               correct_choice, ai_explanation, ai_explanation_status, ai_explanation_generated_at, \
               card_job_version, created_at, updated_at, deleted_at) \
             SELECT v ->> 'id', $1, v ->> 'topic_id', v ->> 'question_text', \
               v -> 'choices', v ->> 'correct_choice', v ->> 'ai_explanation', \
               v ->> 'ai_explanation_status', v ->> 'ai_explanation_generated_at', \
               v ->> 'card_job_version', v ->> 'created_at', v ->> 'updated_at', \
               v ->> 'deleted_at' FROM batch ORDER BY key",
            "INSERT INTO study_questions (id, user_id, study_topic_id, question_text, choices, \
               correct_choice, ai_explanation, ai_explanation_status, ai_explanation_generated_at, \
               card_job_version, created_at, updated_at, deleted_at) \
             SELECT (value ->> 'id')::BIGINT, $1, (value ->> 'topic_id')::BIGINT, value ->> 'question_text', \
               value -> 'choices', (value ->> 'correct_choice')::SMALLINT, value ->> 'ai_explanation', \
               value ->> 'ai_explanation_status', (value ->> 'ai_explanation_generated_at')::TIMESTAMPTZ, \
               (value ->> 'card_job_version')::TIMESTAMPTZ, (value ->> 'created_at')::TIMESTAMPTZ, \
               (value ->> 'updated_at')::TIMESTAMPTZ, (value ->> 'deleted_at')::TIMESTAMPTZ \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
        )
        .await?;
        Ok(ids)
    }

    async fn cards(
        &mut self,
        user: i64,
        archive: &UserArchive,
        topics: &IdMap,
        questions: &IdMap,
    ) -> StoreResult<IdMap> {
        let base = self
            .next_id("SELECT COALESCE(MAX(id), 0) + 1 FROM study_memo_cards")
            .await?;
        let ids = Self::number(base, archive.cards.iter().map(|c| c.id));
        let mut rows = Vec::with_capacity(archive.cards.len());
        for c in &archive.cards {
            let question = c
                .source_question_id
                .map(|q| new_id(questions, q))
                .transpose()?;
            let source_id = match c.source_kind.as_str() {
                "question" => c.source_id.map(|q| new_id(questions, q)).transpose()?,
                _ => c.source_id,
            };
            let topic_id = c.topic_id.map(|t| new_id(topics, t)).transpose()?;
            let format: CardFormat = c.format.parse()?;
            let material = c.extra.get("material").and_then(Value::as_str);
            // The hash includes the question id, which is new.
            let hash = dedup_hash(DedupScope::of(question, material), format, &c.fact);
            rows.push(json!({
                "id": new_id(&ids, c.id)?, "topic_id": topic_id,
                "source_kind": c.source_kind, "source_id": source_id,
                "source_version": self.ts(c.source_version), "source_question_id": question,
                "format": c.format, "cue": c.cue, "fact": c.fact, "cloze_text": c.cloze_text,
                "extra": c.extra, "needs_review": c.needs_review, "flagged_by": c.flagged_by,
                "flagged_at": self.ts(c.flagged_at), "dedup_hash": hash,
                "view_count": c.view_count, "last_viewed_at": self.ts(c.last_viewed_at),
                "retired_reason": c.retired_reason, "created_at": self.ts(Some(c.created_at)),
                "updated_at": self.ts(Some(c.updated_at)), "deleted_at": self.ts(c.deleted_at),
                "search_text": search_text(&c.cue, &c.fact, c.cloze_text.as_deref()),
            }));
        }
        self.insert(
            user,
            rows,
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_memo_cards (id, user_id, study_topic_id, source_kind, source_id, \
               source_version, source_question_id, format, cue, fact, cloze_text, extra, needs_review, \
               flagged_by, flagged_at, dedup_hash, view_count, last_viewed_at, retired_reason, \
               created_at, updated_at, deleted_at, search_text) \
             SELECT v ->> 'id', $1, v ->> 'topic_id', v ->> 'source_kind', \
               v ->> 'source_id', v ->> 'source_version', v ->> 'source_question_id', \
               v ->> 'format', v ->> 'cue', v ->> 'fact', v ->> 'cloze_text', \
               v -> 'extra', v ->> 'needs_review', v ->> 'flagged_by', \
               v ->> 'flagged_at', v ->> 'dedup_hash', v ->> 'view_count', \
               v ->> 'last_viewed_at', v ->> 'retired_reason', v ->> 'created_at', \
               v ->> 'updated_at', v ->> 'deleted_at', v ->> 'search_text' FROM batch ORDER BY key",
            "INSERT INTO study_memo_cards (id, user_id, study_topic_id, source_kind, source_id, \
               source_version, source_question_id, format, cue, fact, cloze_text, extra, needs_review, \
               flagged_by, flagged_at, dedup_hash, view_count, last_viewed_at, retired_reason, \
               created_at, updated_at, deleted_at, search_text) \
             SELECT (value ->> 'id')::BIGINT, $1, (value ->> 'topic_id')::BIGINT, value ->> 'source_kind', \
               (value ->> 'source_id')::BIGINT, (value ->> 'source_version')::TIMESTAMPTZ, \
               (value ->> 'source_question_id')::BIGINT, value ->> 'format', value ->> 'cue', \
               value ->> 'fact', value ->> 'cloze_text', value -> 'extra', \
               (value ->> 'needs_review')::BOOLEAN, value ->> 'flagged_by', \
               (value ->> 'flagged_at')::TIMESTAMPTZ, value ->> 'dedup_hash', \
               (value ->> 'view_count')::INTEGER, (value ->> 'last_viewed_at')::TIMESTAMPTZ, \
               value ->> 'retired_reason', (value ->> 'created_at')::TIMESTAMPTZ, \
               (value ->> 'updated_at')::TIMESTAMPTZ, (value ->> 'deleted_at')::TIMESTAMPTZ, \
               value ->> 'search_text' \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
        )
        .await?;
        Ok(ids)
    }

    /// Each card's evidence and progress row.
    async fn card_rows(
        &mut self,
        user: i64,
        archive: &UserArchive,
        questions: &IdMap,
        cards: &IdMap,
    ) -> StoreResult<()> {
        let mut evidence = Vec::new();
        let mut progress = Vec::new();
        for c in &archive.cards {
            let card_id = new_id(cards, c.id)?;
            for e in &c.evidence {
                let source_id = match e.source_type.as_str() {
                    "question" => e.source_id.map(|q| new_id(questions, q)).transpose()?,
                    _ => e.source_id,
                };
                evidence.push(json!({"card_id": card_id, "source_type": e.source_type,
                    "source_id": source_id, "snippet": e.snippet,
                    "created_at": self.ts(Some(e.created_at))}));
            }
            if let Some(p) = &c.progress {
                progress.push(json!({"card_id": card_id, "last_outcome": p.last_outcome,
                    "last_reviewed_at": self.ts(p.last_reviewed_at), "due_at": self.ts(p.due_at),
                    "review_stage": p.review_stage, "created_at": self.ts(Some(p.created_at)),
                    "updated_at": self.ts(Some(p.updated_at))}));
            }
        }
        self.insert(
            user,
            evidence,
            // The user is bound for the statements' shape; evidence rows belong to cards.
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_memo_card_evidence (card_id, source_type, source_id, snippet, created_at) \
             SELECT v ->> 'card_id', v ->> 'source_type', v ->> 'source_id', \
               v ->> 'snippet', v ->> 'created_at' FROM batch WHERE $1 > 0 ORDER BY key",
            "INSERT INTO study_memo_card_evidence (card_id, source_type, source_id, snippet, created_at) \
             SELECT (value ->> 'card_id')::BIGINT, value ->> 'source_type', (value ->> 'source_id')::BIGINT, \
               value ->> 'snippet', (value ->> 'created_at')::TIMESTAMPTZ \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) WHERE $1 > 0 ORDER BY n",
        )
        .await?;
        self.insert(
            user,
            progress,
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_memo_card_progress (user_id, card_id, last_outcome, last_reviewed_at, \
               due_at, review_stage, created_at, updated_at) \
             SELECT $1, v ->> 'card_id', v ->> 'last_outcome', v ->> 'last_reviewed_at', \
               v ->> 'due_at', v ->> 'review_stage', v ->> 'created_at', \
               v ->> 'updated_at' FROM batch ORDER BY key",
            "INSERT INTO study_memo_card_progress (user_id, card_id, last_outcome, last_reviewed_at, \
               due_at, review_stage, created_at, updated_at) \
             SELECT $1, (value ->> 'card_id')::BIGINT, value ->> 'last_outcome', \
               (value ->> 'last_reviewed_at')::TIMESTAMPTZ, (value ->> 'due_at')::TIMESTAMPTZ, \
               (value ->> 'review_stage')::SMALLINT, (value ->> 'created_at')::TIMESTAMPTZ, \
               (value ->> 'updated_at')::TIMESTAMPTZ \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
        )
        .await
    }

    async fn reviews(
        &mut self,
        user: i64,
        archive: &UserArchive,
        cards: &IdMap,
    ) -> StoreResult<()> {
        let mut rows = Vec::with_capacity(archive.reviews.len());
        for r in &archive.reviews {
            rows.push(json!({"card_id": new_id(cards, r.card_id)?, "outcome": r.outcome,
                       "had_progress": r.had_progress, "stage_before": r.stage_before,
                       "due_before": self.ts(r.due_before), "outcome_before": r.outcome_before,
                       "reviewed_before": self.ts(r.reviewed_before), "stage_after": r.stage_after,
                       "due_after": self.ts(r.due_after), "reviewed_at": self.ts(Some(r.reviewed_at))}));
        }
        self.insert(
            user,
            rows,
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_card_reviews (user_id, card_id, outcome, had_progress, stage_before, \
               due_before, outcome_before, reviewed_before, stage_after, due_after, reviewed_at) \
             SELECT $1, v ->> 'card_id', v ->> 'outcome', v ->> 'had_progress', \
               v ->> 'stage_before', v ->> 'due_before', v ->> 'outcome_before', \
               v ->> 'reviewed_before', v ->> 'stage_after', v ->> 'due_after', \
               v ->> 'reviewed_at' FROM batch ORDER BY key",
            "INSERT INTO study_card_reviews (user_id, card_id, outcome, had_progress, stage_before, \
               due_before, outcome_before, reviewed_before, stage_after, due_after, reviewed_at) \
             SELECT $1, (value ->> 'card_id')::BIGINT, value ->> 'outcome', \
               (value ->> 'had_progress')::BOOLEAN, (value ->> 'stage_before')::SMALLINT, \
               (value ->> 'due_before')::TIMESTAMPTZ, value ->> 'outcome_before', \
               (value ->> 'reviewed_before')::TIMESTAMPTZ, (value ->> 'stage_after')::SMALLINT, \
               (value ->> 'due_after')::TIMESTAMPTZ, (value ->> 'reviewed_at')::TIMESTAMPTZ \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
        )
        .await
    }

    async fn jobs(
        &mut self,
        user: i64,
        archive: &UserArchive,
        questions: &IdMap,
    ) -> StoreResult<()> {
        let mut rows = Vec::with_capacity(archive.jobs.len());
        for j in &archive.jobs {
            let source_id = match j.source_kind.as_str() {
                "question" => new_id(questions, j.source_id)?,
                _ => j.source_id,
            };
            let mut row = json!({"source_kind": j.source_kind, "source_id": source_id,
                    "source_version": self.ts(j.source_version), "kind": j.kind,
                    "status": j.status, "attempts": j.attempts, "max_attempts": j.max_attempts,
                    "error_code": j.error_code, "error_message": j.error_message,
                    "created_at": self.ts(Some(j.created_at)), "started_at": self.ts(j.started_at),
                    "completed_at": self.ts(j.completed_at), "run_after": self.ts(Some(j.run_after)),
                    "lease_expires_at": self.ts(j.lease_expires_at), "worker_id": j.worker_id,
                    "claims": j.claims});
            // Left out when absent: `value -> 'payload'` of a JSON null is not SQL NULL.
            if let (Some(payload), Some(map)) = (&j.payload, row.as_object_mut()) {
                map.insert("payload".into(), payload.clone());
            }
            rows.push(row);
        }
        self.insert(
            user,
            rows,
            "WITH batch AS MATERIALIZED (SELECT key, value AS v FROM json_each($2)) \
             INSERT INTO study_memo_card_jobs (user_id, source_kind, source_id, source_version, kind, \
               status, attempts, max_attempts, error_code, error_message, payload, created_at, \
               started_at, completed_at, run_after, lease_expires_at, worker_id, claims) \
             SELECT $1, v ->> 'source_kind', v ->> 'source_id', v ->> 'source_version', \
               v ->> 'kind', v ->> 'status', v ->> 'attempts', v ->> 'max_attempts', \
               v ->> 'error_code', v ->> 'error_message', v -> 'payload', \
               v ->> 'created_at', v ->> 'started_at', v ->> 'completed_at', \
               v ->> 'run_after', v ->> 'lease_expires_at', v ->> 'worker_id', \
               v ->> 'claims' FROM batch ORDER BY key",
            "INSERT INTO study_memo_card_jobs (user_id, source_kind, source_id, source_version, kind, \
               status, attempts, max_attempts, error_code, error_message, payload, created_at, \
               started_at, completed_at, run_after, lease_expires_at, worker_id, claims) \
             SELECT $1, value ->> 'source_kind', (value ->> 'source_id')::BIGINT, \
               (value ->> 'source_version')::TIMESTAMPTZ, value ->> 'kind', value ->> 'status', \
               (value ->> 'attempts')::SMALLINT, (value ->> 'max_attempts')::SMALLINT, \
               value ->> 'error_code', value ->> 'error_message', value -> 'payload', \
               (value ->> 'created_at')::TIMESTAMPTZ, (value ->> 'started_at')::TIMESTAMPTZ, \
               (value ->> 'completed_at')::TIMESTAMPTZ, (value ->> 'run_after')::TIMESTAMPTZ, \
               (value ->> 'lease_expires_at')::TIMESTAMPTZ, value ->> 'worker_id', \
               (value ->> 'claims')::BIGINT \
             FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, n) ORDER BY n",
        )
        .await
    }

    /// Runs the statement of this dialect over `rows` in chunks (`$1` the user, `$2` the
    /// chunk as a JSON array), reporting progress after each.
    async fn insert(
        &mut self,
        user: i64,
        rows: Vec<Value>,
        sqlite: &'static str,
        postgres: &'static str,
    ) -> StoreResult<()> {
        for chunk in rows.chunks(CHUNK) {
            self.tx
                .query_pick(sqlite, postgres)
                .bind(user)
                .bind(Json(chunk))
                .execute(&mut *self.tx)
                .await?;
            *self.done += chunk.len() as u64;
            (self.progress)(*self.done);
        }
        Ok(())
    }
}
