//! `amgi doctor`: where things are, which database, and whether the LLM endpoint answers.

use std::time::Duration;

use crate::config::ExtractorKind;
use crate::setup::Settings;
use crate::work::LlmSettings;

use super::data::describe_counts;

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let config_state = if settings.paths.config_file.exists() {
        ""
    } else {
        " (absent: defaults)"
    };
    crate::say!(
        "config file : {}{}",
        settings.paths.config_file.display(),
        config_state
    );
    crate::say!("data dir    : {}", settings.paths.data_dir.display());
    crate::say!(
        "log file    : {}",
        settings.paths.log_dir().join("amgi.log").display()
    );
    crate::say!("database    : {}", settings.location.describe());
    crate::say!("user        : {}", settings.user_name);
    let db_ok = match settings.open().await {
        Ok((store, user)) => {
            crate::say!("backend     : {}", store.backend().as_str());
            crate::say!("schema      : version {}", store.schema_version().await?);
            crate::say!(
                "holds       : {}",
                describe_counts(&store.counts(user).await?)
            );
            true
        }
        Err(e) => {
            crate::say!("backend     : UNREACHABLE: {e:#}");
            false
        }
    };
    let backups = crate::backup::list(&crate::backup::dir(&settings.paths.data_dir));
    match backups.first() {
        Some(latest) => crate::say!(
            "backups     : {} kept; latest {} ({})",
            backups.len(),
            latest.path.display(),
            latest.made.format("%Y-%m-%d %H:%M UTC")
        ),
        None => crate::say!(
            "backups     : none yet in {} (the app makes one a day on SQLite; `amgi backup` now)",
            crate::backup::dir(&settings.paths.data_dir).display()
        ),
    }
    let llm = &settings.config.llm;
    let in_use = matches!(settings.config.extract.extractor, ExtractorKind::Llm);
    crate::say!(
        "extractor   : {}",
        if in_use { "llm" } else { "builtin (offline)" }
    );
    let probe = probe_llm(&LlmSettings::from_config(llm)).await;
    crate::say!(
        "llm endpoint: {} model {} ({}): {}",
        llm.base_url,
        llm.model,
        if in_use { "in use" } else { "not in use" },
        probe
    );
    if !db_ok {
        anyhow::bail!("the database is unreachable");
    }
    Ok(())
}

/// How long the endpoint check waits for its answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Asks the chat endpoint for one token, as extraction would ask (same URL, key and model),
/// so a wrong path, model or key shows here and not only in failed jobs.
async fn probe_llm(settings: &LlmSettings) -> String {
    let url = format!(
        "{}/chat/completions",
        settings.base_url.trim_end_matches('/')
    );
    let client = match crate::http::client(PROBE_TIMEOUT) {
        Ok(c) => c,
        Err(e) => return format!("cannot build HTTP client: {e}"),
    };
    let body = serde_json::json!({
        "model": settings.model,
        "messages": [{"role": "user", "content": "Reply with OK."}],
        "max_tokens": 1,
        "temperature": 0.0,
        "stream": false,
    });
    let mut request = client.post(&url).json(&body);
    if let Some(key) = &settings.api_key {
        request = request.bearer_auth(key.expose());
    }
    match request.send().await {
        Ok(resp) if resp.status().is_success() => {
            format!("answers a chat request (HTTP {})", resp.status().as_u16())
        }
        Ok(resp) if matches!(resp.status().as_u16(), 401 | 403) => format!(
            "refuses the API key (HTTP {}): jobs would fail as auth_fail; check llm.api_key_env",
            resp.status().as_u16()
        ),
        Ok(resp) => format!(
            "answers a chat request with HTTP {}",
            resp.status().as_u16()
        ),
        Err(e) if e.is_timeout() => format!("no answer within {} s", PROBE_TIMEOUT.as_secs()),
        Err(e) if e.is_connect() => "connection refused or unreachable".to_owned(),
        Err(e) if e.is_redirect() => "redirects too often".to_owned(),
        Err(e) => format!("error: {e}"),
    }
}
