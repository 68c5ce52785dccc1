//! PostgreSQL: the CardStore impl, delegating to review, study and undo.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{PgStore, review, study, undo};
use crate::domain::card::Outcome;
use crate::domain::schedule::LadderState;
use crate::store::{
    Card, CardEdit, CardStore, CramFilter, DueCard, NewManualCard, RatingResult, ReviewGroup,
    ReviewStamp, StoreResult, Undone, UserId,
};

#[async_trait]
impl CardStore for PgStore {
    async fn review_queue(&self, user: UserId) -> StoreResult<Vec<ReviewGroup>> {
        review::queue(self, user).await
    }

    async fn review_stamp(&self, user: UserId) -> StoreResult<ReviewStamp> {
        review::stamp(self, user).await
    }

    async fn get_card(&self, user: UserId, card_id: i64) -> StoreResult<Card> {
        review::get(self, user, card_id).await
    }

    async fn approve_card(
        &self,
        user: UserId,
        card_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        review::approve(self, user, card_id, None, now).await
    }

    async fn approve_card_as_shown(
        &self,
        user: UserId,
        card_id: i64,
        shown: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        review::approve(self, user, card_id, Some(shown), now).await
    }

    async fn approve_question(
        &self,
        user: UserId,
        question_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<i64>> {
        review::approve_question(self, user, question_id, now).await
    }

    async fn edit_card(
        &self,
        user: UserId,
        card_id: i64,
        edit: &CardEdit,
        now: DateTime<Utc>,
    ) -> StoreResult<Card> {
        review::edit(self, user, card_id, None, edit, now).await
    }

    async fn edit_card_as_shown(
        &self,
        user: UserId,
        card_id: i64,
        shown: DateTime<Utc>,
        edit: &CardEdit,
        now: DateTime<Utc>,
    ) -> StoreResult<Card> {
        review::edit(self, user, card_id, Some(shown), edit, now).await
    }

    async fn delete_card(&self, user: UserId, card_id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        review::delete(self, user, card_id, now).await
    }

    async fn flag_card(&self, user: UserId, card_id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        review::flag(self, user, card_id, now).await
    }

    async fn create_manual_card(
        &self,
        user: UserId,
        card: &NewManualCard,
        now: DateTime<Utc>,
    ) -> StoreResult<Card> {
        review::create_manual(self, user, card, now).await
    }

    async fn due_deck(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueCard>> {
        study::due_deck(self, user, now, limit).await
    }

    async fn rate_card(
        &self,
        user: UserId,
        card_id: i64,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<RatingResult> {
        study::rate(self, user, card_id, None, outcome, now).await
    }

    async fn rate_card_as_shown(
        &self,
        user: UserId,
        card_id: i64,
        shown: Option<LadderState>,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<RatingResult> {
        study::rate(self, user, card_id, Some(shown), outcome, now).await
    }

    async fn cram_deck(
        &self,
        user: UserId,
        filter: &CramFilter,
        limit: u32,
    ) -> StoreResult<Vec<Card>> {
        study::cram_deck(self, user, filter, limit).await
    }

    async fn record_view(&self, user: UserId, card_id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        study::record_view(self, user, card_id, now).await
    }

    async fn materials(&self, user: UserId) -> StoreResult<Vec<String>> {
        study::materials(self, user).await
    }

    async fn undo_last(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<Option<Undone>> {
        undo::undo_last(self, user, now).await
    }
}
