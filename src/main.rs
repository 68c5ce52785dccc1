//! The `amgi` binary: parse flags, set up logging, open the store, run the command.

use clap::Parser;

use amgi::cli::{BenchCommand, Cli, Command, PublishCommand};
use amgi::commands::{app, data, doctor, interop, jobs, publish, worker};
use amgi::setup::Settings;

fn main() -> std::process::ExitCode {
    amgi::allocator::configure();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("amgi: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line: the chain of causes, outermost first, with any control character
            // (from a file, a setting or a server) made visible instead of obeyed.
            amgi::terminal_text::print_stderr(&format!(
                "amgi: {}\n",
                amgi::terminal_text::escape(&format!("{e:#}"))
            ));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The app draws on a terminal and reads keys from it; without one it would fail half-way.
fn needs_terminal() -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return Ok(());
    }
    anyhow::bail!(
        "the app needs a terminal (stdin and stdout); without one, use `amgi demo --no-app`, \
         `import`, `migrate`, `doctor`, `worker`, `jobs`, `feed` or `publish`"
    )
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Completions { shell }) = cli.command {
        // Needs no settings, database or log: it only prints.
        let mut command = <Cli as clap::CommandFactory>::command();
        clap_complete::generate(shell, &mut command, "amgi", &mut std::io::stdout());
        return Ok(());
    }
    let settings = Settings::resolve(&cli.global)?;
    run_command(cli, &settings)
        .await
        .map_err(|e| amgi::commands::with_server_named(e, &settings.location))
}

async fn run_command(cli: Cli, settings: &Settings) -> anyhow::Result<()> {
    let _log_guard = amgi::logging::init(&settings.paths.log_dir()).ok();
    tracing::info!(database = %settings.location.describe(), "amgi starting");
    let opens_app = matches!(cli.command, None | Some(Command::Demo { no_app: false }));
    if opens_app {
        needs_terminal()?;
    }
    match cli.command {
        Some(Command::Demo { no_app }) => {
            let (store, user) = data::load_demo(settings).await?;
            if no_app {
                amgi::say!("{}", data::describe_counts(&store.counts(user).await?));
                return Ok(());
            }
            app::run(settings, store, user).await
        }
        Some(Command::Import {
            file,
            all_users,
            approve,
        }) => data::import_file(settings, &file, all_users, approve).await,
        Some(Command::Export {
            file,
            format,
            all_users,
        }) => interop::export(settings, &file, format, all_users).await,
        Some(Command::Migrate) => data::migrate(settings).await,
        Some(Command::Doctor) => doctor::run(settings).await,
        Some(Command::Feed { since, follow }) => publish::feed(settings, since, follow).await,
        Some(Command::Publish(PublishCommand::Backfill)) => publish::backfill(settings).await,
        Some(Command::Publish(PublishCommand::Run { once })) => publish::run(settings, once).await,
        Some(Command::Worker(args)) => worker::run(settings, &args).await,
        Some(Command::Jobs { command }) => jobs::run(settings, &command).await,
        Some(Command::Bench(BenchCommand::Gen {
            cards,
            questions,
            fresh,
            other_users,
        })) => {
            let spec = amgi::store::synth::SynthSpec {
                user: settings.user_name.clone(),
                cards,
                questions,
                fresh_questions: fresh,
                other_users,
            };
            data::generate(settings, &spec).await
        }
        Some(Command::Completions { .. }) => Ok(()),
        Some(Command::Backup) => data::backup(settings).await,
        None => {
            let (store, user) = settings.open().await?;
            app::run(settings, store, user).await
        }
    }
}
