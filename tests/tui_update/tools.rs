//! `update` for the learner's everyday tools: topic narrowing and its memory, sibling burying
//! in the held deck, and the Statistics pane's loads.

use amgi::domain::due_plan::DueRules;
use amgi::store::{CardId, CramFilter, Stats, Topic, TopicId, UndoKind, Undone};
use amgi::tui::action::Action;
use amgi::tui::effect::Effect;
use amgi::tui::keymap::Command;
use amgi::tui::state::{AppState, Pane};
use amgi::tui::study::{DueScope, LoadedStats};
use amgi::tui::update::update;
use chrono::{DateTime, NaiveDate, Utc};

use super::cmd;
use crate::common::cards::{due_cards, loaded_state, qa};

fn topic(id: i64, name: &str, focused_secs: Option<i64>) -> Topic {
    Topic {
        id: TopicId(id),
        name: name.to_owned(),
        focused_at: focused_secs.and_then(|s| DateTime::<Utc>::from_timestamp(s, 0)),
        created_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

fn scope(topic: Option<i64>) -> DueScope {
    DueScope {
        topic: topic.map(TopicId),
        rules: DueRules::default(),
    }
}

fn cram(topic: Option<i64>) -> CramFilter {
    CramFilter {
        topic: topic.map(TopicId),
        ..CramFilter::default()
    }
}

fn with_topics() -> AppState {
    let mut s = loaded_state();
    update(
        &mut s,
        Action::TopicsLoaded(Ok(vec![topic(1, "한국사", None), topic(2, "영어", None)])),
    );
    s
}

#[test]
fn the_remembered_topic_narrows_the_first_reads() {
    let mut s = AppState::default();
    let effects = update(
        &mut s,
        Action::TopicsLoaded(Ok(vec![
            topic(1, "한국사", Some(100)),
            topic(2, "영어", Some(200)),
        ])),
    );
    assert_eq!(s.topics.focused, Some(TopicId(2)), "the latest focus");
    // The first Due deck was read narrowed to the same topic (`LoadFirstDue`).
    assert_eq!(effects, vec![Effect::LoadCram(cram(Some(2)))]);
    assert_eq!(s.browse.filter.topic, Some(TopicId(2)));
    // A later listing with the topic still there changes nothing.
    let again = update(
        &mut s,
        Action::TopicsLoaded(Ok(vec![
            topic(1, "한국사", Some(100)),
            topic(2, "영어", Some(200)),
        ])),
    );
    assert!(again.is_empty());
    // The focused topic is gone (deleted elsewhere): back to all topics.
    let gone = update(
        &mut s,
        Action::TopicsLoaded(Ok(vec![topic(1, "한국사", Some(100))])),
    );
    assert_eq!(s.topics.focused, None);
    assert_eq!(
        gone,
        vec![Effect::LoadDue(scope(None)), Effect::LoadCram(cram(None))]
    );
    // The topics could not be read: Cram is read for all topics, the error shown.
    let mut fresh = AppState::default();
    let effects = update(&mut fresh, Action::TopicsLoaded(Err("db gone".into())));
    assert_eq!(effects, vec![Effect::LoadCram(cram(None))]);
    assert_eq!(fresh.status.error.as_deref(), Some("db gone"));
}

#[test]
fn t_cycles_topics_in_due_cram_and_browse_and_remembers_the_choice() {
    let mut s = with_topics();
    cmd(&mut s, Command::GoDue);
    let effects = cmd(&mut s, Command::CycleTopic);
    assert_eq!(
        effects,
        vec![
            Effect::FocusTopic(Some(TopicId(1))),
            Effect::LoadDue(scope(Some(1))),
            Effect::LoadCram(cram(Some(1))),
        ]
    );
    assert!(
        s.due.deck.is_empty() && !s.due.loaded,
        "the old deck is not shown"
    );
    assert_eq!(s.status.message.as_deref(), Some("topic: 한국사"));
    cmd(&mut s, Command::GoCram);
    let effects = cmd(&mut s, Command::CycleTopic);
    assert_eq!(effects[0], Effect::FocusTopic(Some(TopicId(2))));
    assert_eq!(s.cram.filter.topic, Some(TopicId(2)));
    let effects = cmd(&mut s, Command::CycleTopic);
    assert_eq!(effects[0], Effect::FocusTopic(None), "back to all topics");
    assert_eq!(s.status.message.as_deref(), Some("all topics"));
    // Browse, once shown, is read again for the focused topic.
    cmd(&mut s, Command::GoBrowse);
    let effects = cmd(&mut s, Command::CycleTopic);
    assert_eq!(s.browse.filter.topic, Some(TopicId(1)));
    assert!(matches!(
        effects.last(),
        Some(Effect::Browse(amgi::tui::browse::BrowseEffect::Load { filter, .. }))
            if filter.topic == Some(TopicId(1))
    ));
    cmd(&mut s, Command::CycleTopic);
    cmd(&mut s, Command::CycleTopic);
    // Review has no topic key.
    cmd(&mut s, Command::GoReview);
    assert!(cmd(&mut s, Command::CycleTopic).is_empty());
    // No topics yet: said so, nothing read.
    let mut empty = loaded_state();
    update(&mut empty, Action::TopicsLoaded(Ok(Vec::new())));
    cmd(&mut empty, Command::GoDue);
    assert!(cmd(&mut empty, Command::CycleTopic).is_empty());
    assert!(
        empty
            .status
            .message
            .is_some_and(|m| m.contains("no topics"))
    );
}

/// A deck of three: two cards of question 12, one of question 13, the siblings first.
fn sibling_deck(state: &mut AppState) {
    let mut sibling = qa(203, 12, "임진왜란을 일으킨 사람은?", "도요토미 히데요시");
    sibling.needs_review = false;
    let mut deck = due_cards();
    deck.insert(
        1,
        amgi::store::DueCard {
            card: sibling,
            ladder: None,
            source: None,
        },
    );
    state.due.deck = deck.into();
}

#[test]
fn a_rating_buries_the_held_siblings() {
    let mut s = loaded_state();
    sibling_deck(&mut s);
    cmd(&mut s, Command::GoDue);
    cmd(&mut s, Command::Reveal);
    cmd(&mut s, Command::RateKnow);
    let held: Vec<CardId> = s.due.deck.iter().map(|d| d.card.id).collect();
    assert_eq!(held, vec![CardId(202)], "203 waits for tomorrow");
    // A refill that raced the rating does not bring the sibling back.
    update(&mut s, Action::DueRefilled(due_cards_with_sibling()));
    let held: Vec<CardId> = s.due.deck.iter().map(|d| d.card.id).collect();
    assert_eq!(held, vec![CardId(202)]);

    let mut s = loaded_state();
    s.due.rules.bury_siblings = false;
    sibling_deck(&mut s);
    cmd(&mut s, Command::GoDue);
    cmd(&mut s, Command::Reveal);
    cmd(&mut s, Command::RateKnow);
    let held: Vec<CardId> = s.due.deck.iter().map(|d| d.card.id).collect();
    assert_eq!(held, vec![CardId(203), CardId(202)], "no burying: it stays");
}

fn due_cards_with_sibling() -> Vec<amgi::store::DueCard> {
    let mut s = AppState::default();
    sibling_deck(&mut s);
    s.due.deck.into_iter().collect()
}

#[test]
fn statistics_load_on_show_and_on_refresh() {
    let mut s = loaded_state();
    assert_eq!(cmd(&mut s, Command::GoStats), vec![Effect::LoadStats]);
    assert_eq!(s.pane, Pane::Stats);
    assert!(s.stats.loading);
    let loaded = LoadedStats {
        stats: Stats {
            reviews_per_day: vec![3; 365],
            ..Stats::default()
        },
        today: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
    };
    update(&mut s, Action::StatsLoaded(Box::new(loaded.clone())));
    assert!(!s.stats.loading);
    assert_eq!(s.stats.loaded.as_ref(), Some(&loaded));
    assert!(cmd(&mut s, Command::Refresh).contains(&Effect::LoadStats));
    update(
        &mut s,
        Action::StatsFailed("computing the statistics failed: x".into()),
    );
    assert!(!s.stats.loading);
    assert!(s.stats.loaded.is_some(), "the last figures stay on screen");
    assert!(s.status.error.is_some());
    // Elsewhere a refresh does not compute them.
    cmd(&mut s, Command::GoDue);
    assert!(!cmd(&mut s, Command::Refresh).contains(&Effect::LoadStats));
}

#[test]
fn an_undo_on_the_statistics_pane_recomputes_its_figures() {
    let mut s = loaded_state();
    assert_eq!(cmd(&mut s, Command::GoStats), vec![Effect::LoadStats]);
    update(
        &mut s,
        Action::StatsLoaded(Box::new(LoadedStats {
            stats: Stats::default(),
            today: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
        })),
    );
    assert_eq!(cmd(&mut s, Command::Undo), vec![Effect::Undo]);
    let undone = Undone {
        kind: UndoKind::Delete,
        card_ids: vec![CardId(1)],
    };
    let effects = update(&mut s, Action::Undone(Some(undone.clone())));
    assert!(effects.contains(&Effect::LoadStats), "{effects:?}");
    assert!(s.stats.loading);
    // Elsewhere an undo leaves the figures for the next visit.
    cmd(&mut s, Command::GoDue);
    let effects = update(&mut s, Action::Undone(Some(undone)));
    assert!(!effects.contains(&Effect::LoadStats), "{effects:?}");
}
