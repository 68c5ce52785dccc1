//! The learner's everyday tools in the app (issue 18): the Statistics pane's state, the topic
//! the Due, Cram and Browse panes are narrowed to, and the Due deck's day rules.

use chrono::NaiveDate;

use crate::domain::due_plan::DueRules;
use crate::store::{Stats, Topic, TopicId};

/// The Statistics pane: figures computed off the UI task, shown once they arrive.
#[derive(Debug, Default)]
pub struct StatsPane {
    /// The latest figures, with the local date they were computed on.
    pub loaded: Option<LoadedStats>,
    /// A load is under way (another is not asked for meanwhile).
    pub loading: bool,
    /// Why the latest load failed.
    pub error: Option<String>,
}

/// The figures and the learner's local date they end on (the heatmap's last cell).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedStats {
    pub stats: Stats,
    pub today: NaiveDate,
}

/// The topics, and the one Due, Cram and Browse are narrowed to (remembered in `focused_at`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TopicFocus {
    /// The learner's topics, by name.
    pub topics: Vec<Topic>,
    /// `None`: all topics.
    pub focused: Option<TopicId>,
    /// The first load has arrived.
    pub loaded: bool,
}

impl TopicFocus {
    /// The topic remembered in the database: the one focused most recently.
    pub fn remembered(topics: &[Topic]) -> Option<TopicId> {
        topics
            .iter()
            .filter_map(|t| t.focused_at.map(|at| (at, t.id)))
            .max()
            .map(|(_, id)| id)
    }

    /// The next choice of the cycle all topics → topic 1 → … → all topics.
    pub fn next(&self) -> Option<TopicId> {
        match self.focused {
            None => self.topics.first().map(|t| t.id),
            Some(current) => {
                let at = self.topics.iter().position(|t| t.id == current);
                at.and_then(|i| self.topics.get(i + 1)).map(|t| t.id)
            }
        }
    }

    /// The focused topic's name, `None` for all topics (or a topic no longer listed).
    pub fn name(&self) -> Option<&str> {
        let id = self.focused?;
        self.topics
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.name.as_str())
    }
}

/// What the Due deck is read with: the topic it is narrowed to and the day rules.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DueScope {
    pub topic: Option<TopicId>,
    pub rules: DueRules,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn topic(id: i64, name: &str, focused: Option<i64>) -> Topic {
        Topic {
            id: TopicId(id),
            name: name.to_owned(),
            focused_at: focused.and_then(|s| DateTime::<Utc>::from_timestamp(s, 0)),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_cycle_goes_through_every_topic_and_back_to_all() {
        let focus = TopicFocus {
            topics: vec![topic(3, "영어", None), topic(1, "한국사", None)],
            focused: None,
            loaded: true,
        };
        let mut seen = Vec::new();
        let mut f = focus.clone();
        for _ in 0..3 {
            f.focused = f.next();
            seen.push(f.focused);
        }
        assert_eq!(seen, vec![Some(TopicId(3)), Some(TopicId(1)), None]);
    }

    #[test]
    fn the_latest_focus_is_remembered() {
        let topics = [
            topic(1, "a", Some(100)),
            topic(2, "b", Some(300)),
            topic(3, "c", None),
        ];
        assert_eq!(TopicFocus::remembered(&topics), Some(TopicId(2)));
        assert_eq!(TopicFocus::remembered(&topics[2..]), None);
    }
}
