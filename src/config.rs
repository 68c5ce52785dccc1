//! Configuration: embedded defaults (`assets/config.toml`), then the user's TOML file, then
//! environment variables and flags (applied by the caller).

use std::path::Path;

use serde::Deserialize;

/// The defaults, shipped inside the binary.
pub const DEFAULT_CONFIG: &str = include_str!("../assets/config.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub user: String,
    pub database_url: String,
    pub database_connect_timeout_secs: u64,
    pub database_statement_timeout_secs: u64,
    pub extract: ExtractConfig,
    pub llm: LlmConfig,
    pub publish: PublishConfig,
    pub quiz: QuizConfig,
    pub study: StudyConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtractorKind {
    Builtin,
    Llm,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractConfig {
    pub extractor: ExtractorKind,
    pub in_app: bool,
    pub poll_interval_secs: u64,
    pub batch: u32,
    pub concurrency: u32,
    pub max_attempts: u16,
    pub lease_secs: u64,
    pub max_cards_per_answer: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    pub base_url: String,
    pub model: String,
    pub api_key_env: String,
    pub timeout_secs: u64,
    pub max_response_bytes: u64,
    pub retry_after_cap_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishConfig {
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuizConfig {
    /// Questions per quiz session.
    pub size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Never-reviewed cards the Due deck introduces per local day.
    pub new_per_day: u32,
    /// After one card of a source question is answered, its other cards wait for tomorrow.
    pub bury_siblings: bool,
}

impl StudyConfig {
    /// The Due deck's rules these settings give.
    pub fn rules(self) -> crate::domain::due_plan::DueRules {
        crate::domain::due_plan::DueRules {
            new_per_day: self.new_per_day,
            bury_siblings: self.bury_siblings,
        }
    }
}

/// A config file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// The embedded defaults.
    pub fn defaults() -> Self {
        // The embedded file is checked by a unit test, so this cannot fail in a release.
        toml::from_str(DEFAULT_CONFIG).unwrap_or_else(|e| panic!("embedded config is invalid: {e}"))
    }

    /// Defaults overlaid with the file at `path` when it exists.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::defaults()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: shown,
                    source,
                });
            }
        };
        Self::from_overlay(&text, &shown)
    }

    /// Defaults overlaid with the TOML text `user_text` (every key optional).
    pub fn from_overlay(user_text: &str, origin: &str) -> Result<Self, ConfigError> {
        let parse_err = |e: toml::de::Error| ConfigError::Parse {
            path: origin.to_owned(),
            message: one_line(&e.to_string()),
        };
        let mut merged: toml::Table = toml::from_str(DEFAULT_CONFIG).map_err(parse_err)?;
        let overlay: toml::Table = toml::from_str(user_text).map_err(parse_err)?;
        merge(&mut merged, overlay);
        let config: Config = toml::Value::Table(merged).try_into().map_err(parse_err)?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: origin.to_owned(),
            message,
        })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        check_user_name(&self.user).map_err(|e| format!("user: {e}"))?;
        if !(1..=200).contains(&self.quiz.size) {
            return Err("quiz.size must be between 1 and 200".into());
        }
        if self.study.new_per_day > 10_000 {
            return Err("study.new_per_day must be at most 10000".into());
        }
        if self.database_connect_timeout_secs == 0 {
            return Err("database_connect_timeout_secs must be at least 1".into());
        }
        let e = &self.extract;
        if e.poll_interval_secs == 0 {
            return Err("extract.poll_interval_secs must be at least 1".into());
        }
        if e.batch == 0 || e.concurrency == 0 || e.max_attempts == 0 || e.lease_secs == 0 {
            return Err(
                "extract.batch, concurrency, max_attempts and lease_secs must be at least 1".into(),
            );
        }
        if e.concurrency > 64 {
            return Err("extract.concurrency must be at most 64".into());
        }
        if !(self.llm.base_url.starts_with("http://") || self.llm.base_url.starts_with("https://"))
        {
            return Err(format!(
                "llm.base_url {:?} must start with http:// or https://",
                self.llm.base_url
            ));
        }
        if self.llm.timeout_secs == 0 {
            return Err("llm.timeout_secs must be at least 1".into());
        }
        if e.max_cards_per_answer == 0 || e.max_cards_per_answer > 1000 {
            return Err("extract.max_cards_per_answer must be between 1 and 1000".into());
        }
        if !(1024..=1 << 30).contains(&self.llm.max_response_bytes) {
            return Err("llm.max_response_bytes must be between 1024 and 1073741824".into());
        }
        Ok(())
    }
}

/// A user name is stored in a column of at most 100 characters.
pub const MAX_USER_NAME_CHARS: usize = 100;

/// Why a learner's name cannot be used, if it cannot.
pub fn check_user_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("the user name must not be empty".into());
    }
    let chars = name.chars().count();
    if chars > MAX_USER_NAME_CHARS {
        return Err(format!(
            "the user name is {chars} characters long; at most {MAX_USER_NAME_CHARS}"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("the user name must not contain control characters".into());
    }
    Ok(())
}

fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_parse() {
        let c = Config::defaults();
        assert_eq!(c.extract.extractor, ExtractorKind::Builtin);
        assert_eq!(c.extract.max_attempts, 2);
        assert!(!c.publish.enabled);
        assert_eq!(c.study.new_per_day, 20);
        assert!(c.study.bury_siblings);
    }

    #[test]
    fn study_rules_overlay() {
        let c = Config::from_overlay("[study]\nnew_per_day = 5\nbury_siblings = false\n", "t").ok();
        assert_eq!(
            c.map(|c| c.study.rules()),
            Some(crate::domain::due_plan::DueRules {
                new_per_day: 5,
                bury_siblings: false
            })
        );
        let err = Config::from_overlay("[study]\nnew_per_day = -1\n", "c")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("new_per_day")));
    }

    #[test]
    fn overlay_changes_only_given_keys() {
        let c = Config::from_overlay("user = \"민지\"\n[extract]\nbatch = 5\n", "t").ok();
        let c = c.map(|c| (c.user, c.extract.batch, c.extract.concurrency));
        assert_eq!(c, Some(("민지".to_owned(), 5, 2)));
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::from_overlay("[extract]\nbatch = \"many\"\n", "cfg.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("cfg.toml") && err.contains("batch"), "{err}");
        assert!(!err.contains('\n'));
        let err = Config::from_overlay("[extract]\nextractor = \"gpt\"\n", "c")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("extractor")));
        let err = Config::from_overlay("colour = 1\n", "c")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("colour")));
        let err = Config::from_overlay("[extract]\nconcurrency = 0\n", "c")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("concurrency")));
    }
}
