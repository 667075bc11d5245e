//! The embedded default: everything on one machine, nothing to install, no cloud account.
//!
//! - [`FsObjectStore`] keeps objects as files under `<data-dir>/objects/`, written to a temporary
//!   file and renamed into place so readers never see half an upload.
//! - [`SqliteQueue`] is a queue with SQS semantics in a SQLite database (`<data-dir>/queue.db`).
//!   Every state change is one SQL statement, so it survives a crash of any process at any point,
//!   and several worker processes can share it.
#![deny(missing_docs)]

mod fs_store;
mod sqlite_queue;

pub use fs_store::FsObjectStore;
pub use sqlite_queue::{open_queue_database, Redrive, SqliteQueue};
