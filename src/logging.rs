//! Logs go to a file in the data directory: the TUI owns the terminal.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts file logging; keep the returned guard alive until exit or the last lines are lost.
/// `AMGI_LOG` (an `EnvFilter` directive) sets the level; the default is `info`.
pub fn init(log_dir: &Path) -> std::io::Result<WorkerGuard> {
    std::fs::create_dir_all(log_dir)?;
    let appender = tracing_appender::rolling::never(log_dir, "amgi.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_env("AMGI_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok(guard)
}
