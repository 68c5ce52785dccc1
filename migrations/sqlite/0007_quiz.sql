-- The question quiz (issue 17, DESIGN §1.7), the original's tables: sessions with their summary
-- snapshot, every answer, and one progress row per (user, topic, question) with its learning
-- pattern and its place on the review ladder. Same columns as migrations/postgres/0006_quiz.sql.

CREATE TABLE study_quiz_sessions (
    id                       INTEGER PRIMARY KEY,
    user_id                  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id           INTEGER REFERENCES study_topics(id) ON DELETE CASCADE,
    status                   TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'done')),
    question_ids             TEXT NOT NULL CHECK (json_valid(question_ids) AND json_type(question_ids) = 'array'),
    started_at               INTEGER NOT NULL,
    finished_at              INTEGER,
    correct_count            INTEGER NOT NULL DEFAULT 0,
    wrong_count              INTEGER NOT NULL DEFAULT 0,
    unsure_count             INTEGER NOT NULL DEFAULT 0,
    skipped_count            INTEGER NOT NULL DEFAULT 0,
    newly_correct_count      INTEGER NOT NULL DEFAULT 0,
    relapsed_count           INTEGER NOT NULL DEFAULT 0,
    recovered_count          INTEGER NOT NULL DEFAULT 0,
    chronic_remaining_count  INTEGER NOT NULL DEFAULT 0,
    pending_review_count     INTEGER NOT NULL DEFAULT 0,
    chronic_count            INTEGER NOT NULL DEFAULT 0,
    regressed_count          INTEGER NOT NULL DEFAULT 0,
    CHECK ((status = 'done') = (finished_at IS NOT NULL))
);
-- At most one active session per user: a new quiz finishes or abandons the old one first.
CREATE UNIQUE INDEX study_quiz_sessions_one_active ON study_quiz_sessions (user_id) WHERE status = 'active';

CREATE TABLE study_question_attempts (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id     INTEGER NOT NULL REFERENCES study_topics(id) ON DELETE CASCADE,
    study_question_id  INTEGER NOT NULL REFERENCES study_questions(id) ON DELETE CASCADE,
    quiz_session_id    INTEGER NOT NULL REFERENCES study_quiz_sessions(id) ON DELETE CASCADE,
    chosen_choice      INTEGER CHECK (chosen_choice >= 1),
    outcome            TEXT NOT NULL CHECK (outcome IN ('correct', 'wrong', 'unsure', 'skipped')),
    answered_at        INTEGER NOT NULL,
    CHECK ((outcome = 'skipped') = (chosen_choice IS NULL))
);
CREATE INDEX study_question_attempts_session ON study_question_attempts (quiz_session_id, answered_at, id);
CREATE INDEX study_question_attempts_history
    ON study_question_attempts (user_id, study_question_id, answered_at, id);

CREATE TABLE study_question_progress (
    id                       INTEGER PRIMARY KEY,
    user_id                  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    study_topic_id           INTEGER NOT NULL REFERENCES study_topics(id) ON DELETE CASCADE,
    study_question_id        INTEGER NOT NULL REFERENCES study_questions(id) ON DELETE CASCADE,
    last_outcome             TEXT CHECK (last_outcome IN ('correct', 'wrong', 'unsure', 'skipped')),
    last_attempted_at        INTEGER,
    last_attempt_id          INTEGER REFERENCES study_question_attempts(id) ON DELETE SET NULL,
    last_reviewed_at         INTEGER,
    pattern_state            TEXT
        CHECK (pattern_state IN ('stable', 'chronic_wrong', 'recovered', 'regressed', 'learning')),
    pattern_updated_at       INTEGER,
    pattern_window_attempts  INTEGER NOT NULL DEFAULT 0 CHECK (pattern_window_attempts BETWEEN 0 AND 3),
    due_at                   INTEGER,
    review_stage             INTEGER CHECK (review_stage BETWEEN 0 AND 4),
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL,
    UNIQUE (user_id, study_topic_id, study_question_id)
);
CREATE INDEX study_question_progress_question ON study_question_progress (user_id, study_question_id);
CREATE INDEX study_question_progress_due
    ON study_question_progress (user_id, due_at) WHERE due_at IS NOT NULL;
