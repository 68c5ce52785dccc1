//! At most one review-listing load at a time. Requests that arrive while a load runs are
//! merged into one more load after it, so a burst of engine events (one per extracted job)
//! costs two loads instead of one per job, and an older listing never lands after a newer one.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use crate::store::ReviewStamp;

/// Whether a load reads the listing whatever the queue's stamp says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LoadKind {
    /// Read the listing only if the stamp moved since the listing the app holds.
    Refresh = 1,
    /// Read the listing (after the app's own change).
    Forced = 2,
}

const NOTHING: u8 = 0;
const REFRESH: u8 = LoadKind::Refresh as u8;
const FORCED: u8 = LoadKind::Forced as u8;

/// The shared turn of the review loads of one app.
#[derive(Default)]
pub(crate) struct ReviewLoads {
    running: AtomicBool,
    /// The strongest request not served yet (`NOTHING`, or a `LoadKind`).
    pending: AtomicU8,
    /// The stamp of the last listing sent to the app.
    sent: Mutex<Option<ReviewStamp>>,
}

impl ReviewLoads {
    /// Records a request; true when the caller now holds the turn and must serve requests
    /// with [`ReviewLoads::next`] until it returns `None`.
    pub(crate) fn request(&self, kind: LoadKind) -> bool {
        self.pending.fetch_max(kind as u8, Ordering::SeqCst);
        !self.running.swap(true, Ordering::SeqCst)
    }

    /// The next load for the turn's holder, or `None` once nothing is pending (the turn is
    /// then given up).
    pub(crate) fn next(&self) -> Option<LoadKind> {
        loop {
            match self.pending.swap(NOTHING, Ordering::SeqCst) {
                REFRESH => return Some(LoadKind::Refresh),
                FORCED => return Some(LoadKind::Forced),
                _ => {}
            }
            self.running.store(false, Ordering::SeqCst);
            // A request that came between the swap and the release saw the turn taken and
            // left itself pending: serve it, unless its caller took the turn meanwhile.
            if self.pending.load(Ordering::SeqCst) == NOTHING
                || self.running.swap(true, Ordering::SeqCst)
            {
                return None;
            }
        }
    }

    /// Gives the turn up if its holder panics mid-load, so later loads are not locked out.
    pub(crate) fn release_on_panic(&self) -> impl Drop + '_ {
        struct Turn<'a>(&'a ReviewLoads);
        impl Drop for Turn<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.running.store(false, Ordering::SeqCst);
                }
            }
        }
        Turn(self)
    }

    pub(crate) fn sent(&self) -> Option<ReviewStamp> {
        self.sent.lock().map(|s| *s).unwrap_or_default()
    }

    pub(crate) fn set_sent(&self, stamp: ReviewStamp) {
        if let Ok(mut sent) = self.sent.lock() {
            *sent = Some(stamp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_during_a_load_merge_into_one_more_load_of_the_strongest_kind() {
        let loads = ReviewLoads::default();
        assert!(loads.request(LoadKind::Refresh));
        assert_eq!(loads.next(), Some(LoadKind::Refresh));
        // While that load runs, three requests arrive; none takes the turn.
        assert!(!loads.request(LoadKind::Refresh));
        assert!(!loads.request(LoadKind::Forced));
        assert!(!loads.request(LoadKind::Refresh));
        assert_eq!(loads.next(), Some(LoadKind::Forced));
        assert_eq!(loads.next(), None);
        // The turn was given up: the next request takes it.
        assert!(loads.request(LoadKind::Refresh));
        assert_eq!(loads.next(), Some(LoadKind::Refresh));
        assert_eq!(loads.next(), None);
    }

    #[test]
    fn a_load_that_panics_gives_the_turn_up() {
        let loads = ReviewLoads::default();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert!(loads.request(LoadKind::Forced));
            let _turn = loads.release_on_panic();
            assert_eq!(loads.next(), Some(LoadKind::Forced));
            panic!("the load failed");
        }));
        assert!(panicked.is_err());
        assert!(
            loads.request(LoadKind::Refresh),
            "the next request takes the turn"
        );
    }

    #[test]
    fn concurrent_requests_are_all_served_by_some_turn() {
        let loads = std::sync::Arc::new(ReviewLoads::default());
        let served = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (loads, served) = (loads.clone(), served.clone());
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        if loads.request(LoadKind::Refresh) {
                            while loads.next().is_some() {
                                served.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        // Every request was followed by a load that started after it: nothing is left
        // pending and nobody holds the turn.
        assert_eq!(loads.pending.load(Ordering::SeqCst), NOTHING);
        assert!(!loads.running.load(Ordering::SeqCst));
        let served = served.load(Ordering::SeqCst);
        assert!((1..=8000).contains(&served), "{served}");
    }
}
