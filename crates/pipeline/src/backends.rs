//! The three stores every stage talks to, opened from configuration.
//!
//! The object store and the queue are each embedded (under the data directory) or on AWS (S3,
//! SQS); the records are SQLite under the data directory in every mode for now.

use stapel_records::{PgRecords, Records, RecordsError, SqliteRecords};
use stapel_store::{JobQueue, ObjectStore, QueueError, StoreError};
use stapel_store_aws::{AwsConfig, AwsError, AwsSettings, QueueLocation, S3Settings, SqsQueue};
use stapel_store_embedded::{open_queue_database, FsObjectStore, Redrive, SqliteQueue};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why the backends could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendsError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The object store failed to open.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue failed to open.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The records database failed to open or migrate.
    #[error(transparent)]
    Records(#[from] RecordsError),
    /// An AWS backend could not be configured or opened.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Names of the job queues (one per lane) and their dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueNames {
    /// Where jobs wait: the fast lane.
    pub jobs: String,
    /// The bulk lane: large documents, kept out of the fast lane's way (see [`crate::lanes`]).
    pub bulk: String,
    /// Where jobs of both lanes go after too many failed deliveries.
    pub dead_letter: String,
}

impl Default for QueueNames {
    fn default() -> Self {
        Self {
            jobs: "stapel-jobs".into(),
            bulk: "stapel-jobs-bulk".into(),
            dead_letter: "stapel-jobs-dead".into(),
        }
    }
}

/// Settings of the embedded default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedSettings {
    /// Everything lives below this directory: `objects/`, `queue.db`, `records.db`.
    pub data_dir: PathBuf,
    /// Queue names.
    pub queues: QueueNames,
    /// Deliveries before a job is dead-lettered.
    pub max_receives: u32,
}

impl EmbeddedSettings {
    /// Defaults for a data directory: five deliveries before dead-lettering.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            queues: QueueNames::default(),
            max_receives: 5,
        }
    }
}

/// The object store, the job queues (two lanes, one dead-letter queue) and the records.
///
/// Held as trait objects: every stage runs unchanged on the embedded default and on S3/SQS.
#[derive(Clone)]
pub struct Backends {
    /// Originals and results.
    pub store: Arc<dyn ObjectStore>,
    /// Pending jobs: the fast lane.
    pub queue: Arc<dyn JobQueue>,
    /// Pending jobs of large documents: the bulk lane.
    pub bulk: Arc<dyn JobQueue>,
    /// Jobs that failed too often, kept for inspection and redrive.
    pub dead_letter: Arc<dyn JobQueue>,
    /// Batches, documents and their status.
    pub records: Arc<dyn Records>,
}

/// Where the object store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSettings {
    /// Files under `<data-dir>/objects/`.
    Embedded,
    /// An S3 bucket (or an S3-compatible store).
    S3(S3Settings),
}

/// Where the job queue and its dead-letter queue live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueSettings {
    /// Both in `<data-dir>/queue.db`; this process applies the redrive setting.
    Embedded {
        /// Queue names.
        queues: QueueNames,
        /// Deliveries before a job is dead-lettered.
        max_receives: u32,
    },
    /// SQS queues; SQS applies the job queue's redrive policy, which is read at open.
    Sqs {
        /// The job queue (fast lane).
        queue: QueueLocation,
        /// The bulk lane's queue; `None` is the job queue's name with `-bulk` appended.
        bulk: Option<QueueLocation>,
        /// The dead-letter queue; `None` takes the target of the job queue's redrive policy.
        dead_letter: Option<QueueLocation>,
    },
}

/// Where the records live.
#[derive(Clone, PartialEq, Eq)]
pub enum RecordsSettings {
    /// SQLite in `<data-dir>/records.db`: one machine (processes sharing the directory).
    Sqlite,
    /// PostgreSQL, shared by dispatchers and workers on any number of hosts.
    Postgres {
        /// `postgres://user:password@host:port/database?sslmode=...`
        url: String,
        /// Pool size per process.
        max_connections: u32,
    },
}

impl std::fmt::Debug for RecordsSettings {
    // The URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite => f.write_str("Sqlite"),
            Self::Postgres {
                max_connections, ..
            } => f
                .debug_struct("Postgres")
                .field("url", &"<redacted>")
                .field("max_connections", max_connections)
                .finish(),
        }
    }
}

/// Everything needed to open [`Backends`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendSettings {
    /// Holds the embedded store and queue when they are used, and the records always.
    pub data_dir: PathBuf,
    /// The object store.
    pub store: StoreSettings,
    /// The job queue.
    pub queue: QueueSettings,
    /// How to reach AWS, when the store or the queue is there.
    pub aws: AwsSettings,
    /// The records database.
    pub records: RecordsSettings,
}

impl From<&EmbeddedSettings> for BackendSettings {
    fn from(settings: &EmbeddedSettings) -> Self {
        Self {
            data_dir: settings.data_dir.clone(),
            store: StoreSettings::Embedded,
            queue: QueueSettings::Embedded {
                queues: settings.queues.clone(),
                max_receives: settings.max_receives,
            },
            aws: AwsSettings::default(),
            records: RecordsSettings::Sqlite,
        }
    }
}

impl Backends {
    /// Open the embedded default under `settings.data_dir`, creating it on first use.
    pub async fn open_embedded(settings: &EmbeddedSettings) -> Result<Self, BackendsError> {
        Self::open(&BackendSettings::from(settings)).await
    }

    /// Open the configured backends. S3 buckets and SQS queues must exist (see
    /// `stapel_store_aws::setup`); a missing one fails here with a message naming it.
    pub async fn open(settings: &BackendSettings) -> Result<Self, BackendsError> {
        let data_dir: &Path = &settings.data_dir;
        std::fs::create_dir_all(data_dir).map_err(|source| BackendsError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        // Loaded on first use: the embedded default never reads AWS configuration.
        let mut aws: Option<AwsConfig> = None;
        let store: Arc<dyn ObjectStore> = match &settings.store {
            StoreSettings::Embedded => Arc::new(FsObjectStore::open(data_dir)?),
            StoreSettings::S3(s3) => {
                let aws = aws_config(&mut aws, &settings.aws).await;
                Arc::new(stapel_store_aws::S3ObjectStore::open(aws, s3).await?)
            }
        };
        let (queue, bulk, dead_letter) = match &settings.queue {
            QueueSettings::Embedded {
                queues,
                max_receives,
            } => open_embedded_queues(data_dir, queues, *max_receives).await?,
            QueueSettings::Sqs {
                queue,
                bulk,
                dead_letter,
            } => {
                let aws = aws_config(&mut aws, &settings.aws).await;
                let bulk = bulk
                    .clone()
                    .unwrap_or_else(|| QueueLocation::Name(bulk_queue_name(queue.name())));
                let (queue, dead_letter) = open_sqs(aws, queue, dead_letter.as_ref()).await?;
                let (bulk, _) = open_sqs(aws, &bulk, None).await?;
                (queue, bulk, dead_letter)
            }
        };
        let records = open_records(data_dir, &settings.records).await?;
        Ok(Self {
            store,
            queue,
            bulk,
            dead_letter,
            records,
        })
    }
}

async fn aws_config<'a>(
    loaded: &'a mut Option<AwsConfig>,
    settings: &AwsSettings,
) -> &'a AwsConfig {
    let config = match loaded.take() {
        Some(config) => config,
        None => AwsConfig::load(settings).await,
    };
    loaded.insert(config)
}

type QueuePair = (Arc<dyn JobQueue>, Arc<dyn JobQueue>);

/// The bulk lane's queue name for a job queue: `stapel-jobs` → `stapel-jobs-bulk`.
pub fn bulk_queue_name(jobs: &str) -> String {
    format!("{jobs}-bulk")
}

async fn open_embedded_queues(
    data_dir: &Path,
    queues: &QueueNames,
    max_receives: u32,
) -> Result<(Arc<dyn JobQueue>, Arc<dyn JobQueue>, Arc<dyn JobQueue>), BackendsError> {
    let pool = open_queue_database(&data_dir.join("queue.db")).await?;
    let redrive = Redrive {
        dead_letter_queue: queues.dead_letter.clone(),
        max_receives,
    };
    let queue = SqliteQueue::new(pool.clone(), queues.jobs.clone(), Some(redrive.clone()));
    let bulk = SqliteQueue::new(pool.clone(), queues.bulk.clone(), Some(redrive));
    let dead_letter = SqliteQueue::new(pool, queues.dead_letter.clone(), None);
    Ok((Arc::new(queue), Arc::new(bulk), Arc::new(dead_letter)))
}

/// Open the SQS job queue and its dead-letter queue. A job queue without a redrive policy is
/// refused: a job that keeps failing would circulate until SQS's retention drops it, unseen.
async fn open_sqs(
    aws: &AwsConfig,
    location: &QueueLocation,
    dead_letter: Option<&QueueLocation>,
) -> Result<QueuePair, BackendsError> {
    let queue = SqsQueue::open(aws, location).await?;
    let Some(policy) = queue.redrive_policy() else {
        return Err(QueueError::Misconfigured(format!(
            "SQS queue {:?} has no redrive policy, so failing jobs would never reach a \
             dead-letter queue: add one (`dispatcher setup` does) or use a queue that has one",
            queue.name()
        ))
        .into());
    };
    let dead_letter_location = match dead_letter {
        Some(location) => location.clone(),
        None => QueueLocation::Name(policy.dead_letter_queue_name().to_owned()),
    };
    if dead_letter_location.name() != policy.dead_letter_queue_name() {
        tracing::warn!(queue = %queue.name(), configured = %dead_letter_location.name(),
            redrive_target = %policy.dead_letter_queue_name(),
            "the configured dead-letter queue is not the queue's redrive target");
    }
    tracing::info!(queue = %queue.name(), dead_letter_queue = %dead_letter_location.name(),
        max_receives = policy.max_receive_count, "SQS queues opened");
    let dead_letter = SqsQueue::open(aws, &dead_letter_location).await?;
    Ok((Arc::new(queue), Arc::new(dead_letter)))
}

/// The records: SQLite under the data directory, or PostgreSQL, whatever the store and queue
/// are. The one place that decides where records live.
async fn open_records(
    data_dir: &Path,
    settings: &RecordsSettings,
) -> Result<Arc<dyn Records>, BackendsError> {
    Ok(match settings {
        RecordsSettings::Sqlite => {
            Arc::new(SqliteRecords::open(&data_dir.join("records.db")).await?)
        }
        RecordsSettings::Postgres {
            url,
            max_connections,
        } => Arc::new(PgRecords::connect(url, *max_connections).await?),
    })
}
