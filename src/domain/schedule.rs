//! The review ladder of DESIGN §1.4 (seed `sr_schedule.py`): 1 → 3 → 7 → 14 days → mastered.

use chrono::{DateTime, Duration, Utc};

use super::card::Outcome;

/// Days until a card rated unsure/wrong (or first missed) comes back.
pub const FIRST_DUE_DAYS: i64 = 1;
/// The stage at which a card leaves the ladder for good.
pub const MASTERED_STAGE: i16 = 4;

/// Days until the next review once a card has reached `stage` (1, 2 or 3).
pub fn interval_days(stage: i16) -> Option<i64> {
    match stage {
        1 => Some(3),
        2 => Some(7),
        3 => Some(14),
        _ => None,
    }
}

/// A card's place on the ladder, as stored in its progress row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LadderState {
    /// `None` on a known-on-first-sight sentinel row.
    pub stage: Option<i16>,
    /// `None` means off the deck: mastered, or known on first sight.
    pub due_at: Option<DateTime<Utc>>,
}

/// The seed's `advance(stage, outcome, now)`: `None` for `skipped` (nothing changes).
pub fn advance(
    stage: i16,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Option<(i16, Option<DateTime<Utc>>)> {
    match outcome {
        Outcome::Correct => {
            let next = stage.saturating_add(1);
            if next >= MASTERED_STAGE {
                Some((next.min(MASTERED_STAGE), None))
            } else {
                let days = interval_days(next).unwrap_or(FIRST_DUE_DAYS);
                Some((next, Some(now + Duration::days(days))))
            }
        }
        Outcome::Wrong | Outcome::Unsure => Some((0, Some(now + Duration::days(FIRST_DUE_DAYS)))),
        Outcome::Skipped => None,
    }
}

/// The ladder state after rating a card whose current state is `current` (`None`: the card
/// has no progress row yet). A card that is off the deck (known on first sight, or mastered)
/// follows the first-recall rule again: know keeps it off, unsure/wrong brings it back tomorrow.
pub fn rate(current: Option<LadderState>, outcome: Outcome, now: DateTime<Utc>) -> LadderState {
    let on_ladder = current.filter(|s| s.due_at.is_some());
    match on_ladder {
        Some(state) => {
            let stage = state.stage.unwrap_or(0);
            match advance(stage, outcome, now) {
                Some((stage, due_at)) => LadderState {
                    stage: Some(stage),
                    due_at,
                },
                None => state,
            }
        }
        None => match outcome {
            Outcome::Correct | Outcome::Skipped => LadderState {
                stage: current.and_then(|s| s.stage),
                due_at: None,
            },
            Outcome::Unsure | Outcome::Wrong => LadderState {
                stage: Some(0),
                due_at: Some(now + Duration::days(FIRST_DUE_DAYS)),
            },
        },
    }
}

/// What a rating key will do, shown before the learner presses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextInterval {
    /// Back after this many days.
    Days(i64),
    /// Leaves the ladder: stage 4 reached.
    Mastered,
    /// Known on first sight: never scheduled.
    Known,
}

impl NextInterval {
    pub fn label(self) -> String {
        match self {
            NextInterval::Days(d) => format!("+{d}d"),
            NextInterval::Mastered => "mastered".to_owned(),
            NextInterval::Known => "known".to_owned(),
        }
    }
}

/// The preview of [`rate`] for one outcome: a pure function of the progress row.
pub fn preview(current: Option<LadderState>, outcome: Outcome) -> NextInterval {
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    let next = rate(current, outcome, epoch);
    match next.due_at {
        Some(due) => NextInterval::Days((due - epoch).num_days()),
        None if next.stage.is_some_and(|s| s >= MASTERED_STAGE) => NextInterval::Mastered,
        None => NextInterval::Known,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
    }

    fn on(stage: i16) -> Option<LadderState> {
        Some(LadderState {
            stage: Some(stage),
            due_at: Some(now()),
        })
    }

    #[test]
    fn correct_climbs_the_ladder_then_masters() {
        let t = now();
        assert_eq!(
            advance(0, Outcome::Correct, t),
            Some((1, Some(t + Duration::days(3))))
        );
        assert_eq!(
            advance(1, Outcome::Correct, t),
            Some((2, Some(t + Duration::days(7))))
        );
        assert_eq!(
            advance(2, Outcome::Correct, t),
            Some((3, Some(t + Duration::days(14))))
        );
        assert_eq!(advance(3, Outcome::Correct, t), Some((4, None)));
        assert_eq!(advance(4, Outcome::Correct, t), Some((4, None)));
    }

    #[test]
    fn wrong_and_unsure_reset_every_stage() {
        let t = now();
        for stage in 0..=4 {
            for o in [Outcome::Wrong, Outcome::Unsure] {
                assert_eq!(advance(stage, o, t), Some((0, Some(t + Duration::days(1)))));
            }
        }
    }

    #[test]
    fn skipped_changes_nothing() {
        for stage in 0..=4 {
            assert_eq!(advance(stage, Outcome::Skipped, now()), None);
            assert_eq!(
                rate(on(stage), Outcome::Skipped, now()),
                on(stage).unwrap_or(LadderState {
                    stage: None,
                    due_at: None
                })
            );
        }
    }

    #[test]
    fn first_recall_rules() {
        let t = now();
        assert_eq!(
            rate(None, Outcome::Correct, t),
            LadderState {
                stage: None,
                due_at: None
            }
        );
        for o in [Outcome::Unsure, Outcome::Wrong] {
            assert_eq!(
                rate(None, o, t),
                LadderState {
                    stage: Some(0),
                    due_at: Some(t + Duration::days(1))
                }
            );
        }
    }

    #[test]
    fn previews_follow_the_ladder() {
        assert_eq!(preview(None, Outcome::Correct), NextInterval::Known);
        assert_eq!(preview(None, Outcome::Wrong), NextInterval::Days(1));
        assert_eq!(preview(on(0), Outcome::Correct), NextInterval::Days(3));
        assert_eq!(preview(on(1), Outcome::Correct), NextInterval::Days(7));
        assert_eq!(preview(on(2), Outcome::Correct), NextInterval::Days(14));
        assert_eq!(preview(on(3), Outcome::Correct), NextInterval::Mastered);
        assert_eq!(preview(on(3), Outcome::Unsure), NextInterval::Days(1));
        assert_eq!(NextInterval::Days(7).label(), "+7d");
    }
}
