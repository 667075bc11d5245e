//! The worker process: configuration and wiring around `stapel_pipeline::worker`.
//!
//! The `worker` binary and the dispatcher's `worker` subcommand (which the local pool spawns)
//! both run [`run`], so the embedded default and a distributed deployment process jobs with the
//! same code. [`extract_pdf_text_child`] is the other side of the isolated PDF parser: the
//! worker re-executes itself with the hidden `extract-pdf-text` subcommand for every PDF.

use anyhow::Context;
use stapel_extract::IsolationLimits;
use stapel_pipeline::process::PdfTextRunner;
use stapel_pipeline::worker::{run_worker, WorkerConfig};
use stapel_pipeline::{Backends, EmbeddedSettings};
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// Where the backends are: shared by the dispatcher and the worker.
#[derive(Debug, Clone, clap::Args)]
pub struct BackendArgs {
    /// Data directory of the embedded default (object store, queue and records).
    #[arg(long, env = "STAPEL_DATA_DIR", default_value = "stapel-data")]
    pub data_dir: PathBuf,

    /// Deliveries of a job before it is dead-lettered.
    #[arg(long, env = "STAPEL_MAX_RECEIVES", default_value_t = 5)]
    pub max_receives: u32,
}

impl BackendArgs {
    /// Open the configured backends.
    pub async fn open(&self) -> anyhow::Result<Backends> {
        let mut settings = EmbeddedSettings::new(&self.data_dir);
        settings.max_receives = self.max_receives;
        Backends::open_embedded(&settings)
            .await
            .with_context(|| format!("opening the data directory {}", self.data_dir.display()))
    }
}

/// The worker's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// Where the backends are.
    #[command(flatten)]
    pub backend: BackendArgs,

    /// Seconds a job stays hidden from other workers between heartbeats; a crashed worker's
    /// job reappears after at most this long.
    #[arg(long, default_value_t = 60)]
    pub visibility_timeout: u64,

    /// Seconds between heartbeats (visibility extensions) of a running job.
    #[arg(long, default_value_t = 20)]
    pub heartbeat_interval: u64,

    /// Seconds one long poll of the queue waits for a job.
    #[arg(long, default_value_t = 20)]
    pub wait_time: u64,

    /// Seconds the PDF parser may run on one document before it is killed.
    #[arg(long, default_value_t = 60)]
    pub pdf_timeout: u64,

    /// Test hook: milliseconds to pause after taking a job, before processing it.
    #[arg(long, default_value_t = 0, hide = true)]
    pub debug_pause_ms: u64,
}

/// Run a worker until `shutdown` resolves; a job in hand is finished first.
pub async fn run(args: WorkerArgs, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let backends = args.backend.open().await?;
    // The isolated parser is this very executable, re-run with `extract-pdf-text`.
    let program = std::env::current_exe().context("locating this executable")?;
    let limits = IsolationLimits {
        wall_time: Duration::from_secs(args.pdf_timeout),
        cpu_seconds: args.pdf_timeout,
        ..IsolationLimits::default()
    };
    let mut config = WorkerConfig::new(PdfTextRunner::Isolated { program, limits });
    config.visibility_timeout = Duration::from_secs(args.visibility_timeout.max(1));
    config.heartbeat_interval = Duration::from_secs(args.heartbeat_interval.max(1));
    config.wait_time = Duration::from_secs(args.wait_time.min(20));
    config.pause_before_processing = Duration::from_millis(args.debug_pause_ms);
    anyhow::ensure!(
        config.heartbeat_interval < config.visibility_timeout,
        "--heartbeat-interval must be shorter than --visibility-timeout"
    );
    run_worker(backends, config, shutdown).await;
    Ok(())
}

/// The child side of the isolated PDF parser: PDF on stdin, result envelope on stdout.
/// Returns the process exit code.
pub fn extract_pdf_text_child() -> i32 {
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    stapel_extract::child_main_extract_pdf_text(&mut stdin, &mut stdout)
}

/// Resolves on SIGTERM or Ctrl-C: the signals that ask a process to stop gracefully.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(terminate) => terminate,
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM; Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received; shutting down"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received; shutting down"),
    }
}

/// Log format on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per event, for log shippers.
    Json,
}

/// Set up `tracing` on stderr. The filter comes from `STAPEL_LOG` (e.g. `debug`,
/// `stapel_pipeline=debug`), default `info`.
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("STAPEL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
