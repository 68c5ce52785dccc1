//! The Statistics pane's figures (issue 18), one statement each, from the review log, the
//! progress rows and the quiz's question progress. Day numbers count local days from the
//! window's first midnight (`$2`), which SQLite (unix milliseconds) and PostgreSQL
//! (TIMESTAMPTZ) write differently: those statements are written for each.

use crate::domain::study_day::DAY_MS;
use crate::store::sql::{Connected, Db};
use crate::store::{
    PatternCounts, Retention, StageCounts, StatsRequest, StoreResult, TodayCounts, UserId,
};

/// (day number from the window's start, count).
type DayCount = (i64, i64);

/// Sparse day counts spread over `days` slots; counts outside the window are dropped.
fn dense(counts: &[DayCount], days: u32) -> Vec<u64> {
    let mut out = vec![0u64; days as usize];
    for &(day, n) in counts {
        if let Some(slot) = usize::try_from(day).ok().and_then(|d| out.get_mut(d)) {
            *slot += u64::try_from(n).unwrap_or(0);
        }
    }
    out
}

pub(super) async fn reviews_per_day(
    db: &Db,
    user: UserId,
    request: &StatsRequest,
) -> StoreResult<Vec<u64>> {
    let days = request.heatmap_days.max(1);
    let start = request.today.plus(1 - i64::from(days)).start;
    let mut conn = db.read().await?;
    // One index range count per day, not one grouping of every review: the rows come in
    // time order from the (user, time) index, but a GROUP BY on the day number sorts all of
    // them again (SQLite: a temporary B-tree, 76 ms for 160k reviews against 17 ms;
    // PostgreSQL: 77 ms against 25 ms).
    let counts: Vec<DayCount> = conn
        .query_pick(
            "WITH RECURSIVE days(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM days WHERE d + 1 < $3) \
             SELECT d AS day, (SELECT COUNT(*) FROM study_card_reviews r \
                 WHERE r.user_id = $1 AND r.reviewed_at >= $2 + d * $4 \
                   AND r.reviewed_at < $2 + (d + 1) * $4) AS n \
             FROM days",
            "SELECT d AS day, (SELECT COUNT(*) FROM study_card_reviews r \
                 WHERE r.user_id = $1 \
                   AND r.reviewed_at >= CAST($2 AS TIMESTAMPTZ) + d * CAST($4 AS BIGINT) * INTERVAL '1 millisecond' \
                   AND r.reviewed_at < CAST($2 AS TIMESTAMPTZ) + (d + 1) * CAST($4 AS BIGINT) * INTERVAL '1 millisecond') AS n \
             FROM generate_series(0, CAST($3 AS BIGINT) - 1) AS d",
        )
        .bind(user.0)
        .bind(start)
        .bind(i64::from(days))
        .bind(DAY_MS)
        .fetch_all(&mut conn)
        .await?;
    Ok(dense(&counts, days))
}

pub(super) async fn today_counts(
    db: &Db,
    user: UserId,
    request: &StatsRequest,
) -> StoreResult<TodayCounts> {
    let mut conn = db.read().await?;
    let (reviewed, new, again): (i64, i64, i64) = conn
        .query(
            "SELECT COUNT(*), \
               COALESCE(SUM(CASE WHEN had_progress THEN 0 ELSE 1 END), 0), \
               COALESCE(SUM(CASE WHEN outcome IN ('wrong', 'unsure') THEN 1 ELSE 0 END), 0) \
             FROM study_card_reviews WHERE user_id = $1 AND reviewed_at >= $2 AND reviewed_at < $3",
        )
        .bind(user.0)
        .bind(request.today.start)
        .bind(request.today.end())
        .fetch_one(&mut conn)
        .await?;
    Ok(TodayCounts {
        reviewed,
        new,
        again,
    })
}

pub(super) async fn due_forecast(
    db: &Db,
    user: UserId,
    request: &StatsRequest,
) -> StoreResult<Vec<u64>> {
    let days = request.forecast_days.max(1);
    let mut conn = db.read().await?;
    let counts: Vec<DayCount> = conn
        .query_pick(
            // SQLite would read each card's row by id; the approved cards' index answers
            // whether it is live and approved without the row (40 → 20 ms at 100k cards).
            "SELECT CASE WHEN p.due_at < $2 THEN 0 ELSE (p.due_at - $2) / $4 END AS day, COUNT(*) AS n \
             FROM study_memo_card_progress p \
             JOIN study_memo_cards c INDEXED BY study_memo_cards_approved ON c.id = p.card_id AND c.user_id = p.user_id \
             WHERE p.user_id = $1 AND p.due_at IS NOT NULL AND p.due_at < $3 \
               AND (p.review_stage IS NULL OR p.review_stage < 4) \
               AND c.deleted_at IS NULL AND NOT c.needs_review GROUP BY day",
            "SELECT CAST(ROUND(EXTRACT(EPOCH FROM d - CAST($2 AS TIMESTAMPTZ)) * 1000 / CAST($4 AS BIGINT)) AS BIGINT) AS day, n \
             FROM (SELECT date_bin(CAST($4 AS BIGINT) * INTERVAL '1 millisecond', \
                            GREATEST(p.due_at, CAST($2 AS TIMESTAMPTZ)), CAST($2 AS TIMESTAMPTZ)) AS d, \
                     COUNT(*) AS n \
                   FROM study_memo_card_progress p JOIN study_memo_cards c ON c.id = p.card_id \
                   WHERE p.user_id = $1 AND p.due_at IS NOT NULL AND p.due_at < $3 \
                     AND (p.review_stage IS NULL OR p.review_stage < 4) \
                     AND c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review GROUP BY d) bins",
        )
        .bind(user.0)
        .bind(request.today.start)
        .bind(request.today.plus(i64::from(days)).start)
        .bind(DAY_MS)
        .fetch_all(&mut conn)
        .await?;
    Ok(dense(&counts, days))
}

/// The columns of [`stage_counts`]'s one row.
#[derive(sqlx::FromRow)]
struct StageRow {
    approved: i64,
    rated: Option<i64>,
    s0: Option<i64>,
    s1: Option<i64>,
    s2: Option<i64>,
    s3: Option<i64>,
    mastered: Option<i64>,
}

/// The stage counts' statement over the cards table as `$approved` (the approved count) and
/// `$joined` (the cards joined to their progress rows), for each dialect's index choice.
macro_rules! stage_counts_sql {
    ($approved:literal, $joined:literal) => {
        concat!(
            "SELECT (SELECT COUNT(*) FROM ", $approved, " \
                      WHERE a.user_id = $1 AND a.deleted_at IS NULL AND NOT a.needs_review) AS approved, \
               COUNT(*) AS rated, \
               SUM(CASE WHEN p.due_at IS NOT NULL AND COALESCE(p.review_stage, 0) = 0 THEN 1 ELSE 0 END) AS s0, \
               SUM(CASE WHEN p.due_at IS NOT NULL AND p.review_stage = 1 THEN 1 ELSE 0 END) AS s1, \
               SUM(CASE WHEN p.due_at IS NOT NULL AND p.review_stage = 2 THEN 1 ELSE 0 END) AS s2, \
               SUM(CASE WHEN p.due_at IS NOT NULL AND p.review_stage = 3 THEN 1 ELSE 0 END) AS s3, \
               SUM(CASE WHEN p.due_at IS NULL AND p.review_stage >= 4 THEN 1 ELSE 0 END) AS mastered \
             FROM study_memo_card_progress p JOIN ", $joined, " ON c.id = p.card_id \
             WHERE p.user_id = $1 AND c.user_id = $1 AND c.deleted_at IS NULL AND NOT c.needs_review"
        )
    };
}

pub(super) async fn stage_counts(
    db: &Db,
    user: UserId,
    _request: &StatsRequest,
) -> StoreResult<StageCounts> {
    let mut conn = db.read().await?;
    // The progress rows of live approved cards, grouped; the cards without one are new.
    // Driving from the progress rows (fewer than the cards) keeps this an index walk.
    let row: StageRow = conn
        .query_pick(
            // SQLite otherwise picks Browse's (user, id) index of live cards and reads every
            // card's row for `needs_review` (160 ms at 100k cards against 90 ms).
            stage_counts_sql!(
                "study_memo_cards a INDEXED BY study_memo_cards_approved",
                "study_memo_cards c INDEXED BY study_memo_cards_approved"
            ),
            stage_counts_sql!("study_memo_cards a", "study_memo_cards c"),
        )
        .bind(user.0)
        .fetch_one(&mut conn)
        .await?;
    let stages = [row.s0, row.s1, row.s2, row.s3].map(|n| n.unwrap_or(0));
    let rated = row.rated.unwrap_or(0);
    let mastered = row.mastered.unwrap_or(0);
    Ok(StageCounts {
        new: row.approved - rated,
        stages,
        mastered,
        known: rated - stages.iter().sum::<i64>() - mastered,
    })
}

/// (had a progress row, stage before, ratings, "know" answers).
type RetentionRow = (bool, Option<i16>, i64, i64);

pub(super) async fn retention(
    db: &Db,
    user: UserId,
    request: &StatsRequest,
) -> StoreResult<Vec<Retention>> {
    let days = request.retention_days.max(1);
    let mut conn = db.read().await?;
    let rows: Vec<RetentionRow> = conn
        .query(
            "SELECT had_progress, stage_before, COUNT(*) AS reviews, \
               COALESCE(SUM(CASE WHEN outcome = 'correct' THEN 1 ELSE 0 END), 0) AS known \
             FROM study_card_reviews \
             WHERE user_id = $1 AND reviewed_at >= $2 AND reviewed_at < $3 AND outcome <> 'skipped' \
             GROUP BY had_progress, stage_before",
        )
        .bind(user.0)
        .bind(request.today.plus(1 - i64::from(days)).start)
        .bind(request.today.end())
        .fetch_all(&mut conn)
        .await?;
    Ok(retention_by_stage(&rows))
}

/// Ratings grouped by the stage the card was at: first ratings (and re-ratings of a card
/// known on first sight, which has no stage) first, then the ladder's stages in order.
fn retention_by_stage(rows: &[RetentionRow]) -> Vec<Retention> {
    let mut out: Vec<Retention> = Vec::new();
    for &(had_progress, stage, reviews, known) in rows {
        let stage = if had_progress { stage } else { None };
        match out.iter_mut().find(|r| r.stage == stage) {
            Some(r) => {
                r.reviews += reviews;
                r.known += known;
            }
            None => out.push(Retention {
                stage,
                reviews,
                known,
            }),
        }
    }
    out.sort_by_key(|r| r.stage.map_or(-1, i32::from));
    out
}

pub(super) async fn pattern_counts(
    db: &Db,
    user: UserId,
    _request: &StatsRequest,
) -> StoreResult<PatternCounts> {
    let mut conn = db.read().await?;
    let rows: Vec<(String, i64)> = conn
        .query(
            "SELECT p.pattern_state, COUNT(*) FROM study_question_progress p \
             JOIN study_questions q ON q.id = p.study_question_id \
             WHERE p.user_id = $1 AND q.user_id = $1 AND q.deleted_at IS NULL \
               AND p.pattern_state IS NOT NULL GROUP BY p.pattern_state",
        )
        .bind(user.0)
        .fetch_all(&mut conn)
        .await?;
    let mut counts = PatternCounts::default();
    for (state, n) in rows {
        let slot = match state.as_str() {
            "stable" => &mut counts.stable,
            "learning" => &mut counts.learning,
            "recovered" => &mut counts.recovered,
            "regressed" => &mut counts.regressed,
            "chronic_wrong" => &mut counts.chronic_wrong,
            _ => continue,
        };
        *slot += n;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts_fill_their_window() {
        assert_eq!(
            dense(&[(0, 2), (3, 5), (7, 1), (-1, 4)], 4),
            vec![2, 0, 0, 5]
        );
    }

    #[test]
    fn first_ratings_and_stages_are_grouped() {
        let rows = [
            (true, Some(2), 4, 3),
            (false, None, 5, 1),
            (true, None, 1, 1),
            (true, Some(0), 2, 0),
        ];
        let r = retention_by_stage(&rows);
        let shape: Vec<_> = r.iter().map(|r| (r.stage, r.reviews, r.known)).collect();
        assert_eq!(shape, vec![(None, 6, 2), (Some(0), 2, 0), (Some(2), 4, 3)]);
    }
}
