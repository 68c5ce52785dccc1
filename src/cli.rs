//! Command-line interface: `amgi` alone opens the app; subcommands do one job each.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::store::JobStatus;

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
    /// Import a file, all or nothing: an amgi export (restored whole into an empty
    /// collection), topics and questions from a JSON question file, or the notes of an Anki
    /// package (.apkg) or Anki text file (.csv, .tsv, .txt) as manual cards whose material is
    /// the deck name (in Review unless --approve; Anki's intervals become ladder stages).
    ///
    /// Question file: {"topics":[{"name":"…","questions":[{"question":"…","choices":["…","…"],
    /// "correct_choice":1,"explanation":"…","explanation_generated_at":"2026-10-01T09:00:00Z"}]}]}
    Import {
        /// The file to import.
        file: PathBuf,
        /// Restore every user of an amgi export, each under its own name (default: the one
        /// user the file holds, as --user).
        #[arg(long)]
        all_users: bool,
        /// Anki cards arrive approved, ready to study, instead of waiting in Review.
        #[arg(long)]
        approve: bool,
    },
    /// Export your collection to a file: `.json` is everything (topics, questions with their
    /// explanations, cards with their state and evidence, progress, the review log, jobs),
    /// restorable with `amgi import`, on SQLite or PostgreSQL.
    Export {
        /// The file to write (replaced if it exists).
        file: PathBuf,
        /// The format, when the extension does not say it.
        #[arg(long, value_enum)]
        format: Option<crate::commands::interop::ExportFormat>,
        /// Export every user of the database.
        #[arg(long)]
        all_users: bool,
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
    /// Run background extraction without the app, until Ctrl-C.
    ///
    /// Enqueues a job for every question whose explanation is ready and has no job for its
    /// current version, claims jobs under a lease (so several workers, on several machines
    /// sharing a PostgreSQL database, can run at once), extracts cards with the configured
    /// extractor ([extract] and [llm] in the config file), drops cards that fail the guards,
    /// and stores the rest for review. Serves every user of the database. One progress line
    /// per job goes to stderr.
    ///
    /// Ctrl-C (or SIGTERM) stops claiming and lets jobs in flight finish for the grace
    /// period; jobs still unfinished then go back to the queue without spending an attempt.
    /// A second Ctrl-C quits at once (those jobs are taken over when their leases expire).
    /// With --once, the exit status is non-zero when a job failed for good or the database
    /// refused a write.
    Worker(WorkerArgs),
    /// Inspect extraction jobs: list them, show one with its error and payload, retry a
    /// failed one. Only your own jobs (--user).
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Make a backup of the SQLite database now, in `backups/` under the data directory
    /// (the app makes one a day by itself; 7 daily, 4 weekly and 6 monthly copies are kept).
    Backup,
    /// Print a shell completion script: `amgi completions bash > ~/.local/share/bash-completion/completions/amgi`,
    /// `amgi completions zsh > ~/.zfunc/_amgi`, `amgi completions fish > ~/.config/fish/completions/amgi.fish`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Benchmark helpers (see BENCHMARKS.md).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Fill a new database with synthetic data for benchmarks, for --user and a few others.
    ///
    /// Each user's cards are 10% in review, 30% new, 10% due, 40% scheduled later and 10%
    /// mastered; every question has a completed extraction job except the --fresh ones.
    /// Refuses a user who already has data.
    Gen {
        /// Cards of --user.
        #[arg(long, default_value_t = 10_000)]
        cards: u64,
        /// Questions of --user (default: one per four cards).
        #[arg(long)]
        questions: Option<u64>,
        /// Ready questions with no job yet, older than every other explanation.
        #[arg(long, default_value_t = 0)]
        fresh: u64,
        /// Other users, each with a tenth of the cards.
        #[arg(long, default_value_t = 2)]
        other_users: u32,
    },
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

#[derive(Debug, Args, Clone)]
pub struct WorkerArgs {
    /// Drain the queue and exit: stop once no job is due, none is waiting for a retry, and
    /// a poll finds no new explanation. Jobs leased by other workers are not waited for.
    #[arg(long)]
    pub once: bool,
    /// Seconds jobs in flight may take to finish after Ctrl-C.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub grace: u64,
}

#[derive(Debug, Subcommand, Clone)]
pub enum JobsCommand {
    /// List your jobs, newest first, with a count per state.
    List {
        /// Only jobs in this state: pending, processing, completed, failed or skipped.
        #[arg(long, value_name = "STATE")]
        status: Option<JobStatus>,
        /// Show at most this many jobs.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one job: state, attempts, lease, error, and the payload of a completed job
    /// (extractor, model, latency, cards kept, cards dropped per guard).
    Show {
        /// The job id (from `amgi jobs list`).
        id: i64,
    },
    /// Put a failed job back in the queue with its attempts reset; a running worker or the
    /// app picks it up. `--failed` does so for every failed job of yours, whatever its
    /// failure (`lease_lost` after a worker died, `auth_fail` after a key was fixed, …).
    Retry {
        /// The job id (from `amgi jobs list --status failed`).
        #[arg(required_unless_present = "failed", conflicts_with = "failed")]
        id: Option<i64>,
        /// Retry every failed job instead of one.
        #[arg(long)]
        failed: bool,
    },
}
