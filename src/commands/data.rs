//! `amgi import`, `amgi demo` and `amgi migrate`.

use std::path::Path;

use anyhow::Context as _;

use crate::import;
use crate::setup::Settings;
use crate::store::prelude::*;
use crate::store::{Counts, UserId};

/// Imports a file in one transaction; a bad file changes nothing. An amgi export is
/// restored whole; any other JSON file is a question file.
pub async fn import_file(
    settings: &Settings,
    file: &Path,
    all_users: bool,
    approve: bool,
) -> anyhow::Result<()> {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("apkg") => return super::interop::import_anki(settings, file, approve).await,
        Some("csv" | "tsv" | "txt") => {
            return super::interop::import_text(settings, file, approve).await;
        }
        _ => {}
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    if super::interop::is_archive(&text)
        .with_context(|| format!("cannot import {}", file.display()))?
    {
        return super::interop::restore(settings, file, &text, all_users).await;
    }
    if all_users {
        anyhow::bail!(
            "--all-users applies to amgi exports; {} is a question file",
            file.display()
        );
    }
    let set = import::parse(&text)
        .with_context(|| format!("{} is not a valid import file", file.display()))?;
    let (store, user) = settings.open().await?;
    let report = store
        .import(user, &set)
        .await
        .context("import failed; nothing was imported")?;
    crate::say!(
        "imported {}: {} new topics, {} new questions, {} already present ({} with a newer explanation, updated)",
        file.display(),
        report.topics_created,
        report.questions_created,
        report.questions_skipped,
        report.explanations_updated
    );
    if report.explanations_kept > 0 {
        crate::say!(
            "{} questions already present have a different explanation in the file that is not newer \
             than the stored one: the stored one was kept (give the file's explanation a later \
             explanation_generated_at to replace it)",
            report.explanations_kept
        );
    }
    Ok(())
}

/// Loads the shipped demo set (idempotent) and returns the open store.
pub async fn load_demo(settings: &Settings) -> anyhow::Result<(SharedStore, UserId)> {
    let set = import::parse(import::DEMO_SET).context("the embedded demo set is invalid")?;
    let (store, user) = settings.open_or_create().await?;
    let report = store
        .import(user, &set)
        .await
        .context("loading the demo set failed")?;
    crate::say_err!(
        "demo data on {}: {} new topics, {} new questions ({} already present)",
        settings.location.describe(),
        report.topics_created,
        report.questions_created,
        report.questions_skipped
    );
    Ok((store, user))
}

/// Applies migrations (opening the store does) and prints the version.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let (store, _) = settings.open_or_create().await?;
    crate::say!(
        "{}: schema version {}",
        settings.location.describe(),
        store.schema_version().await?
    );
    Ok(())
}

/// `amgi bench gen`: synthetic data for benchmarks, with a line on what was written.
pub async fn generate(
    settings: &Settings,
    spec: &crate::store::synth::SynthSpec,
) -> anyhow::Result<()> {
    crate::say_err!(
        "generating {} cards for {:?} and {} other users on {} …",
        spec.cards,
        spec.user,
        spec.other_users,
        settings.location.describe()
    );
    let started = std::time::Instant::now();
    let report = crate::store::synth::generate(&settings.location, spec)
        .await
        .context("generating benchmark data failed; nothing was written for that user")?;
    crate::say!(
        "{} users; {:?}: {} questions, {} cards ({} due now, {} in review; mix: {}) in {:.1} s",
        report.users,
        spec.user,
        report.questions,
        report.cards,
        report.due,
        report.in_review,
        crate::store::synth::MIX,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A plain-text summary of what the database holds for the user.
pub fn describe_counts(c: &Counts) -> String {
    format!(
        "{} topics, {} questions ({} with ready explanations), {} cards in review, {} approved, \
         jobs: {} pending / {} running / {} failed",
        c.topics,
        c.questions,
        c.ready_explanations,
        c.cards_in_review,
        c.cards_approved,
        c.jobs_pending,
        c.jobs_processing,
        c.jobs_failed
    )
}

/// `amgi backup`: a copy of the SQLite database now, the old ones thinned.
pub async fn backup(settings: &Settings) -> anyhow::Result<()> {
    let (store, _) = settings.open().await?;
    let dir = crate::backup::dir(&settings.paths.data_dir);
    let path = crate::backup::make(&store, &dir, chrono::Utc::now()).await?;
    crate::say!(
        "backed up {} to {} ({} backups kept)",
        settings.location.describe(),
        path.display(),
        crate::backup::list(&dir).len()
    );
    Ok(())
}
