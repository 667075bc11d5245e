//! The accepting side: an upload becomes a stored original, a record and a queued job.
//!
//! Order matters. The original is stored (and fsynced) first, then recorded, then enqueued, so a
//! job never points at a file that is not there. An upload request is all-or-nothing: every
//! file of a request is staged in the store first ([`stage_original`]) and only then recorded
//! and enqueued ([`commit_staged`]); a request that fails while staging discards what it
//! staged and records nothing. One that fails while committing (records or queue down midway)
//! answers an error too, but keeps the documents it had already recorded: they are processed (or
//! failed with `ingest.enqueue_failed`), and a retried upload of them is flagged as a duplicate.
//! Each document is marked enqueued once its job is sent; one the dispatcher recorded but did
//! not live to enqueue is sent later by [`crate::reconcile`].
//!
//! The type of a file is decided here, from its first bytes as they stream past, never from its
//! name or declared MIME type. A file of no type stapel reads (or an empty one) is still stored
//! and recorded, so one bad file does not fail a batch and the bookkeeper sees it, but as a
//! `failed` document (`upload.unsupported_type`, `upload.empty`) that is never enqueued.

use chrono::Utc;
use stapel_domain::{
    AdministrationId, BatchId, DocumentId, DocumentStatus, ErrorInfo, JobMessage,
    JOB_MESSAGE_VERSION,
};
use stapel_records::{NewDocument, RecordsError};
use stapel_store::{ByteStream, ObjectKey, OutgoingMessage, QueueError, StoreError};

use crate::lanes::Lane;
use crate::process::{describe_unsupported, detect_format, DocumentFormat};
use crate::Backends;
use futures::TryStreamExt;

/// Why an upload was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The file is larger than the limit.
    #[error("file {filename:?} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The file.
        filename: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The upload body broke off.
    #[error("reading {filename:?} failed: {source}")]
    Body {
        /// The file.
        filename: String,
        /// What the stream said.
        source: std::io::Error,
    },
    /// The object store failed.
    #[error("storing the upload failed: {0}")]
    Store(StoreError),
    /// The records database failed.
    #[error("recording the upload failed: {0}")]
    Records(#[from] RecordsError),
    /// The queue failed.
    #[error("enqueueing the job failed: {0}")]
    Queue(#[from] QueueError),
}

/// A file stored in the object store but not yet recorded or enqueued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedDocument {
    /// The id the document will have.
    pub id: DocumentId,
    /// Sanitised file name.
    pub filename: String,
    /// Where the original is.
    pub object_key: ObjectKey,
    /// Size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Why the document is refused without processing (its content is of no type stapel reads,
    /// see [`refusal`]); `None` for a document to enqueue.
    pub refused: Option<ErrorInfo>,
}

/// A document the dispatcher has accepted: stored, recorded and queued (or, refused by its
/// content, recorded as failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedDocument {
    /// Its id.
    pub id: DocumentId,
    /// File name as recorded.
    pub filename: String,
    /// `queued`, or `failed` for a file refused by its content.
    pub status: DocumentStatus,
    /// Why it failed, for a refused file.
    pub error: Option<ErrorInfo>,
}

/// How many leading bytes of an upload decide its type: a PDF header may start anywhere in the
/// first kilobyte, and XML may follow some white space.
pub const SNIFF_BYTES: usize = 8 * 1024;

/// Why a file with these first bytes (at most [`SNIFF_BYTES`]) is refused at upload, or `None`
/// when it is a PDF, XML or an image stapel reads. The type comes from the content only.
pub fn refusal(head: &[u8]) -> Option<ErrorInfo> {
    if head.is_empty() {
        return Some(ErrorInfo::new(
            "upload.empty",
            "the file is empty (0 bytes)",
        ));
    }
    match detect_format(head) {
        DocumentFormat::Pdf | DocumentFormat::Xml | DocumentFormat::Image => None,
        DocumentFormat::Unsupported => Some(ErrorInfo::new(
            "upload.unsupported_type",
            format!(
                "the file is not a PDF, an e-invoice XML or a PNG, JPEG, TIFF or WebP image \
                 (judged by its content, not its name); it looks like {}",
                describe_unsupported(head)
            ),
        )),
    }
}

/// Where the original of a document is stored.
pub fn original_key(id: DocumentId) -> ObjectKey {
    ObjectKey::new(format!("documents/{id}/original")).expect("document keys are valid")
}

/// Where the result (invoice and proposal) of a document is stored.
pub fn result_key(id: DocumentId) -> ObjectKey {
    ObjectKey::new(format!("documents/{id}/result.json")).expect("document keys are valid")
}

/// Keep a file name as metadata only: no control characters, no path, bounded length.
pub fn sanitize_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        "upload".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Stream one file into the object store under a fresh document id.
pub async fn stage_original(
    backends: &Backends,
    filename: &str,
    body: ByteStream<'_>,
    max_bytes: u64,
) -> Result<StagedDocument, IngestError> {
    let id = DocumentId::new();
    let filename = sanitize_filename(filename);
    let key = original_key(id);
    // The first bytes are kept as they pass, to judge the type without reading the file back.
    let mut head = Vec::new();
    let body = body.inspect_ok(|chunk| {
        let wanted = SNIFF_BYTES.saturating_sub(head.len()).min(chunk.len());
        head.extend_from_slice(&chunk[..wanted]);
    });
    let meta = backends
        .store
        .put_stream(&key, Box::pin(body), max_bytes)
        .await
        .map_err(|error| match error {
            StoreError::TooLarge { limit } => IngestError::TooLarge {
                filename: filename.clone(),
                limit,
            },
            StoreError::Body(source) => IngestError::Body {
                filename: filename.clone(),
                source,
            },
            other => IngestError::Store(other),
        })?;
    Ok(StagedDocument {
        id,
        filename,
        object_key: key,
        size_bytes: meta.size,
        sha256: meta.sha256.unwrap_or_default(),
        refused: refusal(&head),
    })
}

/// Where uploads are booked: a tenant (accounting firm) and one of its administrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTarget {
    /// The tenant.
    pub tenant: String,
    /// The administration.
    pub administration: AdministrationId,
}

/// The single-tenant set-up of this version: tenant `tenant` with an administration called
/// `default`, created on first use.
pub async fn default_target(
    backends: &Backends,
    tenant: &str,
) -> Result<UploadTarget, IngestError> {
    backends.records.ensure_tenant(tenant, tenant).await?;
    let administration = backends
        .records
        .ensure_administration(tenant, "default")
        .await?;
    Ok(UploadTarget {
        tenant: tenant.to_owned(),
        administration: administration.id,
    })
}

/// Record and enqueue staged files. Returns them in the order given.
pub async fn commit_staged(
    backends: &Backends,
    batch_id: BatchId,
    target: &UploadTarget,
    staged: &[StagedDocument],
) -> Result<Vec<AcceptedDocument>, IngestError> {
    commit_staged_for_request(backends, batch_id, target, staged, None).await
}

/// [`commit_staged`] for an API request the client named (`X-Request-Id`, `traceparent`): the
/// id travels in each job message, so the worker's logs carry it too.
pub async fn commit_staged_for_request(
    backends: &Backends,
    batch_id: BatchId,
    target: &UploadTarget,
    staged: &[StagedDocument],
    request_id: Option<&str>,
) -> Result<Vec<AcceptedDocument>, IngestError> {
    let tenant = target.tenant.as_str();
    backends
        .records
        .ensure_batch(batch_id, tenant, target.administration)
        .await?;
    let mut accepted = Vec::with_capacity(staged.len());
    for document in staged {
        backends
            .records
            .insert_document(&NewDocument {
                id: document.id,
                batch_id,
                tenant: tenant.to_owned(),
                administration_id: target.administration,
                filename: document.filename.clone(),
                object_key: document.object_key.to_string(),
                content_sha256: document.sha256.clone(),
                size_bytes: document.size_bytes,
            })
            .await?;
        if let Some(error) = &document.refused {
            // Recorded so the bookkeeper sees it, failed at once: no worker time is spent.
            backends
                .records
                .finish_failed(document.id, error, false)
                .await?;
            tracing::info!(document_id = %document.id, %batch_id, filename = %document.filename,
                code = %error.code, "document refused by its content");
            accepted.push(AcceptedDocument {
                id: document.id,
                filename: document.filename.clone(),
                status: DocumentStatus::Failed,
                error: Some(error.clone()),
            });
            continue;
        }
        let job = JobMessage {
            v: JOB_MESSAGE_VERSION,
            document_id: document.id,
            batch_id,
            object_key: document.object_key.to_string(),
            filename: document.filename.clone(),
            size_bytes: document.size_bytes,
            tenant: tenant.to_owned(),
            enqueued_at: Utc::now(),
            part: None,
            request_id: request_id.map(str::to_owned),
        };
        // The lane is chosen by size alone: accepting an upload never opens the file.
        let lane = Lane::for_upload(document.size_bytes);
        let sent = lane
            .queue(backends)
            .send(OutgoingMessage {
                body: job.encode(),
                group: tenant.to_owned(),
            })
            .await;
        if let Err(error) = sent {
            // The record exists but no job does: say so on the document rather than leave it
            // `queued` forever.
            let info = ErrorInfo::new("ingest.enqueue_failed", error.to_string());
            let _ = backends
                .records
                .finish_failed(document.id, &info, false)
                .await;
            return Err(error.into());
        }
        crate::reconcile::mark_enqueued(backends, document.id).await;
        tracing::info!(document_id = %document.id, %batch_id, filename = %document.filename,
            size_bytes = document.size_bytes, lane = lane.name(), "document accepted");
        accepted.push(AcceptedDocument {
            id: document.id,
            filename: document.filename.clone(),
            status: DocumentStatus::Queued,
            error: None,
        });
    }
    Ok(accepted)
}

/// Remove the staged originals of a request that failed, except those a record already points
/// at: a request that failed while committing (records or queue unavailable midway) leaves its
/// first documents recorded, and usually queued, and their jobs need their originals (best
/// effort: an orphan blob is harmless, a missing original fails a document).
pub async fn discard_staged(backends: &Backends, staged: &[StagedDocument]) {
    for document in staged {
        match backends.records.document(document.id).await {
            Ok(None) => {}
            Ok(Some(_)) => continue,
            Err(error) => {
                tracing::warn!(document_id = %document.id, %error,
                    "cannot tell whether a staged upload was recorded; keeping it");
                continue;
            }
        }
        if let Err(error) = backends.store.delete(&document.object_key).await {
            tracing::warn!(document_id = %document.id, %error, "could not discard staged upload");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_control_characters() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(
            sanitize_filename("C:\\Users\\x\\factuur.pdf"),
            "factuur.pdf"
        );
        assert_eq!(sanitize_filename("a\u{0}b\n.pdf"), "ab.pdf");
        assert_eq!(sanitize_filename("   "), "upload");
        assert_eq!(sanitize_filename(&"x".repeat(1000)).len(), 255);
    }

    #[tokio::test]
    async fn refused_files_are_recorded_failed_and_never_enqueued() {
        let dir = tempfile::tempdir().unwrap();
        let backends = Backends::open_embedded(&crate::EmbeddedSettings::new(dir.path()))
            .await
            .unwrap();
        let target = default_target(&backends, "tenant").await.unwrap();
        let body = |bytes: &'static [u8]| -> ByteStream<'static> {
            // Split in small chunks, so the type is judged across chunk boundaries.
            let chunks: Vec<std::io::Result<bytes::Bytes>> = bytes
                .chunks(3)
                .map(|chunk| Ok(bytes::Bytes::from_static(chunk)))
                .collect();
            Box::pin(futures::stream::iter(chunks))
        };
        let mut staged = Vec::new();
        for (name, bytes) in [
            ("invoice.png", &b"junk %PDF-1.7\n"[..]),
            ("empty.pdf", &b""[..]),
            ("archive.pdf", &b"PK\x03\x04 a zip"[..]),
        ] {
            staged.push(
                stage_original(&backends, name, body(bytes), 1024)
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(staged[0].refused, None);
        let accepted = commit_staged(&backends, BatchId::new(), &target, &staged)
            .await
            .unwrap();
        let statuses: Vec<_> = accepted
            .iter()
            .map(|document| {
                (
                    document.status,
                    document.error.as_ref().map(|e| e.code.as_str()),
                )
            })
            .collect();
        assert_eq!(
            statuses,
            [
                (DocumentStatus::Queued, None),
                (DocumentStatus::Failed, Some("upload.empty")),
                (DocumentStatus::Failed, Some("upload.unsupported_type")),
            ]
        );
        for document in &accepted[1..] {
            let record = backends
                .records
                .document(document.id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(record.status, DocumentStatus::Failed);
            assert_eq!(record.error, document.error);
        }
        // Only the PDF is queued; the refused files are stored, so the bookkeeper can look.
        assert_eq!(backends.queue.depth().await.unwrap().visible, 1);
        let stored = backends.store.get(&staged[2].object_key).await.unwrap();
        assert_eq!(&stored[..], b"PK\x03\x04 a zip");
    }

    /// A request that failed while committing keeps the originals its recorded documents need,
    /// and discards only the rest.
    #[tokio::test]
    async fn discarding_a_failed_request_keeps_recorded_originals() {
        let dir = tempfile::tempdir().unwrap();
        let backends = Backends::open_embedded(&crate::EmbeddedSettings::new(dir.path()))
            .await
            .unwrap();
        let target = default_target(&backends, "tenant").await.unwrap();
        let mut staged = Vec::new();
        for name in ["recorded.pdf", "not-recorded.pdf"] {
            let body: ByteStream<'static> = Box::pin(futures::stream::iter([Ok(
                bytes::Bytes::from_static(b"%PDF-1.7\n"),
            )]));
            staged.push(stage_original(&backends, name, body, 1024).await.unwrap());
        }
        // As if the records failed after the first document of the request.
        commit_staged(&backends, BatchId::new(), &target, &staged[..1])
            .await
            .unwrap();
        discard_staged(&backends, &staged).await;
        assert!(backends.store.get(&staged[0].object_key).await.is_ok());
        assert!(matches!(
            backends.store.get(&staged[1].object_key).await,
            Err(stapel_store::StoreError::NotFound(_))
        ));
    }

    #[test]
    fn the_type_comes_from_the_first_bytes() {
        assert_eq!(refusal(b"").unwrap().code, "upload.empty");
        for readable in [
            &b"%PDF-1.7\n"[..],
            b"junk first %PDF-1.4",
            b"\xEF\xBB\xBF <?xml version=\"1.0\"?><Invoice/>",
            b"\x89PNG\r\n\x1a\n....",
            &[0xFF, 0xD8, 0xFF, 0xE0],
            b"II*\0....",
            b"RIFF\x10\0\0\0WEBPVP8 ",
        ] {
            assert_eq!(refusal(readable), None, "{readable:?}");
        }
        let zip = refusal(b"PK\x03\x04\x14\0\0\0").unwrap();
        assert_eq!(zip.code, "upload.unsupported_type");
        assert!(zip.message.contains("ZIP"), "{}", zip.message);
        let gif = refusal(b"GIF89a....").unwrap();
        assert!(gif.message.contains("GIF"), "{}", gif.message);
        let text = refusal(b"Invoice 2026-118, total 12.00 EUR").unwrap();
        assert!(text.message.contains("plain text"), "{}", text.message);
    }
}
