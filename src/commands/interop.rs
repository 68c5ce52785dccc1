//! `amgi export` and the restoring half of `amgi import`: whole collections in the amgi JSON
//! format, with progress on stderr and a summary line at the end.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use serde::Deserialize;

use crate::setup::Settings;
use crate::store::archive::{ARCHIVE_FORMAT, ARCHIVE_VERSION, Archive, UserArchive};

/// The formats `amgi export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Everything, restorable (`amgi import`).
    Json,
    /// Approved cards as an Anki package.
    Apkg,
    /// Approved cards as comma-separated text for Anki's text importer.
    Csv,
    /// Approved cards as tab-separated text for Anki's text importer.
    Tsv,
}

impl ExportFormat {
    /// The format a file name's extension asks for.
    pub fn of_path(path: &Path) -> anyhow::Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("json") => Ok(ExportFormat::Json),
            Some("apkg") => Ok(ExportFormat::Apkg),
            Some("csv") => Ok(ExportFormat::Csv),
            Some("tsv" | "txt") => Ok(ExportFormat::Tsv),
            _ => anyhow::bail!(
                "cannot tell the format of {} from its extension: name it .json, .apkg, .csv or .tsv, or pass --format",
                path.display()
            ),
        }
    }
}

/// Prints progress on stderr at most once a second: a count and a rate.
pub struct Progress {
    what: &'static str,
    started: Instant,
    last: std::sync::Mutex<Instant>,
}

impl Progress {
    pub fn new(what: &'static str) -> Self {
        let now = Instant::now();
        Progress {
            what,
            started: now,
            last: std::sync::Mutex::new(now),
        }
    }

    pub fn tick(&self, done: u64) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.elapsed().as_secs_f64() < 1.0 {
            return;
        }
        *last = Instant::now();
        crate::say_err!("{}: {done} rows ({})", self.what, self.rate(done));
    }

    /// "N rows/s" since the start.
    pub fn rate(&self, done: u64) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        format!("{:.0} rows/s", done as f64 / secs)
    }

    pub fn secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// `amgi export FILE`: the user's collection, or every user's.
pub async fn export(
    settings: &Settings,
    file: &Path,
    format: Option<ExportFormat>,
    all_users: bool,
) -> anyhow::Result<()> {
    let format = match format {
        Some(f) => f,
        None => ExportFormat::of_path(file)?,
    };
    let (store, user) = settings.open().await?;
    let progress = Progress::new("export");
    match format {
        ExportFormat::Csv | ExportFormat::Tsv => {
            let archive = store.export_user(user).await.context("export failed")?;
            let sep = if format == ExportFormat::Csv {
                ','
            } else {
                '\t'
            };
            let (text, count) = crate::anki::text::write(&archive, sep);
            write_atomically(file, |out| Ok(out.write_all(text.as_bytes())?))?;
            crate::say!("exported {count} approved cards to {}", file.display());
        }
        ExportFormat::Apkg => {
            let archive = store.export_user(user).await.context("export failed")?;
            let mut scratch = file.as_os_str().to_owned();
            scratch.push(".collection.partial");
            let mut bytes = std::io::Cursor::new(Vec::new());
            let report = crate::anki::package::write(&archive, Path::new(&scratch), &mut bytes)
                .await
                .context("cannot write the Anki package")?;
            write_atomically(file, |out| Ok(out.write_all(bytes.get_ref())?))?;
            crate::say!(
                "exported {} approved cards in {} decks to {} in {:.1} s",
                report.notes,
                report.decks,
                file.display(),
                progress.secs()
            );
        }
        ExportFormat::Json => {
            let users = if all_users {
                let mut ids = Vec::new();
                for name in store.user_names().await? {
                    ids.push(store.ensure_user(&name).await?);
                }
                ids
            } else {
                vec![user]
            };
            let mut archive = Archive {
                format: ARCHIVE_FORMAT.into(),
                version: ARCHIVE_VERSION,
                exported_at: chrono::Utc::now(),
                schema_version: store.schema_version().await?,
                users: Vec::with_capacity(users.len()),
            };
            let mut rows = 0;
            for id in users {
                let one = store.export_user(id).await.context("export failed")?;
                rows += one.rows();
                progress.tick(rows);
                archive.users.push(one);
            }
            write_atomically(file, |out| Ok(serde_json::to_writer(out, &archive)?))?;
            let cards: usize = archive.users.iter().map(|u| u.cards.len()).sum();
            crate::say!(
                "exported {} users, {cards} cards, {rows} rows to {} in {:.1} s ({})",
                archive.users.len(),
                file.display(),
                progress.secs(),
                progress.rate(rows)
            );
        }
    }
    Ok(())
}

/// Writes `file` through a temporary file beside it, renamed into place once complete: a
/// failed export leaves no half-written file.
pub fn write_atomically(
    file: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    let partial: PathBuf = file.with_file_name(name);
    let result = (|| {
        let f = std::fs::File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let mut out = std::io::BufWriter::new(f);
        write(&mut out)?;
        out.flush()?;
        out.get_ref().sync_all()?;
        drop(out);
        std::fs::rename(&partial, file).with_context(|| format!("cannot write {}", file.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// The first fields of a JSON import file: which kind of file it is.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    version: Option<serde_json::Value>,
}

/// Whether a JSON file's text is an amgi export (`Some`), refusing a file of another
/// `format` or an unknown version; `None`: a question file.
pub fn is_archive(text: &str) -> anyhow::Result<bool> {
    let Ok(probe) = serde_json::from_str::<Probe>(text) else {
        // Broken JSON: an export (which writes `format` first) is told by its head, so that a
        // truncated one is reported as such; anything else goes to the question-file parser,
        // which names the position.
        let head: String = text
            .chars()
            .take(200)
            .filter(|c| !c.is_whitespace())
            .collect();
        return Ok(head.starts_with("{\"format\":\"amgi\""));
    };
    match probe.format.as_deref() {
        None => Ok(false),
        Some(ARCHIVE_FORMAT) => match probe.version.as_ref().and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(ARCHIVE_VERSION) => Ok(true),
            _ => anyhow::bail!(
                "unsupported amgi export version {} (this amgi reads version {ARCHIVE_VERSION})",
                probe
                    .version
                    .map(|v| v.to_string())
                    .unwrap_or("(none)".into())
            ),
        },
        Some(other) => anyhow::bail!("unknown file format {other:?} (expected \"amgi\")"),
    }
}

/// `amgi import FILE.json` of an amgi export: every row restored into an empty collection.
pub async fn restore(
    settings: &Settings,
    file: &Path,
    text: &str,
    all_users: bool,
) -> anyhow::Result<()> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let archive: Archive = serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a valid amgi export: line {}, column {}: {}",
            file.display(),
            e.line(),
            e.column(),
            crate::import::strip_position(&e.to_string())
        )
    })?;
    let targets: Vec<(String, &UserArchive)> = if all_users {
        archive.users.iter().map(|u| (u.name.clone(), u)).collect()
    } else {
        match archive.users.as_slice() {
            [one] => vec![(settings.user_name.clone(), one)],
            users => anyhow::bail!(
                "{} holds {} users: pass --all-users to restore each under its own name",
                file.display(),
                users.len()
            ),
        }
    };
    let (store, _) = settings.open().await?;
    let progress = Progress::new("import");
    let report = store
        .restore(&targets, &|done| progress.tick(done))
        .await
        .with_context(|| format!("import of {} failed; nothing was imported", file.display()))?;
    crate::say!(
        "restored {} users, {} topics, {} questions, {} cards, {} reviews ({} rows) from {} in {:.1} s ({})",
        report.users,
        report.topics,
        report.questions,
        report.cards,
        report.reviews,
        report.rows,
        file.display(),
        progress.secs(),
        progress.rate(report.rows)
    );
    Ok(())
}

/// A scratch file in the temporary directory, for a collection being unpacked.
fn scratch_file(what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    std::env::temp_dir().join(format!("amgi-{what}-{}-{nanos}", std::process::id()))
}

/// `amgi import FILE.apkg`: an Anki package's notes as manual cards.
pub async fn import_anki(settings: &Settings, file: &Path, approve: bool) -> anyhow::Result<()> {
    let collection = crate::anki::read::read_package(file, &scratch_file("anki"))
        .await
        .with_context(|| format!("cannot import {}", file.display()))?;
    let now = chrono::Utc::now();
    let converted = crate::anki::convert::convert(&collection, now);
    import_converted(settings, file, converted, approve).await
}

/// Writes converted cards and says what happened, naming the first notes left out.
pub async fn import_converted(
    settings: &Settings,
    file: &Path,
    converted: crate::anki::convert::Converted,
    approve: bool,
) -> anyhow::Result<()> {
    let (store, user) = settings.open().await?;
    let report = store
        .import_cards(user, &converted.cards, approve, chrono::Utc::now())
        .await
        .with_context(|| format!("import of {} failed; nothing was imported", file.display()))?;
    let skipped = match converted.skipped.as_slice() {
        [] => String::new(),
        [first, ..] => format!("; {} left out (first: {first})", converted.skipped.len()),
    };
    crate::say!(
        "imported {} cards from {} ({}), {} already present{skipped}",
        report.added,
        file.display(),
        if approve {
            "approved"
        } else {
            "waiting in Review"
        },
        report.duplicates
    );
    Ok(())
}

/// `amgi import FILE.csv|tsv|txt`: an Anki text file's notes as manual cards.
pub async fn import_text(settings: &Settings, file: &Path, approve: bool) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("import")
        .to_owned();
    let converted =
        crate::anki::text::parse(&text, &stem, file.extension().and_then(|e| e.to_str()))
            .with_context(|| format!("{} is not a valid Anki text file", file.display()))?;
    import_converted(settings, file, converted, approve).await
}
