//! The records of stapel: what was uploaded, in which batch, and where each document stands.
//!
//! Blobs live in the object store and work in the queue; the state users query ("progress of
//! batch 7", "why did this document fail") lives here, in a relational database. The embedded
//! default is SQLite (`<data-dir>/records.db`).
//!
//! **Invariant:** status changes are conditional single statements. A `done` document never
//! changes again, so a redelivered job cannot undo a result and two workers finishing the same
//! job record one outcome.
#![deny(missing_docs)]

mod sqlite;

pub use sqlite::SqliteRecords;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use stapel_domain::{BatchId, DocumentId, DocumentStatus, ErrorInfo};
use std::collections::BTreeMap;

/// Why a records call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    /// The database failed; worth retrying.
    #[error("records database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("records migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored row could not be read back (a bug or a foreign writer).
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// A document as accepted by the dispatcher, before any worker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// The document's id.
    pub id: DocumentId,
    /// Its batch.
    pub batch_id: BatchId,
    /// The owning tenant (accounting firm).
    pub tenant: String,
    /// File name as uploaded.
    pub filename: String,
    /// Where the original is stored.
    pub object_key: String,
    /// SHA-256 of the content, for duplicate detection.
    pub content_sha256: String,
    /// Size in bytes.
    pub size_bytes: u64,
}

/// A document and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    /// What was uploaded.
    pub document: NewDocument,
    /// Pipeline status.
    pub status: DocumentStatus,
    /// How many times a worker started on it.
    pub attempts: u32,
    /// The last failure, also kept while a retry is queued.
    pub error: Option<ErrorInfo>,
    /// Object-store key of the result (invoice and proposal) once done.
    pub result_key: Option<String>,
    /// Accepted at.
    pub created_at: DateTime<Utc>,
    /// The latest attempt started at.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished (done or failed) at.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Counts per status and the documents of one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// The batch.
    pub id: BatchId,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Number of documents per status; every status is present, zero included.
    pub counts: BTreeMap<DocumentStatus, u64>,
    /// The batch's documents in upload order.
    pub document_ids: Vec<DocumentId>,
}

/// What a conditional status change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The change was made.
    Applied,
    /// The document is already `done`; nothing changed. The caller's work is a duplicate.
    AlreadyDone,
    /// No such document.
    NotFound,
}

/// The relational store behind the API. One implementation per database; all behave alike.
#[async_trait]
pub trait Records: Send + Sync + 'static {
    /// Create a batch if it does not exist yet (uploads may add to an existing batch).
    async fn ensure_batch(&self, id: BatchId, tenant: &str) -> Result<(), RecordsError>;

    /// Record an accepted upload with status `queued`.
    async fn insert_document(&self, document: &NewDocument) -> Result<(), RecordsError>;

    /// One document, if it exists.
    async fn document(&self, id: DocumentId) -> Result<Option<DocumentRecord>, RecordsError>;

    /// A batch's progress, if the batch exists.
    async fn batch(&self, id: BatchId) -> Result<Option<BatchSummary>, RecordsError>;

    /// A worker starts an attempt: `queued`/`failed`/`processing` → `processing`, attempts + 1.
    async fn start_attempt(&self, id: DocumentId) -> Result<Transition, RecordsError>;

    /// The result is stored: → `done`, error cleared.
    async fn finish_done(
        &self,
        id: DocumentId,
        result_key: &str,
    ) -> Result<Transition, RecordsError>;

    /// The attempt failed. With `will_retry` the document goes back to `queued` (keeping the
    /// error for the user to see); otherwise it is `failed` for good.
    async fn finish_failed(
        &self,
        id: DocumentId,
        error: &ErrorInfo,
        will_retry: bool,
    ) -> Result<Transition, RecordsError>;
}
