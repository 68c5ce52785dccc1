//! How an engine runs: the extractor, the queue's timings and limits, and its mode.

use std::sync::Arc;
use std::time::Duration;

use super::backoff::RetryPolicy;
use super::extractor::{self, Extractor, ExtractorSetupError};
use crate::config::{ExtractConfig, LlmConfig};

/// How long in-flight jobs may finish after a stop request, by default.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Whether the engine keeps going or stops once the queue is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineMode {
    /// Poll, claim and extract until cancelled (the TUI, `amgi worker`).
    Continuous,
    /// Stop when nothing is left to claim: no due job, no job waiting for a retry, and a
    /// poll that enqueues nothing (`amgi worker --once`). Jobs held by other workers are not
    /// waited for.
    Drain,
}

/// Everything an engine needs besides the store.
#[derive(Clone)]
pub struct EngineSettings {
    /// Recorded in each claimed job's `worker_id`.
    pub worker_id: String,
    pub extractor: Arc<dyn Extractor>,
    /// Between polls; also the fallback wake-up when there are no notifications.
    pub poll_interval: Duration,
    /// Jobs enqueued per poll, at most.
    pub batch: u32,
    /// Jobs extracted at the same time.
    pub concurrency: usize,
    /// Attempts a new job gets.
    pub max_attempts: u16,
    /// How long a claim holds a job without a heartbeat; renewed every third of it.
    pub lease: Duration,
    /// Cards taken from one answer, at most; the rest are dropped and counted.
    pub max_cards: usize,
    pub retry: RetryPolicy,
    /// How long in-flight jobs may finish after cancellation before their extractor calls are
    /// dropped (their leases then expire).
    pub shutdown_grace: Duration,
    pub mode: EngineMode,
}

impl EngineSettings {
    /// Settings from the `[extract]` section, with the given extractor.
    pub fn new(config: &ExtractConfig, extractor: Arc<dyn Extractor>) -> Self {
        EngineSettings {
            worker_id: default_worker_id(),
            extractor,
            poll_interval: Duration::from_secs(config.poll_interval_secs),
            batch: config.batch,
            concurrency: usize::try_from(config.concurrency).unwrap_or(1).max(1),
            max_attempts: config.max_attempts,
            lease: Duration::from_secs(config.lease_secs),
            max_cards: usize::try_from(config.max_cards_per_answer).unwrap_or(usize::MAX),
            retry: RetryPolicy::default(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            mode: EngineMode::Continuous,
        }
    }

    /// Settings and extractor from the `[extract]` and `[llm]` sections.
    pub fn from_config(
        extract: &ExtractConfig,
        llm: &LlmConfig,
    ) -> Result<Self, ExtractorSetupError> {
        Ok(Self::new(extract, extractor::from_config(extract, llm)?))
    }
}

impl std::fmt::Debug for EngineSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSettings")
            .field("worker_id", &self.worker_id)
            .field("extractor", &self.extractor.name())
            .field("model", &self.extractor.model())
            .field("poll_interval", &self.poll_interval)
            .field("batch", &self.batch)
            .field("concurrency", &self.concurrency)
            .field("max_attempts", &self.max_attempts)
            .field("lease", &self.lease)
            .field("max_cards", &self.max_cards)
            .field("retry", &self.retry)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("mode", &self.mode)
            .finish()
    }
}

/// `host:pid:xxxx`: which machine and process holds a job, unique per engine.
pub fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().chars().take(60).collect::<String>())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}:{:04x}", std::process::id(), fastrand::u16(..))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn settings_follow_the_config() {
        let config = Config::defaults();
        let settings = EngineSettings::from_config(&config.extract, &config.llm);
        let settings = settings.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(settings.extractor.name(), "builtin");
        assert_eq!(settings.concurrency, 2);
        assert_eq!(settings.lease, Duration::from_secs(60));
        assert_eq!(settings.mode, EngineMode::Continuous);
        let id = default_worker_id();
        assert!(id.len() <= 100 && id.contains(&std::process::id().to_string()));
    }
}
