//! Sending dead-lettered jobs back to work.
//!
//! A job reaches the dead-letter queue when workers gave up on it: a message this build cannot
//! read (a newer version), or a failure that kept recurring until `max_receives`. Once the cause
//! is fixed (a newer worker deployed, a backend repaired), `dispatcher redrive` replays them.
//! Each message goes back to the lane it was in (a page-range part or a large file to the bulk
//! lane, everything else to the fast lane), its document returns to `queued` keeping the error of
//! its last attempt, and its dead letter in the records is marked redriven.
//!
//! The order makes a crash at any point harmless: the document is requeued before the job is
//! sent (so a worker that picks the job up at once is not overwritten back to `queued`), and
//! the message leaves the dead-letter queue last. A crash midway therefore sends a job twice at
//! worst, which processing is idempotent against (`done` is final).

use crate::lanes::Lane;
use crate::Backends;
use chrono::Utc;
use serde_json::Value;
use stapel_domain::{DocumentId, DocumentStatus};
use stapel_records::RecordsError;
use stapel_store::{OutgoingMessage, QueueError, ReceiveOptions, ReceivedMessage};
use std::time::Duration;

/// How long a message read for a redrive stays hidden while it is handled (or, on a dry run,
/// until it is released again at the end).
const HOLD: Duration = Duration::from_secs(60);

/// Why a redrive stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedriveError {
    /// A queue call failed; the messages not yet handled stay in the dead-letter queue.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The records could not be updated; the message stays in the dead-letter queue.
    #[error(transparent)]
    Records(#[from] RecordsError),
}

/// What to redrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedriveOptions {
    /// At most this many messages.
    pub limit: usize,
    /// Only say what would be redriven: every message read is released again, nothing changes.
    pub dry_run: bool,
}

/// One dead-lettered job and where it went (or would go).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivenJob {
    /// The message id in the dead-letter queue.
    pub message_id: String,
    /// The document, when the message names one.
    pub document_id: Option<DocumentId>,
    /// The lane it was sent back to.
    pub lane: Lane,
}

/// Move up to `options.limit` messages from the dead-letter queue back to their lanes.
pub async fn redrive(
    backends: &Backends,
    options: RedriveOptions,
) -> Result<Vec<RedrivenJob>, RedriveError> {
    let mut handled = Vec::new();
    let mut held: Vec<ReceivedMessage> = Vec::new();
    let result = redrive_until_empty(backends, options, &mut handled, &mut held).await;
    // A dry run (or a run cut short by an error) gives back what it is still holding, so the
    // messages are visible again at once rather than after the hold.
    for message in &held {
        if let Err(error) = backends
            .dead_letter
            .extend_visibility(&message.receipt, Duration::ZERO)
            .await
        {
            tracing::warn!(%error, message_id = %message.message_id,
                "could not release a dead letter; it is visible again after {HOLD:?}");
        }
    }
    result.map(|()| handled)
}

async fn redrive_until_empty(
    backends: &Backends,
    options: RedriveOptions,
    handled: &mut Vec<RedrivenJob>,
    held: &mut Vec<ReceivedMessage>,
) -> Result<(), RedriveError> {
    while handled.len() < options.limit {
        let received = backends
            .dead_letter
            .receive(&ReceiveOptions {
                max_messages: (options.limit - handled.len()).min(stapel_store::MAX_BATCH),
                visibility_timeout: HOLD,
                // A short long-poll: SQS's short poll may answer empty while messages wait.
                wait_time: Duration::from_secs(1),
            })
            .await?;
        if received.is_empty() {
            return Ok(());
        }
        for message in received {
            let job = RedrivenJob {
                message_id: message.message_id.clone(),
                document_id: document_of(&message.body),
                lane: lane_of(&message.body),
            };
            if options.dry_run {
                held.push(message);
            } else {
                held.push(message.clone());
                send_back(backends, &job, &message).await?;
                held.pop();
            }
            handled.push(job);
        }
    }
    Ok(())
}

async fn send_back(
    backends: &Backends,
    job: &RedrivenJob,
    message: &ReceivedMessage,
) -> Result<(), RedriveError> {
    if let Some(id) = job.document_id {
        requeue_document(backends, id).await?;
    }
    job.lane
        .queue(backends)
        .send(OutgoingMessage {
            body: message.body.clone(),
            group: group_of(&message.body),
        })
        .await?;
    backends
        .records
        .mark_redriven(&message.message_id, Utc::now())
        .await?;
    backends.dead_letter.delete(&message.receipt).await?;
    tracing::info!(message_id = %job.message_id, document_id = ?job.document_id,
        lane = job.lane.name(), "dead letter redriven");
    Ok(())
}

/// A failed document goes back to `queued`, keeping its last error as "why the last attempt
/// failed" (the API shows it while the retry waits). Any other status is left alone: a `done`
/// document ignores the replayed job.
async fn requeue_document(backends: &Backends, id: DocumentId) -> Result<(), RecordsError> {
    let Some(record) = backends.records.document(id).await? else {
        return Ok(());
    };
    if record.status == DocumentStatus::Failed {
        let error = record.error.unwrap_or_else(|| {
            stapel_domain::ErrorInfo::new("job.dead_lettered", "the job was dead-lettered")
        });
        backends.records.finish_failed(id, &error, true).await?;
    }
    Ok(())
}

/// The message read loosely as JSON: a dead letter may be of a version this build cannot decode,
/// and is replayed as it is for a build that can.
fn fields(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

fn document_of(body: &str) -> Option<DocumentId> {
    fields(body)["document_id"].as_str()?.parse().ok()
}

/// Parts of a split scan belong to the bulk lane; a whole document goes where its size sent it
/// at upload; a message without a size to the fast lane, whose workers move it on if need be.
fn lane_of(body: &str) -> Lane {
    let fields = fields(body);
    if !fields["part"].is_null() {
        return Lane::Bulk;
    }
    fields["size_bytes"]
        .as_u64()
        .map_or(Lane::Fast, Lane::for_upload)
}

/// The fairness group is the tenant, as at upload.
fn group_of(body: &str) -> String {
    fields(body)["tenant"]
        .as_str()
        .unwrap_or("unknown")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::FAST_LANE_MAX_BYTES;

    #[test]
    fn lanes_follow_the_job() {
        let part =
            r#"{"v":1,"size_bytes":10,"part":{"first_page":1,"last_page":5,"index":0,"count":2}}"#;
        assert_eq!(lane_of(part), Lane::Bulk);
        let large = format!(r#"{{"v":2,"size_bytes":{}}}"#, FAST_LANE_MAX_BYTES + 1);
        assert_eq!(lane_of(&large), Lane::Bulk);
        assert_eq!(lane_of(r#"{"v":1,"size_bytes":1000}"#), Lane::Fast);
        assert_eq!(lane_of("not json"), Lane::Fast);
    }

    #[test]
    fn unreadable_messages_keep_what_can_be_read() {
        let id = DocumentId::new();
        let body = format!(r#"{{"v":7,"document_id":"{id}","tenant":"acme"}}"#);
        assert_eq!(document_of(&body), Some(id));
        assert_eq!(group_of(&body), "acme");
        assert_eq!(document_of("{}"), None);
        assert_eq!(group_of("garbage"), "unknown");
    }
}
