-- amgi schema for PostgreSQL: the seeds' tables and column types, plus the job unique key,
-- lease/retry columns, the review log and the publish outbox/read model (DESIGN §1, §2).

CREATE TABLE users (
    id          BIGSERIAL PRIMARY KEY,
    name        VARCHAR(100) NOT NULL UNIQUE CHECK (length(name) > 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE study_topics (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        VARCHAR(200) NOT NULL CHECK (length(name) > 0),
    focused_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX study_topics_user_name ON study_topics (user_id, name) WHERE deleted_at IS NULL;

CREATE TABLE study_questions (
    id                          BIGSERIAL PRIMARY KEY,
    user_id                     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id              BIGINT NOT NULL REFERENCES study_topics(id) ON DELETE CASCADE,
    question_text               TEXT NOT NULL CHECK (length(question_text) > 0),
    choices                     JSONB NOT NULL CHECK (jsonb_typeof(choices) = 'array'),
    correct_choice              SMALLINT NOT NULL CHECK (correct_choice >= 1),
    ai_explanation              TEXT,
    ai_explanation_status       VARCHAR(20) NOT NULL DEFAULT 'none'
        CHECK (ai_explanation_status IN ('none', 'pending', 'ready', 'failed')),
    ai_explanation_generated_at TIMESTAMPTZ,
    created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at                  TIMESTAMPTZ,
    CHECK (ai_explanation_status <> 'ready' OR ai_explanation IS NOT NULL)
);
CREATE UNIQUE INDEX study_questions_user_topic_text
    ON study_questions (user_id, study_topic_id, question_text) WHERE deleted_at IS NULL;
-- The poller's scan: ready explanations, newest first.
CREATE INDEX study_questions_ready_version
    ON study_questions (ai_explanation_generated_at DESC)
    WHERE deleted_at IS NULL AND ai_explanation_status = 'ready' AND ai_explanation_generated_at IS NOT NULL;

CREATE TABLE study_memo_cards (
    id                  BIGSERIAL PRIMARY KEY,
    user_id             BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id      BIGINT REFERENCES study_topics(id) ON DELETE SET NULL,
    source_kind         VARCHAR(40) NOT NULL
        CHECK (source_kind IN ('question', 'subject_note', 'document', 'manual')),
    source_id           BIGINT,
    source_version      TIMESTAMPTZ,
    source_question_id  BIGINT REFERENCES study_questions(id) ON DELETE SET NULL,
    format              VARCHAR(10) NOT NULL CHECK (format IN ('qa', 'cloze')),
    cue                 TEXT NOT NULL CHECK (length(cue) > 0),
    fact                TEXT NOT NULL CHECK (length(fact) > 0),
    cloze_text          TEXT,
    extra               JSONB NOT NULL DEFAULT '{}'::jsonb,
    needs_review        BOOLEAN NOT NULL DEFAULT TRUE,
    flagged_by          VARCHAR(40),
    flagged_at          TIMESTAMPTZ,
    dedup_hash          VARCHAR(64) NOT NULL,
    view_count          INTEGER NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    last_viewed_at      TIMESTAMPTZ,
    retired_reason      VARCHAR(40),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at          TIMESTAMPTZ,
    CHECK (format <> 'cloze' OR cloze_text IS NOT NULL)
);
CREATE UNIQUE INDEX study_memo_cards_live_dedup
    ON study_memo_cards (user_id, dedup_hash) WHERE deleted_at IS NULL;
CREATE INDEX study_memo_cards_review_queue
    ON study_memo_cards (user_id, source_question_id, id) WHERE deleted_at IS NULL AND needs_review;
CREATE INDEX study_memo_cards_approved
    ON study_memo_cards (user_id, id) WHERE deleted_at IS NULL AND NOT needs_review;
CREATE INDEX study_memo_cards_cram
    ON study_memo_cards (user_id, last_viewed_at NULLS FIRST, id) WHERE deleted_at IS NULL AND NOT needs_review;
CREATE INDEX study_memo_cards_source
    ON study_memo_cards (user_id, source_kind, source_id) WHERE deleted_at IS NULL;

CREATE TABLE study_memo_card_evidence (
    id           BIGSERIAL PRIMARY KEY,
    card_id      BIGINT NOT NULL REFERENCES study_memo_cards(id) ON DELETE CASCADE,
    source_type  VARCHAR(40) NOT NULL,
    source_id    BIGINT,
    snippet      TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX study_memo_card_evidence_card ON study_memo_card_evidence (card_id);

-- Seed 291 plus: the version-keyed unique key, lease and retry columns.
CREATE TABLE study_memo_card_jobs (
    id                BIGSERIAL PRIMARY KEY,
    user_id           BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source_kind       VARCHAR(40) NOT NULL,
    source_id         BIGINT NOT NULL,
    source_version    TIMESTAMPTZ,
    kind              VARCHAR(40) NOT NULL,
    status            VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'skipped')),
    attempts          SMALLINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      SMALLINT NOT NULL DEFAULT 2 CHECK (max_attempts >= 1),
    error_code        VARCHAR(40)
        CHECK (error_code IS NULL OR error_code IN
               ('parse_fail', 'llm_timeout', 'unknown', 'all_dropped', 'no_ready_explanation')),
    error_message     TEXT,
    payload           JSONB,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at        TIMESTAMPTZ,
    completed_at      TIMESTAMPTZ,
    run_after         TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_expires_at  TIMESTAMPTZ,
    worker_id         VARCHAR(100),
    CONSTRAINT study_memo_card_jobs_version_key UNIQUE (source_kind, source_id, source_version, kind),
    CHECK (status <> 'processing' OR lease_expires_at IS NOT NULL)
);
CREATE INDEX study_memo_card_jobs_claim ON study_memo_card_jobs (run_after, id) WHERE status = 'pending';
CREATE INDEX study_memo_card_jobs_lease ON study_memo_card_jobs (lease_expires_at) WHERE status = 'processing';
CREATE INDEX study_memo_card_jobs_user_status ON study_memo_card_jobs (user_id, status, id);

CREATE TABLE study_memo_card_progress (
    id                BIGSERIAL PRIMARY KEY,
    user_id           BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    card_id           BIGINT NOT NULL REFERENCES study_memo_cards(id) ON DELETE CASCADE,
    last_outcome      VARCHAR(20) CHECK (last_outcome IN ('correct', 'wrong', 'unsure', 'skipped')),
    last_reviewed_at  TIMESTAMPTZ,
    due_at            TIMESTAMPTZ,
    review_stage      SMALLINT CHECK (review_stage BETWEEN 0 AND 4),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, card_id)
);
CREATE INDEX study_memo_card_progress_due
    ON study_memo_card_progress (user_id, due_at) WHERE due_at IS NOT NULL;

-- One row per rating, with the ladder before and after: undo, statistics, future schedulers.
CREATE TABLE study_card_reviews (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    card_id       BIGINT NOT NULL REFERENCES study_memo_cards(id) ON DELETE CASCADE,
    outcome       VARCHAR(20) NOT NULL CHECK (outcome IN ('correct', 'wrong', 'unsure', 'skipped')),
    had_progress  BOOLEAN NOT NULL,
    stage_before  SMALLINT,
    due_before    TIMESTAMPTZ,
    outcome_before VARCHAR(20),
    reviewed_before TIMESTAMPTZ,
    stage_after   SMALLINT,
    due_after     TIMESTAMPTZ,
    reviewed_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX study_card_reviews_user_card ON study_card_reviews (user_id, card_id, id);

CREATE TABLE publish_outbox (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind            VARCHAR(40) NOT NULL,
    source_id       BIGINT NOT NULL,
    payload         JSONB NOT NULL,
    payload_hash    VARCHAR(64) NOT NULL,
    schema_version  INTEGER NOT NULL DEFAULT 1,
    deleted         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at    TIMESTAMPTZ
);
CREATE INDEX publish_outbox_unprocessed ON publish_outbox (id) WHERE processed_at IS NULL;

CREATE TABLE published_items (
    kind          VARCHAR(40) NOT NULL,
    source_id     BIGINT NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    payload       JSONB NOT NULL,
    payload_hash  VARCHAR(64) NOT NULL,
    deleted       BOOLEAN NOT NULL DEFAULT FALSE,
    seq           BIGINT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, source_id)
);

-- Every applied change, in feed order. seq comes from publish_state under the publisher lock,
-- so it has no gaps.
CREATE TABLE publish_feed (
    seq         BIGINT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        VARCHAR(40) NOT NULL,
    source_id   BIGINT NOT NULL,
    payload     JSONB NOT NULL,
    deleted     BOOLEAN NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX publish_feed_user_seq ON publish_feed (user_id, seq);

CREATE TABLE publish_state (
    id        SMALLINT PRIMARY KEY CHECK (id = 1),
    last_seq  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO publish_state (id, last_seq) VALUES (1, 0);

-- Undo journal: the last undoable action per user, with the exact prior rows.
CREATE TABLE undo_log (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    action      VARCHAR(40) NOT NULL,
    data        JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    undone_at   TIMESTAMPTZ
);
CREATE INDEX undo_log_user ON undo_log (user_id, id) WHERE undone_at IS NULL;
