//! What the whole-operation benchmarks share: bench or test mode, the databases (a SQLite
//! file and a fresh PostgreSQL database per data set), latency statistics, and the report
//! (a table on stdout and, with `AMGI_BENCH_JSON=FILE`, one JSON line per figure).

#![allow(dead_code)]

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use amgi::store::Location;
use sqlx::Connection as _;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs the same binary without
/// it, as a smoke test on tiny data that checks every operation still works.
pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// With `AMGI_BENCH_TRACE=FILTER` (say `sqlx=debug,amgi=debug`), every event the filter lets
/// through goes to stderr with the time since start: sqlx logs each statement with its
/// elapsed time, which is where a figure's milliseconds go.
pub fn trace_if_asked() {
    let Ok(filter) = std::env::var("AMGI_BENCH_TRACE") else {
        return;
    };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .with_writer(std::io::stderr)
        .finish();
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        eprintln!("AMGI_BENCH_TRACE: a tracing subscriber is already set");
    }
}

/// Sizes from `AMGI_BENCH_SIZES` (comma-separated), or `default` in bench mode, or `smoke`.
pub fn sizes(default: &[u64], smoke: u64) -> Vec<u64> {
    if !bench_mode() {
        return vec![smoke];
    }
    match std::env::var("AMGI_BENCH_SIZES") {
        Ok(list) => list
            .split(',')
            .filter_map(|s| s.trim().replace('_', "").parse().ok())
            .collect(),
        Err(_) => default.to_vec(),
    }
}

/// Which backends to run: both, unless `AMGI_BENCH_BACKENDS` names one.
pub fn backends() -> Vec<&'static str> {
    let wanted = std::env::var("AMGI_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let mut out = vec![];
    if wanted.contains("sqlite") {
        out.push("sqlite");
    }
    if wanted.contains("postgres") {
        if postgres_admin_url().is_some() {
            out.push("postgres");
        } else if std::env::var_os("CI").is_some() {
            panic!("CI is set but no PostgreSQL answers at {}", admin_url());
        } else {
            eprintln!(
                "WARNING: no PostgreSQL at {}: the postgres half is SKIPPED",
                admin_url()
            );
        }
    }
    out
}

fn admin_url() -> String {
    std::env::var("AMGI_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("AMGI_TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn postgres_admin_url() -> Option<String> {
    let url = admin_url();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(3), sqlx::PgConnection::connect(&url))
            .await
            .ok()?
            .ok()
    })?;
    Some(url)
}

/// A new, empty database for one data set: a fresh SQLite file under `target/bench-data`,
/// or a PostgreSQL database `amgi_bench_<name>` dropped and created again.
pub async fn fresh_database(backend: &str, name: &str) -> Location {
    match backend {
        "sqlite" => {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
            std::fs::create_dir_all(&dir).expect("create target/bench-data");
            let path = dir.join(format!("{name}.db"));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            Location::SqliteFile(path)
        }
        _ => {
            let admin = admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            let db = format!("amgi_bench_{name}");
            // Identifiers cannot be bound; `db` is built from our own constants.
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .expect("drop the bench database");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                .execute(&mut conn)
                .await
                .expect("create the bench database");
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            Location::Postgres(format!("{base}/{db}"))
        }
    }
}

/// Latency samples of one operation.
#[derive(Debug, Default, Clone)]
pub struct Samples(pub Vec<Duration>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    /// The q-quantile (nearest rank), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let mut v: Vec<f64> = self.0.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    pub fn mean_ms(&self) -> f64 {
        let total: f64 = self.0.iter().map(|d| d.as_secs_f64() * 1e3).sum();
        total / self.0.len().max(1) as f64
    }
}

/// Prints one figure as a table row, and appends it as JSON to `AMGI_BENCH_JSON`.
pub fn report(backend: &str, cards: u64, op: &str, samples: &Samples) {
    let (p50, p99, mean, max) = (
        samples.quantile_ms(0.5),
        samples.quantile_ms(0.99),
        samples.mean_ms(),
        samples.quantile_ms(1.0),
    );
    println!(
        "{backend:<9} {cards:>9} {op:<34} n={:<5} p50 {p50:>9.3} ms  p99 {p99:>9.3} ms  mean {mean:>9.3} ms  max {max:>9.3} ms",
        samples.0.len()
    );
    write_json(&serde_json::json!({
        "backend": backend, "cards": cards, "op": op, "n": samples.0.len(),
        "p50_ms": p50, "p99_ms": p99, "mean_ms": mean, "max_ms": max,
    }));
}

/// Prints a rate (e.g. jobs/s) and appends it as JSON.
pub fn report_rate(backend: &str, size: u64, op: &str, value: f64, unit: &str) {
    println!("{backend:<9} {size:>9} {op:<34} {value:>12.1} {unit}");
    write_json(&serde_json::json!({
        "backend": backend, "cards": size, "op": op, "value": value, "unit": unit,
    }));
}

fn write_json(line: &serde_json::Value) {
    let Some(path) = std::env::var_os("AMGI_BENCH_JSON") else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open AMGI_BENCH_JSON");
    writeln!(file, "{line}").expect("write AMGI_BENCH_JSON");
}
