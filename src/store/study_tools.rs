//! The learner's everyday tools part of the Store API (issue 18): the Due deck under the day's
//! rules (topic, new-card limit, sibling burying), the focused topic, and the statistics,
//! one query per figure.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{DueCard, StoreResult, TopicId, UserId};
use crate::domain::due_plan::DueRules;
use crate::domain::study_day::StudyDay;

/// What the Due pane asks for: the cards due `now` under the learner's day rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueRequest {
    pub now: DateTime<Utc>,
    /// The learner's local day `now` falls in (new cards and burying count from its start).
    pub today: StudyDay,
    /// Only cards of this topic (`None`: every topic).
    pub topic: Option<TopicId>,
    pub rules: DueRules,
    /// At most this many cards of each kind (due, new) are read.
    pub limit: u32,
}

/// The Due deck of the day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DueDeck {
    /// Due cards by due date, then new cards, siblings buried or spread.
    pub cards: Vec<DueCard>,
    /// New cards introduced today (first ratings in the review log since the day began).
    pub new_introduced_today: u64,
}

/// The window the statistics are drawn over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsRequest {
    pub now: DateTime<Utc>,
    pub today: StudyDay,
    /// Days of the review heatmap, today included.
    pub heatmap_days: u32,
    /// Days of the due forecast, today (and everything overdue) first.
    pub forecast_days: u32,
    /// Days of review log the retention is measured over, today included.
    pub retention_days: u32,
    /// Only cards (and quiz questions) of this topic.
    pub topic: Option<TopicId>,
}

impl StatsRequest {
    /// The pane's windows: a year of reviews, 30 days of forecast and of retention.
    pub fn standard(now: DateTime<Utc>, today: StudyDay) -> StatsRequest {
        StatsRequest {
            now,
            today,
            heatmap_days: 365,
            forecast_days: 30,
            retention_days: 30,
            topic: None,
        }
    }
}

/// Reviews of today's local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TodayCounts {
    /// Ratings given today.
    pub reviewed: i64,
    /// Of them, first ratings of never-reviewed cards.
    pub new: i64,
    /// Of them, "don't know" or "unsure" (the card starts the ladder again).
    pub again: i64,
}

/// Live approved cards per place on the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StageCounts {
    /// Never rated.
    pub new: i64,
    /// On the ladder, stages 0 to 3.
    pub stages: [i64; 4],
    /// Off the deck: stage 4 reached.
    pub mastered: i64,
    /// Off the deck: known on first sight.
    pub known: i64,
}

/// "Know" answers among the ratings of cards at one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    /// The stage the card was at when rated (`None`: its first rating).
    pub stage: Option<i16>,
    pub reviews: i64,
    pub known: i64,
}

impl Retention {
    /// The share of "know" answers, 0–100.
    pub fn percent(&self) -> Option<f64> {
        (self.reviews > 0).then(|| self.known as f64 * 100.0 / self.reviews as f64)
    }
}

/// Quiz questions per learning pattern (`study_question_progress.pattern_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PatternCounts {
    pub stable: i64,
    pub learning: i64,
    pub recovered: i64,
    pub regressed: i64,
    pub chronic_wrong: i64,
}

/// Everything the Statistics pane draws.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stats {
    /// Reviews per local day, oldest first, today last.
    pub reviews_per_day: Vec<u64>,
    pub today: TodayCounts,
    /// Due cards per local day, today (with everything overdue) first.
    pub forecast: Vec<u64>,
    pub stages: StageCounts,
    /// By stage: first ratings, then stages 0 to 3 (stages with no rating left out).
    pub retention: Vec<Retention>,
    pub patterns: PatternCounts,
}

/// Day rules, the focused topic, and the statistics. Every read is scoped to the user.
#[async_trait]
pub trait StudyToolsStore: Send + Sync + 'static {
    /// The Due deck under `request`'s rules: approved live cards of the topic that are due
    /// now (by due date), then at most the day's allowance of never-rated cards (by id),
    /// minus what burying holds back (DESIGN §1.4, issue 18).
    async fn due_deck_today(&self, user: UserId, request: &DueRequest) -> StoreResult<DueDeck>;

    /// Focuses `topic` (remembered in `focused_at`: the most recently focused topic is the
    /// focused one), or clears every focus for "all topics".
    async fn focus_topic(
        &self,
        user: UserId,
        topic: Option<TopicId>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The focused topic: the live topic focused most recently, if any.
    async fn focused_topic(&self, user: UserId) -> StoreResult<Option<TopicId>>;

    /// Reviews per local day over the heatmap window, oldest first.
    async fn reviews_per_day(&self, user: UserId, request: &StatsRequest) -> StoreResult<Vec<u64>>;

    /// Today's reviews, new cards and misses.
    async fn today_counts(&self, user: UserId, request: &StatsRequest) -> StoreResult<TodayCounts>;

    /// Cards due per local day over the forecast window; overdue cards count on day 0.
    async fn due_forecast(&self, user: UserId, request: &StatsRequest) -> StoreResult<Vec<u64>>;

    /// Live approved cards per place on the ladder.
    async fn stage_counts(&self, user: UserId, request: &StatsRequest) -> StoreResult<StageCounts>;

    /// Share of "know" answers by the stage the card was at, over the retention window.
    async fn retention(&self, user: UserId, request: &StatsRequest) -> StoreResult<Vec<Retention>>;

    /// Quiz questions per learning pattern.
    async fn pattern_counts(
        &self,
        user: UserId,
        request: &StatsRequest,
    ) -> StoreResult<PatternCounts>;

    /// Every figure of the Statistics pane: the queries above, run side by side on the
    /// pool's connections (reads never block each other, on either database).
    async fn stats(&self, user: UserId, request: &StatsRequest) -> StoreResult<Stats> {
        let (reviews_per_day, today, forecast, stages, retention, patterns) = tokio::try_join!(
            self.reviews_per_day(user, request),
            self.today_counts(user, request),
            self.due_forecast(user, request),
            self.stage_counts(user, request),
            self.retention(user, request),
            self.pattern_counts(user, request),
        )?;
        Ok(Stats {
            reviews_per_day,
            today,
            forecast,
            stages,
            retention,
            patterns,
        })
    }
}
