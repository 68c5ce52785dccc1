-- The poller's marker (BENCHMARKS.md, "one poll over 1M questions"): the explanation version
-- a job has been enqueued for. A question needs a job exactly when its ready version differs
-- from the marker, so the poll reads a partial index holding only those questions instead of
-- probing the job table for every ready question. A new explanation version changes
-- ai_explanation_generated_at and so brings the question back into the index by itself.
ALTER TABLE study_questions ADD COLUMN card_job_version INTEGER;

UPDATE study_questions SET card_job_version = ai_explanation_generated_at
WHERE ai_explanation_generated_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM study_memo_card_jobs j
              WHERE j.source_kind = 'question' AND j.source_id = study_questions.id
                AND j.source_version = study_questions.ai_explanation_generated_at
                AND j.kind = 'card_extract');

CREATE INDEX study_questions_needs_job
    ON study_questions (ai_explanation_generated_at DESC, id DESC)
    WHERE deleted_at IS NULL AND ai_explanation_status = 'ready'
      AND ai_explanation_generated_at IS NOT NULL
      AND card_job_version IS NOT ai_explanation_generated_at;
