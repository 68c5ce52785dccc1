//! The amgi export format (`"format": "amgi", "version": 1`): every row of a user's
//! collection, ids as the exporting database had them (an import gives new ones and keeps
//! every reference), timestamps in RFC 3339. Also the [`InteropStore`] trait that writes and
//! reads it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use std::collections::HashSet;

use super::{StoreError, StoreResult, UserId};
use crate::domain::card::{CardFormat, Outcome};
use crate::domain::quiz::PatternState;
use crate::domain::text::{clean_block, clean_line};

/// The `format` value of an amgi export.
pub const ARCHIVE_FORMAT: &str = "amgi";
/// The only version this amgi writes and reads.
pub const ARCHIVE_VERSION: u32 = 1;

/// A whole export file: one entry per user exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Archive {
    pub format: String,
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    /// The schema version of the exporting database, for the record.
    pub schema_version: i64,
    pub users: Vec<UserArchive>,
}

/// One user's collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserArchive {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub topics: Vec<ArchivedTopic>,
    pub questions: Vec<ArchivedQuestion>,
    pub cards: Vec<ArchivedCard>,
    /// The review log, oldest first.
    pub reviews: Vec<ArchivedReview>,
    /// Extraction jobs: which explanation versions were extracted, and how.
    pub jobs: Vec<ArchivedJob>,
    /// Quiz sessions, oldest first (absent in files written before the quiz existed).
    #[serde(default)]
    pub quiz_sessions: Vec<ArchivedQuizSession>,
    /// Every answer given in a quiz, oldest first.
    #[serde(default)]
    pub question_attempts: Vec<ArchivedAttempt>,
    /// Each question's progress: its last outcome, learning pattern and ladder.
    #[serde(default)]
    pub question_progress: Vec<ArchivedQuestionProgress>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedTopic {
    pub id: i64,
    pub name: String,
    pub focused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedQuestion {
    pub id: i64,
    pub topic_id: i64,
    pub question_text: String,
    pub choices: Vec<String>,
    /// 1-based.
    pub correct_choice: i16,
    pub ai_explanation: Option<String>,
    pub ai_explanation_status: String,
    /// The explanation's version.
    pub ai_explanation_generated_at: Option<DateTime<Utc>>,
    /// The explanation version an extraction job was enqueued for.
    pub card_job_version: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedCard {
    pub id: i64,
    pub topic_id: Option<i64>,
    pub source_kind: String,
    /// A question id when `source_kind` is `question`.
    pub source_id: Option<i64>,
    pub source_version: Option<DateTime<Utc>>,
    pub source_question_id: Option<i64>,
    pub format: String,
    pub cue: String,
    pub fact: String,
    pub cloze_text: Option<String>,
    /// `{"material": …}` for manual cards.
    pub extra: serde_json::Value,
    pub needs_review: bool,
    pub flagged_by: Option<String>,
    pub flagged_at: Option<DateTime<Utc>>,
    pub view_count: i32,
    pub last_viewed_at: Option<DateTime<Utc>>,
    pub retired_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub evidence: Vec<ArchivedEvidence>,
    /// The card's place on the ladder; `None`: never rated.
    pub progress: Option<ArchivedProgress>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedEvidence {
    pub source_type: String,
    /// A question id when `source_type` is `question`.
    pub source_id: Option<i64>,
    pub snippet: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedProgress {
    pub last_outcome: Option<String>,
    pub last_reviewed_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub review_stage: Option<i16>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedReview {
    pub card_id: i64,
    pub outcome: String,
    pub had_progress: bool,
    pub stage_before: Option<i16>,
    pub due_before: Option<DateTime<Utc>>,
    pub outcome_before: Option<String>,
    pub reviewed_before: Option<DateTime<Utc>>,
    pub stage_after: Option<i16>,
    pub due_after: Option<DateTime<Utc>>,
    pub reviewed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedJob {
    pub source_kind: String,
    /// A question id when `source_kind` is `question`.
    pub source_id: i64,
    pub source_version: Option<DateTime<Utc>>,
    pub kind: String,
    pub status: String,
    pub attempts: i16,
    pub max_attempts: i16,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub payload: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub run_after: DateTime<Utc>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub worker_id: Option<String>,
    pub claims: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedQuizSession {
    pub id: i64,
    /// `None`: a session over all topics.
    pub topic_id: Option<i64>,
    /// `active` or `done`.
    pub status: String,
    /// The session's questions, in the order they were asked.
    pub question_ids: Vec<i64>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The summary snapshot written when the session was finalized.
    pub summary: ArchivedQuizSummary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedQuizSummary {
    pub correct: i64,
    pub wrong: i64,
    pub unsure: i64,
    pub skipped: i64,
    pub newly_correct: i64,
    pub relapsed: i64,
    pub recovered: i64,
    pub chronic_remaining: i64,
    pub pending_review: i64,
    pub chronic: i64,
    pub regressed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedAttempt {
    pub id: i64,
    pub topic_id: i64,
    pub question_id: i64,
    pub session_id: i64,
    /// 1-based; `None` when skipped.
    pub chosen_choice: Option<i16>,
    /// `correct`, `wrong`, `unsure` or `skipped`.
    pub outcome: String,
    pub answered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedQuestionProgress {
    pub topic_id: i64,
    pub question_id: i64,
    pub last_outcome: Option<String>,
    pub last_attempted_at: Option<DateTime<Utc>>,
    pub last_attempt_id: Option<i64>,
    pub last_reviewed_at: Option<DateTime<Utc>>,
    pub pattern_state: Option<String>,
    pub pattern_updated_at: Option<DateTime<Utc>>,
    pub pattern_window_attempts: i16,
    pub due_at: Option<DateTime<Utc>>,
    pub review_stage: Option<i16>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserArchive {
    /// Rows of every kind, for progress and summary lines.
    pub fn rows(&self) -> u64 {
        let evidence: usize = self.cards.iter().map(|c| c.evidence.len()).sum();
        let progress = self.cards.iter().filter(|c| c.progress.is_some()).count();
        (self.topics.len()
            + self.questions.len()
            + self.cards.len()
            + evidence
            + progress
            + self.reviews.len()
            + self.jobs.len()
            + self.quiz_sessions.len()
            + self.question_attempts.len()
            + self.question_progress.len()) as u64
    }
}

/// What a restore wrote, for the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RestoreReport {
    pub users: u64,
    pub topics: u64,
    pub questions: u64,
    pub cards: u64,
    pub reviews: u64,
    pub rows: u64,
}

/// A card brought in from another program (an Anki package or text file): a manual card of
/// the material it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedCard {
    pub material: String,
    pub format: CardFormat,
    pub cue: String,
    pub fact: String,
    /// For cloze cards: the sentence with its one blank.
    pub cloze_text: Option<String>,
    pub evidence: Option<String>,
    /// Its place on the ladder; `None`: new.
    pub ladder: Option<ImportedLadder>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedLadder {
    pub stage: i16,
    /// `None`: mastered.
    pub due_at: Option<DateTime<Utc>>,
    pub reviewed_at: DateTime<Utc>,
}

/// What a card import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CardImportReport {
    pub added: u64,
    /// Cards whose answer a live card of the same material already has: left out.
    pub duplicates: u64,
}

/// Progress of a long export or restore: rows done so far.
pub type ProgressFn<'a> = &'a (dyn Fn(u64) + Send + Sync);

/// Moving whole collections in and out of a database.
#[async_trait]
pub trait InteropStore: Send + Sync + 'static {
    /// Every user of the database, by name (for `--all-users`).
    async fn user_names(&self) -> StoreResult<Vec<String>>;

    /// Every row of the user's collection, read in one consistent snapshot.
    async fn export_user(&self, user: UserId) -> StoreResult<UserArchive>;

    /// Restores each archive into the user named beside it (created if missing), whose
    /// collection must be empty, all in one transaction: new ids, every reference kept, every
    /// text cleaned, dedup hashes recomputed (they include the question id).
    async fn restore(
        &self,
        targets: &[(String, &UserArchive)],
        progress: ProgressFn<'_>,
    ) -> StoreResult<RestoreReport>;

    /// A consistent copy of the whole database in a new file at `path` (SQLite's
    /// `VACUUM INTO`); PostgreSQL refuses (its tools, `pg_dump`, do that).
    async fn backup_into(&self, path: &std::path::Path) -> StoreResult<()>;

    /// Adds manual cards in one transaction, approved or waiting in review; a card whose
    /// answer a live card of its material already has is left out (so importing the same
    /// file twice adds nothing). A card that is not valid refuses the whole import.
    async fn import_cards(
        &self,
        user: UserId,
        cards: &[ImportedCard],
        approve: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<CardImportReport>;
}

/// A reference from one row to another that the file does not hold.
fn dangling(at: String, what: &str, id: i64) -> StoreError {
    StoreError::Invalid(format!(
        "{at}: refers to {what} {id}, which the file does not hold"
    ))
}

/// `text` cleaned, refused when cleaning leaves it empty.
fn required(text: String, at: impl FnOnce() -> String) -> StoreResult<String> {
    if text.is_empty() {
        Err(StoreError::Invalid(format!(
            "{}: is empty once control and invisible characters are removed",
            at()
        )))
    } else {
        Ok(text)
    }
}

/// The ids of `rows`, refusing a repeated one.
fn unique_ids(at: &str, table: &str, ids: impl Iterator<Item = i64>) -> StoreResult<HashSet<i64>> {
    let mut seen = HashSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(StoreError::Invalid(format!(
                "{at}.{table}[{i}].id: {id} appears twice"
            )));
        }
    }
    Ok(seen)
}

impl UserArchive {
    /// The archive with every text cleaned as every other path into the store cleans it,
    /// after checking that each reference between its rows resolves; `at` names it in
    /// errors (`users[0]`).
    pub fn cleaned(&self, at: &str) -> StoreResult<UserArchive> {
        let topics = unique_ids(at, "topics", self.topics.iter().map(|t| t.id))?;
        let questions = unique_ids(at, "questions", self.questions.iter().map(|q| q.id))?;
        let cards = unique_ids(at, "cards", self.cards.iter().map(|c| c.id))?;
        let mut out = self.clone();
        for (i, t) in out.topics.iter_mut().enumerate() {
            t.name = required(clean_line(&t.name), || format!("{at}.topics[{i}].name"))?;
        }
        for (i, q) in out.questions.iter_mut().enumerate() {
            let here = |field: &str| format!("{at}.questions[{i}].{field}");
            if !topics.contains(&q.topic_id) {
                return Err(dangling(here("topic_id"), "topic", q.topic_id));
            }
            q.question_text = required(clean_block(&q.question_text), || here("question_text"))?;
            for (ci, choice) in q.choices.iter_mut().enumerate() {
                *choice = required(clean_line(choice), || here(&format!("choices[{ci}]")))?;
            }
            q.ai_explanation = q.ai_explanation.as_deref().map(clean_block);
        }
        for (i, c) in out.cards.iter_mut().enumerate() {
            let here = |field: &str| format!("{at}.cards[{i}].{field}");
            if let Some(t) = c.topic_id.filter(|t| !topics.contains(t)) {
                return Err(dangling(here("topic_id"), "topic", t));
            }
            if let Some(q) = c.source_question_id.filter(|q| !questions.contains(q)) {
                return Err(dangling(here("source_question_id"), "question", q));
            }
            if c.source_kind == "question"
                && let Some(q) = c.source_id.filter(|q| !questions.contains(q))
            {
                return Err(dangling(here("source_id"), "question", q));
            }
            c.format
                .parse::<CardFormat>()
                .map_err(|e| StoreError::Invalid(format!("{}: {e}", here("format"))))?;
            c.cue = required(clean_line(&c.cue), || here("cue"))?;
            c.fact = required(clean_line(&c.fact), || here("fact"))?;
            c.cloze_text = c.cloze_text.as_deref().map(clean_line);
            c.flagged_by = c.flagged_by.as_deref().map(clean_line);
            if !c.extra.is_object() {
                return Err(StoreError::Invalid(format!(
                    "{}: is not an object",
                    here("extra")
                )));
            }
            if let Some(material) = c.extra.get_mut("material")
                && let Some(text) = material.as_str()
            {
                *material = serde_json::Value::String(clean_line(text));
            }
            for (ei, e) in c.evidence.iter_mut().enumerate() {
                if e.source_type == "question"
                    && let Some(q) = e.source_id.filter(|q| !questions.contains(q))
                {
                    return Err(dangling(
                        here(&format!("evidence[{ei}].source_id")),
                        "question",
                        q,
                    ));
                }
                e.snippet = e.snippet.as_deref().map(clean_block);
            }
        }
        for (i, r) in out.reviews.iter().enumerate() {
            if !cards.contains(&r.card_id) {
                return Err(dangling(
                    format!("{at}.reviews[{i}].card_id"),
                    "card",
                    r.card_id,
                ));
            }
        }
        for (i, j) in out.jobs.iter().enumerate() {
            if j.source_kind == "question" && !questions.contains(&j.source_id) {
                return Err(dangling(
                    format!("{at}.jobs[{i}].source_id"),
                    "question",
                    j.source_id,
                ));
            }
        }
        out.check_quiz(at, &topics, &questions)?;
        Ok(out)
    }

    /// The quiz rows' references resolve and their values are ones the schema holds.
    fn check_quiz(
        &self,
        at: &str,
        topics: &HashSet<i64>,
        questions: &HashSet<i64>,
    ) -> StoreResult<()> {
        let sessions = unique_ids(at, "quiz_sessions", self.quiz_sessions.iter().map(|s| s.id))?;
        let attempts = unique_ids(
            at,
            "question_attempts",
            self.question_attempts.iter().map(|a| a.id),
        )?;
        let invalid = |place: String, why: &str| StoreError::Invalid(format!("{place}: {why}"));
        let mut active = false;
        for (i, s) in self.quiz_sessions.iter().enumerate() {
            let here = |field: &str| format!("{at}.quiz_sessions[{i}].{field}");
            if let Some(t) = s.topic_id.filter(|t| !topics.contains(t)) {
                return Err(dangling(here("topic_id"), "topic", t));
            }
            if let Some(q) = s.question_ids.iter().find(|q| !questions.contains(q)) {
                return Err(dangling(here("question_ids"), "question", *q));
            }
            match s.status.as_str() {
                "active" if active => {
                    return Err(invalid(here("status"), "a second active session"));
                }
                "active" => active = true,
                "done" => {}
                other => {
                    return Err(invalid(
                        here("status"),
                        &format!("{other:?} is not active or done"),
                    ));
                }
            }
            if (s.status == "done") != s.finished_at.is_some() {
                return Err(invalid(
                    here("finished_at"),
                    "is set exactly when the session is done",
                ));
            }
        }
        for (i, a) in self.question_attempts.iter().enumerate() {
            let here = |field: &str| format!("{at}.question_attempts[{i}].{field}");
            if !topics.contains(&a.topic_id) {
                return Err(dangling(here("topic_id"), "topic", a.topic_id));
            }
            if !questions.contains(&a.question_id) {
                return Err(dangling(here("question_id"), "question", a.question_id));
            }
            if !sessions.contains(&a.session_id) {
                return Err(dangling(here("session_id"), "quiz session", a.session_id));
            }
            let outcome = Outcome::from_stored(&a.outcome)
                .map_err(|e| invalid(here("outcome"), &e.to_string()))?;
            let choice_ok = match a.chosen_choice {
                None => outcome == Outcome::Skipped,
                Some(c) => c >= 1 && outcome != Outcome::Skipped,
            };
            if !choice_ok {
                return Err(invalid(
                    here("chosen_choice"),
                    "is a choice from 1 exactly when the question was not skipped",
                ));
            }
        }
        let mut progress = HashSet::new();
        for (i, p) in self.question_progress.iter().enumerate() {
            let here = |field: &str| format!("{at}.question_progress[{i}].{field}");
            if !topics.contains(&p.topic_id) {
                return Err(dangling(here("topic_id"), "topic", p.topic_id));
            }
            if !questions.contains(&p.question_id) {
                return Err(dangling(here("question_id"), "question", p.question_id));
            }
            if !progress.insert((p.topic_id, p.question_id)) {
                return Err(invalid(
                    here("question_id"),
                    "a second progress row for this question",
                ));
            }
            if let Some(a) = p.last_attempt_id.filter(|a| !attempts.contains(a)) {
                return Err(dangling(here("last_attempt_id"), "attempt", a));
            }
            if let Some(o) = &p.last_outcome {
                Outcome::from_stored(o)
                    .map_err(|e| invalid(here("last_outcome"), &e.to_string()))?;
            }
            if let Some(state) = &p.pattern_state {
                state
                    .parse::<PatternState>()
                    .map_err(|e| invalid(here("pattern_state"), &e.to_string()))?;
            }
            if !(0..=3).contains(&p.pattern_window_attempts) {
                return Err(invalid(here("pattern_window_attempts"), "is not 0 to 3"));
            }
            if p.review_stage.is_some_and(|s| !(0..=4).contains(&s)) {
                return Err(invalid(here("review_stage"), "is not 0 to 4"));
            }
        }
        Ok(())
    }
}
