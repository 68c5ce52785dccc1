//! SQLite uses its partial indexes for the statements shared with PostgreSQL: their bare
//! boolean predicates (`needs_review`, `NOT needs_review`) must repeat the indexes' terms,
//! or SQLite scans every card of the user (EXPLAIN QUERY PLAN on a migrated file).

use amgi::store::sqlite::SqliteStore;

async fn plan(store: &SqliteStore, sql: &str) -> String {
    let rows: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
            .fetch_all(store.pool())
            .await
            .unwrap_or_else(|e| panic!("explain {sql}: {e}"));
    rows.into_iter()
        .map(|(_, _, _, detail)| detail)
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::test]
async fn the_card_listings_use_the_partial_indexes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let store = SqliteStore::open(&dir.path().join("plans.db"))
        .await
        .unwrap_or_else(|e| panic!("open: {e}"));
    let cases = [
        (
            "SELECT c.id FROM study_memo_cards c WHERE c.user_id = 1 AND c.deleted_at IS NULL \
             AND NOT c.needs_review ORDER BY c.last_viewed_at NULLS FIRST, c.id LIMIT 50",
            "study_memo_cards_cram",
        ),
        (
            "SELECT c.id FROM study_memo_cards c WHERE c.user_id = 1 AND c.deleted_at IS NULL \
             AND NOT c.needs_review ORDER BY c.id",
            "study_memo_cards_approved",
        ),
        (
            "SELECT c.id FROM study_memo_cards c INDEXED BY study_memo_cards_review_queue \
             WHERE c.user_id = 1 AND c.deleted_at IS NULL AND c.needs_review \
             ORDER BY c.source_question_id, c.id",
            "study_memo_cards_review_queue",
        ),
    ];
    for (sql, index) in cases {
        let plan = plan(&store, sql).await;
        assert!(plan.contains(index), "{sql}\n  uses {plan}, not {index}");
        assert!(!plan.contains("TEMP B-TREE"), "{sql}\n  sorts: {plan}");
    }
}
