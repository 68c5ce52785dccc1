//! The Browse pane's state, the reads it asks for and what they report (issue 18). The list
//! is read a page at a time; every new listing (a filter, a keystroke of the search, a
//! reload after a change) takes a new sequence number, and a page of an older one is
//! dropped when it arrives. `update_browse` decides; [`run`] performs one read.

use super::action::Action;
use crate::store::{
    BrowseCursor, BrowseFilter, BrowsePage, BrowseRow, SharedStore, StoreError, Topic, UserId,
};

/// Rows read at once: a screenful many times over, small enough to arrive at once.
pub const PAGE: u32 = 200;
/// The next page is asked for when the selection comes this close to the last row held.
pub const LOAD_AHEAD: usize = 40;

/// The Browse pane.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrowsePane {
    /// What is listed, and in which order.
    pub filter: BrowseFilter,
    /// The rows read so far, in the list's order.
    pub rows: Vec<BrowseRow>,
    /// The selected row's index.
    pub selected: usize,
    /// Where the next page starts; `None` once the last page is held.
    pub next: Option<BrowseCursor>,
    /// The listing's sequence number: pages of older listings are dropped.
    pub seq: u64,
    /// A read of the current listing is under way.
    pub loading: bool,
    /// The first page has arrived.
    pub loaded: bool,
    /// The search line has the keyboard: keys type into `filter.search`.
    pub searching: bool,
    /// The learner's topics, for the topic filter.
    pub topics: Vec<Topic>,
    /// The materials of manual cards, for the material filter.
    pub materials: Vec<String>,
}

impl BrowsePane {
    pub fn selected_row(&self) -> Option<&BrowseRow> {
        self.rows.get(self.selected)
    }

    /// The topic filter's name.
    pub fn topic_name(&self) -> Option<&str> {
        let id = self.filter.topic?;
        self.topics
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.name.as_str())
    }
}

/// The reads the Browse pane asks for (its writes are the cards' shared effects).
#[derive(Debug, Clone, PartialEq)]
pub enum BrowseEffect {
    /// A page of listing `seq`: the first (`after` = `None`, replacing the rows) or the
    /// next one (appended).
    Load {
        seq: u64,
        filter: BrowseFilter,
        after: Option<BrowseCursor>,
        limit: u32,
    },
    /// The topics and materials the filters cycle through.
    LoadChoices,
}

/// What a Browse read reports.
#[derive(Debug, Clone, PartialEq)]
pub enum BrowseEvent {
    Page {
        seq: u64,
        /// The page continues the rows held (else it replaces them).
        append: bool,
        page: BrowsePage,
    },
    Choices {
        topics: Vec<Topic>,
        materials: Vec<String>,
    },
    /// A read failed: of listing `seq`, or of the filters' choices (`None`).
    Failed { seq: Option<u64>, error: String },
}

/// Performs one Browse read.
pub async fn run(effect: BrowseEffect, store: &SharedStore, user: UserId) -> Action {
    let failed = |seq: Option<u64>, what: &str, e: StoreError| {
        tracing::warn!(error = %e, "{what} failed");
        BrowseEvent::Failed {
            seq,
            error: format!("{what} failed: {e}"),
        }
    };
    Action::Browse(match effect {
        BrowseEffect::Load {
            seq,
            filter,
            after,
            limit,
        } => match store.browse(user, &filter, after, limit).await {
            Ok(page) => BrowseEvent::Page {
                seq,
                append: after.is_some(),
                page,
            },
            Err(e) => failed(Some(seq), "browsing cards", e),
        },
        BrowseEffect::LoadChoices => {
            let topics = store.list_topics(user).await;
            let materials = store.materials(user).await;
            match (topics, materials) {
                (Ok(topics), Ok(materials)) => BrowseEvent::Choices { topics, materials },
                (Err(e), _) | (_, Err(e)) => failed(None, "loading the browse filters", e),
            }
        }
    })
}
