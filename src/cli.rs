//! Command-line interface: `amgi` alone opens the app; subcommands do one job each.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// amgi (암기): memo cards from your study questions, reviewed in the terminal.
///
/// Cards are extracted from each question's explanation in the background, wait in the
/// Review pane for your approval, then come back on a 1 → 3 → 7 → 14 day ladder in the Due
/// pane. Data lives in an SQLite file in your data directory unless you point amgi at
/// PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "amgi", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Database: postgres://user@host/db, sqlite:///path/file.db, or a file path.
    /// Default: amgi.db in the data directory.
    #[arg(long, global = true, env = "AMGI_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Keep data, logs and the config file under this directory instead of the platform's.
    #[arg(long, global = true, env = "AMGI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file (default: config.toml in the platform config directory).
    #[arg(long, global = true, env = "AMGI_CONFIG")]
    pub config: Option<PathBuf>,
    /// The learner whose cards to use (default: `user` from the config, "me").
    #[arg(long, global = true, env = "AMGI_USER")]
    pub user: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load the demo questions (idempotent), then open the app on them.
    Demo {
        /// Only load the data and print what the database holds; do not open the app.
        #[arg(long)]
        no_app: bool,
    },
    /// Import topics and questions from a JSON file, all or nothing.
    ///
    /// Format: {"topics":[{"name":"…","questions":[{"question":"…","choices":["…","…"],
    /// "correct_choice":1,"explanation":"…","explanation_generated_at":"2026-10-01T09:00:00Z"}]}]}
    Import {
        /// The JSON file to import.
        file: PathBuf,
    },
    /// Apply pending schema migrations and print the schema version.
    Migrate,
    /// Print paths, the backend and its schema version, and whether the LLM endpoint answers.
    Doctor,
    /// Print published changes after a sequence number as JSON lines, for viewers.
    ///
    /// Each line: {"seq":N,"kind":"study_card"|"study_card_progress","source_id":ID,
    /// "deleted":bool,"payload":{…}}. A deleted entry is a tombstone.
    Feed {
        /// Print entries with a sequence number greater than this.
        #[arg(long, default_value_t = 0)]
        since: i64,
        /// Keep printing new entries as they are published, until Ctrl-C.
        #[arg(long)]
        follow: bool,
    },
    /// Publish the outbox to the read model (needs `publish.enabled = true` to fill the outbox).
    #[command(subcommand)]
    Publish(PublishCommand),
}

#[derive(Debug, Subcommand)]
pub enum PublishCommand {
    /// Re-enqueue every approved card and progress row of the user, then publish
    /// (idempotent: unchanged rows add no feed entry).
    Backfill,
    /// Apply pending outbox rows: once, or continuously until Ctrl-C.
    Run {
        /// Drain the outbox once and exit.
        #[arg(long)]
        once: bool,
    },
}
