//! The JSON shape of a document and a batch, shared by `GET /v1/documents/{id}`, the
//! `dispatcher process --json` output and the web page. Fields are added, never renamed.

use crate::process::DocumentResult;
use crate::Backends;
use chrono::{DateTime, Utc};
use serde::Serialize;
use stapel_domain::{
    BatchId, BookingProposal, DocumentId, DocumentStatus, ErrorInfo, ExtractedInvoice,
};
use stapel_records::{BatchSummary, DocumentRecord, RecordsError};
use stapel_store::{ObjectKey, StoreError};
use std::collections::BTreeMap;

/// Why a view could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// The records failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
    /// The result could not be read.
    #[error("reading the result failed: {0}")]
    Store(#[from] StoreError),
    /// The stored result is not valid JSON of the expected shape.
    #[error("stored result is unreadable: {0}")]
    CorruptResult(String),
}

/// One document as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentView {
    /// Document id.
    pub id: DocumentId,
    /// File name as uploaded.
    pub filename: String,
    /// Pipeline status.
    pub status: DocumentStatus,
    /// The batch it belongs to.
    pub batch: BatchId,
    /// Attempts started so far.
    pub attempts: u32,
    /// Size of the original in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the original.
    pub sha256: String,
    /// When the upload was accepted.
    pub created_at: DateTime<Utc>,
    /// When processing finished, if it did.
    pub finished_at: Option<DateTime<Utc>>,
    /// The extracted fields, once done.
    pub invoice: Option<ExtractedInvoice>,
    /// The booking proposal, once done.
    pub proposal: Option<BookingProposal>,
    /// Why it failed (or why the last attempt failed, while a retry is queued).
    pub error: Option<ErrorInfo>,
}

/// One batch as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchView {
    /// Batch id.
    pub id: BatchId,
    /// When the batch was created.
    pub created_at: DateTime<Utc>,
    /// Number of documents.
    pub total: u64,
    /// Documents per status (every status present).
    pub counts: BTreeMap<&'static str, u64>,
    /// Document ids in upload order.
    pub documents: Vec<DocumentId>,
}

impl From<BatchSummary> for BatchView {
    fn from(summary: BatchSummary) -> Self {
        Self {
            id: summary.id,
            created_at: summary.created_at,
            total: summary.counts.values().sum(),
            counts: summary
                .counts
                .iter()
                .map(|(status, count)| (status.as_str(), *count))
                .collect(),
            documents: summary.document_ids,
        }
    }
}

/// Build the view of one document, reading its result from the store when it is done.
pub async fn document_view(
    backends: &Backends,
    id: DocumentId,
) -> Result<Option<DocumentView>, ViewError> {
    let Some(record) = backends.records.document(id).await? else {
        return Ok(None);
    };
    let result = match (&record.status, &record.result_key) {
        (DocumentStatus::Done, Some(key)) => Some(read_result(backends, key).await?),
        _ => None,
    };
    Ok(Some(view_of(record, result)))
}

async fn read_result(backends: &Backends, key: &str) -> Result<DocumentResult, ViewError> {
    let key = ObjectKey::new(key).map_err(|error| ViewError::CorruptResult(error.to_string()))?;
    let bytes = backends.store.get(&key).await?;
    serde_json::from_slice(&bytes).map_err(|error| ViewError::CorruptResult(error.to_string()))
}

fn view_of(record: DocumentRecord, result: Option<DocumentResult>) -> DocumentView {
    let (invoice, proposal) = match result {
        Some(result) => (Some(result.invoice), Some(result.proposal)),
        None => (None, None),
    };
    DocumentView {
        id: record.document.id,
        filename: record.document.filename,
        status: record.status,
        batch: record.document.batch_id,
        attempts: record.attempts,
        size_bytes: record.document.size_bytes,
        sha256: record.document.content_sha256,
        created_at: record.created_at,
        finished_at: record.finished_at,
        invoice,
        proposal,
        error: record.error,
    }
}

/// Build the view of one batch.
pub async fn batch_view(backends: &Backends, id: BatchId) -> Result<Option<BatchView>, ViewError> {
    Ok(backends.records.batch(id).await?.map(BatchView::from))
}
