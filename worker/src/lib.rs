//! The worker process: configuration and wiring around `stapel_pipeline::worker`.
//!
//! The `worker` binary and the dispatcher's `worker` subcommand (which the local pool spawns)
//! both run [`run`], so the embedded default and a distributed deployment process jobs with the
//! same code. [`ChildCommand`] is the other side of the isolated parsers: the worker
//! re-executes itself with a hidden subcommand (`extract-pdf-text --serve`, ...) and keeps that
//! child for the next documents.

pub mod telemetry;

use anyhow::Context;
use stapel_extract::{ChildMode, Children, IsolationLimits};
pub use stapel_pipeline::ocr::parse_page_range;
use stapel_pipeline::process::PdfTextRunner;
use stapel_pipeline::worker::{run_worker, WorkerConfig};
use stapel_pipeline::{
    BackendSettings, Backends, QueueNames, QueueSettings, RecordsSettings, StoreSettings,
};
use stapel_store_aws::{
    AwsSettings, Encryption, QueueLocation, QueuePlan, S3Location, S3Settings, SetupPlan,
};
use std::ffi::OsString;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the backends are: shared by the dispatcher and the worker.
///
/// Without `--store` and `--queue` everything is embedded under `--data-dir`. With them, the
/// store and the queue are on AWS (or an S3/SQS-compatible endpoint), reached through the
/// standard AWS configuration chain (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, roles,
/// ...); the records stay under `--data-dir`.
#[derive(Debug, Clone, clap::Args)]
pub struct BackendArgs {
    /// Data directory of the embedded default (object store, queue and records).
    #[arg(long, env = "STAPEL_DATA_DIR", default_value = "stapel-data")]
    pub data_dir: PathBuf,

    /// Deliveries of a job before it is dead-lettered. With SQS the queue's redrive policy
    /// decides; `dispatcher setup` writes this value into it.
    #[arg(long, env = "STAPEL_MAX_RECEIVES", default_value_t = 5)]
    pub max_receives: u32,

    /// Object store: `s3://bucket` or `s3://bucket/prefix`; embedded under --data-dir if unset.
    #[arg(long, env = "STAPEL_STORE", value_name = "URL")]
    pub store: Option<String>,

    /// Job queue: `sqs://queue-name` or an SQS queue URL; embedded under --data-dir if unset.
    #[arg(long, env = "STAPEL_QUEUE", value_name = "URL")]
    pub queue: Option<String>,

    /// The bulk lane's SQS queue, for large documents (`sqs://name` or a URL). Default:
    /// `<queue>-bulk`, which `dispatcher setup` creates.
    #[arg(long, env = "STAPEL_BULK_QUEUE", value_name = "URL")]
    pub bulk_queue: Option<String>,

    /// Dead-letter queue of an SQS job queue (`sqs://name` or a URL). Default: the target of
    /// the job queue's redrive policy; `dispatcher setup` creates `<queue>-dead`.
    #[arg(long, env = "STAPEL_DEAD_LETTER_QUEUE", value_name = "URL")]
    pub dead_letter_queue: Option<String>,

    /// Address S3 buckets by path (`endpoint/bucket`), for S3-compatible stores such as MinIO,
    /// Ceph or moto.
    #[arg(long, env = "STAPEL_S3_PATH_STYLE")]
    pub s3_path_style: bool,

    /// Encrypt objects with SSE-KMS under this KMS key (id, alias or ARN) instead of SSE-S3.
    #[arg(long, env = "STAPEL_SSE_KMS_KEY_ID", value_name = "KEY")]
    pub sse_kms_key_id: Option<String>,

    /// Records in PostgreSQL (`postgres://user:password@host/db`, `?sslmode=require` for TLS);
    /// SQLite under --data-dir if unset. Prefer the environment variable: a flag's value shows
    /// in the process list.
    #[arg(
        long,
        env = "STAPEL_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// PostgreSQL connections per process.
    #[arg(long, env = "STAPEL_DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
}

impl BackendArgs {
    /// The settings these flags describe.
    pub fn settings(&self) -> anyhow::Result<BackendSettings> {
        let store = match &self.store {
            None => StoreSettings::Embedded,
            Some(url) => {
                let mut s3 = S3Settings::new(S3Location::parse(url)?);
                s3.force_path_style = self.s3_path_style;
                if let Some(key_id) = &self.sse_kms_key_id {
                    s3.encryption = Encryption::SseKms {
                        key_id: Some(key_id.clone()),
                    };
                }
                StoreSettings::S3(s3)
            }
        };
        let queue = match &self.queue {
            None => {
                anyhow::ensure!(
                    self.dead_letter_queue.is_none() && self.bulk_queue.is_none(),
                    "--dead-letter-queue and --bulk-queue need an SQS --queue"
                );
                QueueSettings::Embedded {
                    queues: QueueNames::default(),
                    max_receives: self.max_receives,
                }
            }
            Some(url) => QueueSettings::Sqs {
                queue: QueueLocation::parse(url)?,
                bulk: self
                    .bulk_queue
                    .as_deref()
                    .map(QueueLocation::parse)
                    .transpose()?,
                dead_letter: self
                    .dead_letter_queue
                    .as_deref()
                    .map(QueueLocation::parse)
                    .transpose()?,
            },
        };
        let records = match &self.database_url {
            None => RecordsSettings::Sqlite,
            Some(url) => {
                anyhow::ensure!(
                    url.starts_with("postgres://") || url.starts_with("postgresql://"),
                    "--database-url must be a postgres:// URL"
                );
                RecordsSettings::Postgres {
                    url: url.clone(),
                    max_connections: self.database_max_connections.max(1),
                }
            }
        };
        Ok(BackendSettings {
            data_dir: self.data_dir.clone(),
            store,
            queue,
            aws: AwsSettings::default(),
            records,
        })
    }

    /// Open the configured backends.
    pub async fn open(&self) -> anyhow::Result<Backends> {
        let settings = self.settings()?;
        Backends::open(&settings)
            .await
            .with_context(|| match (&self.store, &self.queue) {
                (None, None) => format!("opening the data directory {}", self.data_dir.display()),
                _ => "opening the backends".to_owned(),
            })
    }

    /// Environment for the worker processes the dispatcher starts: the database URL goes this
    /// way rather than as a flag, so its password stays out of the process list.
    pub fn to_env(&self) -> Vec<(OsString, OsString)> {
        self.database_url
            .iter()
            .map(|url| ("STAPEL_DATABASE_URL".into(), url.into()))
            .collect()
    }

    /// These settings as command-line flags, for the worker processes the dispatcher starts:
    /// a value given as a flag (not through the environment, which children inherit) must
    /// reach them too. The database URL travels in [`BackendArgs::to_env`] instead.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--data-dir".into(),
            self.data_dir.clone().into(),
            "--max-receives".into(),
            self.max_receives.to_string().into(),
            "--database-max-connections".into(),
            self.database_max_connections.to_string().into(),
        ];
        let optional = [
            ("--store", &self.store),
            ("--queue", &self.queue),
            ("--bulk-queue", &self.bulk_queue),
            ("--dead-letter-queue", &self.dead_letter_queue),
            ("--sse-kms-key-id", &self.sse_kms_key_id),
        ];
        for (flag, value) in optional {
            if let Some(value) = value {
                args.push(flag.into());
                args.push(value.into());
            }
        }
        if self.s3_path_style {
            args.push("--s3-path-style".into());
        }
        args
    }
}

/// What `dispatcher setup` creates for these flags: the bucket of an `s3://` store, the SQS
/// queue and its dead-letter queue (`--dead-letter-queue`, default `<queue>-dead`) with a
/// redrive policy of `--max-receives`.
pub fn setup_plan(args: &BackendArgs) -> anyhow::Result<SetupPlan> {
    let settings = args.settings()?;
    let bucket = match &settings.store {
        StoreSettings::S3(s3) => Some(s3.location.bucket.clone()),
        StoreSettings::Embedded => None,
    };
    let queues = match &settings.queue {
        QueueSettings::Sqs {
            queue,
            bulk,
            dead_letter,
        } => Some((
            queue.name().to_owned(),
            bulk.as_ref().map_or_else(
                || stapel_pipeline::bulk_queue_name(queue.name()),
                |location| location.name().to_owned(),
            ),
            dead_letter.as_ref().map_or_else(
                || format!("{}-dead", queue.name()),
                |location| location.name().to_owned(),
            ),
        )),
        QueueSettings::Embedded { .. } => None,
    };
    let plan_for = |queue: &str, dead_letter: &str| QueuePlan {
        queue: queue.to_owned(),
        dead_letter_queue: dead_letter.to_owned(),
        max_receives: args.max_receives,
    };
    let (queues, bulk_queue) = match &queues {
        Some((queue, bulk, dead_letter)) => (
            Some(plan_for(queue, dead_letter)),
            Some(plan_for(bulk, dead_letter)),
        ),
        None => (None, None),
    };
    anyhow::ensure!(
        bucket.is_some() || queues.is_some(),
        "nothing to set up: name an S3 store (--store s3://bucket) and/or an SQS queue \
         (--queue sqs://name)"
    );
    Ok(SetupPlan {
        bucket,
        force_path_style: args.s3_path_style,
        queues,
        bulk_queue,
    })
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

    /// Read PDFs from their text layer even when they embed an e-invoice (to measure text
    /// extraction against the embedded ground truth).
    #[arg(long)]
    pub ignore_embedded_xml: bool,

    /// Pages per page-range job when a long scan is split (bulk lane).
    #[arg(long, env = "STAPEL_SCAN_PART_PAGES", default_value_t = stapel_pipeline::lanes::DEFAULT_PART_PAGES)]
    pub scan_part_pages: u32,

    /// Serve Prometheus metrics (documents finished, failures by code, job times per source)
    /// on `GET /metrics` at this address, e.g. `0.0.0.0:9090`; off when unset. Unauthenticated:
    /// keep the port private to the scraper.
    #[arg(long, env = "STAPEL_WORKER_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Documents one isolated child (PDF parser, attachment lookup, OCR) reads before it is
    /// replaced by a fresh one; 0 starts a child for every document. Reuse saves a process
    /// start and, for OCR, loading the language models per document.
    #[arg(long, env = "STAPEL_CHILD_REUSE", default_value_t = stapel_extract::warm::DEFAULT_MAX_USES)]
    pub child_reuse: u32,

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
    // Warm children serve document after document; 0 starts a fresh one per document.
    let children = match args.child_reuse {
        0 => Children::fresh(program),
        uses => Children::warm(program, uses),
    };
    let mut config = WorkerConfig::new(PdfTextRunner::Isolated { children, limits });
    config.visibility_timeout = Duration::from_secs(args.visibility_timeout.max(1));
    config.heartbeat_interval = Duration::from_secs(args.heartbeat_interval.max(1));
    config.wait_time = Duration::from_secs(args.wait_time.min(20));
    config.pause_before_processing = Duration::from_millis(args.debug_pause_ms);
    config.process.read_embedded_einvoice = !args.ignore_embedded_xml;
    config.part_pages = args.scan_part_pages.max(1);
    anyhow::ensure!(
        config.heartbeat_interval < config.visibility_timeout,
        "--heartbeat-interval must be shorter than --visibility-timeout"
    );
    let metrics_server = match args.metrics_addr {
        Some(address) => {
            let handle = telemetry::install_prometheus()?;
            Some(telemetry::serve_metrics(address, handle).await?)
        }
        None => None,
    };
    run_worker(backends, config, shutdown).await;
    if let Some(server) = metrics_server {
        server.abort();
    }
    Ok(())
}

/// The hidden subcommands an isolated child runs. The worker binary and the dispatcher (whose
/// `worker` subcommand spawns children of the dispatcher executable) both offer them.
#[derive(Debug, clap::Subcommand)]
pub enum ChildCommand {
    /// Internal: parse one PDF from stdin in this isolated process.
    #[command(name = "extract-pdf-text", hide = true)]
    ExtractPdfText {
        /// Serve framed requests until stdin closes (a warm child).
        #[arg(long)]
        serve: bool,
    },
    /// Internal: find the e-invoice XML attached to one PDF from stdin, in this isolated
    /// process.
    #[command(name = "find-embedded-xml", hide = true)]
    FindEmbeddedXml {
        /// Serve framed requests until stdin closes (a warm child).
        #[arg(long)]
        serve: bool,
    },
    /// Internal: OCR one scan or image from stdin in this isolated process.
    #[command(name = "ocr-document", hide = true)]
    OcrDocument {
        /// Serve framed requests until stdin closes (a warm child); each request carries its
        /// own page selection.
        #[arg(long)]
        serve: bool,
        /// Refuse scans with more pages than this.
        #[arg(long, default_value_t = stapel_pipeline::ocr::MAX_OCR_PAGES)]
        max_pages: u32,
        /// Read only these pages, `FIRST-LAST` (one part of a split scan).
        #[arg(long, value_parser = parse_page_range)]
        pages: Option<(u32, u32)>,
    },
}

impl ChildCommand {
    /// Answer on stdin and stdout: one document, or (with `--serve`) request after request.
    /// Returns the process exit code.
    pub fn run(self) -> i32 {
        let mut stdin = std::io::stdin().lock();
        let mut stdout = std::io::stdout().lock();
        match self {
            Self::ExtractPdfText { serve } => stapel_extract::child_main_extract_pdf_text(
                ChildMode::from_flag(serve),
                &mut stdin,
                &mut stdout,
            ),
            Self::FindEmbeddedXml { serve } => {
                stapel_pipeline::embedded::child_main_find_embedded_xml(
                    ChildMode::from_flag(serve),
                    &mut stdin,
                    &mut stdout,
                )
            }
            Self::OcrDocument {
                serve,
                max_pages,
                pages,
            } => {
                use stapel_pipeline::ocr::PageSelection;
                let selection = match pages {
                    Some((first, last)) => PageSelection::Range(first, last),
                    None => PageSelection::AllUpTo(max_pages),
                };
                stapel_pipeline::ocr::child_main_ocr_document(
                    ChildMode::from_flag(serve),
                    &mut stdin,
                    &mut stdout,
                    selection,
                )
            }
        }
    }
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

/// Log format on stderr. Both formats carry the same fields; in JSON every event of a job has
/// the job's span (`document_id`, `job_id`, `attempt`, `request_id`) in `span` and `spans`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        backend: BackendArgs,
    }

    fn parse(args: &[&str]) -> BackendArgs {
        Cli::try_parse_from(std::iter::once("test").chain(args.iter().copied()))
            .unwrap()
            .backend
    }

    #[test]
    fn forwarded_flags_describe_the_same_backends() {
        let args = parse(&[
            "--data-dir",
            "/tmp/x",
            "--max-receives",
            "3",
            "--store",
            "s3://invoices/prod",
            "--queue",
            "sqs://jobs",
            "--bulk-queue",
            "sqs://jobs-large",
            "--dead-letter-queue",
            "sqs://jobs-dead",
            "--s3-path-style",
            "--sse-kms-key-id",
            "alias/stapel",
        ]);
        let forwarded: Vec<String> = args
            .to_args()
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        let forwarded: Vec<&str> = forwarded.iter().map(String::as_str).collect();
        let again = parse(&forwarded);
        assert_eq!(again.settings().unwrap(), args.settings().unwrap());
        let StoreSettings::S3(s3) = args.settings().unwrap().store else {
            panic!("not S3");
        };
        assert!(s3.force_path_style);
        assert_eq!(s3.location.prefix, "prod/");
        assert_eq!(
            s3.encryption,
            Encryption::SseKms {
                key_id: Some("alias/stapel".into())
            }
        );
    }

    #[test]
    fn without_store_and_queue_everything_is_embedded() {
        let settings = parse(&["--data-dir", "/tmp/x"]).settings().unwrap();
        assert_eq!(settings.store, StoreSettings::Embedded);
        assert!(matches!(
            settings.queue,
            QueueSettings::Embedded {
                max_receives: 5,
                ..
            }
        ));
        assert!(parse(&["--store", "/not/a/url"]).settings().is_err());
        assert!(parse(&["--dead-letter-queue", "sqs://d"])
            .settings()
            .is_err());
    }
}
