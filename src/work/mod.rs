//! Background work. Extraction (DESIGN §1.1–1.2): the poller that enqueues a job per new
//! explanation version, the engine that claims jobs into bounded concurrency, the worker
//! that runs one job under a heartbeat-renewed lease, and the extractors behind one trait.
//!
//! Also the publisher (outbox → read model) and the PostgreSQL change listener.
//!
//! The TUI runs the [`Engine`] in-process and reads its [`EngineEvent`]s; `amgi worker` runs
//! it headless. Several engines (processes, machines) can share one database.

pub mod backoff;
pub mod changes;
mod completer;
pub mod engine;
pub mod events;
mod explain;
pub mod extractor;
pub mod llm;
pub mod poller;
pub mod publisher;
pub mod settings;
mod slot;
mod worker;

pub use backoff::RetryPolicy;
pub use engine::Engine;
pub use events::{EngineEvent, JobOutcome};
pub use extractor::{BuiltinExtractor, ExtractError, Extractor, ExtractorSetupError};
pub use llm::{ApiKey, LlmExtractor, LlmSettings};
pub use settings::{EngineMode, EngineSettings};
