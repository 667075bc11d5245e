//! The dispatcher: the HTTP API and web page ([`http`]), the one-shot `process` command
//! ([`process_cmd`]), the `upload` client of a running dispatcher ([`upload_cmd`]) and the
//! local worker pool of the embedded default ([`pool`]), and the Prometheus metrics
//! ([`telemetry`]).
//!
//! Accepting an upload never waits on processing: a request returns `202` once its files are
//! stored and their jobs queued.

pub mod dead_letter_cmd;
pub mod http;
pub mod pool;
pub mod process_cmd;
pub mod scaling;
pub mod telemetry;
pub mod upload_cmd;
