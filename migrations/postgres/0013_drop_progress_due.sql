-- The due progress rows' index by (user, due date) is the first half of
-- study_memo_card_progress_due_card (0011), on the same rows: every statement that used it
-- uses that one, and each rating no longer updates both (as in
-- migrations/sqlite/0013_drop_progress_due.sql).
DROP INDEX study_memo_card_progress_due;
