-- The question quiz (issue 17, DESIGN §1.7), the original's tables: sessions with their summary
-- snapshot, every answer, and one progress row per (user, topic, question) with its learning
-- pattern and its place on the review ladder. Same columns as migrations/sqlite/0006_quiz.sql.

CREATE TABLE study_quiz_sessions (
    id                       BIGSERIAL PRIMARY KEY,
    user_id                  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id           BIGINT REFERENCES study_topics(id) ON DELETE CASCADE,
    status                   VARCHAR(10) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'done')),
    question_ids             JSONB NOT NULL CHECK (jsonb_typeof(question_ids) = 'array'),
    started_at               TIMESTAMPTZ NOT NULL,
    finished_at              TIMESTAMPTZ,
    correct_count            BIGINT NOT NULL DEFAULT 0,
    wrong_count              BIGINT NOT NULL DEFAULT 0,
    unsure_count             BIGINT NOT NULL DEFAULT 0,
    skipped_count            BIGINT NOT NULL DEFAULT 0,
    newly_correct_count      BIGINT NOT NULL DEFAULT 0,
    relapsed_count           BIGINT NOT NULL DEFAULT 0,
    recovered_count          BIGINT NOT NULL DEFAULT 0,
    chronic_remaining_count  BIGINT NOT NULL DEFAULT 0,
    pending_review_count     BIGINT NOT NULL DEFAULT 0,
    chronic_count            BIGINT NOT NULL DEFAULT 0,
    regressed_count          BIGINT NOT NULL DEFAULT 0,
    CHECK ((status = 'done') = (finished_at IS NOT NULL))
);
-- At most one active session per user: a new quiz finishes or abandons the old one first.
CREATE UNIQUE INDEX study_quiz_sessions_one_active ON study_quiz_sessions (user_id) WHERE status = 'active';

CREATE TABLE study_question_attempts (
    id                 BIGSERIAL PRIMARY KEY,
    user_id            BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id     BIGINT NOT NULL REFERENCES study_topics(id) ON DELETE CASCADE,
    study_question_id  BIGINT NOT NULL REFERENCES study_questions(id) ON DELETE CASCADE,
    quiz_session_id    BIGINT NOT NULL REFERENCES study_quiz_sessions(id) ON DELETE CASCADE,
    chosen_choice      SMALLINT CHECK (chosen_choice >= 1),
    outcome            VARCHAR(20) NOT NULL CHECK (outcome IN ('correct', 'wrong', 'unsure', 'skipped')),
    answered_at        TIMESTAMPTZ NOT NULL,
    CHECK ((outcome = 'skipped') = (chosen_choice IS NULL))
);
CREATE INDEX study_question_attempts_session ON study_question_attempts (quiz_session_id, answered_at, id);
CREATE INDEX study_question_attempts_history
    ON study_question_attempts (user_id, study_question_id, answered_at, id);

CREATE TABLE study_question_progress (
    id                       BIGSERIAL PRIMARY KEY,
    user_id                  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id           BIGINT NOT NULL REFERENCES study_topics(id) ON DELETE CASCADE,
    study_question_id        BIGINT NOT NULL REFERENCES study_questions(id) ON DELETE CASCADE,
    last_outcome             VARCHAR(20) CHECK (last_outcome IN ('correct', 'wrong', 'unsure', 'skipped')),
    last_attempted_at        TIMESTAMPTZ,
    last_attempt_id          BIGINT REFERENCES study_question_attempts(id) ON DELETE SET NULL,
    last_reviewed_at         TIMESTAMPTZ,
    pattern_state            VARCHAR(20)
        CHECK (pattern_state IN ('stable', 'chronic_wrong', 'recovered', 'regressed', 'learning')),
    pattern_updated_at       TIMESTAMPTZ,
    pattern_window_attempts  SMALLINT NOT NULL DEFAULT 0 CHECK (pattern_window_attempts BETWEEN 0 AND 3),
    due_at                   TIMESTAMPTZ,
    review_stage             SMALLINT CHECK (review_stage BETWEEN 0 AND 4),
    created_at               TIMESTAMPTZ NOT NULL,
    updated_at               TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, study_topic_id, study_question_id)
);
CREATE INDEX study_question_progress_question ON study_question_progress (user_id, study_question_id);
CREATE INDEX study_question_progress_due
    ON study_question_progress (user_id, due_at) WHERE due_at IS NOT NULL;
