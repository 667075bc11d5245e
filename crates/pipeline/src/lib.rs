//! How one document moves through stapel, independent of where it runs.
//!
//! ```text
//! upload ─► ingest::accept_document ─► ObjectStore (original) ─► Records (queued) ─► JobQueue
//!                                                                                      │
//! JobQueue ─► worker::Worker ─► process::process_document ─► ObjectStore (result.json) ─► Records (done)
//!                                                                                      │
//!                                                            delete message (last) ◄───┘
//! ```
//!
//! The dispatcher and worker binaries are wiring around this crate: [`Backends`] bundles the
//! three stores, [`ingest`] is the accepting side, [`worker`] the processing side, [`view`] the
//! JSON shape of a document that the API and the CLI print.
#![deny(missing_docs)]

mod backends;
pub mod charts;
pub mod embedded;
pub mod export;
pub mod ingest;
pub mod job_metrics;
pub mod lanes;
pub mod ocr;
pub mod process;
pub mod reconcile;
pub mod redrive;
pub mod review;
pub mod view;
pub mod worker;

pub use backends::{
    bulk_queue_name, BackendSettings, Backends, BackendsError, EmbeddedSettings, QueueNames,
    QueueSettings, RecordsSettings, StoreSettings,
};
pub use stapel_store::ByteStream;
