//! `dispatcher`: serve the API, or process files once, on the embedded default.

use anyhow::Context;
use clap::{Parser, Subcommand};
use stapel_dispatcher::http::{router, AppState, UploadLimits};
use stapel_dispatcher::pool::{PoolConfig, WorkerPool};
use stapel_dispatcher::process_cmd;
use stapel_pipeline::ingest::default_target;
use stapel_worker::{
    extract_pdf_text_child, init_tracing, ocr_document_child, shutdown_signal, BackendArgs,
    LogFormat, WorkerArgs,
};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "dispatcher",
    version,
    about = "stapel: invoices in, booking proposals out"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "text", global = true)]
    log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API and upload page, with a pool of local workers.
    Serve(ServeArgs),
    /// Process files once: upload, wait for every document, print the results.
    Process(ProcessArgs),
    /// Run one worker (what the local pool starts).
    Worker(WorkerArgs),
    /// Create the S3 bucket, the SQS queue and its dead-letter queue named by --store and
    /// --queue, for local use against an S3/SQS-compatible endpoint (e.g. moto, LocalStack).
    Setup(BackendArgs),
    /// Internal: parse one PDF from stdin in this isolated process.
    #[command(name = "extract-pdf-text", hide = true)]
    ExtractPdfText,
    /// Internal: OCR one scan or image from stdin in this isolated process.
    #[command(name = "ocr-document", hide = true)]
    OcrDocument {
        /// Refuse scans with more pages than this.
        #[arg(long, default_value_t = stapel_pipeline::ocr::MAX_OCR_PAGES)]
        max_pages: u32,
        /// Read only these pages, `FIRST-LAST` (one part of a split scan).
        #[arg(long, value_parser = stapel_worker::parse_page_range)]
        pages: Option<(u32, u32)>,
    },
}

#[derive(Debug, clap::Args)]
struct PoolArgs {
    #[command(flatten)]
    backend: BackendArgs,

    /// Number of local worker processes (0: none; run workers elsewhere).
    #[arg(long, env = "STAPEL_WORKERS")]
    workers: Option<usize>,

    /// Largest accepted file, in bytes.
    #[arg(long, env = "STAPEL_MAX_FILE_BYTES", default_value_t = 100 * 1024 * 1024)]
    max_file_bytes: u64,

    /// Local workers read PDFs from their text layer even when they embed an e-invoice (to
    /// measure text extraction against the embedded ground truth).
    #[arg(long)]
    ignore_embedded_xml: bool,

    /// Pages per page-range job when local workers split a long scan.
    #[arg(long, env = "STAPEL_SCAN_PART_PAGES", default_value_t = stapel_pipeline::lanes::DEFAULT_PART_PAGES)]
    scan_part_pages: u32,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STAPEL_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    #[command(flatten)]
    pool: PoolArgs,

    /// Largest request body (all files of one upload), in bytes.
    #[arg(long, env = "STAPEL_MAX_REQUEST_BYTES", default_value_t = 1024 * 1024 * 1024)]
    max_request_bytes: u64,
}

#[derive(Debug, clap::Args)]
struct ProcessArgs {
    /// Files or directories (searched recursively for PDF, XML and image files).
    #[arg(required = true)]
    paths: Vec<PathBuf>,

    #[command(flatten)]
    pool: PoolArgs,

    /// Print one JSON object per document (the shape of GET /v1/documents/{id}, plus "file").
    #[arg(long)]
    json: bool,

    /// Give up waiting after this many seconds.
    #[arg(long, default_value_t = 3600)]
    timeout: u64,
}

const TENANT: &str = "local";

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::ExtractPdfText => return ExitCode::from(extract_pdf_text_child() as u8),
        Command::OcrDocument { max_pages, pages } => {
            return ExitCode::from(ocr_document_child(max_pages, pages) as u8)
        }
        _ => {}
    }
    if matches!(cli.command, Command::Process(_)) && std::env::var_os("STAPEL_LOG").is_none() {
        // The one-shot job prints a table; keep stderr to warnings, for the pool's workers too.
        // SAFETY: no other thread exists yet (the runtime starts below).
        unsafe { std::env::set_var("STAPEL_LOG", "warn") };
    }
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await.map(|()| ExitCode::SUCCESS),
            Command::Process(args) => process(args).await,
            Command::Setup(args) => setup(args).await.map(|()| ExitCode::SUCCESS),
            Command::Worker(args) => stapel_worker::run(args, shutdown_signal())
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::ExtractPdfText | Command::OcrDocument { .. } => {
                unreachable!("handled before the runtime starts")
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Start the local pool: this executable's `worker` subcommand, on the same data directory.
fn start_pool(args: &PoolArgs) -> anyhow::Result<Option<WorkerPool>> {
    let size = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    if size == 0 {
        return Ok(None);
    }
    let program = std::env::current_exe().context("locating this executable")?;
    // Every backend flag is forwarded: the workers must use exactly this dispatcher's store and
    // queue, also when they were given as flags rather than inherited environment variables.
    let mut worker_args: Vec<OsString> = vec!["worker".into()];
    worker_args.extend(args.backend.to_args());
    if args.ignore_embedded_xml {
        worker_args.push("--ignore-embedded-xml".into());
    }
    worker_args.push("--scan-part-pages".into());
    worker_args.push(args.scan_part_pages.to_string().into());
    tracing::info!(size, "starting local worker pool");
    Ok(Some(WorkerPool::start(PoolConfig {
        program,
        args: worker_args,
        env: args.backend.to_env(),
        size,
        stop_grace: Duration::from_secs(60),
    })))
}

/// `dispatcher setup`: create what --store and --queue name. Idempotent.
async fn setup(args: BackendArgs) -> anyhow::Result<()> {
    let plan = stapel_worker::setup_plan(&args)?;
    let aws = stapel_store_aws::AwsConfig::load(&stapel_store_aws::AwsSettings::default()).await;
    let report = stapel_store_aws::setup(&aws, &plan)
        .await
        .context("setting up the AWS backends")?;
    if let Some(bucket) = &report.bucket {
        println!("bucket            s3://{bucket}");
    }
    if let (Some(queue), Some(dead_letter)) = (&report.queue_url, &report.dead_letter_queue_url) {
        println!("queue             {queue}");
        println!("dead-letter queue {dead_letter}");
    }
    if let Some(bulk) = &report.bulk_queue_url {
        println!("bulk-lane queue   {bulk}");
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let backends = args.pool.backend.open().await?;
    let pool = start_pool(&args.pool)?;
    let backends_for_target = backends.clone();
    let state = AppState {
        backends,
        limits: UploadLimits {
            max_file_bytes: args.pool.max_file_bytes,
            max_request_bytes: args.max_request_bytes,
        },
        target: default_target(&backends_for_target, TENANT).await?,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "dispatcher listening");
    // Tests and scripts read this line to find a port chosen with :0.
    println!("listening on http://{address}");
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("HTTP server failed");
    if let Some(pool) = pool {
        pool.shutdown().await;
    }
    served
}

async fn process(args: ProcessArgs) -> anyhow::Result<ExitCode> {
    let files = process_cmd::collect_files(&args.paths)?;
    let backends = args.pool.backend.open().await?;
    let pool = start_pool(&args.pool)?;
    let outcome = async {
        let (batch, submitted) =
            process_cmd::submit_files(&backends, &default_target(&backends, TENANT).await?, &files, args.pool.max_file_bytes).await?;
        eprintln!("batch {batch}: {} document(s) queued", submitted.len());
        tokio::select! {
            waited = process_cmd::wait_for_batch(&backends, batch, Duration::from_secs(args.timeout)) => waited?,
            _ = shutdown_signal() => anyhow::bail!("interrupted; the documents stay queued in {}", args.pool.backend.data_dir.display()),
        }
        process_cmd::report(&backends, &submitted, args.json).await
    }
    .await;
    if let Some(pool) = pool {
        pool.shutdown().await;
    }
    let failed = outcome?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
