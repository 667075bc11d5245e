//! `worker`: pull jobs from the queue and process them until SIGTERM.

use clap::Parser;
use stapel_worker::{init_tracing, run, shutdown_signal, ChildCommand, LogFormat, WorkerArgs};

#[derive(Debug, Parser)]
#[command(name = "worker", version, about = "Process stapel jobs from the queue")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    worker: WorkerArgs,

    /// Log format on stderr.
    #[arg(
        long,
        value_enum,
        env = "STAPEL_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    #[command(flatten)]
    Child(ChildCommand),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Child(command)) = cli.command {
        std::process::exit(command.run());
    }
    init_tracing(cli.log_format);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(cli.worker, shutdown_signal()))
}
