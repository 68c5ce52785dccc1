//! Reading a user's whole collection into the amgi export format, in one snapshot: every
//! table read inside one read transaction, so a rating committed meanwhile is either wholly
//! in the export or not at all.

mod quiz;

use std::collections::HashMap;

use sqlx::types::Json;

use crate::store::archive::{
    ArchivedCard, ArchivedEvidence, ArchivedJob, ArchivedProgress, ArchivedQuestion,
    ArchivedReview, ArchivedTopic, UserArchive,
};
use crate::store::sql::{Connected, Db, Stamp};
use crate::store::{StoreError, StoreResult, UserId};

fn at(stamp: Option<Stamp>) -> Option<chrono::DateTime<chrono::Utc>> {
    stamp.map(Into::into)
}

pub(super) async fn user_names(db: &Db) -> StoreResult<Vec<String>> {
    let mut conn = db.read().await?;
    conn.query("SELECT name FROM users ORDER BY id")
        .scalars(&mut conn)
        .await
}

/// `VACUUM INTO` a new file: one consistent copy, taken from a read snapshot, so writers
/// are not held up.
pub(super) async fn backup_into(db: &Db, path: &std::path::Path) -> StoreResult<()> {
    if db.backend() != crate::store::Backend::Sqlite {
        return Err(StoreError::Refused(
            "backups are for the embedded SQLite database; back PostgreSQL up with pg_dump".into(),
        ));
    }
    let target = path.to_str().ok_or_else(|| {
        StoreError::Invalid(format!("backup path {} is not UTF-8", path.display()))
    })?;
    let mut conn = db.read().await?;
    conn.query("VACUUM INTO $1")
        .bind(target.to_owned())
        .execute(&mut conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct UserRow {
    name: String,
    created_at: Stamp,
}

#[derive(sqlx::FromRow)]
struct TopicRow {
    id: i64,
    name: String,
    focused_at: Option<Stamp>,
    created_at: Stamp,
    deleted_at: Option<Stamp>,
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    id: i64,
    study_topic_id: i64,
    question_text: String,
    choices: Json<Vec<String>>,
    correct_choice: i16,
    ai_explanation: Option<String>,
    ai_explanation_status: String,
    ai_explanation_generated_at: Option<Stamp>,
    card_job_version: Option<Stamp>,
    created_at: Stamp,
    updated_at: Stamp,
    deleted_at: Option<Stamp>,
}

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    study_topic_id: Option<i64>,
    source_kind: String,
    source_id: Option<i64>,
    source_version: Option<Stamp>,
    source_question_id: Option<i64>,
    format: String,
    cue: String,
    fact: String,
    cloze_text: Option<String>,
    extra: Json<serde_json::Value>,
    needs_review: bool,
    flagged_by: Option<String>,
    flagged_at: Option<Stamp>,
    view_count: i32,
    last_viewed_at: Option<Stamp>,
    retired_reason: Option<String>,
    created_at: Stamp,
    updated_at: Stamp,
    deleted_at: Option<Stamp>,
}

#[derive(sqlx::FromRow)]
struct EvidenceRow {
    card_id: i64,
    source_type: String,
    source_id: Option<i64>,
    snippet: Option<String>,
    created_at: Stamp,
}

#[derive(sqlx::FromRow)]
struct ProgressRow {
    card_id: i64,
    last_outcome: Option<String>,
    last_reviewed_at: Option<Stamp>,
    due_at: Option<Stamp>,
    review_stage: Option<i16>,
    created_at: Stamp,
    updated_at: Stamp,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    card_id: i64,
    outcome: String,
    had_progress: bool,
    stage_before: Option<i16>,
    due_before: Option<Stamp>,
    outcome_before: Option<String>,
    reviewed_before: Option<Stamp>,
    stage_after: Option<i16>,
    due_after: Option<Stamp>,
    reviewed_at: Stamp,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    source_kind: String,
    source_id: i64,
    source_version: Option<Stamp>,
    kind: String,
    status: String,
    attempts: i16,
    max_attempts: i16,
    error_code: Option<String>,
    error_message: Option<String>,
    payload: Option<Json<serde_json::Value>>,
    created_at: Stamp,
    started_at: Option<Stamp>,
    completed_at: Option<Stamp>,
    run_after: Stamp,
    lease_expires_at: Option<Stamp>,
    worker_id: Option<String>,
    claims: i64,
}

pub(super) async fn export_user(db: &Db, user: UserId) -> StoreResult<UserArchive> {
    let mut tx = db.snapshot().await?;
    let u = user.0;
    let owner: UserRow = tx
        .query("SELECT name, created_at FROM users WHERE id = $1")
        .bind(u)
        .fetch_optional(&mut tx)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    let topics: Vec<TopicRow> = tx
        .query(
            "SELECT id, name, focused_at, created_at, deleted_at FROM study_topics \
             WHERE user_id = $1 ORDER BY id",
        )
        .bind(u)
        .fetch_all(&mut tx)
        .await?;
    let questions: Vec<QuestionRow> = tx
        .query(
            "SELECT id, study_topic_id, question_text, choices, correct_choice, ai_explanation, \
             ai_explanation_status, ai_explanation_generated_at, card_job_version, created_at, \
             updated_at, deleted_at FROM study_questions WHERE user_id = $1 ORDER BY id",
        )
        .bind(u)
        .fetch_all(&mut tx)
        .await?;
    let cards: Vec<CardRow> = tx
        .query(
            "SELECT id, study_topic_id, source_kind, source_id, source_version, source_question_id, \
             format, cue, fact, cloze_text, extra, needs_review, flagged_by, flagged_at, view_count, \
             last_viewed_at, retired_reason, created_at, updated_at, deleted_at \
             FROM study_memo_cards WHERE user_id = $1 ORDER BY id",
        )
        .bind(u)
        .fetch_all(&mut tx)
        .await?;
    let evidence: Vec<EvidenceRow> = tx
        .query(
            "SELECT e.card_id, e.source_type, e.source_id, e.snippet, e.created_at \
             FROM study_memo_card_evidence e JOIN study_memo_cards c ON c.id = e.card_id \
             WHERE c.user_id = $1 ORDER BY e.id",
        )
        .bind(u)
        .fetch_all(&mut tx)
        .await?;
    let progress: Vec<ProgressRow> = tx
        .query(
            "SELECT card_id, last_outcome, last_reviewed_at, due_at, review_stage, created_at, \
             updated_at FROM study_memo_card_progress WHERE user_id = $1 ORDER BY id",
        )
        .bind(u)
        .fetch_all(&mut tx)
        .await?;
    let reviews: Vec<ReviewRow> = tx
        .query(
            "SELECT card_id, outcome, had_progress, stage_before, due_before, outcome_before, \
             reviewed_before, stage_after, due_after, reviewed_at FROM study_card_reviews \
             WHERE user_id = $1 ORDER BY id",
        )
        .bind(u)
        .fetch_all(&mut tx)
        .await?;
    let jobs: Vec<JobRow> = tx
        .query(
            "SELECT source_kind, source_id, source_version, kind, status, attempts, max_attempts, \
             error_code, error_message, payload, created_at, started_at, completed_at, run_after, \
             lease_expires_at, worker_id, claims FROM study_memo_card_jobs \
             WHERE user_id = $1 ORDER BY id",
        )
        .bind(u)
        .fetch_all(&mut tx)
        .await?;
    let quiz = quiz::read(&mut tx, u).await?;
    tx.rollback().await?;
    let mut archive = assemble(
        owner, topics, questions, cards, evidence, progress, reviews, jobs,
    );
    archive.quiz_sessions = quiz.sessions;
    archive.question_attempts = quiz.attempts;
    archive.question_progress = quiz.progress;
    Ok(archive)
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    owner: UserRow,
    topics: Vec<TopicRow>,
    questions: Vec<QuestionRow>,
    cards: Vec<CardRow>,
    evidence: Vec<EvidenceRow>,
    progress: Vec<ProgressRow>,
    reviews: Vec<ReviewRow>,
    jobs: Vec<JobRow>,
) -> UserArchive {
    let mut evidence_of: HashMap<i64, Vec<ArchivedEvidence>> = HashMap::new();
    for e in evidence {
        evidence_of
            .entry(e.card_id)
            .or_default()
            .push(ArchivedEvidence {
                source_type: e.source_type,
                source_id: e.source_id,
                snippet: e.snippet,
                created_at: e.created_at.into(),
            });
    }
    let mut progress_of: HashMap<i64, ArchivedProgress> = progress
        .into_iter()
        .map(|p| {
            (
                p.card_id,
                ArchivedProgress {
                    last_outcome: p.last_outcome,
                    last_reviewed_at: at(p.last_reviewed_at),
                    due_at: at(p.due_at),
                    review_stage: p.review_stage,
                    created_at: p.created_at.into(),
                    updated_at: p.updated_at.into(),
                },
            )
        })
        .collect();
    UserArchive {
        name: owner.name,
        created_at: owner.created_at.into(),
        topics: topics
            .into_iter()
            .map(|t| ArchivedTopic {
                id: t.id,
                name: t.name,
                focused_at: at(t.focused_at),
                created_at: t.created_at.into(),
                deleted_at: at(t.deleted_at),
            })
            .collect(),
        questions: questions
            .into_iter()
            .map(|q| ArchivedQuestion {
                id: q.id,
                topic_id: q.study_topic_id,
                question_text: q.question_text,
                choices: q.choices.0,
                correct_choice: q.correct_choice,
                ai_explanation: q.ai_explanation,
                ai_explanation_status: q.ai_explanation_status,
                ai_explanation_generated_at: at(q.ai_explanation_generated_at),
                card_job_version: at(q.card_job_version),
                created_at: q.created_at.into(),
                updated_at: q.updated_at.into(),
                deleted_at: at(q.deleted_at),
            })
            .collect(),
        cards: cards
            .into_iter()
            .map(|c| ArchivedCard {
                id: c.id,
                topic_id: c.study_topic_id,
                source_kind: c.source_kind,
                source_id: c.source_id,
                source_version: at(c.source_version),
                source_question_id: c.source_question_id,
                format: c.format,
                cue: c.cue,
                fact: c.fact,
                cloze_text: c.cloze_text,
                extra: c.extra.0,
                needs_review: c.needs_review,
                flagged_by: c.flagged_by,
                flagged_at: at(c.flagged_at),
                view_count: c.view_count,
                last_viewed_at: at(c.last_viewed_at),
                retired_reason: c.retired_reason,
                created_at: c.created_at.into(),
                updated_at: c.updated_at.into(),
                deleted_at: at(c.deleted_at),
                evidence: evidence_of.remove(&c.id).unwrap_or_default(),
                progress: progress_of.remove(&c.id),
            })
            .collect(),
        reviews: reviews
            .into_iter()
            .map(|r| ArchivedReview {
                card_id: r.card_id,
                outcome: r.outcome,
                had_progress: r.had_progress,
                stage_before: r.stage_before,
                due_before: at(r.due_before),
                outcome_before: r.outcome_before,
                reviewed_before: at(r.reviewed_before),
                stage_after: r.stage_after,
                due_after: at(r.due_after),
                reviewed_at: r.reviewed_at.into(),
            })
            .collect(),
        jobs: jobs
            .into_iter()
            .map(|j| ArchivedJob {
                source_kind: j.source_kind,
                source_id: j.source_id,
                source_version: at(j.source_version),
                kind: j.kind,
                status: j.status,
                attempts: j.attempts,
                max_attempts: j.max_attempts,
                error_code: j.error_code,
                error_message: j.error_message,
                payload: j.payload.map(|p| p.0),
                created_at: j.created_at.into(),
                started_at: at(j.started_at),
                completed_at: at(j.completed_at),
                run_after: j.run_after.into(),
                lease_expires_at: at(j.lease_expires_at),
                worker_id: j.worker_id,
                claims: j.claims,
            })
            .collect(),
        quiz_sessions: Vec::new(),
        question_attempts: Vec::new(),
        question_progress: Vec::new(),
    }
}
