//! The learning pattern of a question (seed `learning_pattern.py`): read from its last three
//! attempts that are not skipped.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::card::{DomainError, Outcome};

/// How many of the latest non-skipped attempts the pattern looks at.
pub const PATTERN_WINDOW: usize = 3;

/// A question's learning pattern (`pattern_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatternState {
    /// Every attempt in the window is correct.
    Stable,
    /// Three attempts in the window and none correct.
    ChronicWrong,
    /// The latest is correct and an earlier one in the window is not.
    Recovered,
    /// The latest is not correct and an earlier one in the window is correct.
    Regressed,
    /// One or two attempts, none correct.
    Learning,
}

impl PatternState {
    pub fn as_str(self) -> &'static str {
        match self {
            PatternState::Stable => "stable",
            PatternState::ChronicWrong => "chronic_wrong",
            PatternState::Recovered => "recovered",
            PatternState::Regressed => "regressed",
            PatternState::Learning => "learning",
        }
    }
}

impl fmt::Display for PatternState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PatternState {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "stable" => Ok(PatternState::Stable),
            "chronic_wrong" => Ok(PatternState::ChronicWrong),
            "recovered" => Ok(PatternState::Recovered),
            "regressed" => Ok(PatternState::Regressed),
            "learning" => Ok(PatternState::Learning),
            other => Err(DomainError::UnknownStatus(other.to_owned())),
        }
    }
}

/// The pattern of a question whose attempts are `outcomes`, oldest first, with the window's
/// size; `None` when no attempt outside `skipped` exists.
pub fn pattern(outcomes: &[Outcome]) -> (Option<PatternState>, i16) {
    let answered: Vec<bool> = outcomes
        .iter()
        .filter(|o| **o != Outcome::Skipped)
        .map(|o| *o == Outcome::Correct)
        .collect();
    let window = &answered[answered.len().saturating_sub(PATTERN_WINDOW)..];
    let size = i16::try_from(window.len()).unwrap_or(0);
    let Some((&latest, earlier)) = window.split_last() else {
        return (None, 0);
    };
    let state = if window.iter().all(|c| *c) {
        PatternState::Stable
    } else if window.len() == PATTERN_WINDOW && window.iter().all(|c| !*c) {
        PatternState::ChronicWrong
    } else if latest && earlier.iter().any(|c| !*c) {
        PatternState::Recovered
    } else if !latest && earlier.iter().any(|c| *c) {
        PatternState::Regressed
    } else {
        PatternState::Learning
    };
    (Some(state), size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::{Correct as C, Skipped as S, Unsure as U, Wrong as W};
    use PatternState::*;

    #[test]
    fn the_issue_table() {
        let table: &[(&[Outcome], Option<PatternState>, i16)] = &[
            (&[], None, 0),
            (&[S], None, 0),
            (&[S, S, S], None, 0),
            (&[C], Some(Stable), 1),
            (&[C, C], Some(Stable), 2),
            (&[C, C, C], Some(Stable), 3),
            (&[W], Some(Learning), 1),
            (&[U], Some(Learning), 1),
            (&[W, U], Some(Learning), 2),
            (&[W, W, W], Some(ChronicWrong), 3),
            (&[W, U, W], Some(ChronicWrong), 3),
            (&[W, C], Some(Recovered), 2),
            (&[W, W, C], Some(Recovered), 3),
            (&[U, C, C], Some(Recovered), 3),
            (&[C, W], Some(Regressed), 2),
            (&[C, C, U], Some(Regressed), 3),
            (&[C, W, W], Some(Regressed), 3),
            // Only the last three count: the old miss has left the window.
            (&[W, C, C, C], Some(Stable), 3),
            (&[C, W, W, W], Some(ChronicWrong), 3),
            // Skipped attempts are not in the window at all.
            (&[W, S, C, S], Some(Recovered), 2),
            (&[C, S, S, W], Some(Regressed), 2),
            (&[W, W, S, W], Some(ChronicWrong), 3),
            (&[S, C, S], Some(Stable), 1),
        ];
        for (outcomes, state, size) in table {
            assert_eq!(pattern(outcomes), (*state, *size), "{outcomes:?}");
        }
    }

    #[test]
    fn stored_names_round_trip() {
        for s in [Stable, ChronicWrong, Recovered, Regressed, Learning] {
            assert_eq!(s.as_str().parse::<PatternState>(), Ok(s));
        }
        assert!("steady".parse::<PatternState>().is_err());
    }
}
