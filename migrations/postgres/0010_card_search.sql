-- Browse search (issue 18): each card's cue, answer and cloze text folded once (NFKC, case,
-- invisible characters, white space: domain::normalize::search_text), so a search keystroke
-- is one LIKE over a column instead of a normalisation of every card. Computed by amgi on
-- write, the same on both databases. NULL means "not computed yet": rows written before this
-- migration or by a path that does not compute it are filled in by the browse workflow
-- before it searches (the partial index finds them at no cost).
ALTER TABLE study_memo_cards ADD COLUMN search_text TEXT;
CREATE INDEX study_memo_cards_search_missing
    ON study_memo_cards (user_id) WHERE search_text IS NULL;

-- Browse lists every live card of a user by id, a page at a time: read in index order from
-- the cursor, it stops at the page's last row (0.2 ms at 100k cards) instead of sorting all
-- of them (28 ms on SQLite).
CREATE INDEX study_memo_cards_browse ON study_memo_cards (user_id, id) WHERE deleted_at IS NULL;

-- A write that changes the text but leaves search_text as it was (a statement that does
-- not know the column) marks it stale, never wrong.
CREATE FUNCTION study_memo_cards_search_stale() RETURNS trigger AS $$
BEGIN
    IF (NEW.cue, NEW.fact, NEW.cloze_text) IS DISTINCT FROM (OLD.cue, OLD.fact, OLD.cloze_text)
       AND NEW.search_text IS NOT DISTINCT FROM OLD.search_text THEN
        NEW.search_text := NULL;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER study_memo_cards_search_stale
BEFORE UPDATE OF cue, fact, cloze_text ON study_memo_cards
FOR EACH ROW EXECUTE FUNCTION study_memo_cards_search_stale();
