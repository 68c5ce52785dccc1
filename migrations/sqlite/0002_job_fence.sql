-- Extraction queue additions (issue 4), as in migrations/postgres/0002_job_fence.sql.
-- `claims` counts every claim of a job and is never reset (unlike `attempts`, which
-- `amgi jobs retry` resets): it is the fencing token.
ALTER TABLE study_memo_card_jobs ADD COLUMN claims INTEGER NOT NULL DEFAULT 0 CHECK (claims >= 0);

-- The guards' dedup lookup: a question's live cards.
CREATE INDEX study_memo_cards_question_live
    ON study_memo_cards (user_id, source_question_id) WHERE deleted_at IS NULL;
