//! An engine slot held by one job while its extractor runs. It is given back as soon as the
//! extractor answers, before the finish is committed, and the dispatcher is woken to fill it:
//! `concurrency` bounds extractor calls, and a job waiting for its batch's commit does not
//! keep the next job from being claimed.

use std::sync::Arc;

use tokio::sync::{Notify, OwnedSemaphorePermit};

pub(crate) struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    freed: Arc<Notify>,
}

impl Slot {
    pub(crate) fn new(permit: OwnedSemaphorePermit, freed: Arc<Notify>) -> Slot {
        Slot {
            permit: Some(permit),
            freed,
        }
    }

    /// Gives the slot back and wakes the dispatcher; later calls do nothing.
    pub(crate) fn release(&mut self) {
        if self.permit.take().is_some() {
            // Stored if the dispatcher is not waiting yet: the wake-up is not lost.
            self.freed.notify_one();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::Semaphore;

    #[tokio::test]
    async fn a_slot_is_given_back_once_and_wakes_the_dispatcher() {
        let slots = Arc::new(Semaphore::new(1));
        let freed = Arc::new(Notify::new());
        let permit = slots.clone().try_acquire_owned().expect("a free slot");
        let mut slot = Slot::new(permit, freed.clone());
        assert_eq!(slots.available_permits(), 0);
        slot.release();
        assert_eq!(slots.available_permits(), 1);
        // The wake-up was stored although nobody waited for it yet.
        freed.notified().await;
        slot.release();
        drop(slot);
        assert_eq!(slots.available_permits(), 1, "given back once");

        // A job that ends without releasing (an error, a panic) gives it back on drop.
        let permit = slots.clone().try_acquire_owned().expect("a free slot");
        drop(Slot::new(permit, freed.clone()));
        assert_eq!(slots.available_permits(), 1);
        freed.notified().await;
    }
}
