//! The distributed backends: [`S3ObjectStore`] keeps originals and results in Amazon S3 (or an
//! S3-compatible store), [`SqsQueue`] carries jobs on Amazon SQS. Any number of dispatchers and
//! workers on any number of hosts share them, and they pass the same conformance suites as the
//! embedded default, so the pipeline runs unchanged on either.
//!
//! Configuration follows the AWS SDK's standard chain (credentials, region, `AWS_ENDPOINT_URL`
//! and the per-service `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_SQS`), with
//! [`AwsSettings`] for what a deployment or a test pins explicitly. The region defaults to
//! eu-central-1: EU data stays in the EU unless someone says otherwise. Transient failures
//! (throttling, 5xx, timeouts) are retried by the SDK's standard retry mode; permanent ones
//! (a missing bucket or queue, denied access) become `Misconfigured` errors that name the
//! resource and the fix.
//!
//! [`setup`] creates a bucket, a queue and its dead-letter queue for local use against an
//! S3/SQS-compatible endpoint. With the `testing` feature, [`moto`] starts a moto server on a
//! loopback port for tests.
#![deny(missing_docs)]

mod config;
mod error;
#[cfg(feature = "testing")]
pub mod moto;
mod s3;
mod setup;
mod sqs;

pub use config::{
    AwsConfig, AwsSettings, QueueLocation, S3Location, StaticCredentials, DEFAULT_MAX_ATTEMPTS,
    DEFAULT_REGION,
};
pub use error::AwsError;
pub use s3::{Encryption, S3ObjectStore, S3Settings, DEFAULT_PART_SIZE, SHA256_METADATA};
pub use setup::{create_bucket, create_queues, setup, QueuePlan, SetupPlan, SetupReport};
pub use sqs::{RedrivePolicy, SqsQueue};
