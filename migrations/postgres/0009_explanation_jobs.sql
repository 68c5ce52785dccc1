-- Explanation jobs (issue 17): the quiz asks for an explanation of each question answered
-- wrong or unsure that has none ready, as a job of kind `explanation` on the same queue.
-- Without an LLM such a job ends `skipped` with `no_llm`. The kinds are now checked too.
ALTER TABLE study_memo_card_jobs DROP CONSTRAINT study_memo_card_jobs_error_code_check;
ALTER TABLE study_memo_card_jobs ADD CONSTRAINT study_memo_card_jobs_error_code_check
    CHECK (error_code IS NULL OR error_code IN
           ('parse_fail', 'llm_timeout', 'unknown', 'all_dropped', 'no_ready_explanation',
            'lease_lost', 'auth_fail', 'no_llm'));
ALTER TABLE study_memo_card_jobs ADD CONSTRAINT study_memo_card_jobs_kind_check
    CHECK (kind IN ('card_extract', 'explanation'));

-- A session's attempts by user first: every quiz statement names both, and with the session
-- alone first SQLite's planner preferred the user's history index and read all of the user's
-- attempts (50 ms to finalize over 100k attempts, benches/quiz.rs).
DROP INDEX study_question_attempts_session;
CREATE INDEX study_question_attempts_session
    ON study_question_attempts (user_id, quiz_session_id, answered_at, id);
