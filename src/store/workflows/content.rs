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
            // Stored at millisecond precision on both databases, so that importing the same
            // file again finds the same version, not a newer one.
            let file_version = q.explanation_generated_at.map(to_millis);
            let generated_at: Option<DateTime<Utc>> =
                q.explanation.as_ref().map(|_| file_version.unwrap_or(now));
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
                continue;
            }
            report.questions_skipped += 1;
            let Some(text) = q.explanation.as_deref() else {
                continue;
            };
            let stored: Option<StoredExplanation> = tx
                .query(
                    "SELECT id, ai_explanation, ai_explanation_generated_at FROM study_questions \
                     WHERE user_id = $1 AND study_topic_id = $2 AND question_text = $3 AND deleted_at IS NULL",
                )
                .bind(user.0)
                .bind(topic_id)
                .bind(q.question_text.as_str())
                .fetch_optional(&mut tx)
                .await?;
            let Some(stored) = stored else { continue };
            let stored_version = stored.ai_explanation_generated_at.map(Into::into);
            match explanation_update(
                stored.ai_explanation.as_deref(),
                stored_version,
                text,
                file_version,
            ) {
                ExplanationUpdate::Same => {}
                ExplanationUpdate::Kept => report.explanations_kept += 1,
                ExplanationUpdate::Replace => {
                    // A new version: the poller enqueues its extraction, whose finish retires
                    // the older version's cards still in review.
                    tx.query(
                        "UPDATE study_questions SET ai_explanation = $3, ai_explanation_status = 'ready', \
                           ai_explanation_generated_at = $4, updated_at = $5 WHERE id = $1 AND user_id = $2",
                    )
                    .bind(stored.id)
                    .bind(user.0)
                    .bind(text)
                    .bind(file_version.unwrap_or(now))
                    .bind(now)
                    .execute(&mut tx)
                    .await?;
                    report.explanations_updated += 1;
                }
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

#[derive(sqlx::FromRow)]
struct StoredExplanation {
    id: QuestionId,
    ai_explanation: Option<String>,
    ai_explanation_generated_at: Option<Stamp>,
}

/// What an import does with the explanation of a question that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExplanationUpdate {
    /// The file's text is the stored one (or older and equal): nothing to do.
    Same,
    /// The file's explanation is newer (or the stored question has none): it replaces it.
    Replace,
    /// The file's text differs but is not newer: the stored one is kept, and reported.
    Kept,
}

/// A file's explanation replaces the stored one when its version is newer, or when the
/// stored question has no explanation (no version) at all. A file explanation without a
/// version is not known to be newer than a stored one.
fn explanation_update(
    stored_text: Option<&str>,
    stored_version: Option<DateTime<Utc>>,
    file_text: &str,
    file_version: Option<DateTime<Utc>>,
) -> ExplanationUpdate {
    let newer = match (stored_version, file_version) {
        (None, _) => true,
        (Some(stored), Some(file)) => file > stored,
        (Some(_), None) => false,
    };
    if newer {
        ExplanationUpdate::Replace
    } else if stored_text == Some(file_text) {
        ExplanationUpdate::Same
    } else {
        ExplanationUpdate::Kept
    }
}

fn to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
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

/// The question columns [`QuestionRow`] reads.
macro_rules! question_columns {
    () => {
        "id, study_topic_id, question_text, choices, correct_choice, ai_explanation, \
         ai_explanation_status, ai_explanation_generated_at"
    };
}
pub(super) use question_columns;

/// One row of [`question_columns!`].
#[derive(sqlx::FromRow)]
pub(super) struct QuestionRow {
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
        .query(concat!(
            "SELECT ",
            question_columns!(),
            " FROM study_questions WHERE user_id = $1 AND deleted_at IS NULL \
               AND (CAST($2 AS BIGINT) IS NULL OR study_topic_id = $2) ORDER BY id"
        ))
        .bind(user.0)
        .bind(topic)
        .fetch_all(&mut conn)
        .await?;
    rows.into_iter().map(QuestionRow::question).collect()
}

impl QuestionRow {
    pub(super) fn question(self) -> StoreResult<Question> {
        Ok(Question {
            id: self.id,
            topic_id: self.study_topic_id,
            question_text: self.question_text,
            choices: self.choices.0,
            correct_choice: self.correct_choice,
            ai_explanation: self.ai_explanation,
            ai_explanation_status: self.ai_explanation_status.parse()?,
            ai_explanation_generated_at: self.ai_explanation_generated_at.map(Into::into),
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_newer_explanation_replaces_the_stored_one() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let later = t + chrono::Duration::milliseconds(1);
        use ExplanationUpdate::{Kept, Replace, Same};
        let cases = [
            (Some("a"), Some(t), "b", Some(later), Replace),
            (Some("a"), Some(t), "a", Some(later), Replace),
            (Some("a"), Some(later), "b", Some(t), Kept),
            (Some("a"), Some(t), "b", Some(t), Kept),
            (Some("a"), Some(t), "a", Some(t), Same),
            (Some("a"), Some(t), "b", None, Kept),
            (Some("a"), Some(t), "a", None, Same),
            (None, None, "b", None, Replace),
            (None, None, "b", Some(t), Replace),
        ];
        for (stored, stored_at, file, file_at, want) in cases {
            assert_eq!(
                explanation_update(stored, stored_at, file, file_at),
                want,
                "{stored:?} {stored_at:?} {file} {file_at:?}"
            );
        }
    }
}
