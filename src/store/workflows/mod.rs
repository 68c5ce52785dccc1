//! Every card workflow, written once for both databases on the SQL layer ([`super::sql`]),
//! and the Store API implemented on it for any store that has a [`Db`]. A workflow lives in
//! one file: review (approve, edit, delete, flag, add), study (due, rate, cram), undo,
//! content (users, import), publish, jobs, quiz; export, restore and card imports of whole
//! collections (the InteropStore, in interop.rs).

mod browse;
mod content;
mod explain;
mod export;
mod import_cards;
mod interop;
mod jobs;
mod listing;
mod publish;
mod quiz;
mod quiz_rows;
mod rating;
mod restore;
mod review;
pub(crate) mod rows;
mod stats;
mod study;
mod study_tools;
mod undo;

use crate::store::{CardId, JobId, QuestionId, TopicId};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::browse::{BrowseCursor, BrowseFilter, BrowsePage, BrowseStore};
use super::quiz::{AttemptRow, PendingQuestion, QuizSession, QuizStore, QuizSummary};
use super::sql::{Db, Pool};
use super::study_tools::{
    DueDeck, DueRequest, PatternCounts, Retention, StageCounts, StatsRequest, StudyToolsStore,
    TodayCounts,
};
use super::{
    AttemptFailure, Backend, Card, CardEdit, CardStore, ChangeListener, ClaimedJob, ContentStore,
    Counts, CramFilter, DueCard, EnqueueReport, ExplanationFinish, ExtractionFinish, FeedEntry,
    Fenced, FinishedExplanation, FinishedExtraction, ImportReport, ImportSet, JOBS_CHANNEL, Job,
    JobCounts, JobListener, JobStatus, JobStore, Lease, NewManualCard, PublishReport, PublishStore,
    Question, RatingResult, ReviewGroup, ReviewStamp, StoreResult, Topic, Undone, UserId, postgres,
    sqlite,
};
use crate::domain::card::Outcome;
use crate::domain::quiz::QuestionProgress;
use crate::domain::schedule::LadderState;

/// A store on one of the two databases: everything else of the Store API follows from it.
pub trait HasDb: Send + Sync + 'static {
    #[doc(hidden)]
    fn db(&self) -> &Db;
}

#[async_trait]
impl<T: HasDb + ?Sized> ContentStore for T {
    fn backend(&self) -> Backend {
        self.db().backend()
    }

    fn check_alive(&self) -> StoreResult<()> {
        self.db().check_alive()
    }

    async fn schema_version(&self) -> StoreResult<i64> {
        content::schema_version(self.db()).await
    }

    async fn close(&self) {
        self.db().close().await
    }

    async fn ensure_user(&self, name: &str) -> StoreResult<UserId> {
        content::ensure_user(self.db(), name).await
    }

    async fn import(&self, user: UserId, set: &ImportSet) -> StoreResult<ImportReport> {
        content::import(self.db(), user, set).await
    }

    async fn list_topics(&self, user: UserId) -> StoreResult<Vec<Topic>> {
        content::list_topics(self.db(), user).await
    }

    async fn list_questions(
        &self,
        user: UserId,
        topic: Option<TopicId>,
    ) -> StoreResult<Vec<Question>> {
        content::list_questions(self.db(), user, topic).await
    }

    async fn counts(&self, user: UserId) -> StoreResult<Counts> {
        content::counts(self.db(), user).await
    }

    async fn change_listener(&self, user: UserId) -> StoreResult<Option<ChangeListener>> {
        match &self.db().pool {
            Pool::Sqlite { .. } => Ok(None),
            Pool::Postgres(pool) => Ok(Some(ChangeListener::connect(pool, user).await?)),
        }
    }
}

#[async_trait]
impl<T: HasDb + ?Sized> CardStore for T {
    async fn review_queue(&self, user: UserId) -> StoreResult<Vec<ReviewGroup>> {
        review::queue(self.db(), user).await
    }

    async fn review_stamp(&self, user: UserId) -> StoreResult<ReviewStamp> {
        review::stamp(self.db(), user).await
    }

    async fn get_card(&self, user: UserId, card_id: CardId) -> StoreResult<Card> {
        review::get(self.db(), user, card_id).await
    }

    async fn approve_card(
        &self,
        user: UserId,
        card_id: CardId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        review::approve(self.db(), user, card_id, None, now).await
    }

    async fn approve_card_as_shown(
        &self,
        user: UserId,
        card_id: CardId,
        shown: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        review::approve(self.db(), user, card_id, Some(shown), now).await
    }

    async fn approve_question(
        &self,
        user: UserId,
        question_id: QuestionId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CardId>> {
        review::approve_question(self.db(), user, question_id, now).await
    }

    async fn edit_card(
        &self,
        user: UserId,
        card_id: CardId,
        edit: &CardEdit,
        now: DateTime<Utc>,
    ) -> StoreResult<Card> {
        review::edit(self.db(), user, card_id, None, edit, now).await
    }

    async fn edit_card_as_shown(
        &self,
        user: UserId,
        card_id: CardId,
        shown: DateTime<Utc>,
        edit: &CardEdit,
        now: DateTime<Utc>,
    ) -> StoreResult<Card> {
        review::edit(self.db(), user, card_id, Some(shown), edit, now).await
    }

    async fn delete_card(
        &self,
        user: UserId,
        card_id: CardId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        review::delete(self.db(), user, card_id, now).await
    }

    async fn flag_card(
        &self,
        user: UserId,
        card_id: CardId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        review::flag(self.db(), user, card_id, now).await
    }

    async fn create_manual_card(
        &self,
        user: UserId,
        card: &NewManualCard,
        now: DateTime<Utc>,
    ) -> StoreResult<Card> {
        review::create_manual(self.db(), user, card, now).await
    }

    async fn due_deck(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueCard>> {
        study::due_deck(self.db(), user, now, limit).await
    }

    async fn rate_card(
        &self,
        user: UserId,
        card_id: CardId,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<RatingResult> {
        rating::rate(self.db(), user, card_id, None, outcome, now).await
    }

    async fn rate_card_as_shown(
        &self,
        user: UserId,
        card_id: CardId,
        shown: Option<LadderState>,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<RatingResult> {
        rating::rate(self.db(), user, card_id, Some(shown), outcome, now).await
    }

    async fn cram_deck(
        &self,
        user: UserId,
        filter: &CramFilter,
        limit: u32,
    ) -> StoreResult<Vec<Card>> {
        study::cram_deck(self.db(), user, filter, limit).await
    }

    async fn record_view(
        &self,
        user: UserId,
        card_id: CardId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        study::record_view(self.db(), user, card_id, now).await
    }

    async fn materials(&self, user: UserId) -> StoreResult<Vec<String>> {
        study::materials(self.db(), user).await
    }

    async fn undo_last(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<Option<Undone>> {
        undo::undo_last(self.db(), user, now).await
    }
}

#[async_trait]
impl<T: HasDb + ?Sized> JobStore for T {
    async fn enqueue_ready(
        &self,
        batch: u32,
        max_attempts: u16,
        now: DateTime<Utc>,
    ) -> StoreResult<EnqueueReport> {
        match &self.db().pool {
            Pool::Sqlite { pool, file } => {
                sqlite::jobs::enqueue_ready(pool, file, batch, max_attempts, now).await
            }
            Pool::Postgres(pool) => {
                postgres::jobs::enqueue_ready(pool, batch, max_attempts, now).await
            }
        }
    }

    async fn claim_jobs(
        &self,
        worker_id: &str,
        lease: Duration,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedJob>> {
        match &self.db().pool {
            Pool::Sqlite { pool, file } => {
                sqlite::jobs::claim_jobs(pool, file, worker_id, lease, now, limit).await
            }
            Pool::Postgres(pool) => {
                postgres::jobs::claim_jobs(pool, worker_id, lease, now, limit).await
            }
        }
    }

    async fn heartbeat(
        &self,
        lease: Lease,
        duration: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        jobs::heartbeat(self.db(), lease, duration, now).await
    }

    async fn finish_extractions(
        &self,
        finishes: &[ExtractionFinish],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Fenced<FinishedExtraction>>> {
        match &self.db().pool {
            Pool::Sqlite { pool, file } => {
                sqlite::jobs::finish_extractions(pool, file, finishes, now).await
            }
            Pool::Postgres(pool) => postgres::jobs::finish_extractions(pool, finishes, now).await,
        }
    }

    async fn fail_attempt(
        &self,
        lease: Lease,
        failure: &AttemptFailure,
        now: DateTime<Utc>,
    ) -> StoreResult<Fenced<JobStatus>> {
        jobs::fail_attempt(self.db(), lease, failure, now).await
    }

    async fn finish_explanation(
        &self,
        lease: Lease,
        finish: &ExplanationFinish,
        now: DateTime<Utc>,
    ) -> StoreResult<Fenced<FinishedExplanation>> {
        explain::finish(self.db(), lease, finish, now).await
    }

    async fn skip_job(
        &self,
        lease: Lease,
        message: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Fenced<()>> {
        jobs::skip_job(self.db(), lease, message, now).await
    }

    async fn release_job(&self, lease: Lease, now: DateTime<Utc>) -> StoreResult<Fenced<()>> {
        jobs::release_job(self.db(), lease, now).await
    }

    async fn retry_failed_jobs(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<u64> {
        jobs::retry_failed_jobs(self.db(), user, now).await
    }

    async fn earliest_pending_at(&self) -> StoreResult<Option<DateTime<Utc>>> {
        jobs::earliest_pending_at(self.db()).await
    }

    async fn job_listener(&self) -> StoreResult<Option<JobListener>> {
        match &self.db().pool {
            Pool::Sqlite { .. } => Ok(None),
            Pool::Postgres(pool) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen(JOBS_CHANNEL).await?;
                Ok(Some(JobListener::new(listener)))
            }
        }
    }

    async fn list_jobs(
        &self,
        user: UserId,
        status: Option<JobStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Job>> {
        jobs::list_jobs(self.db(), user, status, limit).await
    }

    async fn get_job(&self, user: UserId, job_id: JobId) -> StoreResult<Job> {
        jobs::get_job(self.db(), user, job_id).await
    }

    async fn retry_job(&self, user: UserId, job_id: JobId, now: DateTime<Utc>) -> StoreResult<Job> {
        jobs::retry_job(self.db(), user, job_id, now).await
    }

    async fn job_counts(&self, user: UserId) -> StoreResult<JobCounts> {
        jobs::job_counts(self.db(), user).await
    }
}

#[async_trait]
impl<T: HasDb + ?Sized> PublishStore for T {
    async fn publish_pending(&self, limit: u32, now: DateTime<Utc>) -> StoreResult<PublishReport> {
        publish::publish_pending(self.db(), limit, now).await
    }

    async fn feed_since(
        &self,
        user: UserId,
        since: i64,
        limit: u32,
    ) -> StoreResult<Vec<FeedEntry>> {
        publish::feed_since(self.db(), user, since, limit).await
    }

    async fn publish_backfill(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<u64> {
        publish::publish_backfill(self.db(), user, now).await
    }

    async fn outbox_backlog(&self) -> StoreResult<i64> {
        publish::outbox_backlog(self.db()).await
    }
}

#[async_trait]
impl<T: HasDb + ?Sized> QuizStore for T {
    async fn active_quiz(&self, user: UserId) -> StoreResult<Option<QuizSession>> {
        quiz::active(self.db(), user).await
    }

    async fn start_quiz(
        &self,
        user: UserId,
        topic: Option<TopicId>,
        size: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<QuizSession> {
        quiz::start(self.db(), user, topic, size, now).await
    }

    async fn quiz_session(&self, user: UserId, session_id: i64) -> StoreResult<QuizSession> {
        quiz::session(self.db(), user, session_id).await
    }

    async fn answer_question(
        &self,
        user: UserId,
        session_id: i64,
        question_id: QuestionId,
        chosen: Option<i16>,
        marked_unsure: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<AttemptRow> {
        let db = self.db();
        quiz::answer(
            db,
            user,
            session_id,
            question_id,
            chosen,
            marked_unsure,
            now,
        )
        .await
    }

    async fn finalize_quiz(
        &self,
        user: UserId,
        session_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<QuizSummary> {
        quiz::finalize(self.db(), user, session_id, now).await
    }

    async fn pending_questions(
        &self,
        user: UserId,
        topic: Option<TopicId>,
    ) -> StoreResult<Vec<PendingQuestion>> {
        quiz::pending(self.db(), user, topic).await
    }

    async fn mark_question_reviewed(
        &self,
        user: UserId,
        question_id: QuestionId,
        now: DateTime<Utc>,
    ) -> StoreResult<QuestionProgress> {
        quiz::mark_reviewed(self.db(), user, question_id, now).await
    }

    async fn question_progress(
        &self,
        user: UserId,
        topic: Option<TopicId>,
    ) -> StoreResult<Vec<QuestionProgress>> {
        let mut conn = self.db().read().await?;
        quiz::progress_rows(&mut conn, user, topic, false).await
    }
}

#[async_trait]
impl<T: HasDb + ?Sized> BrowseStore for T {
    async fn browse(
        &self,
        user: UserId,
        filter: &BrowseFilter,
        after: Option<BrowseCursor>,
        limit: u32,
    ) -> StoreResult<BrowsePage> {
        browse::browse(self.db(), user, filter, after, limit).await
    }

    async fn forget_card(
        &self,
        user: UserId,
        card_id: CardId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        browse::forget(self.db(), user, card_id, now).await
    }
}

#[async_trait]
impl<T: HasDb + ?Sized> StudyToolsStore for T {
    async fn due_deck_today(&self, user: UserId, request: &DueRequest) -> StoreResult<DueDeck> {
        study_tools::due_deck_today(self.db(), user, request).await
    }

    async fn focus_topic(
        &self,
        user: UserId,
        topic: Option<TopicId>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        study_tools::focus_topic(self.db(), user, topic, now).await
    }

    async fn focused_topic(&self, user: UserId) -> StoreResult<Option<TopicId>> {
        study_tools::focused_topic(self.db(), user).await
    }

    async fn reviews_per_day(&self, user: UserId, request: &StatsRequest) -> StoreResult<Vec<u64>> {
        stats::reviews_per_day(self.db(), user, request).await
    }

    async fn today_counts(&self, user: UserId, request: &StatsRequest) -> StoreResult<TodayCounts> {
        stats::today_counts(self.db(), user, request).await
    }

    async fn due_forecast(&self, user: UserId, request: &StatsRequest) -> StoreResult<Vec<u64>> {
        stats::due_forecast(self.db(), user, request).await
    }

    async fn stage_counts(&self, user: UserId, request: &StatsRequest) -> StoreResult<StageCounts> {
        stats::stage_counts(self.db(), user, request).await
    }

    async fn retention(&self, user: UserId, request: &StatsRequest) -> StoreResult<Vec<Retention>> {
        stats::retention(self.db(), user, request).await
    }

    async fn pattern_counts(
        &self,
        user: UserId,
        request: &StatsRequest,
    ) -> StoreResult<PatternCounts> {
        stats::pattern_counts(self.db(), user, request).await
    }
}
