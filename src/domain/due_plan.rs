//! Which cards the Due deck shows today, in what order (issue 18): due cards, then at most
//! the day's allowance of new cards, with sibling burying — once one card of a source
//! question is answered, its other cards wait for the next day, and cards of one question
//! are never shown back to back.

use std::collections::HashSet;

/// The learner's daily rules for the Due deck (`[study]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueRules {
    /// Never-reviewed cards introduced per local day.
    pub new_per_day: u32,
    /// One card per source question a day.
    pub bury_siblings: bool,
}

impl Default for DueRules {
    fn default() -> Self {
        DueRules {
            new_per_day: 20,
            bury_siblings: true,
        }
    }
}

/// New cards the learner may still be shown today, having introduced `introduced_today`.
pub fn new_cards_left(rules: DueRules, introduced_today: u64) -> u32 {
    let left = u64::from(rules.new_per_day).saturating_sub(introduced_today);
    u32::try_from(left).unwrap_or(u32::MAX)
}

/// A card as the plan sees it: its source question (`None`: a manual card, no siblings).
pub trait Sibling {
    fn question(&self) -> Option<i64>;
}

/// Today's deck from the due cards (in due order) and the new cards (in id order) the
/// store read. `answered_today` are the questions one of whose cards was rated today: with
/// burying, their cards wait for tomorrow, and of the rest only the first card of each
/// question is kept. New cards are capped at `new_left` after that. Without burying, the
/// order is only changed so that no two cards of one question follow each other where
/// another card can go between.
pub fn plan<T: Sibling>(
    due: Vec<T>,
    new: Vec<T>,
    answered_today: &HashSet<i64>,
    new_left: u32,
    rules: DueRules,
) -> Vec<T> {
    let new_left = usize::try_from(new_left).unwrap_or(usize::MAX);
    if !rules.bury_siblings {
        let mut deck = due;
        deck.extend(new.into_iter().take(new_left));
        return spread(deck);
    }
    let mut seen: HashSet<i64> = answered_today.clone();
    let mut first_of_question = |card: &T| match card.question() {
        Some(q) => seen.insert(q),
        None => true,
    };
    let mut deck: Vec<T> = due.into_iter().filter(|c| first_of_question(c)).collect();
    deck.extend(
        new.into_iter()
            .filter(|c| first_of_question(c))
            .take(new_left),
    );
    deck
}

/// Reorders `cards` so that no card follows one of the same question, keeping the order
/// otherwise: a card that would follow its sibling waits for the next place where it fits.
/// When only siblings are left (one question's cards at the end) they follow each other.
pub fn spread<T: Sibling>(cards: Vec<T>) -> Vec<T> {
    let mut waiting: std::collections::VecDeque<T> = cards.into();
    let mut out: Vec<T> = Vec::with_capacity(waiting.len());
    while !waiting.is_empty() {
        let last = out.last().and_then(Sibling::question);
        let fits = waiting
            .iter()
            .position(|c| last.is_none() || c.question() != last)
            .unwrap_or(0);
        if let Some(card) = waiting.remove(fits) {
            out.push(card);
        }
    }
    out
}

/// Whether two cards of one question follow each other in `cards` (what [`plan`] avoids).
pub fn has_adjacent_siblings<T: Sibling>(cards: &[T]) -> bool {
    cards.windows(2).any(|w| {
        let (a, b) = (w[0].question(), w[1].question());
        a.is_some() && a == b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (card id, question).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct C(i64, Option<i64>);

    impl Sibling for C {
        fn question(&self) -> Option<i64> {
            self.1
        }
    }

    fn ids(cards: &[C]) -> Vec<i64> {
        cards.iter().map(|c| c.0).collect()
    }

    const BURY: DueRules = DueRules {
        new_per_day: 20,
        bury_siblings: true,
    };

    #[test]
    fn the_allowance_counts_what_was_introduced_today() {
        assert_eq!(new_cards_left(BURY, 0), 20);
        assert_eq!(new_cards_left(BURY, 7), 13);
        assert_eq!(new_cards_left(BURY, 25), 0);
    }

    #[test]
    fn burying_keeps_one_card_per_question_and_holds_answered_ones() {
        let due = vec![C(1, Some(10)), C(2, Some(10)), C(3, Some(11)), C(4, None)];
        let new = vec![
            C(5, Some(12)),
            C(6, Some(12)),
            C(7, Some(13)),
            C(8, Some(11)),
        ];
        let answered = HashSet::from([11]);
        let deck = plan(due, new, &answered, 20, BURY);
        assert_eq!(ids(&deck), vec![1, 4, 5, 7]);
        assert!(!has_adjacent_siblings(&deck));
    }

    #[test]
    fn the_new_cap_applies_after_burying() {
        let new = vec![
            C(5, Some(12)),
            C(6, Some(12)),
            C(7, Some(13)),
            C(8, Some(14)),
        ];
        let deck = plan(Vec::new(), new, &HashSet::new(), 2, BURY);
        assert_eq!(ids(&deck), vec![5, 7]);
        let none = plan(
            vec![C(1, None)],
            vec![C(5, Some(12))],
            &HashSet::new(),
            0,
            BURY,
        );
        assert_eq!(ids(&none), vec![1]);
    }

    #[test]
    fn without_burying_siblings_are_spread_apart() {
        let rules = DueRules {
            new_per_day: 3,
            bury_siblings: false,
        };
        let due = vec![C(1, Some(10)), C(2, Some(10)), C(3, Some(11))];
        let new = vec![
            C(5, Some(12)),
            C(6, Some(12)),
            C(7, Some(13)),
            C(8, Some(14)),
        ];
        let deck = plan(due, new, &HashSet::from([10]), 3, rules);
        assert_eq!(ids(&deck), vec![1, 3, 2, 5, 7, 6]);
        assert!(!has_adjacent_siblings(&deck));
        // Only siblings left: they follow each other rather than being dropped.
        let deck = spread(vec![C(1, Some(10)), C(2, Some(10))]);
        assert_eq!(ids(&deck), vec![1, 2]);
        assert!(has_adjacent_siblings(&deck));
    }
}
