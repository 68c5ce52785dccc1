//! amgi JSON export and restore of a whole collection (`amgi export all.json`, `amgi import
//! all.json` into an empty database): the synthetic collection of `amgi bench gen` (100k
//! cards by default: questions, jobs, evidence, progress, review log), timed end to end as
//! the commands run it (read → JSON file; JSON file → parse → restore). Target: each under
//! 10 s on SQLite at 100k cards. `cargo test --all-targets` runs it on 500 cards as a smoke
//! test, checking the restored collection holds as many rows.

mod support;

use std::io::Write as _;
use std::time::Instant;

use amgi::store::archive::{ARCHIVE_FORMAT, ARCHIVE_VERSION, Archive};
use amgi::store::synth::SynthSpec;

fn main() -> anyhow::Result<()> {
    amgi::allocator::configure();
    let rt = tokio::runtime::Runtime::new()?;
    for backend in support::backends() {
        for cards in support::sizes(&[100_000], 500) {
            rt.block_on(run(backend, cards))?;
        }
    }
    Ok(())
}

async fn run(backend: &str, cards: u64) -> anyhow::Result<()> {
    let source = support::fresh_database(backend, "interop_source").await;
    let spec = SynthSpec {
        other_users: 0,
        ..SynthSpec::new("bench", cards)
    };
    amgi::store::synth::generate(&source, &spec).await?;
    let store = amgi::store::open(&source, false).await?;
    let user = store.ensure_user("bench").await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("all.json");

    let started = Instant::now();
    let archive = Archive {
        format: ARCHIVE_FORMAT.into(),
        version: ARCHIVE_VERSION,
        exported_at: chrono::Utc::now(),
        schema_version: store.schema_version().await?,
        users: vec![store.export_user(user).await?],
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    serde_json::to_writer(&mut out, &archive)?;
    out.flush()?;
    drop(out);
    let export_secs = started.elapsed().as_secs_f64();
    let rows = archive.users[0].rows();
    drop(archive);
    let bytes = std::fs::metadata(&file)?.len();

    let target_location = support::fresh_database(backend, "interop_target").await;
    let target = amgi::store::open(&target_location, false).await?;
    let started = Instant::now();
    let text = std::fs::read_to_string(&file)?;
    let archive: Archive = serde_json::from_str(&text)?;
    drop(text);
    let parse_secs = started.elapsed().as_secs_f64();
    let report = target
        .restore(&[("bench".to_owned(), &archive.users[0])], &|_| {})
        .await?;
    let import_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.rows == rows,
        "restored {} of {rows} rows",
        report.rows
    );
    anyhow::ensure!(
        report.cards == cards,
        "restored {} of {cards} cards",
        report.cards
    );

    support::report_rate(backend, cards, "json export", export_secs * 1e3, "ms");
    support::report_rate(backend, cards, "json import", import_secs * 1e3, "ms");
    support::report_rate(
        backend,
        cards,
        "  of which reading + parsing",
        parse_secs * 1e3,
        "ms",
    );
    support::report_rate(
        backend,
        cards,
        "json export rows/s",
        rows as f64 / export_secs,
        "rows/s",
    );
    support::report_rate(
        backend,
        cards,
        "json import rows/s",
        rows as f64 / import_secs,
        "rows/s",
    );
    support::report_rate(backend, cards, "json file (MB)", bytes as f64 / 1e6, "MB");
    Ok(())
}
