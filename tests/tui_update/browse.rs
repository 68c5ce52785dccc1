//! `update` for the Browse pane: the first read, paging ahead, live search with stale pages
//! dropped, filters and sort, and the actions on the selected card.

use amgi::store::{
    BrowseCursor, BrowseFilter, BrowsePage, BrowseSort, BrowseState, CardId, TopicId, UndoKind,
    Undone,
};
use amgi::tui::action::{Action, Change};
use amgi::tui::browse::{BrowseEffect, BrowseEvent, PAGE};
use amgi::tui::effect::Effect;
use amgi::tui::keymap::Command;
use amgi::tui::state::{AppState, Confirmed, EditTarget, Pane};
use amgi::tui::update::update;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::cmd;
use crate::common::cards::{browse_rows, browse_state, loaded_state};

fn load(seq: u64, filter: BrowseFilter, after: Option<BrowseCursor>, limit: u32) -> Effect {
    Effect::Browse(BrowseEffect::Load {
        seq,
        filter,
        after,
        limit,
    })
}

fn key(state: &mut AppState, code: KeyCode) -> Vec<Effect> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn page(state: &mut AppState, seq: u64, append: bool, page: BrowsePage) -> Vec<Effect> {
    update(
        state,
        Action::Browse(BrowseEvent::Page { seq, append, page }),
    )
}

/// `n` rows (copies of the sample rows with ids 1..=n) and a cursor after the last.
fn many(from: i64, n: i64) -> BrowsePage {
    let sample = browse_rows();
    let rows: Vec<_> = (from..from + n)
        .map(|i| {
            let mut row = sample[(i as usize) % sample.len()].clone();
            row.card.id = CardId(i);
            row
        })
        .collect();
    BrowsePage {
        next: Some(BrowseCursor {
            key: from + n - 1,
            id: CardId(from + n - 1),
        }),
        rows,
    }
}

#[test]
fn the_first_visit_reads_a_page_and_the_filters_then_the_list_again() {
    let mut s = loaded_state();
    let effects = cmd(&mut s, Command::GoBrowse);
    assert_eq!(s.pane, Pane::Browse);
    assert_eq!(
        effects,
        vec![
            load(1, BrowseFilter::default(), None, PAGE),
            Effect::Browse(BrowseEffect::LoadChoices)
        ]
    );
    assert!(s.browse.loading);
    let short = BrowsePage {
        next: None,
        ..many(1, 3)
    };
    assert!(page(&mut s, 1, false, short).is_empty(), "the last page");
    assert!(s.browse.loaded && !s.browse.loading);
    assert_eq!(s.browse.rows.len(), 3);
    cmd(&mut s, Command::GoReview);
    assert_eq!(
        cmd(&mut s, Command::GoBrowse),
        vec![load(2, BrowseFilter::default(), None, PAGE)],
        "shown again: read again, the filters kept"
    );
}

#[test]
fn the_next_page_is_read_ahead_once_and_appended() {
    let mut s = browse_state();
    s.browse.rows.clear();
    page(&mut s, 1, false, many(1, 200));
    let next = s.browse.next;
    assert!(next.is_some());
    let mut asked = Vec::new();
    for _ in 0..170 {
        asked.extend(cmd(&mut s, Command::SelectNext));
    }
    assert_eq!(
        asked,
        vec![load(1, BrowseFilter::default(), next, PAGE)],
        "asked once, near the end, for the page after the last row held"
    );
    let last = BrowsePage {
        next: None,
        ..many(201, 50)
    };
    page(&mut s, 1, true, last);
    assert_eq!(s.browse.rows.len(), 250);
    assert_eq!(s.browse.selected, 170);
    assert_eq!(s.browse.next, None);
    for _ in 0..100 {
        assert!(
            cmd(&mut s, Command::SelectNext).is_empty(),
            "no page after the last"
        );
    }
    assert_eq!(s.browse.selected, 249, "stops at the last row");
    cmd(&mut s, Command::SelectPrev);
    assert_eq!(s.browse.selected, 248);
}

#[test]
fn typing_narrows_the_list_live_and_older_pages_are_dropped() {
    let mut s = browse_state();
    cmd(&mut s, Command::Search);
    assert!(s.browse.searching);
    let mut effects = Vec::new();
    for c in "한국".chars() {
        effects.extend(key(&mut s, KeyCode::Char(c)));
    }
    let search = |text: &str| BrowseFilter {
        search: text.into(),
        ..Default::default()
    };
    assert_eq!(
        effects,
        vec![
            load(2, search("한"), None, PAGE),
            load(3, search("한국"), None, PAGE)
        ]
    );
    // The page of "한" arrives after "한국" was typed: dropped.
    page(&mut s, 2, false, many(1, 9));
    assert_eq!(
        s.browse.rows.len(),
        browse_rows().len(),
        "the stale page is not shown"
    );
    page(&mut s, 3, false, many(1, 2));
    assert_eq!(s.browse.rows.len(), 2);
    // A failure of an older read says nothing either.
    update(
        &mut s,
        Action::Browse(BrowseEvent::Failed {
            seq: Some(2),
            error: "old".into(),
        }),
    );
    assert_eq!(s.status.error, None);
    assert_eq!(
        key(&mut s, KeyCode::Backspace),
        vec![load(4, search("한"), None, PAGE)]
    );
    // q types a q while the search line has the keys; it does not quit.
    key(&mut s, KeyCode::Char('q'));
    assert!(!s.quit);
    assert_eq!(s.browse.filter.search, "한q");
    update(&mut s, Action::Paste("국\n사".into()));
    assert_eq!(s.browse.filter.search, "한q국 사");
    // Enter keeps the search and gives the keys back to the list.
    assert!(cmd(&mut s, Command::Proceed).is_empty());
    assert!(!s.browse.searching);
    assert_eq!(s.browse.filter.search, "한q국 사");
    // Esc in the search line clears it.
    cmd(&mut s, Command::Search);
    let effects = cmd(&mut s, Command::Cancel);
    assert!(!s.browse.searching);
    assert_eq!(s.browse.filter.search, "");
    assert_eq!(effects, vec![load(7, BrowseFilter::default(), None, PAGE)]);
}

#[test]
fn filters_and_sort_cycle_and_esc_clears_them() {
    let mut s = browse_state();
    s.browse.selected = 3;
    let effects = cmd(&mut s, Command::CycleState);
    assert_eq!(s.browse.filter.state, Some(BrowseState::InReview));
    assert_eq!(s.browse.selected, 0, "a new listing starts at the top");
    assert!(matches!(
        effects.as_slice(),
        [Effect::Browse(BrowseEffect::Load { after: None, .. })]
    ));
    for _ in 0..7 {
        cmd(&mut s, Command::CycleState);
    }
    assert_eq!(s.browse.filter.state, Some(BrowseState::Mastered));
    cmd(&mut s, Command::CycleState);
    assert_eq!(s.browse.filter.state, None, "after the last: all cards");
    // The topic is the focus Due and Cram share: all three are read narrowed.
    let effects = cmd(&mut s, Command::CycleTopic);
    assert_eq!(s.browse.filter.topic, Some(TopicId(1)));
    assert_eq!(s.topics.focused, Some(TopicId(1)));
    assert_eq!(s.cram.filter.topic, Some(TopicId(1)));
    assert_eq!(effects[0], Effect::FocusTopic(Some(TopicId(1))));
    assert!(matches!(
        effects.last(),
        Some(Effect::Browse(BrowseEffect::Load { filter, after: None, .. }))
            if filter.topic == Some(TopicId(1))
    ));
    cmd(&mut s, Command::CycleFormat);
    cmd(&mut s, Command::CycleSort);
    assert_eq!(s.browse.filter.sort, BrowseSort::Due);
    let effects = cmd(&mut s, Command::Cancel);
    assert_eq!(
        s.browse.filter,
        BrowseFilter {
            sort: BrowseSort::Due,
            topic: Some(TopicId(1)),
            ..Default::default()
        },
        "filters cleared, the sort and the topic kept"
    );
    assert_eq!(effects.len(), 1);
    assert!(
        cmd(&mut s, Command::Cancel).is_empty(),
        "nothing left to clear"
    );
}

#[test]
fn edit_delete_send_back_and_forget_act_on_the_selected_card() {
    let mut s = browse_state();
    // Row 3: an approved card on the ladder (id 103).
    for _ in 0..3 {
        cmd(&mut s, Command::SelectNext);
    }
    cmd(&mut s, Command::Edit);
    let editor = s.editor.take();
    assert!(matches!(
        editor.map(|e| e.target),
        Some(EditTarget::Card {
            id: CardId(103),
            ..
        })
    ));
    assert_eq!(
        cmd(&mut s, Command::Delete),
        vec![Effect::Delete(CardId(103))]
    );
    assert_eq!(
        cmd(&mut s, Command::SendBack),
        vec![Effect::SendBack(CardId(103))]
    );
    assert!(cmd(&mut s, Command::Forget).is_empty(), "asks first");
    assert_eq!(
        s.confirm.as_ref().map(|c| c.on_yes.clone()),
        Some(Confirmed::Forget(CardId(103)))
    );
    assert_eq!(
        cmd(&mut s, Command::ConfirmYes),
        vec![Effect::Forget(CardId(103))]
    );
    // A new card has no schedule to forget; a card in review is not sent back again.
    s.browse.selected = 0;
    assert!(cmd(&mut s, Command::Forget).is_empty());
    assert!(s.confirm.is_none());
    assert!(cmd(&mut s, Command::SendBack).is_empty());
    assert!(s.status.message.is_some());
}

#[test]
fn a_change_or_an_undo_reads_the_list_again_keeping_as_many_rows() {
    let mut s = browse_state();
    s.browse.rows.clear();
    page(&mut s, 1, false, many(1, 200));
    page(&mut s, 1, true, many(201, 100));
    s.browse.selected = 250;
    let effects = update(
        &mut s,
        Action::Changed(Change::Forgot {
            card_id: CardId(250),
        }),
    );
    assert!(
        effects.contains(&load(2, BrowseFilter::default(), None, 300)),
        "{effects:?}"
    );
    page(&mut s, 2, false, many(1, 299));
    assert_eq!(s.browse.selected, 250, "the selection stays");
    let effects = update(
        &mut s,
        Action::Undone(Some(Undone {
            kind: UndoKind::Forget,
            card_ids: vec![CardId(250)],
        })),
    );
    assert!(effects.contains(&load(3, BrowseFilter::default(), None, 299)));
    assert!(
        s.status
            .message
            .as_deref()
            .is_some_and(|m| m.contains("forgetting"))
    );
    // Before the pane was ever shown, nothing is read for it.
    let mut fresh = loaded_state();
    let effects = update(
        &mut fresh,
        Action::Changed(Change::Deleted {
            card_id: CardId(101),
        }),
    );
    assert!(!effects.iter().any(|e| matches!(e, Effect::Browse(_))));
}
