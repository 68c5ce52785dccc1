-- The learner's everyday tools (issue 18), as in migrations/sqlite/0011_study_tools.sql.
-- The review log by time, covering what the statistics and the Due deck's day rules read
-- (reviews per day, today's counts, retention by stage, questions answered today), so each
-- of those reads one index range.
CREATE INDEX study_card_reviews_user_time
    ON study_card_reviews (user_id, reviewed_at, outcome, stage_before, had_progress, card_id);
-- Approved live cards of one topic, for the Due and Cram panes narrowed to a topic.
CREATE INDEX study_memo_cards_approved_topic
    ON study_memo_cards (user_id, study_topic_id, id) WHERE deleted_at IS NULL AND NOT needs_review;
-- Due progress rows with their card: the forecast reads them without the table.
CREATE INDEX study_memo_card_progress_due_card
    ON study_memo_card_progress (user_id, due_at, card_id, review_stage) WHERE due_at IS NOT NULL;
