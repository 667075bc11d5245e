//! Errors of this crate, and how SDK errors become [`StoreError`] and [`QueueError`].

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use stapel_store::{QueueError, StoreError};

/// Why configuring, opening or setting up the AWS backends failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AwsError {
    /// A `--store` or `--queue` value is not a location this crate understands.
    #[error("invalid location {location:?}: {reason}")]
    InvalidLocation {
        /// The value as given.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The object store could not be opened (e.g. the bucket is missing).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue could not be opened (e.g. the queue is missing or has no usable redrive policy).
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Creating a bucket or queue failed.
    #[error("cannot set up {resource}: {message}")]
    Setup {
        /// What was being created, e.g. `S3 bucket "stapel-docs"`.
        resource: String,
        /// The service's answer.
        message: String,
    },
}

/// The parts of an SDK error that decide how it is mapped.
pub(crate) struct Failure {
    /// The service's error code (`NoSuchBucket`, `AccessDenied`, ...), when it sent one.
    pub code: Option<String>,
    /// HTTP status, when a response arrived at all.
    pub status: Option<u16>,
    /// The whole error chain, for messages and logs.
    pub text: String,
}

impl Failure {
    pub(crate) fn of<E>(error: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Self {
            code: error.code().map(str::to_owned),
            status: error
                .raw_response()
                .map(|response| response.status().as_u16()),
            text: DisplayErrorContext(error).to_string(),
        }
    }

    pub(crate) fn code_is(&self, candidates: &[&str]) -> bool {
        self.code
            .as_deref()
            .is_some_and(|code| candidates.contains(&code))
    }

    /// Credentials refused or lacking a permission: retrying cannot help.
    pub(crate) fn is_access_denied(&self) -> bool {
        self.status == Some(403)
            || self.code_is(&[
                "AccessDenied",
                "AccessDeniedException",
                "Forbidden",
                "InvalidAccessKeyId",
                "SignatureDoesNotMatch",
                "InvalidClientTokenId",
                "UnrecognizedClientException",
                "ExpiredToken",
            ])
    }
}

/// Map a failed S3 call on `bucket` to a [`StoreError`], naming the bucket and the fix when
/// retrying cannot help.
pub(crate) fn store_error<E>(
    bucket: &str,
    operation: &str,
    error: &SdkError<E, HttpResponse>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let failure = Failure::of(error);
    if failure.code_is(&["NoSuchBucket"]) {
        return StoreError::Misconfigured(format!(
            "S3 bucket {bucket:?} does not exist: create it (`dispatcher setup` for a local \
             endpoint, deploy/ for AWS) or point --store at an existing bucket"
        ));
    }
    if failure.is_access_denied() {
        return StoreError::Misconfigured(format!(
            "access denied on S3 bucket {bucket:?} ({operation}): give the credentials in use \
             s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket and \
             s3:AbortMultipartUpload on it (and kms:GenerateDataKey/kms:Decrypt with SSE-KMS); \
             {}",
            failure.text
        ));
    }
    StoreError::Backend(format!(
        "S3 {operation} on bucket {bucket:?}: {}",
        failure.text
    ))
}

/// Map a failed SQS call on `queue` to a [`QueueError`], naming the queue and the fix when
/// retrying cannot help.
pub(crate) fn queue_error<E>(
    queue: &str,
    operation: &str,
    error: &SdkError<E, HttpResponse>,
) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let failure = Failure::of(error);
    if failure.code_is(&[
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    ]) {
        return QueueError::Misconfigured(format!(
            "SQS queue {queue:?} does not exist: create it (`dispatcher setup` for a local \
             endpoint, deploy/ for AWS) or point --queue at an existing queue"
        ));
    }
    if failure.is_access_denied() {
        return QueueError::Misconfigured(format!(
            "access denied on SQS queue {queue:?} ({operation}): give the credentials in use \
             sqs:SendMessage, sqs:ReceiveMessage, sqs:DeleteMessage, \
             sqs:ChangeMessageVisibility, sqs:GetQueueUrl and sqs:GetQueueAttributes on it; {}",
            failure.text
        ));
    }
    QueueError::Backend(format!(
        "SQS {operation} on queue {queue:?}: {}",
        failure.text
    ))
}
