//! The LLM extractor: any OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp,
//! vLLM, MLX, OpenAI), JSON output requested, a timeout, answers parsed forgivingly.

mod answer;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Serialize;

use super::extractor::{ExtractError, Extractor, ExtractorSetupError};
use crate::config::LlmConfig;
use crate::domain::card::CardDraft;
use crate::domain::extract::SourceContext;

/// The instructions sent before the source (`assets/extract_prompt.txt`).
pub const EXTRACT_PROMPT: &str = include_str!("../../assets/extract_prompt.txt");

/// Error bodies are quoted up to this many characters.
const MAX_ERROR_BODY_CHARS: usize = 200;

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
}

impl LlmSettings {
    /// The `[llm]` config, with the key read from the variable named in `api_key_env`.
    pub fn from_config(config: &LlmConfig) -> Self {
        LlmSettings {
            base_url: config.base_url.clone(),
            model: config.model.clone(),
            api_key: ApiKey::from_env(&config.api_key_env),
            timeout: Duration::from_secs(config.timeout_secs),
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
        let body = ChatRequest {
            model: &self.settings.model,
            messages: [ChatMessage {
                role: "user",
                content: format!("{EXTRACT_PROMPT}{}", render_source(source)),
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
            let retry_after = retry_after(response.headers());
            let text = response.text().await.unwrap_or_default();
            let snippet: String = text.trim().chars().take(MAX_ERROR_BODY_CHARS).collect();
            return Err(ExtractError::Http {
                status: status.as_u16(),
                detail: if snippet.is_empty() {
                    String::new()
                } else {
                    format!(": {snippet}")
                },
                retry_after,
            });
        }
        let text = response.text().await.map_err(|e| self.request_error(&e))?;
        tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "LLM answered");
        let content = answer::message_content(&text).map_err(ExtractError::Parse)?;
        answer::parse_cards(&content).map_err(ExtractError::Parse)
    }
}

/// A `Retry-After` given in seconds.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The source as the prompt shows it: topic, question, numbered choices with the correct one
/// marked, explanation.
pub fn render_source(source: &SourceContext) -> String {
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
    let _ = writeln!(text, "Explanation:\n{}", source.explanation);
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
            base_url: "http://x/v1".into(),
            model: "m".into(),
            api_key: key,
            timeout: Duration::from_secs(1),
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
    fn retry_after_in_seconds_is_read() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, reqwest::header::HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
