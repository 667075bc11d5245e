//! The three stores every stage talks to, opened from configuration.

use stapel_records::{Records, RecordsError, SqliteRecords};
use stapel_store::{JobQueue, ObjectStore, QueueError, StoreError};
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
}

/// Names of the job queue and its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueNames {
    /// Where jobs wait.
    pub jobs: String,
    /// Where jobs go after too many failed deliveries.
    pub dead_letter: String,
}

impl Default for QueueNames {
    fn default() -> Self {
        Self {
            jobs: "stapel-jobs".into(),
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

/// The object store, the job queue (with its dead-letter queue) and the records.
///
/// Held as trait objects: every stage runs unchanged on the embedded default and on S3/SQS.
#[derive(Clone)]
pub struct Backends {
    /// Originals and results.
    pub store: Arc<dyn ObjectStore>,
    /// Pending jobs.
    pub queue: Arc<dyn JobQueue>,
    /// Jobs that failed too often, kept for inspection and redrive.
    pub dead_letter: Arc<dyn JobQueue>,
    /// Batches, documents and their status.
    pub records: Arc<dyn Records>,
}

impl Backends {
    /// Open the embedded default under `settings.data_dir`, creating it on first use.
    pub async fn open_embedded(settings: &EmbeddedSettings) -> Result<Self, BackendsError> {
        let data_dir: &Path = &settings.data_dir;
        std::fs::create_dir_all(data_dir).map_err(|source| BackendsError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let store = FsObjectStore::open(data_dir)?;
        let pool = open_queue_database(&data_dir.join("queue.db")).await?;
        let queue = SqliteQueue::new(
            pool.clone(),
            settings.queues.jobs.clone(),
            Some(Redrive {
                dead_letter_queue: settings.queues.dead_letter.clone(),
                max_receives: settings.max_receives,
            }),
        );
        let dead_letter = SqliteQueue::new(pool, settings.queues.dead_letter.clone(), None);
        let records = SqliteRecords::open(&data_dir.join("records.db")).await?;
        Ok(Self {
            store: Arc::new(store),
            queue: Arc::new(queue),
            dead_letter: Arc::new(dead_letter),
            records: Arc::new(records),
        })
    }
}
