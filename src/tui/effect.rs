//! Effects: the I/O that `update` asks for, run on tokio tasks; each reports back with an
//! [`Action`] carrying its data. The UI task never awaits the database.

use crate::store::{CardId, QuestionId};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, Change};
use super::review_loads::{LoadKind, ReviewLoads};
use super::study::{DueScope, LoadedStats};
use crate::domain::card::Outcome;
use crate::domain::study_day::StudyDay;
use crate::store::{
    CardEdit, CramFilter, DueCard, DueRequest, NewManualCard, ReviewStamp, SharedStore,
    StatsRequest, StoreError, StoreResult, TopicId, UserId,
};

/// How many due cards are held in memory; a refill is asked for below `DUE_REFILL_AT`.
pub const DUE_BATCH: u32 = 200;
pub const DUE_REFILL_AT: usize = 20;
/// The first read of the Due deck at start: enough to begin with and quick to read (its
/// cost grows with the cards read, their evidence and questions); the full batch is read
/// behind it, once its first frame is drawn.
pub const FIRST_DUE_BATCH: u32 = 40;
/// How many cram cards are fetched at once.
pub const CRAM_BATCH: u32 = 200;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadReview,
    /// Reloads the review listing unless the queue's stamp is still the one given.
    RefreshReview(Option<ReviewStamp>),
    /// Reads the due deck anew (replacing the held one).
    LoadDue(DueScope),
    /// Reads the due deck to merge into the held one.
    RefillDue(DueScope),
    LoadCram(CramFilter),
    LoadMaterials,
    LoadCounts,
    /// Reads the topics (with the remembered focus).
    LoadTopics,
    /// Remembers the topic Due and Cram are narrowed to (`None`: all topics).
    FocusTopic(Option<TopicId>),
    /// The first Due deck: narrowed to the topic remembered in the database, read in the
    /// same task, so the deck does not wait for the topic list to reach `update` first.
    LoadFirstDue(crate::domain::due_plan::DueRules),
    /// Computes the Statistics pane's figures.
    LoadStats,
    /// Approves a card as shown (its `updated_at` then).
    Approve {
        card_id: CardId,
        shown: DateTime<Utc>,
    },
    ApproveQuestion(QuestionId),
    Delete(CardId),
    SendBack(CardId),
    SaveEdit {
        card_id: CardId,
        /// The card's `updated_at` when the editor opened.
        shown: DateTime<Utc>,
        edit: CardEdit,
    },
    CreateCard(NewManualCard),
    Rate {
        card: Box<DueCard>,
        outcome: Outcome,
    },
    RecordView(CardId),
    /// Resets a card's schedule (Browse).
    Forget(CardId),
    Undo,
    /// Store work of the Quiz pane.
    Quiz(super::quiz::QuizEffect),
    /// Reads of the Browse pane.
    Browse(super::browse::BrowseEffect),
}

impl Effect {
    /// Whether the effect changes the database: the app waits for these before it exits.
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Effect::LoadReview
                | Effect::RefreshReview(_)
                | Effect::LoadDue(_)
                | Effect::LoadFirstDue(_)
                | Effect::RefillDue(_)
                | Effect::LoadCram(_)
                | Effect::LoadMaterials
                | Effect::LoadCounts
                | Effect::Browse(_)
                | Effect::LoadTopics
                | Effect::LoadStats
        ) && !matches!(self, Effect::Quiz(quiz) if !quiz.is_write())
    }
}

/// Reports a write as settled when its task ends, even by a panic, so that the app never
/// waits for a write that is gone.
struct Settle(UnboundedSender<Action>);

impl Drop for Settle {
    fn drop(&mut self) {
        let _ = self.0.send(Action::WriteSettled);
    }
}

/// Runs effects against one store for one user.
#[derive(Clone)]
pub struct EffectRunner {
    store: SharedStore,
    user: UserId,
    pub(super) tx: UnboundedSender<Action>,
    review_loads: Arc<ReviewLoads>,
}

impl EffectRunner {
    pub fn new(store: SharedStore, user: UserId, tx: UnboundedSender<Action>) -> Self {
        EffectRunner {
            store,
            user,
            tx,
            review_loads: Arc::default(),
        }
    }

    /// Spawns the effect; its result arrives later as an action.
    pub fn spawn(&self, effect: Effect) {
        let runner = self.clone();
        let settle = effect.is_write().then(|| Settle(self.tx.clone()));
        tokio::spawn(async move {
            let _settle = settle;
            runner.run(effect).await;
        });
    }

    fn send(&self, action: Action) {
        // The receiver is gone only when the app is shutting down.
        let _ = self.tx.send(action);
    }

    async fn run(&self, effect: Effect) {
        let (s, user, now) = (&self.store, self.user, Utc::now());
        match effect {
            Effect::LoadReview => self.reload_review().await,
            Effect::RefreshReview(known) => self.refresh_review(known).await,
            Effect::LoadFirstDue(rules) => {
                let read = match s.focused_topic(user).await {
                    Ok(topic) => {
                        let scope = DueScope { topic, rules };
                        let deck = self.due_deck(scope, now, FIRST_DUE_BATCH).await;
                        deck.map(|deck| (deck, topic))
                    }
                    Err(e) => Err(e),
                };
                match read {
                    Ok((deck, topic)) => self.send(Action::FirstDueLoaded { deck, topic }),
                    Err(e) => self.due_load_failed(&e),
                }
            }
            Effect::RefillDue(scope) => match self.due_deck(scope, now, DUE_BATCH).await {
                Ok(deck) => self.send(Action::DueRefilled(deck)),
                Err(e) => {
                    tracing::warn!(error = %e, "refilling the due deck failed");
                    self.send(Action::DueRefillFailed(format!(
                        "refilling the due deck failed: {e}"
                    )));
                }
            },
            Effect::LoadDue(scope) => {
                let deck = self.due_deck(scope, now, DUE_BATCH).await;
                self.due_loaded(deck);
            }
            Effect::LoadTopics => {
                let topics = s.list_topics(user).await.map_err(|e| {
                    tracing::warn!(error = %e, "loading the topics failed");
                    format!("loading the topics failed: {e}")
                });
                self.send(Action::TopicsLoaded(topics));
            }
            Effect::FocusTopic(topic) => {
                if let Err(e) = s.focus_topic(user, topic, now).await {
                    self.fail_write("remembering the topic", e);
                }
            }
            Effect::LoadStats => {
                let today = local_day(now);
                let request = StatsRequest::standard(now, today);
                match s.stats(user, &request).await {
                    Ok(stats) => self.send(Action::StatsLoaded(Box::new(LoadedStats {
                        stats,
                        today: today.local_date(local_offset()),
                    }))),
                    Err(e) => {
                        tracing::warn!(error = %e, "computing the statistics failed");
                        self.send(Action::StatsFailed(format!(
                            "computing the statistics failed: {e}"
                        )));
                    }
                }
            }
            Effect::LoadCram(filter) => match s.cram_deck(user, &filter, CRAM_BATCH).await {
                Ok(deck) => self.send(Action::CramLoaded(deck)),
                Err(e) => self.fail("loading the cram deck", e),
            },
            Effect::LoadMaterials => match s.materials(user).await {
                Ok(m) => self.send(Action::MaterialsLoaded(m)),
                Err(e) => self.fail("loading materials", e),
            },
            Effect::LoadCounts => self.reload_counts().await,
            Effect::Approve { card_id, shown } => {
                let r = s.approve_card_as_shown(user, card_id, shown, now).await;
                self.report(r.map(|()| Change::Approved { card_id }), "approving");
            }
            Effect::ApproveQuestion(question_id) => {
                let r = s.approve_question(user, question_id, now).await;
                let r = r.map(|card_ids| Change::ApprovedQuestion {
                    question_id,
                    card_ids,
                });
                self.report(r, "approving the question");
            }
            Effect::Delete(card_id) => {
                let r = s.delete_card(user, card_id, now).await;
                self.report(r.map(|()| Change::Deleted { card_id }), "deleting");
            }
            Effect::SendBack(card_id) => {
                let r = s.flag_card(user, card_id, now).await;
                self.report(r.map(|()| Change::SentBack { card_id }), "sending back");
            }
            Effect::SaveEdit {
                card_id,
                shown,
                edit,
            } => match s.edit_card_as_shown(user, card_id, shown, &edit, now).await {
                Ok(card) => self.send(Action::Changed(Change::Edited(Box::new(card)))),
                Err(e @ StoreError::Changed(_)) => self.send(Action::EditRefused(format!(
                    "{e} (esc, then open the card again)"
                ))),
                Err(e) => self.send(Action::EditRefused(e.to_string())),
            },
            Effect::CreateCard(card) => match s.create_manual_card(user, &card, now).await {
                Ok(card) => self.send(Action::Changed(Change::Added(Box::new(card)))),
                Err(e) => self.send(Action::EditRefused(e.to_string())),
            },
            Effect::Rate { card, outcome } => {
                match s
                    .rate_card_as_shown(user, card.card.id, card.ladder, outcome, now)
                    .await
                {
                    Ok(result) => self.send(Action::Rated(result)),
                    Err(e @ StoreError::Changed(_)) => self.send(Action::RateRefused {
                        card_id: card.card.id,
                        error: e.to_string(),
                    }),
                    Err(e) => self.send(Action::RateFailed {
                        card,
                        error: format!("rating failed: {e}"),
                    }),
                }
            }
            Effect::RecordView(id) => {
                let r = s.record_view(user, id, now).await;
                self.report(
                    r.map(|()| Change::Viewed { card_id: id }),
                    "recording the view",
                );
            }
            Effect::Forget(card_id) => {
                let r = s.forget_card(user, card_id, now).await;
                self.report(r.map(|()| Change::Forgot { card_id }), "forgetting");
            }
            Effect::Browse(effect) => self.send(super::browse::run(effect, s, user).await),
            Effect::Undo => match s.undo_last(user, now).await {
                Ok(undone) => self.send(Action::Undone(undone)),
                Err(e) => self.fail_write("undo", e),
            },
            Effect::Quiz(effect) => self.send(super::quiz::run(effect, s, user, now).await),
        }
    }

    /// The due deck of the learner's day under `scope`.
    async fn due_deck(
        &self,
        scope: DueScope,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueCard>> {
        let request = DueRequest {
            now,
            today: local_day(now),
            topic: scope.topic,
            rules: scope.rules,
            limit,
        };
        Ok(self.store.due_deck_today(self.user, &request).await?.cards)
    }

    /// Reports a Due deck read in full (not a refill), or why it failed.
    fn due_loaded(&self, deck: StoreResult<Vec<DueCard>>) {
        match deck {
            Ok(deck) => self.send(Action::DueLoaded(deck)),
            Err(e) => self.due_load_failed(&e),
        }
    }

    fn due_load_failed(&self, e: &StoreError) {
        tracing::warn!(error = %e, "loading the due deck failed");
        self.send(Action::DueRefillFailed(format!(
            "loading the due deck failed: {e}"
        )));
    }

    /// Reports what a write changed, or why it failed; `update` decides what to reload.
    fn report(&self, result: Result<Change, StoreError>, what: &str) {
        match result {
            Ok(change) => self.send(Action::Changed(change)),
            Err(e) => self.fail_write(what, e),
        }
    }

    async fn reload_review(&self) {
        self.load_review(LoadKind::Forced, None).await;
    }

    async fn refresh_review(&self, known: Option<ReviewStamp>) {
        self.load_review(LoadKind::Refresh, known).await;
    }

    /// Loads the review listing, or leaves the request to the load already running (which
    /// then runs once more for every request that arrived meanwhile).
    async fn load_review(&self, kind: LoadKind, known: Option<ReviewStamp>) {
        let loads = &self.review_loads;
        if !loads.request(kind) {
            return;
        }
        let _turn = loads.release_on_panic();
        while let Some(kind) = loads.next() {
            let known = match kind {
                LoadKind::Forced => None,
                LoadKind::Refresh => loads.sent().or(known),
            };
            self.read_review(known).await;
        }
    }

    /// Reads the queue's stamp, then the listing unless the stamp is still `known`. A change
    /// landing between the two reads makes the next refresh load it again: harmless.
    async fn read_review(&self, known: Option<ReviewStamp>) {
        let loaded = match self.store.review_stamp(self.user).await {
            Ok(stamp) if Some(stamp) == known => return,
            Ok(stamp) => self.store.review_queue(self.user).await.map(|groups| {
                self.review_loads.set_sent(stamp);
                Action::ReviewLoaded { groups, stamp }
            }),
            Err(e) => Err(e),
        };
        match loaded {
            Ok(action) => self.send(action),
            Err(e) => self.fail("loading the review queue", e),
        }
    }

    async fn reload_counts(&self) {
        match self.store.counts(self.user).await {
            Ok(c) => self.send(Action::CountsLoaded(c)),
            Err(e) => self.fail("loading counts", e),
        }
    }

    fn fail_write(&self, what: &str, e: StoreError) {
        tracing::warn!(error = %e, "{what} failed");
        self.send(Action::WriteFailed(format!("{what} failed: {e}")));
    }

    fn fail(&self, what: &str, e: StoreError) {
        tracing::warn!(error = %e, "{what} failed");
        self.send(Action::Failed(format!("{what} failed: {e}")));
    }
}

/// The learner's UTC offset now (the terminal's local time zone).
fn local_offset() -> chrono::FixedOffset {
    use chrono::Offset;
    chrono::Local::now().offset().fix()
}

/// The learner's local day `now` falls in.
fn local_day(now: DateTime<Utc>) -> StudyDay {
    StudyDay::of(now, local_offset())
}
