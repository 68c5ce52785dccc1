-- The partial indexes in the form the statements shared with PostgreSQL use: bare boolean
-- predicates (`needs_review`, `NOT needs_review`). SQLite uses a partial index only when the
-- query's WHERE clause repeats the index's terms, so `needs_review = 1` would not match.
DROP INDEX study_memo_cards_review_queue;
CREATE INDEX study_memo_cards_review_queue
    ON study_memo_cards (user_id, source_question_id, id) WHERE deleted_at IS NULL AND needs_review;
DROP INDEX study_memo_cards_approved;
CREATE INDEX study_memo_cards_approved
    ON study_memo_cards (user_id, id) WHERE deleted_at IS NULL AND NOT needs_review;
DROP INDEX study_memo_cards_cram;
CREATE INDEX study_memo_cards_cram
    ON study_memo_cards (user_id, last_viewed_at, id) WHERE deleted_at IS NULL AND NOT needs_review;
