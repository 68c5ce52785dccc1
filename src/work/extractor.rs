//! The extractor seam: one async trait with a built-in (offline) and an LLM implementation,
//! and the errors an extraction attempt can end with.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::llm::{LlmExtractor, LlmSettings};
use crate::config::{ExtractConfig, ExtractorKind, LlmConfig};
use crate::domain::card::CardDraft;
use crate::domain::extract::{SourceContext, builtin};
use crate::store::JobErrorCode;

/// Turns one question into proposed cards. The worker runs the guards on what it returns;
/// an implementation must be cancel-safe (the worker drops the future on shutdown).
#[async_trait]
pub trait Extractor: Send + Sync + 'static {
    /// `builtin` or `llm`, recorded in each job's payload.
    fn name(&self) -> &'static str;

    /// The model, for extractors that have one.
    fn model(&self) -> Option<&str> {
        None
    }

    async fn extract(&self, source: &SourceContext) -> Result<Vec<CardDraft>, ExtractError>;

    /// Whether this extractor can write explanations (an LLM can; the built-in one, which
    /// only rearranges text it is given, cannot: its explanation jobs end `no_llm`).
    fn explains(&self) -> bool {
        false
    }

    /// Writes the explanation of a question (`source.explanation` is empty); the worker
    /// checks it before it is stored. Called only when [`Extractor::explains`].
    async fn explain(&self, _source: &SourceContext) -> Result<String, ExtractError> {
        Err(ExtractError::Parse(
            "this extractor cannot write explanations".into(),
        ))
    }
}

/// Why an extraction attempt produced no answer. Every kind but `Auth` is retryable
/// (DESIGN §1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The answer arrived but holds no card JSON.
    #[error("the answer is not card JSON: {0}")]
    Parse(String),
    /// No answer within the configured timeout.
    #[error("no answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The endpoint refused the API key (401/403): retrying cannot help.
    #[error(
        "HTTP {status} from the LLM endpoint: the API key was refused (check llm.api_key_env){detail}"
    )]
    Auth {
        status: u16,
        /// Part of the error body, prefixed with ": " (or empty).
        detail: String,
    },
    /// The endpoint answered with an HTTP error (429 and 5xx: overloaded or down).
    #[error("HTTP {status} from the LLM endpoint{detail}{}", wait_asked(*.retry_after))]
    Http {
        status: u16,
        /// Part of the error body, prefixed with ": " (or empty).
        detail: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The endpoint could not be reached or the connection broke.
    #[error("cannot reach the LLM endpoint: {0}")]
    Transport(String),
}

impl ExtractError {
    /// The job error code this failure is stored under.
    pub fn code(&self) -> JobErrorCode {
        match self {
            ExtractError::Parse(_) => JobErrorCode::ParseFail,
            ExtractError::Timeout(_) => JobErrorCode::LlmTimeout,
            ExtractError::Http { .. } | ExtractError::Transport(_) => JobErrorCode::Unknown,
            ExtractError::Auth { .. } => JobErrorCode::AuthFail,
        }
    }

    /// Whether another attempt could succeed.
    pub fn is_retryable(&self) -> bool {
        self.code().is_retryable()
    }

    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ExtractError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// " (the server asked to wait N s)" when it did.
fn wait_asked(retry_after: Option<Duration>) -> String {
    retry_after
        .map(|wait| format!(" (the server asked to wait {} s)", wait.as_secs()))
        .unwrap_or_default()
}

/// An extractor that could not be set up from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ExtractorSetupError {
    #[error("cannot build the HTTP client for the LLM: {0}")]
    HttpClient(String),
}

/// The built-in extractor (DESIGN §1.2): offline, deterministic, instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinExtractor;

#[async_trait]
impl Extractor for BuiltinExtractor {
    fn name(&self) -> &'static str {
        "builtin"
    }

    async fn extract(&self, source: &SourceContext) -> Result<Vec<CardDraft>, ExtractError> {
        Ok(builtin::extract(source))
    }
}

/// The extractor `extract.extractor` selects; the LLM one reads its API key from the
/// environment variable named in `llm.api_key_env`.
pub fn from_config(
    extract: &ExtractConfig,
    llm: &LlmConfig,
) -> Result<Arc<dyn Extractor>, ExtractorSetupError> {
    match extract.extractor {
        ExtractorKind::Builtin => Ok(Arc::new(BuiltinExtractor)),
        ExtractorKind::Llm => Ok(Arc::new(LlmExtractor::new(LlmSettings::from_config(llm))?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_the_job_codes() {
        let http = ExtractError::Http {
            status: 429,
            detail: String::new(),
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(http.code(), JobErrorCode::Unknown);
        assert_eq!(http.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(
            http.to_string(),
            "HTTP 429 from the LLM endpoint (the server asked to wait 3 s)"
        );
        let auth = ExtractError::Auth {
            status: 401,
            detail: String::new(),
        };
        assert_eq!(auth.code(), JobErrorCode::AuthFail);
        assert!(!auth.is_retryable());
        assert_eq!(
            ExtractError::Parse("x".into()).code(),
            JobErrorCode::ParseFail
        );
        let timeout = ExtractError::Timeout(Duration::from_millis(1500));
        assert_eq!(timeout.code(), JobErrorCode::LlmTimeout);
        assert_eq!(timeout.to_string(), "no answer within 1.5 s");
        assert_eq!(
            ExtractError::Transport("refused".into()).code(),
            JobErrorCode::Unknown
        );
    }

    #[tokio::test]
    async fn builtin_is_the_domain_extractor() {
        let source = SourceContext {
            question_id: 1,
            topic: "Networking".into(),
            question_text: "Which protocol guarantees ordered delivery?".into(),
            choices: vec!["UDP".into(), "TCP".into()],
            correct_choice: 2,
            explanation: "TCP provides ordered delivery.".into(),
        };
        let cards = BuiltinExtractor.extract(&source).await;
        assert_eq!(cards, Ok(builtin::extract(&source)));
        assert!(cards.is_ok_and(|c| !c.is_empty()));
    }
}
