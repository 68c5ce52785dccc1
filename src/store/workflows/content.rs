//! Users, topics, questions, import and counts.

use crate::store::{QuestionId, TopicId};
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::store::sql::{Connected, Db, Stamp};
use crate::store::{
    Counts, ImportReport, ImportSet, Question, StoreError, StoreResult, Topic, UserId,
};

pub(super) async fn schema_version(db: &Db) -> StoreResult<i64> {
    let mut conn = db.read().await?;
    let version: Option<i64> = conn
        .query("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .scalar(&mut conn)
        .await?;
    Ok(version.unwrap_or(0))
}

/// The user's id, the row created on first use. A lookup first: opening the app must not
/// take SQLite's write lock (or write a row version on PostgreSQL) for a user who exists.
pub(super) async fn ensure_user(db: &Db, name: &str) -> StoreResult<UserId> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("user name is empty".into()));
    }
    let mut conn = db.read().await?;
    let existing: Option<i64> = conn
        .query("SELECT id FROM users WHERE name = $1")
        .bind(name)
        .scalar_optional(&mut conn)
        .await?;
    drop(conn);
    if let Some(id) = existing {
        return Ok(UserId(id));
    }
    let mut tx = db.write().await?;
    // The no-op update makes RETURNING yield the id when another process created it first.
    let id: i64 = tx
        .query(
            "INSERT INTO users (name, created_at) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(name)
        .bind(Utc::now())
        .scalar(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(UserId(id))
}

pub(super) async fn import(db: &Db, user: UserId, set: &ImportSet) -> StoreResult<ImportReport> {
    let set = &set.cleaned()?;
    let now = Utc::now();
    let mut report = ImportReport::default();
    let mut tx = db.write().await?;
    for (topic_name, questions) in &set.topics {
        let existing: Option<i64> = tx
            .query(
                "SELECT id FROM study_topics WHERE user_id = $1 AND name = $2 AND deleted_at IS NULL",
            )
            .bind(user.0)
            .bind(topic_name.as_str())
            .scalar_optional(&mut tx)
            .await?;
        let topic_id: i64 = match existing {
            Some(id) => id,
            None => {
                report.topics_created += 1;
                tx.query(
                    "INSERT INTO study_topics (user_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(user.0)
                .bind(topic_name.as_str())
                .bind(now)
                .scalar(&mut tx)
                .await?
            }
        };
        for q in questions {
            let status = if q.explanation.is_some() {
                "ready"
            } else {
                "none"
            };
            let generated_at: Option<DateTime<Utc>> = q
                .explanation
                .as_ref()
                .map(|_| q.explanation_generated_at.unwrap_or(now));
            let inserted = tx
                .query(
                    "INSERT INTO study_questions (user_id, study_topic_id, question_text, choices, correct_choice, \
                     ai_explanation, ai_explanation_status, ai_explanation_generated_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                     ON CONFLICT (user_id, study_topic_id, question_text) WHERE deleted_at IS NULL DO NOTHING",
                )
                .bind(user.0)
                .bind(topic_id)
                .bind(q.question_text.as_str())
                .bind(Json(&q.choices))
                .bind(q.correct_choice)
                .bind(q.explanation.as_deref())
                .bind(status)
                .bind(generated_at)
                .bind(now)
                .execute(&mut tx)
                .await?;
            if inserted == 1 {
                report.questions_created += 1;
            } else {
                report.questions_skipped += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

#[derive(sqlx::FromRow)]
struct TopicRow {
    id: TopicId,
    name: String,
    focused_at: Option<Stamp>,
    created_at: Stamp,
}

pub(super) async fn list_topics(db: &Db, user: UserId) -> StoreResult<Vec<Topic>> {
    let mut conn = db.read().await?;
    let rows: Vec<TopicRow> = conn
        .query(
            "SELECT id, name, focused_at, created_at FROM study_topics \
             WHERE user_id = $1 AND deleted_at IS NULL ORDER BY name",
        )
        .bind(user.0)
        .fetch_all(&mut conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Topic {
            id: r.id,
            name: r.name,
            focused_at: r.focused_at.map(Into::into),
            created_at: r.created_at.into(),
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    id: QuestionId,
    study_topic_id: TopicId,
    question_text: String,
    choices: Json<Vec<String>>,
    correct_choice: i16,
    ai_explanation: Option<String>,
    ai_explanation_status: String,
    ai_explanation_generated_at: Option<Stamp>,
}

pub(super) async fn list_questions(
    db: &Db,
    user: UserId,
    topic: Option<TopicId>,
) -> StoreResult<Vec<Question>> {
    let mut conn = db.read().await?;
    let rows: Vec<QuestionRow> = conn
        .query(
            "SELECT id, study_topic_id, question_text, choices, correct_choice, ai_explanation, \
             ai_explanation_status, ai_explanation_generated_at FROM study_questions \
             WHERE user_id = $1 AND deleted_at IS NULL \
               AND (CAST($2 AS BIGINT) IS NULL OR study_topic_id = $2) ORDER BY id",
        )
        .bind(user.0)
        .bind(topic)
        .fetch_all(&mut conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Question {
                id: r.id,
                topic_id: r.study_topic_id,
                question_text: r.question_text,
                choices: r.choices.0,
                correct_choice: r.correct_choice,
                ai_explanation: r.ai_explanation,
                ai_explanation_status: r.ai_explanation_status.parse()?,
                ai_explanation_generated_at: r.ai_explanation_generated_at.map(Into::into),
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct CountsRow {
    topics: i64,
    questions: i64,
    ready: i64,
    in_review: i64,
    approved: i64,
    pending: i64,
    processing: i64,
    failed: i64,
}

pub(super) async fn counts(db: &Db, user: UserId) -> StoreResult<Counts> {
    let mut conn = db.read().await?;
    let row: CountsRow = conn
        .query(
            "SELECT \
               (SELECT COUNT(*) FROM study_topics WHERE user_id = $1 AND deleted_at IS NULL) AS topics, \
               (SELECT COUNT(*) FROM study_questions WHERE user_id = $1 AND deleted_at IS NULL) AS questions, \
               (SELECT COUNT(*) FROM study_questions WHERE user_id = $1 AND deleted_at IS NULL \
                  AND ai_explanation_status = 'ready') AS ready, \
               (SELECT COUNT(*) FROM study_memo_cards WHERE user_id = $1 AND deleted_at IS NULL \
                  AND needs_review) AS in_review, \
               (SELECT COUNT(*) FROM study_memo_cards WHERE user_id = $1 AND deleted_at IS NULL \
                  AND NOT needs_review) AS approved, \
               (SELECT COUNT(*) FROM study_memo_card_jobs WHERE user_id = $1 AND status = 'pending') AS pending, \
               (SELECT COUNT(*) FROM study_memo_card_jobs WHERE user_id = $1 AND status = 'processing') AS processing, \
               (SELECT COUNT(*) FROM study_memo_card_jobs WHERE user_id = $1 AND status = 'failed') AS failed",
        )
        .bind(user.0)
        .fetch_one(&mut conn)
        .await?;
    Ok(Counts {
        topics: row.topics,
        questions: row.questions,
        ready_explanations: row.ready,
        cards_in_review: row.in_review,
        cards_approved: row.approved,
        jobs_pending: row.pending,
        jobs_processing: row.processing,
        jobs_failed: row.failed,
    })
}
