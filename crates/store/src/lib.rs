//! The two backends stapel runs on, as traits: [`ObjectStore`] holds files, [`JobQueue`] holds
//! work. The embedded default (disk + SQLite) and the distributed mode (S3 + SQS) implement the
//! same traits, so the dispatcher and the workers run one code path either way.
//!
//! With the `testing` feature, [`testing`] holds the conformance suites: every backend runs the
//! same suite against itself, so "behaves like SQS" is a tested claim rather than a hope.
#![deny(missing_docs)]

mod object;
mod queue;
#[cfg(feature = "testing")]
pub mod testing;

pub use object::{ByteStream, ContentDigest, ObjectKey, ObjectMeta, ObjectStore, StoreError};
pub use queue::{
    check_batch_size, check_receive_options, check_visibility, JobQueue, OutgoingMessage,
    QueueDepth, QueueError, ReceiptHandle, ReceiveOptions, ReceivedMessage, MAX_BATCH,
    MAX_VISIBILITY, MAX_WAIT,
};
