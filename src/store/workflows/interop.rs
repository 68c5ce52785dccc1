//! The InteropStore for any store that has a [`Db`]: whole collections out and in, backups,
//! cards from other programs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{HasDb, export, import_cards, restore};
use crate::store::archive::{
    CardImportReport, ImportedCard, InteropStore, ProgressFn, RestoreReport, UserArchive,
};
use crate::store::{StoreResult, UserId};

#[async_trait]
impl<T: HasDb + ?Sized> InteropStore for T {
    async fn user_names(&self) -> StoreResult<Vec<String>> {
        export::user_names(self.db()).await
    }

    async fn export_user(&self, user: UserId) -> StoreResult<UserArchive> {
        export::export_user(self.db(), user).await
    }

    async fn restore(
        &self,
        targets: &[(String, &UserArchive)],
        progress: ProgressFn<'_>,
    ) -> StoreResult<RestoreReport> {
        restore::restore(self.db(), targets, progress).await
    }

    async fn backup_into(&self, path: &std::path::Path) -> StoreResult<()> {
        export::backup_into(self.db(), path).await
    }

    async fn import_cards(
        &self,
        user: UserId,
        cards: &[ImportedCard],
        approve: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<CardImportReport> {
        import_cards::import_cards(self.db(), user, cards, approve, now).await
    }
}
