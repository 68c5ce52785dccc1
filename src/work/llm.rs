//! The LLM extractor: any OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp,
//! vLLM, MLX, OpenAI), JSON output requested, a timeout, answers parsed forgivingly.

mod answer;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Serialize;

use super::extractor::{ExtractError, Extractor, ExtractorSetupError};
use crate::config::LlmConfig;
use crate::domain::card::CardDraft;
use crate::domain::extract::SourceContext;

/// The instructions sent before the source (`assets/extract_prompt.txt`).
pub const EXTRACT_PROMPT: &str = include_str!("../../assets/extract_prompt.txt");

/// The instructions sent before a question to explain (`assets/explain_prompt.txt`).
pub const EXPLAIN_PROMPT: &str = include_str!("../../assets/explain_prompt.txt");

/// Error bodies are quoted up to this many characters.
const MAX_ERROR_BODY_CHARS: usize = 200;

/// Of an error response, at most this many bytes are read (for the quote).
const MAX_ERROR_BODY_BYTES: usize = 4096;

/// `llm.max_response_bytes` by default.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 << 20;

/// `llm.retry_after_cap_secs` by default.
pub const DEFAULT_RETRY_AFTER_CAP: Duration = Duration::from_secs(60);

/// An API key. Its `Debug` never shows it, so it cannot leak into a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key in the environment variable called `name`, if it is set and not blank.
    pub fn from_env(name: &str) -> Option<Self> {
        Self::from_lookup(name, |n| std::env::var(n).ok())
    }

    fn from_lookup(name: &str, lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        if name.trim().is_empty() {
            return None;
        }
        lookup(name)
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty())
            .map(ApiKey)
    }

    /// The key itself, for the `Authorization` header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// Where and how to ask the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmSettings {
    /// Up to and including `/v1`: `{base_url}/chat/completions` is called.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<ApiKey>,
    /// For the whole request, answer included.
    pub timeout: Duration,
    /// A response body is read up to this many bytes; a larger one fails as `parse_fail`.
    pub max_response_bytes: usize,
    /// A server's `Retry-After` is honoured up to this long.
    pub retry_after_cap: Duration,
}

impl LlmSettings {
    /// The `[llm]` config, with the key read from the variable named in `api_key_env`.
    pub fn from_config(config: &LlmConfig) -> Self {
        LlmSettings {
            base_url: config.base_url.clone(),
            model: config.model.clone(),
            api_key: ApiKey::from_env(&config.api_key_env),
            timeout: Duration::from_secs(config.timeout_secs),
            max_response_bytes: usize::try_from(config.max_response_bytes).unwrap_or(usize::MAX),
            retry_after_cap: Duration::from_secs(config.retry_after_cap_secs),
        }
    }

    /// Settings for `base_url` and `model` with the default limits.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>, timeout: Duration) -> Self {
        LlmSettings {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeout,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry_after_cap: DEFAULT_RETRY_AFTER_CAP,
        }
    }
}

/// The `llm` extractor.
#[derive(Debug)]
pub struct LlmExtractor {
    client: reqwest::Client,
    url: String,
    settings: LlmSettings,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: [ChatMessage; 1],
    response_format: ResponseFormat,
    temperature: f32,
    stream: bool,
}

#[derive(Serialize)]
struct ChatMessage {
    role: &'static str,
    content: String,
}

#[derive(Serialize)]
struct ResponseFormat {
    r#type: &'static str,
}

impl LlmExtractor {
    pub fn new(settings: LlmSettings) -> Result<Self, ExtractorSetupError> {
        let client = crate::http::client(settings.timeout)
            .map_err(|e| ExtractorSetupError::HttpClient(e.to_string()))?;
        let url = format!(
            "{}/chat/completions",
            settings.base_url.trim_end_matches('/')
        );
        Ok(LlmExtractor {
            client,
            url,
            settings,
        })
    }

    fn request_error(&self, error: &reqwest::Error) -> ExtractError {
        if error.is_timeout() {
            ExtractError::Timeout(self.settings.timeout)
        } else {
            // The key travels in a header, never in the URL, so the message cannot carry it.
            ExtractError::Transport(error.to_string())
        }
    }
}

#[async_trait]
impl Extractor for LlmExtractor {
    fn name(&self) -> &'static str {
        "llm"
    }

    fn model(&self) -> Option<&str> {
        Some(&self.settings.model)
    }

    #[tracing::instrument(skip_all, fields(question = source.question_id, model = %self.settings.model))]
    async fn extract(&self, source: &SourceContext) -> Result<Vec<CardDraft>, ExtractError> {
        let content = self
            .chat(format!("{EXTRACT_PROMPT}{}", render_source(source)))
            .await?;
        answer::parse_cards(&content).map_err(ExtractError::Parse)
    }

    fn explains(&self) -> bool {
        true
    }

    #[tracing::instrument(skip_all, fields(question = source.question_id, model = %self.settings.model))]
    async fn explain(&self, source: &SourceContext) -> Result<String, ExtractError> {
        let content = self
            .chat(format!("{EXPLAIN_PROMPT}{}", render_question(source)))
            .await?;
        answer::parse_explanation(&content).map_err(ExtractError::Parse)
    }
}

impl LlmExtractor {
    /// Sends one user message and returns the text of the first choice of the answer.
    async fn chat(&self, prompt: String) -> Result<String, ExtractError> {
        let body = ChatRequest {
            model: &self.settings.model,
            messages: [ChatMessage {
                role: "user",
                content: prompt,
            }],
            response_format: ResponseFormat {
                r#type: "json_object",
            },
            temperature: 0.0,
            stream: false,
        };
        let mut request = self.client.post(&self.url).json(&body);
        if let Some(ApiKey(key)) = &self.settings.api_key {
            request = request.bearer_auth(key);
        }
        let started = Instant::now();
        let response = request.send().await.map_err(|e| self.request_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers(), Utc::now())
                .map(|wait| wait.min(self.settings.retry_after_cap));
            let text = match read_body(response, MAX_ERROR_BODY_BYTES).await {
                Ok(Body::Whole(bytes) | Body::Cut(bytes)) => {
                    String::from_utf8_lossy(&bytes).into_owned()
                }
                Err(_) => String::new(),
            };
            let snippet: String = text.trim().chars().take(MAX_ERROR_BODY_CHARS).collect();
            let detail = if snippet.is_empty() {
                String::new()
            } else {
                format!(": {snippet}")
            };
            if matches!(status.as_u16(), 401 | 403) {
                return Err(ExtractError::Auth {
                    status: status.as_u16(),
                    detail,
                });
            }
            return Err(ExtractError::Http {
                status: status.as_u16(),
                detail,
                retry_after,
            });
        }
        let limit = self.settings.max_response_bytes;
        let bytes = match read_body(response, limit).await {
            Ok(Body::Whole(bytes)) => bytes,
            Ok(Body::Cut(_)) => {
                return Err(ExtractError::Parse(format!(
                    "the response is larger than {limit} bytes (llm.max_response_bytes); it was not read further"
                )));
            }
            Err(e) => return Err(self.request_error(&e)),
        };
        let text = String::from_utf8_lossy(&bytes);
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis(),
            bytes = bytes.len(),
            "LLM answered"
        );
        answer::message_content(&text).map_err(ExtractError::Parse)
    }
}

/// A response body read up to a limit.
enum Body {
    Whole(Vec<u8>),
    /// The body goes on past the limit: these are its first bytes; the rest was not read.
    Cut(Vec<u8>),
}

/// Reads the body chunk by chunk, so memory stays within `limit` whatever the server sends
/// (a declared length over the limit is not read at all).
async fn read_body(mut response: reqwest::Response, limit: usize) -> reqwest::Result<Body> {
    if response
        .content_length()
        .is_some_and(|declared| declared > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Ok(Body::Cut(Vec::new()));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(Body::Cut(bytes));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body::Whole(bytes))
}

/// A `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3); a date in the past
/// means no wait.
fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.with_timezone(&Utc) - now).to_std().unwrap_or_default())
}

/// The source as the prompt shows it: topic, question, numbered choices with the correct one
/// marked, explanation.
pub fn render_source(source: &SourceContext) -> String {
    let mut text = render_question(source);
    let _ = writeln!(text, "Explanation:\n{}", source.explanation);
    text
}

/// A question to explain as the prompt shows it: topic, question, numbered choices with the
/// correct one marked.
pub fn render_question(source: &SourceContext) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "Topic: {}", source.topic);
    let _ = writeln!(text, "Question: {}", source.question_text);
    let _ = writeln!(text, "Choices:");
    for (i, choice) in source.choices.iter().enumerate() {
        let mark = if i + 1 == source.correct_choice {
            "  <- correct"
        } else {
            ""
        };
        let _ = writeln!(text, "{}. {choice}{mark}", i + 1);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_comes_from_the_named_variable_and_never_shows() {
        let lookup = |name: &str| (name == "MY_KEY").then(|| " sk-secret \n".to_owned());
        let key = ApiKey::from_lookup("MY_KEY", lookup);
        assert_eq!(key, Some(ApiKey::new("sk-secret")));
        assert_eq!(format!("{key:?}"), "Some(ApiKey(***))");
        assert_eq!(ApiKey::from_lookup("OTHER", lookup), None);
        assert_eq!(ApiKey::from_lookup("", lookup), None);
        assert_eq!(ApiKey::from_lookup("E", |_| Some("  ".into())), None);
        let settings = LlmSettings {
            api_key: key,
            ..LlmSettings::new("http://x/v1", "m", Duration::from_secs(1))
        };
        assert!(!format!("{settings:?}").contains("secret"));
    }

    #[test]
    fn the_source_marks_the_correct_choice() {
        let source = SourceContext {
            question_id: 1,
            topic: "한국사".into(),
            question_text: "훈민정음 반포 연도는?".into(),
            choices: vec!["1443년".into(), "1446년".into()],
            correct_choice: 2,
            explanation: "1446년에 반포하였다.".into(),
        };
        assert_eq!(
            render_source(&source),
            "Topic: 한국사\nQuestion: 훈민정음 반포 연도는?\nChoices:\n1. 1443년\n\
             2. 1446년  <- correct\nExplanation:\n1446년에 반포하였다.\n"
        );
        assert!(
            EXTRACT_PROMPT.contains("VERBATIM") && EXTRACT_PROMPT.trim_end().ends_with("Source:")
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date_is_read() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, reqwest::header::HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(60)));
        headers.insert(
            RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("soon"),
        );
        assert_eq!(retry_after(&headers, now), None);
    }
}
