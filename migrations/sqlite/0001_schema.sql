-- amgi schema for SQLite: the same tables, columns and constraints as the PostgreSQL schema.
-- Timestamps are INTEGER unix milliseconds (they order correctly); JSON is TEXT checked by json_valid.

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) > 0 AND length(name) <= 100),
    created_at  INTEGER NOT NULL
);

CREATE TABLE study_topics (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(name) > 0 AND length(name) <= 200),
    focused_at  INTEGER,
    created_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE UNIQUE INDEX study_topics_user_name ON study_topics (user_id, name) WHERE deleted_at IS NULL;

CREATE TABLE study_questions (
    id                          INTEGER PRIMARY KEY,
    user_id                     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id              INTEGER NOT NULL REFERENCES study_topics(id) ON DELETE CASCADE,
    question_text               TEXT NOT NULL CHECK (length(question_text) > 0),
    choices                     TEXT NOT NULL CHECK (json_valid(choices) AND json_type(choices) = 'array'),
    correct_choice              INTEGER NOT NULL CHECK (correct_choice >= 1),
    ai_explanation              TEXT,
    ai_explanation_status       TEXT NOT NULL DEFAULT 'none'
        CHECK (ai_explanation_status IN ('none', 'pending', 'ready', 'failed')),
    ai_explanation_generated_at INTEGER,
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL,
    deleted_at                  INTEGER,
    CHECK (ai_explanation_status <> 'ready' OR ai_explanation IS NOT NULL)
);
CREATE UNIQUE INDEX study_questions_user_topic_text
    ON study_questions (user_id, study_topic_id, question_text) WHERE deleted_at IS NULL;
CREATE INDEX study_questions_ready_version
    ON study_questions (ai_explanation_generated_at DESC)
    WHERE deleted_at IS NULL AND ai_explanation_status = 'ready' AND ai_explanation_generated_at IS NOT NULL;

CREATE TABLE study_memo_cards (
    id                  INTEGER PRIMARY KEY,
    user_id             INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id      INTEGER REFERENCES study_topics(id) ON DELETE SET NULL,
    source_kind         TEXT NOT NULL
        CHECK (source_kind IN ('question', 'subject_note', 'document', 'manual')),
    source_id           INTEGER,
    source_version      INTEGER,
    source_question_id  INTEGER REFERENCES study_questions(id) ON DELETE SET NULL,
    format              TEXT NOT NULL CHECK (format IN ('qa', 'cloze')),
    cue                 TEXT NOT NULL CHECK (length(cue) > 0),
    fact                TEXT NOT NULL CHECK (length(fact) > 0),
    cloze_text          TEXT,
    extra               TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra)),
    needs_review        INTEGER NOT NULL DEFAULT 1 CHECK (needs_review IN (0, 1)),
    flagged_by          TEXT,
    flagged_at          INTEGER,
    dedup_hash          TEXT NOT NULL CHECK (length(dedup_hash) = 64),
    view_count          INTEGER NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    last_viewed_at      INTEGER,
    retired_reason      TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    deleted_at          INTEGER,
    CHECK (format <> 'cloze' OR cloze_text IS NOT NULL)
);
CREATE UNIQUE INDEX study_memo_cards_live_dedup
    ON study_memo_cards (user_id, dedup_hash) WHERE deleted_at IS NULL;
CREATE INDEX study_memo_cards_review_queue
    ON study_memo_cards (user_id, source_question_id, id) WHERE deleted_at IS NULL AND needs_review = 1;
CREATE INDEX study_memo_cards_approved
    ON study_memo_cards (user_id, id) WHERE deleted_at IS NULL AND needs_review = 0;
CREATE INDEX study_memo_cards_cram
    ON study_memo_cards (user_id, last_viewed_at, id) WHERE deleted_at IS NULL AND needs_review = 0;
CREATE INDEX study_memo_cards_source
    ON study_memo_cards (user_id, source_kind, source_id) WHERE deleted_at IS NULL;

CREATE TABLE study_memo_card_evidence (
    id           INTEGER PRIMARY KEY,
    card_id      INTEGER NOT NULL REFERENCES study_memo_cards(id) ON DELETE CASCADE,
    source_type  TEXT NOT NULL,
    source_id    INTEGER,
    snippet      TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX study_memo_card_evidence_card ON study_memo_card_evidence (card_id);

CREATE TABLE study_memo_card_jobs (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source_kind       TEXT NOT NULL,
    source_id         INTEGER NOT NULL,
    source_version    INTEGER,
    kind              TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'skipped')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      INTEGER NOT NULL DEFAULT 2 CHECK (max_attempts >= 1),
    error_code        TEXT
        CHECK (error_code IS NULL OR error_code IN
               ('parse_fail', 'llm_timeout', 'unknown', 'all_dropped', 'no_ready_explanation')),
    error_message     TEXT,
    payload           TEXT CHECK (payload IS NULL OR json_valid(payload)),
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    completed_at      INTEGER,
    run_after         INTEGER NOT NULL,
    lease_expires_at  INTEGER,
    worker_id         TEXT,
    CONSTRAINT study_memo_card_jobs_version_key UNIQUE (source_kind, source_id, source_version, kind),
    CHECK (status <> 'processing' OR lease_expires_at IS NOT NULL)
);
CREATE INDEX study_memo_card_jobs_claim ON study_memo_card_jobs (run_after, id) WHERE status = 'pending';
CREATE INDEX study_memo_card_jobs_lease ON study_memo_card_jobs (lease_expires_at) WHERE status = 'processing';
CREATE INDEX study_memo_card_jobs_user_status ON study_memo_card_jobs (user_id, status, id);

CREATE TABLE study_memo_card_progress (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    card_id           INTEGER NOT NULL REFERENCES study_memo_cards(id) ON DELETE CASCADE,
    last_outcome      TEXT CHECK (last_outcome IN ('correct', 'wrong', 'unsure', 'skipped')),
    last_reviewed_at  INTEGER,
    due_at            INTEGER,
    review_stage      INTEGER CHECK (review_stage BETWEEN 0 AND 4),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (user_id, card_id)
);
CREATE INDEX study_memo_card_progress_due
    ON study_memo_card_progress (user_id, due_at) WHERE due_at IS NOT NULL;

CREATE TABLE study_card_reviews (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    card_id       INTEGER NOT NULL REFERENCES study_memo_cards(id) ON DELETE CASCADE,
    outcome       TEXT NOT NULL CHECK (outcome IN ('correct', 'wrong', 'unsure', 'skipped')),
    had_progress  INTEGER NOT NULL CHECK (had_progress IN (0, 1)),
    stage_before  INTEGER,
    due_before    INTEGER,
    outcome_before TEXT,
    reviewed_before INTEGER,
    stage_after   INTEGER,
    due_after     INTEGER,
    reviewed_at   INTEGER NOT NULL
);
CREATE INDEX study_card_reviews_user_card ON study_card_reviews (user_id, card_id, id);

CREATE TABLE publish_outbox (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    source_id       INTEGER NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    payload_hash    TEXT NOT NULL,
    schema_version  INTEGER NOT NULL DEFAULT 1,
    deleted         INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at      INTEGER NOT NULL,
    processed_at    INTEGER
);
CREATE INDEX publish_outbox_unprocessed ON publish_outbox (id) WHERE processed_at IS NULL;

CREATE TABLE published_items (
    kind          TEXT NOT NULL,
    source_id     INTEGER NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    payload       TEXT NOT NULL CHECK (json_valid(payload)),
    payload_hash  TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    seq           INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (kind, source_id)
);

CREATE TABLE publish_feed (
    seq         INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    source_id   INTEGER NOT NULL,
    payload     TEXT NOT NULL CHECK (json_valid(payload)),
    deleted     INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    applied_at  INTEGER NOT NULL
);
CREATE INDEX publish_feed_user_seq ON publish_feed (user_id, seq);

CREATE TABLE publish_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO publish_state (id, last_seq) VALUES (1, 0);

CREATE TABLE undo_log (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    action      TEXT NOT NULL,
    data        TEXT NOT NULL CHECK (json_valid(data)),
    created_at  INTEGER NOT NULL,
    undone_at   INTEGER
);
CREATE INDEX undo_log_user ON undo_log (user_id, id) WHERE undone_at IS NULL;
