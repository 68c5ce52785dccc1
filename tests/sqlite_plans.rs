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
            // The Due deck's due half (workflows/study.rs): in the index's order to the
            // limit, not every due card sorted.
            "SELECT c.id FROM study_memo_card_progress p JOIN study_memo_cards c ON c.id = p.card_id \
             WHERE p.user_id = 1 AND p.due_at IS NOT NULL AND p.due_at <= 5 \
               AND (p.review_stage IS NULL OR p.review_stage < 4) \
               AND c.user_id = 1 AND c.deleted_at IS NULL AND NOT c.needs_review \
             ORDER BY p.due_at, p.card_id LIMIT 200",
            "study_memo_card_progress_due_card",
        ),
        (
            "SELECT c.id FROM study_memo_cards c WHERE c.user_id = 1 AND c.deleted_at IS NULL \
             AND NOT c.needs_review ORDER BY c.last_viewed_at NULLS FIRST, c.id LIMIT 50",
            "study_memo_cards_cram",
        ),
        (
            "SELECT c.id FROM study_memo_cards c WHERE c.user_id = 1 AND c.deleted_at IS NULL \
             AND NOT c.needs_review ORDER BY c.id",
            // Either live-card index in id order (approved only, or every live card, which
            // Browse added): no sort, no scan of the deleted.
            "study_memo_cards_approved|study_memo_cards_browse",
        ),
        (
            "SELECT c.id FROM study_memo_cards c INDEXED BY study_memo_cards_review_queue \
             WHERE c.user_id = 1 AND c.deleted_at IS NULL AND c.needs_review \
             ORDER BY c.source_question_id, c.id",
            "study_memo_cards_review_queue",
        ),
        (
            // Browse in id order (workflows/browse.rs): a page read from the cursor in index
            // order, never every card sorted.
            "SELECT * FROM (SELECT c.id, p.review_stage, c.id AS sort_key FROM study_memo_cards c \
             LEFT JOIN study_memo_card_progress p ON p.user_id = c.user_id AND p.card_id = c.id \
             WHERE c.user_id = 1 AND c.deleted_at IS NULL AND c.id > 5 \
               AND (CAST(NULL AS TEXT) IS NULL OR c.search_text LIKE '%a%' ESCAPE '\\')) AS b \
             WHERE CAST(NULL AS BIGINT) IS NULL OR b.sort_key > 5 \
             ORDER BY b.sort_key, b.id LIMIT 200",
            "study_memo_cards_browse",
        ),
    ];
    for (sql, index) in cases {
        let plan = plan(&store, sql).await;
        assert!(
            index.split('|').any(|i| plan.contains(i)),
            "{sql}\n  uses {plan}, not {index}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{sql}\n  sorts: {plan}");
    }
}
