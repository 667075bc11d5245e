//! Reconciliation: a document recorded but never enqueued is enqueued after all.
//!
//! Ingest records a document (`queued`), sends its job, then marks it enqueued
//! ([`mark_enqueued`]). A dispatcher that dies between the record and the send leaves a document
//! no worker will ever hear of. [`reconcile_unqueued`] finds those (still `queued`, never
//! started, never marked, recorded longer ago than a grace period that covers an upload still in
//! progress) and sends their jobs again. The dispatcher runs it at start-up and periodically.
//!
//! Several dispatchers may reconcile at once, and a slow upload's send may race the
//! reconciler: a job can then be sent twice. That is harmless, as any redelivery is: the
//! records' conditional updates let one worker record the result and the other acknowledge a
//! duplicate. The job is sent before the mark, so a reconciler dying midway loses nothing.

use chrono::Utc;
use stapel_domain::{DocumentId, JobMessage, JOB_MESSAGE_VERSION};
use stapel_records::{DocumentRecord, RecordsError};
use stapel_store::{OutgoingMessage, QueueError};
use std::time::Duration;

use crate::lanes::Lane;
use crate::Backends;

/// Documents read per records query while reconciling.
const PAGE: u32 = 100;

/// Why a reconciliation pass stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// The records database failed.
    #[error("reading unqueued documents failed: {0}")]
    Records(#[from] RecordsError),
    /// The queue failed.
    #[error("re-enqueueing a document failed: {0}")]
    Queue(#[from] QueueError),
}

/// Mark a document's job as sent. A failure is logged, not returned: the job is in the queue,
/// and the worst a missing mark causes is one harmless duplicate job from the reconciler.
pub async fn mark_enqueued(backends: &Backends, id: DocumentId) {
    if let Err(error) = backends.records.mark_enqueued(&[id]).await {
        tracing::warn!(document_id = %id, %error, stage = "records",
            "could not mark the document enqueued; the reconciler may send its job again");
    }
}

/// Send the job of every document recorded more than `grace` ago whose job was never sent
/// (see the module docs). Returns how many jobs were sent.
pub async fn reconcile_unqueued(
    backends: &Backends,
    grace: Duration,
) -> Result<u64, ReconcileError> {
    let cutoff = Utc::now() - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
    let mut sent = 0;
    loop {
        let documents = backends.records.unqueued_documents(cutoff, PAGE).await?;
        let page_len = documents.len();
        for record in documents {
            enqueue_again(backends, &record).await?;
            sent += 1;
        }
        // Each sent document was marked, so the next query starts after it.
        if page_len < PAGE as usize {
            break;
        }
    }
    if sent > 0 {
        tracing::warn!(
            sent,
            "reconciled documents that were recorded but never enqueued"
        );
    }
    Ok(sent)
}

async fn enqueue_again(backends: &Backends, record: &DocumentRecord) -> Result<(), ReconcileError> {
    let document = &record.document;
    let job = JobMessage {
        v: JOB_MESSAGE_VERSION,
        document_id: document.id,
        batch_id: document.batch_id,
        object_key: document.object_key.clone(),
        filename: document.filename.clone(),
        size_bytes: document.size_bytes,
        tenant: document.tenant.clone(),
        enqueued_at: Utc::now(),
        part: None,
        request_id: None,
    };
    let lane = Lane::for_upload(document.size_bytes);
    lane.queue(backends)
        .send(OutgoingMessage {
            body: job.encode(),
            group: document.tenant.clone(),
        })
        .await?;
    tracing::warn!(document_id = %document.id, batch_id = %document.batch_id,
        recorded_at = %record.created_at, lane = lane.name(),
        "document was recorded but never enqueued; job sent");
    // A failure here ends the pass (the next query would find the document again).
    backends.records.mark_enqueued(&[document.id]).await?;
    Ok(())
}

/// Reconcile now, then every `interval`, until the task is dropped. Errors are logged and the
/// next pass retries.
pub async fn run_reconciler(backends: Backends, grace: Duration, interval: Duration) {
    loop {
        if let Err(error) = reconcile_unqueued(&backends, grace).await {
            tracing::warn!(%error, "reconciliation pass failed; will retry");
        }
        tokio::time::sleep(interval).await;
    }
}
