//! `dispatcher`: serve the API, or process files once, on the embedded default.

use anyhow::Context;
use clap::{Parser, Subcommand};
use stapel_dispatcher::dead_letter_cmd::{self, DeadLetterCommand};
use stapel_dispatcher::http::auth::{create_api_key, AuthState};
use stapel_dispatcher::http::{router, AppState, UploadLimits};
use stapel_dispatcher::pool::{PoolConfig, WorkerPool};
use stapel_dispatcher::process_cmd::{self, Progress};
use stapel_dispatcher::scaling::{Autoscaler, ScaleArgs};
use stapel_dispatcher::telemetry::MetricsState;
use stapel_dispatcher::upload_cmd;
use stapel_pipeline::ingest::default_target;
use stapel_worker::{
    init_tracing, shutdown_signal, BackendArgs, ChildCommand, LogFormat, WorkerArgs,
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
    #[arg(
        long,
        value_enum,
        env = "STAPEL_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API and upload page, with a pool of local workers.
    Serve(ServeArgs),
    /// Process files once: upload, wait for every document, print the results.
    Process(ProcessArgs),
    /// Upload files to a running dispatcher (local or remote) with progress bars; optionally
    /// wait for them and export.
    Upload(UploadArgs),
    /// Run one worker (what the local pool starts).
    Worker(WorkerArgs),
    /// Create or revoke API keys (keys authenticate a tenant: an accounting firm).
    #[command(name = "api-key", subcommand)]
    ApiKey(ApiKeyCommand),
    /// List the jobs workers gave up on, or send them back to work.
    #[command(name = "dead-letter", subcommand)]
    DeadLetter(DeadLetterCommand),
    /// Create the S3 bucket, the SQS queue and its dead-letter queue named by --store and
    /// --queue, for local use against an S3/SQS-compatible endpoint (e.g. moto, LocalStack).
    Setup(BackendArgs),
    #[command(flatten)]
    Child(ChildCommand),
    /// Internal: render one PDF page from stdin as PNG, in this isolated process.
    #[command(name = "render-page", hide = true)]
    RenderPage {
        /// The page, 1-based.
        #[arg(long)]
        page: u32,
        /// Resolution.
        #[arg(long, default_value_t = 110)]
        dpi: u32,
    },
}

#[derive(Debug, clap::Args)]
struct UploadArgs {
    /// Files or directories (searched recursively for PDF, XML and image files).
    #[arg(required = true)]
    paths: Vec<PathBuf>,

    /// The dispatcher's address.
    #[arg(long, env = "STAPEL_URL", default_value = "http://127.0.0.1:8080")]
    url: String,

    /// The tenant's API key (`dispatcher api-key create`); prefer the environment variable,
    /// which stays out of the process list.
    #[arg(long, env = "STAPEL_API_KEY", hide_env_values = true)]
    api_key: String,

    /// Upload into the batch of this name: created on first use, added to afterwards (names
    /// are per tenant).
    #[arg(long, value_name = "NAME", conflicts_with = "batch_id")]
    batch: Option<String>,

    /// Add the files to this existing batch, by its id.
    #[arg(long, value_name = "ID")]
    batch_id: Option<String>,

    /// Wait until every document is done or failed, then print the results.
    #[arg(long)]
    wait: bool,

    /// After waiting, write the export of the batch's period (reviewed entries) to this file:
    /// JSON for `.json`, else CSV. Implies --wait.
    #[arg(long)]
    export: Option<PathBuf>,

    /// One JSON object per document on stdout, and no progress bars.
    #[arg(long)]
    json: bool,

    /// Give up waiting after this many seconds.
    #[arg(long, default_value_t = 3600)]
    timeout: u64,
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Create a key for a tenant (created too if new) and print it once, on stdout.
    Create {
        /// The tenant (accounting firm): letters, digits, `-` and `_`.
        #[arg(long)]
        tenant: String,
        /// A label, to tell keys apart when revoking.
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// List keys (id, tenant, label, created, revoked), one per line; never the keys themselves.
    List {
        /// Only this tenant's keys.
        #[arg(long)]
        tenant: Option<String>,
        /// One JSON object per key.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Revoke a key by its id (printed when it was created); it stops working at once.
    Revoke {
        /// The key's id.
        id: uuid::Uuid,
        #[command(flatten)]
        backend: BackendArgs,
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

    /// Niceness added to local workers (0 to 19): they use every idle core, but the CPU goes
    /// to the dispatcher first, so accepting uploads does not slow down while workers are busy.
    #[arg(long, env = "STAPEL_WORKER_NICE", default_value_t = 10, value_parser = clap::value_parser!(i32).range(0..=19))]
    worker_nice: i32,
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

    /// Uploads received at once; beyond this a request is answered `503 upload.busy` with
    /// `Retry-After: 1` before its body is read (clients retry; nothing is stored).
    #[arg(long, env = "STAPEL_MAX_CONCURRENT_UPLOADS", default_value_t = 256)]
    max_concurrent_uploads: usize,

    /// Seconds after which a document recorded but never enqueued (its dispatcher died between
    /// the two) gets its job sent again; longer than any upload takes from record to send.
    /// Checked at start-up and every --reconcile-interval.
    #[arg(long, env = "STAPEL_RECONCILE_AFTER", default_value_t = 60)]
    reconcile_after: u64,

    /// Seconds the uploads in flight may take to finish after SIGTERM (new connections are
    /// refused at once); then the dispatcher stops anyway. An upload cut off is answered by
    /// nothing, so its client retries; one cut off between record and send is reconciled.
    #[arg(long, env = "STAPEL_SHUTDOWN_GRACE", default_value_t = 50)]
    shutdown_grace: u64,

    /// Seconds between reconciliation passes while serving.
    #[arg(long, env = "STAPEL_RECONCILE_INTERVAL", default_value_t = 300)]
    reconcile_interval: u64,

    /// Autoscaling of the workers (local ones without --workers, or an ECS service).
    #[command(flatten)]
    scale: ScaleArgs,
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
        Command::Child(command) => return ExitCode::from(command.run() as u8),
        Command::RenderPage { page, dpi } => {
            return ExitCode::from(
                stapel_dispatcher::http::page_image::render_page_child(page, dpi) as u8,
            )
        }
        _ => {}
    }
    if matches!(cli.command, Command::Process(_)) && std::env::var_os("STAPEL_LOG").is_none() {
        // The one-shot job prints a table; keep stderr to warnings, for the pool's workers too.
        // SAFETY: no other thread exists yet (the runtime starts below).
        unsafe { std::env::set_var("STAPEL_LOG", "warn") };
    }
    // The local pool's workers inherit the format, also when it was given as a flag.
    // SAFETY: no other thread exists yet (the runtime starts below).
    unsafe {
        std::env::set_var(
            "STAPEL_LOG_FORMAT",
            match cli.log_format {
                LogFormat::Text => "text",
                LogFormat::Json => "json",
            },
        )
    };
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let log_format = cli.log_format;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args, log_format).await.map(|()| ExitCode::SUCCESS),
            Command::Process(args) => process(args).await,
            Command::Setup(args) => setup(args).await.map(|()| ExitCode::SUCCESS),
            Command::ApiKey(command) => api_key(command).await.map(|()| ExitCode::SUCCESS),
            Command::DeadLetter(command) => dead_letter_cmd::run(command)
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Upload(args) => upload(args).await,
            Command::Worker(args) => stapel_worker::run(args, shutdown_signal())
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Child(_) | Command::RenderPage { .. } => {
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
    let size = args.workers.unwrap_or_else(cpu_count);
    if size == 0 {
        return Ok(None);
    }
    start_pool_of_size(args, size).map(Some)
}

/// Local workers by default: one per CPU.
fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// `serve`'s workers. `--workers N` keeps exactly N local workers (0: none), as before
/// autoscaling existed; without it the autoscaler keeps between --min-workers and
/// --max-workers (default: one per CPU) local workers. With --ecs-service it scales that
/// service instead, and runs local workers only if --workers asks for them.
async fn start_serve_workers(
    args: &ServeArgs,
    backends: &stapel_pipeline::Backends,
) -> anyhow::Result<(Option<WorkerPool>, Option<Autoscaler>)> {
    let scale = &args.scale;
    let interval = Duration::from_secs(scale.scale_interval.max(1));
    if let (Some(cluster), Some(service)) = (&scale.ecs_cluster, &scale.ecs_service) {
        let pool = start_pool_if_fixed(&args.pool)?;
        let aws =
            stapel_store_aws::AwsConfig::load(&stapel_store_aws::AwsSettings::default()).await;
        let actuator = stapel_autoscale::EcsActuator::new(
            aws_sdk_ecs::Client::new(aws.sdk_config()),
            cluster,
            service,
        );
        tracing::info!(%cluster, %service, "autoscaling the ECS worker service");
        let policy = scale.policy(DEFAULT_ECS_MAX_WORKERS);
        let scaler = Autoscaler::spawn(policy, Box::new(actuator), backends.clone(), interval);
        return Ok((pool, Some(scaler)));
    }
    if args.pool.workers.is_some() {
        return Ok((start_pool_if_fixed(&args.pool)?, None));
    }
    let policy = scale.policy(u32::try_from(cpu_count()).unwrap_or(u32::MAX));
    if policy.max_workers == 0 {
        return Ok((None, None));
    }
    let pool = start_pool_of_size(&args.pool, policy.min_workers as usize)?;
    let scaler = Autoscaler::spawn(policy, Box::new(pool.handle()), backends.clone(), interval);
    Ok((Some(pool), Some(scaler)))
}

/// The fixed-size pool of `--workers N`, if given and not 0.
fn start_pool_if_fixed(args: &PoolArgs) -> anyhow::Result<Option<WorkerPool>> {
    match args.workers {
        Some(size) if size > 0 => start_pool_of_size(args, size).map(Some),
        _ => Ok(None),
    }
}

/// Most ECS worker tasks without --max-workers.
const DEFAULT_ECS_MAX_WORKERS: u32 = 10;

/// Start `size` local workers (a pool that the autoscaler may resize, from 0 up).
fn start_pool_of_size(args: &PoolArgs, size: usize) -> anyhow::Result<WorkerPool> {
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
    Ok(WorkerPool::start(PoolConfig {
        program,
        args: worker_args,
        env: args.backend.to_env(),
        size,
        stop_grace: Duration::from_secs(60),
        nice: args.worker_nice,
    }))
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

async fn serve(args: ServeArgs, log_format: LogFormat) -> anyhow::Result<()> {
    let backends = args.pool.backend.open().await?;
    // Before the autoscaler starts, so its first decision is recorded too.
    let metrics_handle = stapel_worker::telemetry::install_prometheus()?;
    stapel_dispatcher::telemetry::describe();
    let (pool, autoscaler) = start_serve_workers(&args, &backends).await?;
    // Documents an earlier (or another) dispatcher recorded but did not live to enqueue.
    let reconciler = tokio::spawn(stapel_pipeline::reconcile::run_reconciler(
        backends.clone(),
        Duration::from_secs(args.reconcile_after),
        Duration::from_secs(args.reconcile_interval.max(1)),
    ));
    let backends_for_target = backends.clone();
    let metrics = MetricsState {
        handle: metrics_handle,
        pool: pool.as_ref().map(WorkerPool::status_receiver),
    };
    let state = AppState {
        backends,
        limits: UploadLimits {
            max_file_bytes: args.pool.max_file_bytes,
            max_request_bytes: args.max_request_bytes,
        },
        upload_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(
            args.max_concurrent_uploads.max(1),
        )),
        auth: AuthState::default(),
        metrics: Some(metrics),
    };
    let login = local_login(&args.pool.backend, &backends_for_target).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "dispatcher listening");
    // Tests and scripts read this line to find a port chosen with :0.
    println!("listening on http://{address}");
    if let (Some(_), LogFormat::Json) = (&login, log_format) {
        // Keep stderr all JSON for the log shipper, and the key out of it: point at the file.
        tracing::info!(url = %format_args!("http://{address}/"),
            key_file = %args.pool.backend.data_dir.join("local-api-key").display(),
            "log in with the local tenant's API key from the key file");
    } else if let Some(login) = login {
        // On stderr, after the address line: scripts read stdout's first line only, and may
        // close the pipe after it.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            login.replace("{url}", &format!("http://{address}/"))
        );
    }
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let server = axum::serve(listener, router(state)).with_graceful_shutdown({
        let stopping = stopping.clone();
        async move {
            shutdown_signal().await;
            stopping.notify_one();
        }
    });
    let grace = Duration::from_secs(args.shutdown_grace);
    let served = tokio::select! {
        served = server => served.context("HTTP server failed"),
        () = async { stopping.notified().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "uploads still in flight after the shutdown grace period; stopping anyway");
            Ok(())
        }
    };
    reconciler.abort();
    if let Some(autoscaler) = autoscaler {
        autoscaler.stop().await;
    }
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
        // `--json` is for machines: no bars, nothing on stderr but warnings and errors.
        let progress = if args.json { Progress::Quiet } else { Progress::Terminal };
        let (batch, submitted) =
            process_cmd::submit_files(&backends, &default_target(&backends, TENANT).await?, &files, args.pool.max_file_bytes, progress).await?;
        if !args.json {
            eprintln!("batch {batch}: {} document(s) queued", submitted.len());
        }
        tokio::select! {
            waited = process_cmd::wait_for_batch(&backends, batch, Duration::from_secs(args.timeout), progress) => waited?,
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

/// `dispatcher api-key create|list|revoke`.
async fn api_key(command: ApiKeyCommand) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Create {
            tenant,
            name,
            backend,
        } => {
            let backends = backend.open().await?;
            let (record, key) = create_api_key(&backends, &tenant, &name).await?;
            eprintln!(
                "created API key {} ({name}) for tenant {tenant}; it is shown only now:",
                record.id
            );
            // Only the key on stdout, so `KEY=$(dispatcher api-key create ...)` works.
            println!("{key}");
        }
        ApiKeyCommand::List {
            tenant,
            json,
            backend,
        } => {
            let backends = backend.open().await?;
            for key in backends.records.api_keys(tenant.as_deref()).await? {
                let revoked = key.revoked_at.map(|at| at.to_rfc3339());
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": key.id, "tenant": key.tenant, "label": key.label,
                            "created_at": key.created_at.to_rfc3339(), "revoked_at": revoked,
                        })
                    );
                } else {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        key.id,
                        key.tenant,
                        key.label,
                        key.created_at.to_rfc3339(),
                        revoked.map_or("active".to_owned(), |at| format!("revoked {at}"))
                    );
                }
            }
        }
        ApiKeyCommand::Revoke { id, backend } => {
            let backends = backend.open().await?;
            anyhow::ensure!(
                backends.records.revoke_api_key(id).await?,
                "no active API key {id}"
            );
            eprintln!("revoked API key {id}");
        }
    }
    Ok(())
}

/// On the embedded default, the first `serve` creates the `local` tenant and a key for it,
/// kept in `<data-dir>/local-api-key` (readable by the owner only) so a later start can say
/// where it is. Returns how to log in, with `{url}` for the address.
async fn local_login(
    backend: &BackendArgs,
    backends: &stapel_pipeline::Backends,
) -> anyhow::Result<Option<String>> {
    if backend.store.is_some() || backend.queue.is_some() {
        return Ok(None);
    }
    let path = backend.data_dir.join("local-api-key");
    if path.exists() {
        return Ok(Some(format!(
            "log in at {{url}} with the API key in {}",
            path.display()
        )));
    }
    let (record, key) = create_api_key(backends, TENANT, "first run").await?;
    write_secret(&path, &key).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(key_id = %record.id, "created the local tenant's first API key");
    Ok(Some(format!(
        "first run: created tenant `{TENANT}` and its API key (also saved in {}):\n  {key}\nlog in at {{url}} with it, or send it as `Authorization: Bearer <key>`",
        path.display()
    )))
}

fn write_secret(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{secret}")
}

/// `dispatcher upload`: exit code 0, or 2 when a waited-for document failed.
async fn upload(args: UploadArgs) -> anyhow::Result<ExitCode> {
    let settings = upload_cmd::UploadSettings {
        paths: args.paths,
        url: args.url,
        api_key: args.api_key,
        batch_name: args.batch,
        batch_id: args.batch_id,
        wait: args.wait || args.export.is_some(),
        export: args.export,
        json: args.json,
        timeout: Duration::from_secs(args.timeout),
    };
    let failed = upload_cmd::upload(&settings).await?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
