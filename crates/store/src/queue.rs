//! A job queue with Amazon SQS semantics.
//!
//! At-least-once delivery: a received message is hidden for a visibility timeout, not removed.
//! Only `delete` removes it, so a worker that crashes mid-job loses nothing: the message
//! reappears and another worker takes it. After `max_receives` deliveries without a delete, the
//! message moves to the dead-letter queue instead of poisoning the pool forever.

use async_trait::async_trait;
use std::time::Duration;

/// SQS's batch limit, shared by every backend so code tested on one behaves the same on all.
pub const MAX_BATCH: usize = 10;

/// Refuse batches SQS would refuse: empty, or more than [`MAX_BATCH`] entries.
pub fn check_batch_size(len: usize) -> Result<(), QueueError> {
    if (1..=MAX_BATCH).contains(&len) {
        Ok(())
    } else {
        Err(QueueError::InvalidArgument(format!(
            "a batch holds 1 to {MAX_BATCH} entries, got {len}"
        )))
    }
}

/// SQS's longest long poll.
pub const MAX_WAIT: Duration = Duration::from_secs(20);

/// SQS's longest visibility timeout.
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);

/// Refuse a visibility timeout SQS would refuse (above 12 hours).
pub fn check_visibility(timeout: Duration) -> Result<(), QueueError> {
    if timeout > MAX_VISIBILITY {
        return Err(QueueError::InvalidArgument(
            "visibility timeout above 12 h".into(),
        ));
    }
    Ok(())
}

/// Refuse receive options SQS would refuse, on every backend alike.
pub fn check_receive_options(options: &ReceiveOptions) -> Result<(), QueueError> {
    check_batch_size(options.max_messages)?;
    if options.wait_time > MAX_WAIT || options.visibility_timeout > MAX_VISIBILITY {
        return Err(QueueError::InvalidArgument(
            "wait time above 20 s or visibility timeout above 12 h".into(),
        ));
    }
    Ok(())
}

/// Proof of one delivery, needed to extend or delete it. Each delivery gets a new handle.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceiptHandle(pub String);

/// A message to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// The payload (a versioned JSON job message).
    pub body: String,
    /// Fairness group, normally the tenant: SQS fair queues and the embedded queue use it so one
    /// firm's flood does not starve another firm's few documents.
    pub group: String,
}

/// How to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveOptions {
    /// At most this many messages (SQS allows 1 to 10).
    pub max_messages: usize,
    /// How long received messages stay hidden from other consumers.
    pub visibility_timeout: Duration,
    /// Long polling: wait up to this long for a message to arrive (SQS allows up to 20 s).
    pub wait_time: Duration,
}

impl Default for ReceiveOptions {
    fn default() -> Self {
        Self {
            max_messages: 1,
            visibility_timeout: Duration::from_secs(30),
            wait_time: Duration::from_secs(20),
        }
    }
}

/// One delivery of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// Stable id of the message across deliveries.
    pub message_id: String,
    /// The payload as sent.
    pub body: String,
    /// Handle of this delivery.
    pub receipt: ReceiptHandle,
    /// How many times the message has been delivered, this time included (SQS
    /// `ApproximateReceiveCount`).
    pub receive_count: u32,
}

/// Approximate queue depth (SQS `ApproximateNumberOfMessages` and `...NotVisible`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Messages waiting to be received.
    pub visible: u64,
    /// Messages received and not yet deleted or timed out.
    pub in_flight: u64,
}

/// Why a queue call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The receipt handle is unknown or belongs to an earlier delivery: this consumer no longer
    /// holds the message (its visibility timed out and someone else may have it).
    #[error("receipt handle is no longer valid")]
    ReceiptInvalid,
    /// The call's arguments are out of range.
    #[error("invalid queue request: {0}")]
    InvalidArgument(String),
    /// The backend failed; worth retrying.
    #[error("queue backend error: {0}")]
    Backend(String),
    /// The backend refused for a reason retrying cannot fix (a missing queue, denied access, no
    /// redrive policy). The message names the resource and the fix.
    #[error("queue misconfigured: {0}")]
    Misconfigured(String),
}

/// A queue of jobs with SQS semantics. See the module docs for the delivery contract.
#[async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// Enqueue a message; returns its id.
    async fn send(&self, message: OutgoingMessage) -> Result<String, QueueError>;

    /// Receive up to `max_messages`, long-polling up to `wait_time`. An empty result is normal.
    async fn receive(&self, options: &ReceiveOptions) -> Result<Vec<ReceivedMessage>, QueueError>;

    /// Keep a message hidden for `timeout` from now (the heartbeat of a long job).
    async fn extend_visibility(
        &self,
        receipt: &ReceiptHandle,
        timeout: Duration,
    ) -> Result<(), QueueError>;

    /// Remove a message for good, once its work is durably done.
    async fn delete(&self, receipt: &ReceiptHandle) -> Result<(), QueueError>;

    /// Remove up to ten messages in one call (SQS `DeleteMessageBatch`). One result per receipt,
    /// in order: a stale receipt fails its own entry, not the batch.
    async fn delete_batch(
        &self,
        receipts: &[ReceiptHandle],
    ) -> Result<Vec<Result<(), QueueError>>, QueueError> {
        check_batch_size(receipts.len())?;
        let mut results = Vec::with_capacity(receipts.len());
        for receipt in receipts {
            results.push(self.delete(receipt).await);
        }
        Ok(results)
    }

    /// Approximate number of waiting and in-flight messages.
    async fn depth(&self) -> Result<QueueDepth, QueueError>;

    /// Deliveries after which a message is dead-lettered, if the queue has a dead-letter queue.
    /// Workers use it to know when an attempt is the last one.
    fn max_receives(&self) -> Option<u32>;
}
