//! One user's synthetic rows, written in bulk by the database itself: one
//! `INSERT … SELECT` over a generated series per table, in one transaction, with ids given
//! explicitly so rows can refer to each other by arithmetic. Statements that do time
//! arithmetic are written per dialect (milliseconds on SQLite, intervals on PostgreSQL).

use super::UserPlan;
use crate::store::sql::{Connected, Db, Dialect, Query};
use crate::store::{StoreError, StoreResult, UserId};

/// The user called `name`, who must have no questions or cards yet.
pub(super) async fn fresh_user(db: &Db, user: UserId, name: &str) -> StoreResult<()> {
    let mut conn = db.read().await?;
    let existing: i64 = conn
        .query(
            "SELECT (SELECT COUNT(*) FROM study_questions WHERE user_id = $1) \
                  + (SELECT COUNT(*) FROM study_memo_cards WHERE user_id = $1)",
        )
        .bind(user.0)
        .scalar(&mut conn)
        .await?;
    if existing > 0 {
        return Err(StoreError::Refused(format!(
            "user {name:?} already has data: generate into a new database"
        )));
    }
    Ok(())
}

/// `seq(i)` = 0 .. $1 - 1, prefixed to an `INSERT … SELECT … FROM seq` (both dialects).
macro_rules! series {
    ($($insert:literal),+) => {
        concat!(
            "WITH RECURSIVE seq(i) AS (SELECT 0 WHERE $1 > 0 UNION ALL ",
            "SELECT i + 1 FROM seq WHERE i + 1 < $1) ",
            $($insert),+
        )
    };
}

/// One user's topics, questions, jobs, cards, evidence, progress and review log.
pub(super) async fn generate_user(db: &Db, plan: &UserPlan) -> StoreResult<()> {
    let now = plan.now;
    let now_ms = plan.now.timestamp_millis();
    let u = plan.user.0;
    let mut tx = db.write().await?;
    let dialect = tx.dialect();
    if dialect == Dialect::Postgres {
        // Other writers wait for this transaction: the ids below are computed, not drawn.
        tx.query("LOCK TABLE study_topics, study_questions, study_memo_cards IN EXCLUSIVE MODE")
            .execute(&mut tx)
            .await?;
    }
    let topic_base: i64 = tx
        .query("SELECT COALESCE(MAX(id), 0) + 1 FROM study_topics")
        .scalar(&mut tx)
        .await?;
    let question_base: i64 = tx
        .query("SELECT COALESCE(MAX(id), 0) + 1 FROM study_questions")
        .scalar(&mut tx)
        .await?;
    let card_base: i64 = tx
        .query("SELECT COALESCE(MAX(id), 0) + 1 FROM study_memo_cards")
        .scalar(&mut tx)
        .await?;

    tx.query(series!(
        "INSERT INTO study_topics (id, user_id, name, created_at) \
         SELECT $2 + i, $3, '합성 주제 ' || i, $4 FROM seq"
    ))
    .bind(plan.topics)
    .bind(topic_base)
    .bind(u)
    .bind(now)
    .execute(&mut tx)
    .await?;

    // Question i has version now - i seconds; fresh ones come after, older than all.
    let questions = tx
        .query_pick(
            series!(
                "INSERT INTO study_questions (id, user_id, study_topic_id, question_text, choices, \
                   correct_choice, ai_explanation, ai_explanation_status, ai_explanation_generated_at, \
                   card_job_version, created_at, updated_at) \
                 SELECT $2 + i, $3, $4 + i % $5, '합성 문항 ' || i || ': 개념 ' || i || '이 처음 정리된 해는?', \
                   '[\"' || (1000 + i % 900) || '년\", \"' || (1001 + i % 900) || '년\", \"' || (1002 + i % 900) \
                   || '년\", \"' || (1003 + i % 900) || '년\"]', 1, \
                   '개념 ' || i || '은 ' || (1000 + i % 900) || '년에 처음 정리되었다. 이후 여러 학자가 이를 발전시켰다.', \
                   'ready', $8 - i * 1000, CASE WHEN i < $7 THEN $8 - i * 1000 END, $6, $6 FROM seq"
            ),
            series!(
                "INSERT INTO study_questions (id, user_id, study_topic_id, question_text, choices, \
                   correct_choice, ai_explanation, ai_explanation_status, ai_explanation_generated_at, \
                   card_job_version, created_at, updated_at) \
                 SELECT $2 + i, $3, $4 + i % $5, '합성 문항 ' || i || ': 개념 ' || i || '이 처음 정리된 해는?', \
                   jsonb_build_array((1000 + i % 900) || '년', (1001 + i % 900) || '년', \
                     (1002 + i % 900) || '년', (1003 + i % 900) || '년'), 1, \
                   '개념 ' || i || '은 ' || (1000 + i % 900) || '년에 처음 정리되었다. 이후 여러 학자가 이를 발전시켰다.', \
                   'ready', $6 - i * interval '1 second', CASE WHEN i < $7 THEN $6 - i * interval '1 second' END, \
                   $6, $6 FROM seq"
            ),
        )
        .bind(plan.questions + plan.fresh)
        .bind(question_base)
        .bind(u)
        .bind(topic_base)
        .bind(plan.topics)
        .bind(now)
        .bind(plan.questions);
    with_now_ms(questions, dialect, now_ms)
        .execute(&mut tx)
        .await?;

    // Every question but the fresh ones has its extraction job done.
    tx.query(
        "INSERT INTO study_memo_card_jobs (user_id, source_kind, source_id, source_version, kind, \
           status, attempts, max_attempts, created_at, started_at, completed_at, run_after, claims) \
         SELECT user_id, 'question', id, ai_explanation_generated_at, 'card_extract', 'completed', \
           1, 2, $3, $3, $3, $3, 1 \
         FROM study_questions WHERE user_id = $1 AND id >= $2 AND id < $2 + $4",
    )
    .bind(u)
    .bind(question_base)
    .bind(now)
    .bind(plan.questions)
    .execute(&mut tx)
    .await?;

    // Card i belongs to question (i / 4) % questions; its mix bucket is i % 100.
    let cards = tx
        .query_pick(
            series!(
                "INSERT INTO study_memo_cards (id, user_id, study_topic_id, source_kind, source_id, \
                   source_version, source_question_id, format, cue, fact, cloze_text, needs_review, \
                   dedup_hash, view_count, last_viewed_at, created_at, updated_at, search_text) \
                 SELECT $2 + i, $3, $4 + ((i / 4) % $5) % $6, 'question', $7 + (i / 4) % $5, \
                   $9 - ((i / 4) % $5) * 1000, $7 + (i / 4) % $5, \
                   CASE WHEN i % 2 = 0 THEN 'qa' ELSE 'cloze' END, \
                   '개념 ' || i || '이 처음 정리된 해는?', (1000 + i % 900) || '년', \
                   CASE WHEN i % 2 = 1 THEN '개념 ' || i || '은 {{blank}}에 처음 정리되었다.' END, \
                   i % 100 < 10, printf('%064x', i), i % 5, \
                   CASE WHEN i % 100 >= 10 AND i % 3 = 0 THEN $9 - i * 1000 END, $8, $8, \
                   '개념 ' || i || '이 처음 정리된 해는? / ' || (1000 + i % 900) || '년' || \
                   CASE WHEN i % 2 = 1 THEN ' / 개념 ' || i || '은 {{blank}}에 처음 정리되었다.' ELSE '' END \
                 FROM seq"
            ),
            series!(
                "INSERT INTO study_memo_cards (id, user_id, study_topic_id, source_kind, source_id, \
                   source_version, source_question_id, format, cue, fact, cloze_text, needs_review, \
                   dedup_hash, view_count, last_viewed_at, created_at, updated_at, search_text) \
                 SELECT $2 + i, $3, $4 + ((i / 4) % $5) % $6, 'question', $7 + (i / 4) % $5, \
                   $8 - ((i / 4) % $5) * interval '1 second', $7 + (i / 4) % $5, \
                   CASE WHEN i % 2 = 0 THEN 'qa' ELSE 'cloze' END, \
                   '개념 ' || i || '이 처음 정리된 해는?', (1000 + i % 900) || '년', \
                   CASE WHEN i % 2 = 1 THEN '개념 ' || i || '은 {{blank}}에 처음 정리되었다.' END, \
                   i % 100 < 10, lpad(to_hex(i), 64, '0'), i % 5, \
                   CASE WHEN i % 100 >= 10 AND i % 3 = 0 THEN $8 - i * interval '1 second' END, $8, $8, \
                   '개념 ' || i || '이 처음 정리된 해는? / ' || (1000 + i % 900) || '년' || \
                   CASE WHEN i % 2 = 1 THEN ' / 개념 ' || i || '은 {{blank}}에 처음 정리되었다.' ELSE '' END \
                 FROM seq"
            ),
        )
        .bind(plan.cards)
        .bind(card_base)
        .bind(u)
        .bind(topic_base)
        .bind(plan.questions)
        .bind(plan.topics)
        .bind(question_base)
        .bind(now);
    with_now_ms(cards, dialect, now_ms).execute(&mut tx).await?;

    tx.query(
        "INSERT INTO study_memo_card_evidence (card_id, source_type, source_id, snippet, created_at) \
         SELECT id, 'question', source_question_id, fact || '에 처음 정리되었다.', created_at \
         FROM study_memo_cards WHERE user_id = $1 AND id >= $2",
    )
    .bind(u)
    .bind(card_base)
    .execute(&mut tx)
    .await?;

    // Progress by bucket: 40–49 due (overdue by up to ~16 h), 50–89 due in 1–14 days,
    // 90–99 mastered; stages 0–3 below mastery.
    let progress = tx
        .query_pick(
            "INSERT INTO study_memo_card_progress (user_id, card_id, last_outcome, last_reviewed_at, \
               due_at, review_stage, created_at, updated_at) \
             SELECT user_id, id, 'correct', $4 - 86400000, \
               CASE WHEN (id - $2) % 100 < 50 THEN $4 - ((id - $2) % 1000) * 60000 \
                    WHEN (id - $2) % 100 < 90 THEN $4 + (1 + (id - $2) % 14) * 86400000 END, \
               CASE WHEN (id - $2) % 100 < 90 THEN (id - $2) % 4 ELSE 4 END, $3, $3 \
             FROM study_memo_cards WHERE user_id = $1 AND id >= $2 AND (id - $2) % 100 >= 40",
            "INSERT INTO study_memo_card_progress (user_id, card_id, last_outcome, last_reviewed_at, \
               due_at, review_stage, created_at, updated_at) \
             SELECT user_id, id, 'correct', $3 - interval '1 day', \
               CASE WHEN (id - $2) % 100 < 50 THEN $3 - ((id - $2) % 1000) * interval '1 minute' \
                    WHEN (id - $2) % 100 < 90 THEN $3 + (1 + (id - $2) % 14) * interval '1 day' END, \
               CASE WHEN (id - $2) % 100 < 90 THEN (id - $2) % 4 ELSE 4 END, $3, $3 \
             FROM study_memo_cards WHERE user_id = $1 AND id >= $2 AND (id - $2) % 100 >= 40",
        )
        .bind(u)
        .bind(card_base)
        .bind(now);
    with_now_ms(progress, dialect, now_ms)
        .execute(&mut tx)
        .await?;

    tx.query(
        "INSERT INTO study_card_reviews (user_id, card_id, outcome, had_progress, stage_after, \
           due_after, reviewed_at) \
         SELECT user_id, card_id, 'correct', FALSE, review_stage, due_at, last_reviewed_at \
         FROM study_memo_card_progress WHERE user_id = $1",
    )
    .bind(u)
    .execute(&mut tx)
    .await?;
    if dialect == Dialect::Postgres {
        // The ids above were given, not drawn: the sequences move past them.
        for moved in [
            "SELECT setval(pg_get_serial_sequence('study_topics', 'id'), (SELECT MAX(id) FROM study_topics))",
            "SELECT setval(pg_get_serial_sequence('study_questions', 'id'), (SELECT MAX(id) FROM study_questions))",
            "SELECT setval(pg_get_serial_sequence('study_memo_cards', 'id'), (SELECT MAX(id) FROM study_memo_cards))",
        ] {
            tx.query(moved).execute(&mut tx).await?;
        }
    }
    tx.commit().await
}

/// SQLite's time arithmetic is on milliseconds: its statements take `now` once more as the
/// plain number (the last parameter).
fn with_now_ms(query: Query, dialect: Dialect, now_ms: i64) -> Query {
    match dialect {
        Dialect::Sqlite => query.bind(now_ms),
        Dialect::Postgres => query,
    }
}

/// Vacuums and analyzes what was loaded, as autovacuum would after a bulk load: the
/// benchmarks then measure the steady state instead of racing autovacuum's first pass over
/// a million fresh rows (which made PostgreSQL's queue figures vary by half between runs).
pub(super) async fn vacuum_analyze(db: &Db) -> StoreResult<()> {
    let mut conn = db.read().await?;
    if conn.dialect() == Dialect::Postgres {
        conn.query("VACUUM (ANALYZE)").execute(&mut conn).await?;
    }
    Ok(())
}

/// `reviews` more rows of `user`'s review log, spread over the year before `now` (every day,
/// at different times), on the user's cards in turn: a year of studying for the statistics.
pub(super) async fn review_history(
    db: &Db,
    user: UserId,
    reviews: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<()> {
    let mut tx = db.write().await?;
    let dialect = tx.dialect();
    let (first, cards): (Option<i64>, i64) = tx
        .query("SELECT MIN(id), COUNT(*) FROM study_memo_cards WHERE user_id = $1")
        .bind(user.0)
        .fetch_one(&mut tx)
        .await?;
    let Some(first) = first else {
        return tx.abandon(StoreError::NotFound("cards to review")).await;
    };
    let insert = tx
        .query_pick(
            series!(
                "INSERT INTO study_card_reviews (user_id, card_id, outcome, had_progress, stage_before, \
                   stage_after, reviewed_at) \
                 SELECT $2, $3 + (i * 7) % $4, \
                   CASE i % 5 WHEN 0 THEN 'wrong' WHEN 1 THEN 'unsure' ELSE 'correct' END, \
                   i % 4 <> 0, CASE WHEN i % 4 <> 0 THEN i % 4 - 1 END, 0, \
                   $6 - (i % 365) * 86400000 - (i % 720) * 60000 FROM seq"
            ),
            series!(
                "INSERT INTO study_card_reviews (user_id, card_id, outcome, had_progress, stage_before, \
                   stage_after, reviewed_at) \
                 SELECT $2, $3 + (i * 7) % $4, \
                   CASE i % 5 WHEN 0 THEN 'wrong' WHEN 1 THEN 'unsure' ELSE 'correct' END, \
                   i % 4 <> 0, CASE WHEN i % 4 <> 0 THEN i % 4 - 1 END, 0, \
                   $5 - (i % 365) * interval '1 day' - (i % 720) * interval '1 minute' FROM seq"
            ),
        )
        .bind(i64::try_from(reviews).unwrap_or(i64::MAX))
        .bind(user.0)
        .bind(first)
        .bind(cards.max(1))
        .bind(now);
    with_now_ms(insert, dialect, now.timestamp_millis())
        .execute(&mut tx)
        .await?;
    tx.commit().await
}
