//! Synthetic data for benchmarks (`amgi bench gen`): many users' questions, jobs and cards
//! with a realistic mix of in-review, new, due, scheduled and mastered cards, written in
//! bulk by the database itself (one `INSERT … SELECT` over a generated series per table).

mod generate;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::workflows::HasDb;
use super::{ContentStore, Location, StoreError, StoreResult, UserId};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthSpec {
    /// The user the benchmarks act as.
    pub user: String,
    /// That user's cards.
    pub cards: u64,
    /// That user's questions (default: one per four cards, at least one).
    pub questions: Option<u64>,
    /// Extra ready questions with no job yet, with versions older than every other one:
    /// the poller's worst case, found only at the end of its newest-first scan.
    pub fresh_questions: u64,
    /// Other users, each with a tenth of the cards, so that every query has rows to skip.
    pub other_users: u32,
}

impl SynthSpec {
    pub fn new(user: &str, cards: u64) -> Self {
        SynthSpec {
            user: user.to_owned(),
            cards,
            questions: None,
            fresh_questions: 0,
            other_users: 2,
        }
    }

    fn question_count(&self) -> u64 {
        self.questions.unwrap_or((self.cards / 4).max(1))
    }
}

/// One user's share of the generated rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserPlan {
    pub user: UserId,
    pub topics: i64,
    pub questions: i64,
    pub fresh: i64,
    pub cards: i64,
    pub now: DateTime<Utc>,
}

impl UserPlan {
    fn new(user: UserId, questions: u64, fresh: u64, cards: u64, now: DateTime<Utc>) -> Self {
        let questions = clamp(questions);
        UserPlan {
            user,
            topics: (questions / 50).clamp(1, 20),
            questions,
            fresh: clamp(fresh),
            cards: clamp(cards),
            now,
        }
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The card mix, by `card index % 100` (the same rule in both backends' SQL):
/// 0–9 in review; 10–39 approved and never rated (new); 40–49 due; 50–89 scheduled later;
/// 90–99 mastered.
pub const MIX: &str = "10% in review, 30% new, 10% due, 40% scheduled later, 10% mastered";

/// What was generated for the benchmark user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SynthReport {
    pub user: UserId,
    pub users: u32,
    pub questions: u64,
    pub cards: u64,
    pub due: u64,
    pub in_review: u64,
}

/// Generates the data set into the database at `location` (migrated first). Refuses a user
/// who already has cards or questions, so a benchmark never runs on mixed data.
pub async fn generate(location: &Location, spec: &SynthSpec) -> StoreResult<SynthReport> {
    let now = Utc::now();
    let mut users = vec![(
        spec.user.clone(),
        spec.question_count(),
        spec.fresh_questions,
        spec.cards,
    )];
    for k in 1..=spec.other_users {
        let cards = spec.cards / 10;
        users.push((
            format!("{}-other-{k}", spec.user),
            (cards / 4).max(1),
            0,
            cards,
        ));
    }
    let store: Box<dyn HasDb> = match location {
        Location::SqliteFile(path) => Box::new(super::sqlite::SqliteStore::open(path).await?),
        Location::Postgres(url) => Box::new(super::postgres::PgStore::connect(url).await?),
    };
    let db = store.db();
    let mut main_user = None;
    for (name, questions, fresh, cards) in &users {
        let user = store.ensure_user(name).await?;
        generate::fresh_user(db, user, name).await?;
        let plan = UserPlan::new(user, *questions, *fresh, *cards, now);
        generate::generate_user(db, &plan).await?;
        main_user.get_or_insert(user);
    }
    generate::vacuum_analyze(db).await?;
    db.close().await;
    let user = main_user.ok_or(StoreError::NotFound("benchmark user"))?;
    Ok(SynthReport {
        user,
        users: spec.other_users + 1,
        questions: spec.question_count() + spec.fresh_questions,
        cards: spec.cards,
        due: count_bucket(spec.cards, 40..50),
        in_review: count_bucket(spec.cards, 0..10),
    })
}

/// Adds `reviews` rows to the review log of the user called `user` (generated before),
/// spread over the year before now: what the statistics read.
pub async fn add_review_history(location: &Location, user: &str, reviews: u64) -> StoreResult<()> {
    let store: Box<dyn HasDb> = match location {
        Location::SqliteFile(path) => Box::new(super::sqlite::SqliteStore::open(path).await?),
        Location::Postgres(url) => Box::new(super::postgres::PgStore::connect(url).await?),
    };
    let db = store.db();
    let user = store.ensure_user(user).await?;
    generate::review_history(db, user, reviews, Utc::now()).await?;
    generate::vacuum_analyze(db).await?;
    db.close().await;
    Ok(())
}

/// How many of `0..cards` have `i % 100` in `range`.
fn count_bucket(cards: u64, range: std::ops::Range<u64>) -> u64 {
    let whole = (cards / 100) * (range.end - range.start);
    let rest = (0..cards % 100).filter(|i| range.contains(i)).count() as u64;
    whole + rest
}

#[cfg(test)]
mod tests {
    use super::count_bucket;

    #[test]
    fn buckets_count_the_mix() {
        assert_eq!(count_bucket(100_000, 40..50), 10_000);
        assert_eq!(count_bucket(45, 40..50), 5);
        assert_eq!(count_bucket(145, 0..10), 20);
    }
}
