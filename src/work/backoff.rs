//! Capped exponential backoff with jitter for retryable extraction failures.

use std::time::Duration;

/// How long a failed attempt waits before the job is claimable again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failed attempt (before jitter).
    pub base: Duration,
    /// No delay is longer than this, whatever the attempt or the server's `Retry-After`.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(10 * 60),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (1-based): `base · 2^(attempt-1)`,
    /// capped, with "equal jitter" (a uniform pick between half and all of it) so that jobs
    /// failing together do not come back together. A server's `Retry-After` hint raises it.
    pub fn delay(&self, attempt: i32, hint: Option<Duration>, rng: &mut fastrand::Rng) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        let full = self
            .base
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.cap);
        let half = full / 2;
        let millis = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let jittered = half + Duration::from_millis(rng.u64(0..=millis));
        jittered.max(hint.unwrap_or_default()).min(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(30),
    };

    #[test]
    fn grows_exponentially_within_jitter_bounds() {
        let mut rng = fastrand::Rng::with_seed(7);
        for (attempt, full) in [(1, 2), (2, 4), (3, 8), (4, 16)] {
            for _ in 0..50 {
                let d = POLICY.delay(attempt, None, &mut rng);
                let full = Duration::from_secs(full);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn is_capped_even_for_huge_attempts_and_hints() {
        let mut rng = fastrand::Rng::with_seed(1);
        for attempt in [6, 40, i32::MAX] {
            let d = POLICY.delay(attempt, None, &mut rng);
            assert!(d >= POLICY.cap / 2 && d <= POLICY.cap, "{d:?}");
        }
        let hinted = POLICY.delay(1, Some(Duration::from_secs(3600)), &mut rng);
        assert_eq!(hinted, POLICY.cap);
    }

    #[test]
    fn a_retry_after_hint_raises_the_delay() {
        let mut rng = fastrand::Rng::with_seed(3);
        let d = POLICY.delay(1, Some(Duration::from_secs(9)), &mut rng);
        assert_eq!(d, Duration::from_secs(9));
    }

    #[test]
    fn jitter_spreads_delays() {
        let mut rng = fastrand::Rng::with_seed(11);
        let delays: std::collections::HashSet<_> =
            (0..20).map(|_| POLICY.delay(3, None, &mut rng)).collect();
        assert!(delays.len() > 10, "{delays:?}");
    }

    #[test]
    fn zero_base_means_no_wait() {
        let policy = RetryPolicy {
            base: Duration::ZERO,
            cap: Duration::ZERO,
        };
        let mut rng = fastrand::Rng::new();
        assert_eq!(policy.delay(3, None, &mut rng), Duration::ZERO);
    }
}
