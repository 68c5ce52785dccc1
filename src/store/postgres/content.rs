//! PostgreSQL: users, topics, questions, import and counts.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgPool, Row};

use crate::store::{
    Counts, ImportReport, ImportSet, Question, StoreError, StoreResult, Topic, UserId,
};

pub(super) async fn schema_version(pool: &PgPool) -> StoreResult<i64> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
    Ok(version.unwrap_or(0))
}

pub(super) async fn ensure_user(pool: &PgPool, name: &str) -> StoreResult<UserId> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("user name is empty".into()));
    }
    // The no-op update makes RETURNING yield the id whether or not the row existed.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
    )
    .bind(name)
    .fetch_one(pool)
    .await?;
    Ok(UserId(id))
}

pub(super) async fn import(
    pool: &PgPool,
    user: UserId,
    set: &ImportSet,
) -> StoreResult<ImportReport> {
    let set = &set.cleaned()?;
    let now = Utc::now();
    let mut report = ImportReport::default();
    let mut tx = pool.begin().await?;
    for (topic_name, questions) in &set.topics {
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM study_topics WHERE user_id = $1 AND name = $2 AND deleted_at IS NULL",
        )
        .bind(user.0)
        .bind(topic_name)
        .fetch_optional(&mut *tx)
        .await?;
        let topic_id: i64 = match existing {
            Some(id) => id,
            None => {
                report.topics_created += 1;
                sqlx::query_scalar(
                    "INSERT INTO study_topics (user_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(user.0)
                .bind(topic_name)
                .bind(now)
                .fetch_one(&mut *tx)
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
            let inserted = sqlx::query(
                "INSERT INTO study_questions (user_id, study_topic_id, question_text, choices, correct_choice, \
                 ai_explanation, ai_explanation_status, ai_explanation_generated_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT (user_id, study_topic_id, question_text) WHERE deleted_at IS NULL DO NOTHING",
            )
            .bind(user.0)
            .bind(topic_id)
            .bind(&q.question_text)
            .bind(Json(&q.choices))
            .bind(q.correct_choice)
            .bind(q.explanation.as_deref())
            .bind(status)
            .bind(generated_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 1 {
                report.questions_created += 1;
            } else {
                report.questions_skipped += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

pub(super) async fn list_topics(pool: &PgPool, user: UserId) -> StoreResult<Vec<Topic>> {
    let rows = sqlx::query(
        "SELECT id, name, focused_at, created_at FROM study_topics \
         WHERE user_id = $1 AND deleted_at IS NULL ORDER BY name",
    )
    .bind(user.0)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Topic {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                focused_at: r.try_get("focused_at")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

pub(super) async fn list_questions(
    pool: &PgPool,
    user: UserId,
    topic: Option<i64>,
) -> StoreResult<Vec<Question>> {
    let rows = sqlx::query(
        "SELECT id, study_topic_id, question_text, choices, correct_choice, ai_explanation, \
         ai_explanation_status, ai_explanation_generated_at FROM study_questions \
         WHERE user_id = $1 AND deleted_at IS NULL AND ($2::BIGINT IS NULL OR study_topic_id = $2) ORDER BY id",
    )
    .bind(user.0)
    .bind(topic)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let Json(choices): Json<Vec<String>> = r.try_get("choices")?;
            let status: String = r.try_get("ai_explanation_status")?;
            Ok(Question {
                id: r.try_get("id")?,
                topic_id: r.try_get("study_topic_id")?,
                question_text: r.try_get("question_text")?,
                choices,
                correct_choice: r.try_get("correct_choice")?,
                ai_explanation: r.try_get("ai_explanation")?,
                ai_explanation_status: status.parse()?,
                ai_explanation_generated_at: r.try_get("ai_explanation_generated_at")?,
            })
        })
        .collect()
}

pub(super) async fn counts(pool: &PgPool, user: UserId) -> StoreResult<Counts> {
    let row = sqlx::query(
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
    .fetch_one(pool)
    .await?;
    Ok(Counts {
        topics: row.try_get("topics")?,
        questions: row.try_get("questions")?,
        ready_explanations: row.try_get("ready")?,
        cards_in_review: row.try_get("in_review")?,
        cards_approved: row.try_get("approved")?,
        jobs_pending: row.try_get("pending")?,
        jobs_processing: row.try_get("processing")?,
        jobs_failed: row.try_get("failed")?,
    })
}
