//! Creating the bucket, the queue and its dead-letter queue, for local use against an
//! S3/SQS-compatible endpoint (moto, LocalStack, MinIO). Production infrastructure comes from
//! `deploy/`; this is the quick path for a laptop or a test.
//!
//! Every step is idempotent: running setup twice changes nothing the second time, and a
//! changed `max_receives` updates the redrive policy in place.

use crate::sqs::RedrivePolicy;
use crate::{AwsConfig, AwsError};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    CreateBucketConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    PublicAccessBlockConfiguration,
};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::HashMap;

/// Dead letters are kept for SQS's longest retention (14 days), for inspection and redrive.
const DEAD_LETTER_RETENTION_SECONDS: u32 = 14 * 24 * 60 * 60;

/// Incomplete multipart uploads (a crashed dispatcher's) are removed after this many days.
const ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS: i32 = 1;

/// What to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupPlan {
    /// The bucket, if the store is S3.
    pub bucket: Option<String>,
    /// Path-style addressing for the bucket calls (S3-compatible endpoints).
    pub force_path_style: bool,
    /// The queues, if the queue is SQS.
    pub queues: Option<QueuePlan>,
    /// A second job queue (the bulk lane for large documents), with its own redrive policy,
    /// usually onto the same dead-letter queue.
    pub bulk_queue: Option<QueuePlan>,
}

/// The job queue and its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePlan {
    /// Name of the job queue.
    pub queue: String,
    /// Name of its dead-letter queue.
    pub dead_letter_queue: String,
    /// Deliveries before SQS moves a message to the dead-letter queue.
    pub max_receives: u32,
}

/// What setup created or found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetupReport {
    /// The bucket's name, when one was set up.
    pub bucket: Option<String>,
    /// URL of the job queue, when queues were set up.
    pub queue_url: Option<String>,
    /// URL of the dead-letter queue, when queues were set up.
    pub dead_letter_queue_url: Option<String>,
    /// URL of the bulk-lane queue, when it was set up.
    pub bulk_queue_url: Option<String>,
}

/// Create what `plan` names. Existing resources are kept and brought up to date.
pub async fn setup(config: &AwsConfig, plan: &SetupPlan) -> Result<SetupReport, AwsError> {
    let mut report = SetupReport::default();
    if let Some(bucket) = &plan.bucket {
        create_bucket(config, bucket, plan.force_path_style).await?;
        report.bucket = Some(bucket.clone());
    }
    if let Some(queues) = &plan.queues {
        let (queue_url, dead_letter_queue_url) = create_queues(config, queues).await?;
        report.queue_url = Some(queue_url);
        report.dead_letter_queue_url = Some(dead_letter_queue_url);
    }
    if let Some(bulk) = &plan.bulk_queue {
        let (bulk_url, _) = create_queues(config, bulk).await?;
        report.bulk_queue_url = Some(bulk_url);
    }
    Ok(report)
}

/// Create a private bucket in the configured region, with a rule that cleans up abandoned
/// multipart uploads.
pub async fn create_bucket(
    config: &AwsConfig,
    bucket: &str,
    force_path_style: bool,
) -> Result<(), AwsError> {
    let client = config.s3_client(force_path_style);
    let resource = format!("S3 bucket {bucket:?}");
    let setup_error = |message: String| AwsError::Setup {
        resource: resource.clone(),
        message,
    };
    let mut request = client.create_bucket().bucket(bucket);
    let region = config.region().unwrap_or(crate::DEFAULT_REGION);
    // us-east-1 is S3's default location and refuses to be named; every other region must be.
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => tracing::info!(%bucket, %region, "bucket created"),
        Err(error) => {
            let failure = crate::error::Failure::of(&error);
            if failure.code_is(&["BucketAlreadyOwnedByYou"]) {
                tracing::info!(%bucket, "bucket exists");
            } else if failure.code_is(&["BucketAlreadyExists"]) {
                return Err(setup_error(
                    "the name is taken by another account (bucket names are global): \
                     choose another name in --store"
                        .into(),
                ));
            } else {
                return Err(setup_error(failure.text));
            }
        }
    }
    client
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(|error| setup_error(crate::error::Failure::of(&error).text))?;
    let rule = LifecycleRule::builder()
        .id("stapel-abort-incomplete-multipart-uploads")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS)
                .build(),
        )
        .build()
        .map_err(|error| setup_error(error.to_string()))?;
    let lifecycle = BucketLifecycleConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|error| setup_error(error.to_string()))?;
    client
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(lifecycle)
        .send()
        .await
        .map_err(|error| setup_error(crate::error::Failure::of(&error).text))?;
    Ok(())
}

/// Create the dead-letter queue, then the job queue, and point the job queue's redrive policy
/// at the dead-letter queue. Returns both URLs.
pub async fn create_queues(
    config: &AwsConfig,
    plan: &QueuePlan,
) -> Result<(String, String), AwsError> {
    let client = config.sqs_client();
    let dead_letter_url = create_queue(
        &client,
        &plan.dead_letter_queue,
        HashMap::from([
            (QueueAttributeName::SqsManagedSseEnabled, "true".to_owned()),
            (
                QueueAttributeName::MessageRetentionPeriod,
                DEAD_LETTER_RETENTION_SECONDS.to_string(),
            ),
        ]),
    )
    .await?;
    let dead_letter_resource = format!("SQS queue {:?}", plan.dead_letter_queue);
    let dead_letter_arn = client
        .get_queue_attributes()
        .queue_url(&dead_letter_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|error| AwsError::Setup {
            resource: dead_letter_resource.clone(),
            message: crate::error::Failure::of(&error).text,
        })?
        .attributes()
        .and_then(|attributes| attributes.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| AwsError::Setup {
            resource: dead_letter_resource,
            message: "GetQueueAttributes returned no QueueArn".into(),
        })?;
    let queue_url = create_queue(
        &client,
        &plan.queue,
        HashMap::from([(QueueAttributeName::SqsManagedSseEnabled, "true".to_owned())]),
    )
    .await?;
    // Set separately rather than at creation: CreateQueue refuses an existing queue whose
    // attributes differ, SetQueueAttributes updates it in place.
    let policy = RedrivePolicy {
        dead_letter_target_arn: dead_letter_arn,
        max_receive_count: plan.max_receives,
    };
    client
        .set_queue_attributes()
        .queue_url(&queue_url)
        .attributes(QueueAttributeName::RedrivePolicy, policy.to_json())
        .send()
        .await
        .map_err(|error| AwsError::Setup {
            resource: format!("SQS queue {:?}", plan.queue),
            message: crate::error::Failure::of(&error).text,
        })?;
    tracing::info!(queue = %plan.queue, dead_letter_queue = %plan.dead_letter_queue,
        max_receives = plan.max_receives, "queues ready");
    Ok((queue_url, dead_letter_url))
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> Result<String, AwsError> {
    let created = client
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(|error| AwsError::Setup {
            resource: format!("SQS queue {name:?}"),
            message: crate::error::Failure::of(&error).text,
        })?;
    created
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| AwsError::Setup {
            resource: format!("SQS queue {name:?}"),
            message: "CreateQueue returned no URL".into(),
        })
}
