//! The job message: the small, versioned claim-check that travels through the queue.
//!
//! The file itself stays in the object store; only its key travels. Every message carries a
//! version `v`. A worker that meets a version it does not know must fail the job visibly and
//! leave it for the dead-letter queue, never drop it, so a rolling deploy cannot lose work.

use crate::{BatchId, DocumentId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The message version this build writes and understands.
pub const JOB_MESSAGE_VERSION: u32 = 1;

/// "Process this document": everything a worker needs to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMessage {
    /// Message format version; see [`JOB_MESSAGE_VERSION`].
    pub v: u32,
    /// The document to process.
    pub document_id: DocumentId,
    /// The batch it was uploaded in.
    pub batch_id: BatchId,
    /// Object-store key of the original file.
    pub object_key: String,
    /// The file name as uploaded, for logs and format hints (never trusted for the format).
    pub filename: String,
    /// Size in bytes, so a worker can choose a lane or refuse before downloading.
    pub size_bytes: u64,
    /// Who the work belongs to; becomes the SQS message group for fair queueing.
    pub tenant: String,
    /// When the dispatcher accepted the upload.
    pub enqueued_at: DateTime<Utc>,
    /// Set on the page-range jobs a long scan is split into; absent on a whole-document job.
    /// Added to version 1 without a version change: older readers ignore it only if they
    /// never see split jobs, which only workers of this version send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<JobPart>,
    /// The client's request id (`X-Request-Id`, or the trace id of a W3C `traceparent`) of the
    /// upload, so the worker's logs can be joined to the client's and the dispatcher's. The
    /// document id is the trace id within stapel; this only links outward.
    /// Added to version 1 without a version change: it is optional, and older workers ignore
    /// unknown fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One page range of a scan split into parts: pages `first_page..=last_page` (1-based), part
/// `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobPart {
    /// First page of the range.
    pub first_page: u32,
    /// Last page of the range, inclusive.
    pub last_page: u32,
    /// Which part this is, from 0.
    pub index: u32,
    /// How many parts the scan was split into.
    pub count: u32,
}

/// Why a queue message could not be turned into a job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobDecodeError {
    /// Not JSON, or JSON without a version number.
    #[error("job message is not valid: {0}")]
    Malformed(String),
    /// Written by a newer (or much older) build; keep it for one that understands it.
    #[error(
        "job message version {found} is not supported (this worker reads version {supported})"
    )]
    UnsupportedVersion {
        /// The version the message carries.
        found: u64,
        /// The version this build reads.
        supported: u32,
        /// The document id, when it could still be read, so the failure can be recorded.
        document_id: Option<DocumentId>,
    },
}

impl JobMessage {
    /// Encode for the queue.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("job message serializes")
    }

    /// Decode a queue body, checking the version before anything else.
    pub fn decode(body: &str) -> Result<Self, JobDecodeError> {
        let value: serde_json::Value = serde_json::from_str(body)
            .map_err(|error| JobDecodeError::Malformed(error.to_string()))?;
        let version = value
            .get("v")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| JobDecodeError::Malformed("missing version field `v`".into()))?;
        if version != u64::from(JOB_MESSAGE_VERSION) {
            let document_id = value
                .get("document_id")
                .and_then(serde_json::Value::as_str)
                .and_then(|id| id.parse().ok());
            return Err(JobDecodeError::UnsupportedVersion {
                found: version,
                supported: JOB_MESSAGE_VERSION,
                document_id,
            });
        }
        serde_json::from_value(value).map_err(|error| JobDecodeError::Malformed(error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> JobMessage {
        JobMessage {
            part: None,
            request_id: None,
            v: JOB_MESSAGE_VERSION,
            document_id: DocumentId::new(),
            batch_id: BatchId::new(),
            object_key: "documents/x/original".into(),
            filename: "invoice.pdf".into(),
            size_bytes: 1234,
            tenant: "local".into(),
            enqueued_at: Utc::now(),
        }
    }

    #[test]
    fn round_trips() {
        let job = sample();
        assert_eq!(JobMessage::decode(&job.encode()).unwrap(), job);
    }

    #[test]
    fn unknown_version_is_an_error_that_keeps_the_document_id() {
        let job = sample();
        let mut value = serde_json::to_value(&job).unwrap();
        value["v"] = 2.into();
        match JobMessage::decode(&value.to_string()) {
            Err(JobDecodeError::UnsupportedVersion {
                found, document_id, ..
            }) => {
                assert_eq!(found, 2);
                assert_eq!(document_id, Some(job.document_id));
            }
            other => panic!("expected UnsupportedVersion, got {other:?}"),
        }
    }

    #[test]
    fn request_id_is_optional_and_unknown_fields_are_ignored() {
        // A message of an older dispatcher has no request id.
        let mut job = sample();
        let old = job.encode();
        assert!(!old.contains("request_id"));
        assert_eq!(JobMessage::decode(&old).unwrap().request_id, None);
        // A message with one round-trips; readers that do not know a field skip it, which is
        // what lets version-1 workers built before `request_id` read these messages.
        job.request_id = Some("req-42".into());
        assert_eq!(JobMessage::decode(&job.encode()).unwrap(), job);
        let mut value = serde_json::to_value(&job).unwrap();
        value["added_later"] = "x".into();
        assert_eq!(JobMessage::decode(&value.to_string()).unwrap(), job);
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(
            JobMessage::decode("{not json"),
            Err(JobDecodeError::Malformed(_))
        ));
        assert!(matches!(
            JobMessage::decode(r#"{"document_id":"x"}"#),
            Err(JobDecodeError::Malformed(_))
        ));
    }
}
