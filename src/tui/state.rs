//! Everything the app shows, owned by the UI task alone; changed only by `update`.

use crate::store::{CardId, QuestionId};
use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;

use crate::domain::card::CardFormat;
use crate::store::{Card, CardEdit, Counts, CramFilter, DueCard, ReviewGroup, ReviewStamp};

/// The panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Review,
    Due,
    Cram,
    Quiz,
    Browse,
    Stats,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::Review,
        Pane::Due,
        Pane::Cram,
        Pane::Quiz,
        Pane::Browse,
        Pane::Stats,
    ];

    pub fn next(self) -> Pane {
        let at = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ALL[(at + 1) % Pane::ALL.len()]
    }

    pub fn prev(self) -> Pane {
        let at = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ALL[(at + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }
}

/// The whole application state.
#[derive(Debug, Default)]
pub struct AppState {
    /// The pane on screen.
    pub pane: Pane,
    pub review: ReviewPane,
    pub due: DuePane,
    pub cram: CramPane,
    pub quiz: super::quiz::QuizPane,
    pub browse: super::browse::BrowsePane,
    pub stats: super::study::StatsPane,
    /// The topic Due, Cram and Browse are narrowed to.
    pub topics: super::study::TopicFocus,
    /// The card editor, when open (it covers the pane).
    pub editor: Option<EditorState>,
    /// A question waiting for y/n, when one is asked.
    pub confirm: Option<Confirm>,
    /// The help overlay is shown.
    pub help: bool,
    pub status: StatusState,
    /// Set by the quit command; the run loop exits after the next draw.
    pub quit: bool,
    /// At start only the shown pane's own load runs: the others wait for it (see
    /// [`super::update::init`]), then this is cleared.
    pub first_loads_waiting: Option<Pane>,
}

/// In-review cards grouped by source question.
#[derive(Debug, Default)]
pub struct ReviewPane {
    pub groups: Vec<ReviewGroup>,
    /// The selected card, kept by id across reloads.
    pub selected: Option<CardId>,
    /// The learner has moved the selection; until then it stays on the first card, so a
    /// first run that fills the queue while it is on screen starts at the top.
    pub moved: bool,
    /// The first load has arrived.
    pub loaded: bool,
    /// The queue's stamp when the listing was read: a refresh reloads only once it moves.
    pub stamp: Option<ReviewStamp>,
    /// Cards taken out of the listing by an approval not yet confirmed: a listing read
    /// before it committed must not bring them back.
    pub approving: HashSet<CardId>,
}

impl ReviewPane {
    /// (group index, card index) of every card, in display order.
    pub fn positions(&self) -> Vec<(usize, usize)> {
        self.groups
            .iter()
            .enumerate()
            .flat_map(|(g, group)| (0..group.cards.len()).map(move |c| (g, c)))
            .collect()
    }

    /// The selected card's position.
    pub fn selected_position(&self) -> Option<(usize, usize)> {
        let id = self.selected?;
        self.groups
            .iter()
            .enumerate()
            .find_map(|(g, group)| group.cards.iter().position(|c| c.id == id).map(|c| (g, c)))
    }

    pub fn selected_card(&self) -> Option<&Card> {
        self.selected_position()
            .map(|(g, c)| &self.groups[g].cards[c])
    }

    pub fn selected_group(&self) -> Option<&ReviewGroup> {
        self.selected_position().map(|(g, _)| &self.groups[g])
    }

    pub fn card_count(&self) -> usize {
        self.groups.iter().map(|g| g.cards.len()).sum()
    }

    /// Takes the card out of the listing and selects the card that now stands where it
    /// stood (the next one, or the last).
    pub fn take_out(&mut self, id: CardId) {
        let positions = self.positions();
        let Some(index) = positions
            .iter()
            .position(|&(g, c)| self.groups[g].cards[c].id == id)
        else {
            return;
        };
        self.drop_cards(&HashSet::from([id]));
        let positions = self.positions();
        self.selected = positions
            .get(index.min(positions.len().saturating_sub(1)))
            .map(|&(g, c)| self.groups[g].cards[c].id);
    }

    /// Removes `ids` from the listing, and the groups left empty.
    pub fn drop_cards(&mut self, ids: &HashSet<CardId>) {
        if ids.is_empty() {
            return;
        }
        for group in &mut self.groups {
            group.cards.retain(|c| !ids.contains(&c.id));
        }
        self.groups.retain(|g| !g.cards.is_empty());
    }
}

/// The due deck, held in memory and refilled in the background.
#[derive(Debug, Default)]
pub struct DuePane {
    pub deck: VecDeque<DueCard>,
    /// The front card's answer is shown.
    pub revealed: bool,
    pub loaded: bool,
    /// A refill is under way.
    pub refilling: bool,
    /// The deck held is the first few cards read at start; the full batch is on its way.
    pub more_coming: bool,
    /// Cards rated in this session: a refill that raced a rating must not bring them back.
    pub rated_this_session: HashSet<CardId>,
    /// Ratings done in this session.
    pub rated: u32,
    /// A card to put in front when the next full deck arrives (its rating was undone).
    pub front_next: Option<CardId>,
    /// The daily new-card limit and sibling burying (`[study]`).
    pub rules: crate::domain::due_plan::DueRules,
    /// Questions answered in this session: with burying, a refill that raced a rating must
    /// not bring their other cards back.
    pub buried: HashSet<QuestionId>,
}

impl DuePane {
    /// (due cards, new cards) held.
    pub fn split_counts(&self) -> (usize, usize) {
        let new = self.deck.iter().filter(|d| d.ladder.is_none()).count();
        (self.deck.len() - new, new)
    }
}

/// The cram deck: least-viewed cards first.
#[derive(Debug, Default)]
pub struct CramPane {
    pub deck: Vec<Card>,
    pub index: usize,
    pub revealed: bool,
    pub filter: CramFilter,
    pub materials: Vec<String>,
    pub loaded: bool,
    /// The deck ran out: the next one is loaded once the view of this card is stored.
    pub reload_after_view: Option<CardId>,
}

impl CramPane {
    pub fn current(&self) -> Option<&Card> {
        self.deck.get(self.index)
    }
}

/// What the editor edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditTarget {
    Card {
        id: CardId,
        format: CardFormat,
        /// The card's `updated_at` when the editor opened: a save is checked against it.
        shown: DateTime<Utc>,
    },
    /// A new manual card; its format follows from whether a cloze sentence is given.
    NewCard,
}

/// Which text field an editor field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Material,
    Cue,
    Fact,
    Cloze,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Material => "material",
            Field::Cue => "cue",
            Field::Fact => "answer",
            Field::Cloze => "cloze ({{blank}} marks the answer)",
        }
    }
}

/// The card editor: one text area per field.
#[derive(Debug)]
pub struct EditorState {
    pub target: EditTarget,
    pub fields: Vec<(Field, TextArea<'static>)>,
    pub focus: usize,
    /// The text when the editor opened, to ask before discarding changes.
    pub original: Vec<String>,
    /// Why the last save was refused; the text stays.
    pub error: Option<String>,
    pub saving: bool,
}

impl EditorState {
    pub fn open(target: EditTarget, values: &[(Field, String)]) -> EditorState {
        let fields: Vec<(Field, TextArea<'static>)> = values
            .iter()
            .map(|(field, text)| {
                let mut area = TextArea::new(text.lines().map(str::to_owned).collect());
                // Long sentences wrap inside the field instead of scrolling sideways.
                area.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
                area.set_cursor_line_style(ratatui::style::Style::default());
                area.move_cursor(ratatui_textarea::CursorMove::Bottom);
                area.move_cursor(ratatui_textarea::CursorMove::End);
                (*field, area)
            })
            .collect();
        let original = values.iter().map(|(_, t)| t.clone()).collect();
        let mut editor = EditorState {
            target,
            fields,
            focus: 0,
            original,
            error: None,
            saving: false,
        };
        editor.focus_on(0);
        editor
    }

    /// Moves the focus to field `index`: only the focused field shows a cursor.
    pub fn focus_on(&mut self, index: usize) {
        use ratatui::style::{Modifier, Style};
        self.focus = index.min(self.fields.len().saturating_sub(1));
        for (i, (_, area)) in self.fields.iter_mut().enumerate() {
            area.set_cursor_style(if i == self.focus {
                Style::new().add_modifier(Modifier::REVERSED)
            } else {
                Style::new()
            });
        }
    }

    /// The text of a field (lines joined with a space: cards are one-paragraph text).
    pub fn text(&self, field: Field) -> String {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, area)| area.lines().join(" "))
            .unwrap_or_default()
    }

    /// The text area with the focus.
    pub fn focused_mut(&mut self) -> Option<&mut TextArea<'static>> {
        self.fields.get_mut(self.focus).map(|(_, area)| area)
    }

    pub fn changed(&self) -> bool {
        self.fields
            .iter()
            .zip(&self.original)
            .any(|((_, area), original)| area.lines().join("\n") != *original)
    }

    /// The edit to send for an existing card.
    pub fn edit(&self) -> CardEdit {
        let cloze = self.text(Field::Cloze);
        CardEdit {
            cue: self.text(Field::Cue),
            fact: self.text(Field::Fact),
            cloze_text: (!cloze.trim().is_empty()).then_some(cloze),
        }
    }
}

/// A question put to the learner before a destructive or lossy action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub message: String,
    pub on_yes: Confirmed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    ApproveQuestion(QuestionId),
    DiscardEdit,
    /// Finalize the quiz under way with the answers given.
    FinishQuiz,
    /// Reset the card's schedule (Browse).
    Forget(CardId),
}

/// The status bar.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StatusState {
    /// "sqlite" or "postgres".
    pub backend: String,
    pub user: String,
    pub counts: Counts,
    /// The background extraction runs in this process.
    pub extraction_running: bool,
    /// The latest extraction result, e.g. "question 12 → 4 cards".
    pub last_result: Option<String>,
    /// The latest action's outcome.
    pub message: Option<String>,
    /// The latest error, shown until the next successful action.
    pub error: Option<String>,
    /// Changes asked of the database that have not finished yet.
    pub pending_writes: usize,
    /// Changes that failed after the learner asked to quit, to print once the terminal is
    /// back (the status bar is gone by then).
    pub failed_on_quit: Vec<String>,
}
