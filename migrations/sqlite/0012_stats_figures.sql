-- The Statistics pane's forecast and stage counts (issue 18) read the progress rows of live
-- approved cards. Joining every progress row to its card cost 40–170 ms at 100k cards, so
-- each progress row carries its card's liveness (`deleted_at IS NULL AND NOT needs_review`),
-- kept by the triggers below on every write path: the workflows, restore, import and
-- anything else that inserts progress or changes a card.
ALTER TABLE study_memo_card_progress
    ADD COLUMN card_live INTEGER NOT NULL DEFAULT 1 CHECK (card_live IN (0, 1));

UPDATE study_memo_card_progress SET card_live = EXISTS (
    SELECT 1 FROM study_memo_cards c
    WHERE c.id = study_memo_card_progress.card_id AND c.deleted_at IS NULL AND NOT c.needs_review);

-- A new progress row takes its card's liveness.
CREATE TRIGGER study_memo_card_progress_live_insert
AFTER INSERT ON study_memo_card_progress
WHEN NEW.card_live IS NOT EXISTS (
    SELECT 1 FROM study_memo_cards c
    WHERE c.id = NEW.card_id AND c.deleted_at IS NULL AND NOT c.needs_review)
BEGIN
    UPDATE study_memo_card_progress SET card_live = NOT NEW.card_live WHERE id = NEW.id;
END;

-- Deleting, restoring, approving or sending back a card moves its progress row with it.
CREATE TRIGGER study_memo_cards_live_progress
AFTER UPDATE OF deleted_at, needs_review ON study_memo_cards
WHEN (OLD.deleted_at IS NULL AND NOT OLD.needs_review) IS NOT (NEW.deleted_at IS NULL AND NOT NEW.needs_review)
BEGIN
    UPDATE study_memo_card_progress SET card_live = (NEW.deleted_at IS NULL AND NOT NEW.needs_review)
    WHERE user_id = NEW.user_id AND card_id = NEW.id;
END;

-- The forecast: live cards' due progress rows by due date, stage beside it (index only).
CREATE INDEX study_memo_card_progress_live_due
    ON study_memo_card_progress (user_id, due_at, review_stage) WHERE card_live AND due_at IS NOT NULL;
-- The stage counts: live cards' progress rows by stage.
CREATE INDEX study_memo_card_progress_live_stage
    ON study_memo_card_progress (user_id, review_stage, due_at) WHERE card_live;

-- Retention by stage: the review log by (had progress, outcome, stage before), then time,
-- so each combination's count over the window is one index range and nothing is sorted.
CREATE INDEX study_card_reviews_user_stage
    ON study_card_reviews (user_id, had_progress, outcome, stage_before, reviewed_at);
