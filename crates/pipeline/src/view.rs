//! The JSON shape of a document and a batch, shared by `GET /v1/documents/{id}`, the
//! `dispatcher process --json` output and the web page. Fields are added, never renamed.

use crate::Backends;
use chrono::{DateTime, Utc};
use serde::Serialize;
use stapel_domain::{
    BatchId, BookingProposal, DocumentId, DocumentStatus, ErrorInfo, ExtractedInvoice,
};
use stapel_records::{BatchSummary, DeadLetter, DocumentRecord, RecordsError};
use std::collections::BTreeMap;

/// Why a view could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// The records failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
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
    /// The booking proposal, once done: the latest version, a bookkeeper's correction
    /// included.
    pub proposal: Option<BookingProposal>,
    /// `pending` until a bookkeeper accepts (`accepted`) or corrects (`corrected`) the
    /// proposal; `null` before the document is done.
    pub review_status: Option<&'static str>,
    /// Why it failed (or why the last attempt failed, while a retry is queued).
    pub error: Option<ErrorInfo>,
}

/// One batch as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchView {
    /// Batch id.
    pub id: BatchId,
    /// The name given at upload (`batch_name`), if any.
    pub name: Option<String>,
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
            name: summary.name,
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

/// Build the view of one document from the records (never from the object store: a page of
/// documents must not cost a page of S3 reads).
pub async fn document_view(
    backends: &Backends,
    id: DocumentId,
) -> Result<Option<DocumentView>, ViewError> {
    let Some(record) = backends.records.document(id).await? else {
        return Ok(None);
    };
    let (invoice, proposal) = if record.status == DocumentStatus::Done {
        let invoice = backends.records.extraction(id).await?;
        let proposal = backends
            .records
            .proposal_history(id)
            .await?
            .pop()
            .map(|version| version.proposal);
        (invoice, proposal)
    } else {
        (None, None)
    };
    Ok(Some(view_of(record, invoice, proposal)))
}

/// The views of several documents, in the given order; ids without a record are left out.
pub async fn document_views(
    backends: &Backends,
    ids: impl IntoIterator<Item = DocumentId>,
) -> Result<Vec<DocumentView>, ViewError> {
    let mut views = Vec::new();
    for id in ids {
        views.extend(document_view(backends, id).await?);
    }
    Ok(views)
}

fn view_of(
    record: DocumentRecord,
    invoice: Option<ExtractedInvoice>,
    proposal: Option<BookingProposal>,
) -> DocumentView {
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
        review_status: record.review_status.map(|status| status.as_str()),
        error: record.error,
    }
}

/// A job workers gave up on, as the API and `dispatcher dead-letter list` show it. The message
/// body stays out: it is an internal format, and the document id says what the job was.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetterView {
    /// The queue message id.
    pub message_id: String,
    /// The document, when the message could be read.
    pub document_id: Option<DocumentId>,
    /// Why it was given up.
    pub reason: ErrorInfo,
    /// Deliveries it had.
    pub receive_count: u32,
    /// When it was given up.
    pub dead_lettered_at: DateTime<Utc>,
    /// When `dispatcher dead-letter redrive` sent it back to work; `null` while it waits.
    pub redriven_at: Option<DateTime<Utc>>,
}

impl From<DeadLetter> for DeadLetterView {
    fn from(letter: DeadLetter) -> Self {
        Self {
            message_id: letter.message_id,
            document_id: letter.document_id,
            reason: letter.reason,
            receive_count: letter.receive_count,
            dead_lettered_at: letter.dead_lettered_at,
            redriven_at: letter.redriven_at,
        }
    }
}

/// Build the view of one batch.
pub async fn batch_view(backends: &Backends, id: BatchId) -> Result<Option<BatchView>, ViewError> {
    Ok(backends.records.batch(id).await?.map(BatchView::from))
}
