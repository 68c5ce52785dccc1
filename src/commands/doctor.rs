//! `amgi doctor`: where things are, which database, and whether the LLM endpoint answers.

use std::time::Duration;

use crate::config::ExtractorKind;
use crate::setup::Settings;

use super::data::describe_counts;

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let config_state = if settings.paths.config_file.exists() {
        ""
    } else {
        " (absent: defaults)"
    };
    println!(
        "config file : {}{}",
        settings.paths.config_file.display(),
        config_state
    );
    println!("data dir    : {}", settings.paths.data_dir.display());
    println!(
        "log file    : {}",
        settings.paths.log_dir().join("amgi.log").display()
    );
    println!("database    : {}", settings.location.describe());
    println!("user        : {}", settings.user_name);
    let db_ok = match settings.open().await {
        Ok((store, user)) => {
            println!("backend     : {}", store.backend().as_str());
            println!("schema      : version {}", store.schema_version().await?);
            println!(
                "holds       : {}",
                describe_counts(&store.counts(user).await?)
            );
            true
        }
        Err(e) => {
            println!("backend     : UNREACHABLE: {e:#}");
            false
        }
    };
    let llm = &settings.config.llm;
    let in_use = matches!(settings.config.extract.extractor, ExtractorKind::Llm);
    println!(
        "extractor   : {}",
        if in_use { "llm" } else { "builtin (offline)" }
    );
    let probe = probe_llm(&llm.base_url).await;
    println!(
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

async fn probe_llm(base_url: &str) -> String {
    let url = format!("{}/models", base_url.trim_end_matches('/'));
    let client = match crate::http::client(Duration::from_secs(3)) {
        Ok(c) => c,
        Err(e) => return format!("cannot build HTTP client: {e}"),
    };
    match client.get(&url).send().await {
        Ok(resp) if resp.status().is_success() => {
            format!("answers (HTTP {})", resp.status().as_u16())
        }
        Ok(resp) => format!("answers with HTTP {}", resp.status().as_u16()),
        Err(e) if e.is_timeout() => "no answer within 3 s".to_owned(),
        Err(e) if e.is_connect() => "connection refused or unreachable".to_owned(),
        Err(e) => format!("error: {e}"),
    }
}
