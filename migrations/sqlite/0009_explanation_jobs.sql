-- Explanation jobs (issue 17), as in migrations/postgres/0009_explanation_jobs.sql: one more
-- final code, `no_llm` (an explanation job without an LLM to write it), and the job kinds
-- checked. SQLite cannot change a CHECK in place, so the table is rebuilt as 0005 did, with
-- the same columns, keys and indexes (no other table refers to it).
CREATE TABLE study_memo_card_jobs_0009 (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source_kind       TEXT NOT NULL,
    source_id         INTEGER NOT NULL,
    source_version    INTEGER,
    kind              TEXT NOT NULL CHECK (kind IN ('card_extract', 'explanation')),
    status            TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'skipped')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      INTEGER NOT NULL DEFAULT 2 CHECK (max_attempts >= 1),
    error_code        TEXT
        CHECK (error_code IS NULL OR error_code IN
               ('parse_fail', 'llm_timeout', 'unknown', 'all_dropped', 'no_ready_explanation',
                'lease_lost', 'auth_fail', 'no_llm')),
    error_message     TEXT,
    payload           TEXT CHECK (payload IS NULL OR json_valid(payload)),
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    completed_at      INTEGER,
    run_after         INTEGER NOT NULL,
    lease_expires_at  INTEGER,
    worker_id         TEXT,
    claims            INTEGER NOT NULL DEFAULT 0 CHECK (claims >= 0),
    CONSTRAINT study_memo_card_jobs_version_key UNIQUE (source_kind, source_id, source_version, kind),
    CHECK (status <> 'processing' OR lease_expires_at IS NOT NULL)
);

INSERT INTO study_memo_card_jobs_0009 (id, user_id, source_kind, source_id, source_version, kind,
    status, attempts, max_attempts, error_code, error_message, payload, created_at, started_at,
    completed_at, run_after, lease_expires_at, worker_id, claims)
SELECT id, user_id, source_kind, source_id, source_version, kind,
    status, attempts, max_attempts, error_code, error_message, payload, created_at, started_at,
    completed_at, run_after, lease_expires_at, worker_id, claims
FROM study_memo_card_jobs;

DROP TABLE study_memo_card_jobs;
ALTER TABLE study_memo_card_jobs_0009 RENAME TO study_memo_card_jobs;

CREATE INDEX study_memo_card_jobs_claim ON study_memo_card_jobs (run_after, id) WHERE status = 'pending';
CREATE INDEX study_memo_card_jobs_lease ON study_memo_card_jobs (lease_expires_at) WHERE status = 'processing';
CREATE INDEX study_memo_card_jobs_user_status ON study_memo_card_jobs (user_id, status, id);

-- A session's attempts by user first: every quiz statement names both, and with the session
-- alone first SQLite's planner preferred the user's history index and read all of the user's
-- attempts (50 ms to finalize over 100k attempts, benches/quiz.rs).
DROP INDEX study_question_attempts_session;
CREATE INDEX study_question_attempts_session
    ON study_question_attempts (user_id, quiz_session_id, answered_at, id);
