//! The S3 and SQS backends against the shared conformance suites, on a moto server this test
//! binary starts on a loopback port (one server for all tests; a fresh bucket or queue pair per
//! test). Also the S3/SQS-specific behaviour the suites cannot see: multipart uploads are
//! aborted, the hash is recorded as metadata, encryption is requested, permanent errors name
//! the resource.

use aws_sdk_s3::types::ServerSideEncryption;
use bytes::Bytes;
use futures::StreamExt;
use stapel_store::testing::{QueueFixture, StoreFixture};
use stapel_store::{JobQueue, ObjectKey, ObjectStore, QueueError, StoreError};
use stapel_store_aws::moto::{unique_name, MotoServer};
use stapel_store_aws::{
    setup, AwsConfig, Encryption, QueueLocation, QueuePlan, S3Location, S3ObjectStore, S3Settings,
    SetupPlan, SqsQueue,
};
use std::sync::{Arc, OnceLock};

fn moto() -> &'static MotoServer {
    static MOTO: OnceLock<MotoServer> = OnceLock::new();
    MOTO.get_or_init(MotoServer::start)
}

async fn config() -> AwsConfig {
    AwsConfig::load(&moto().settings()).await
}

/// A fresh bucket; keys under a prefix, so prefix handling is exercised by every case.
async fn s3_settings() -> S3Settings {
    let bucket = unique_name("stapel-test");
    setup(
        &config().await,
        &SetupPlan {
            bucket: Some(bucket.clone()),
            force_path_style: true,
            queues: None,
            bulk_queue: None,
        },
    )
    .await
    .expect("bucket setup");
    let mut settings = S3Settings::new(S3Location {
        bucket,
        prefix: "tenant-data/".into(),
    });
    settings.force_path_style = true;
    settings
}

async fn s3_store() -> StoreFixture {
    let store = S3ObjectStore::open(&config().await, &s3_settings().await)
        .await
        .expect("bucket opens");
    StoreFixture {
        store: Arc::new(store),
        guard: Box::new(()),
    }
}

async fn sqs_queue() -> QueueFixture {
    let config = config().await;
    let name = unique_name("stapel-jobs");
    let max_receives = 2;
    let plan = QueuePlan {
        queue: name.clone(),
        dead_letter_queue: format!("{name}-dead"),
        max_receives,
    };
    setup(
        &config,
        &SetupPlan {
            bucket: None,
            force_path_style: true,
            queues: Some(plan.clone()),
            bulk_queue: None,
        },
    )
    .await
    .expect("queue setup");
    let queue = SqsQueue::open(&config, &QueueLocation::Name(plan.queue))
        .await
        .expect("queue opens");
    assert_eq!(
        queue.max_receives(),
        Some(max_receives),
        "max_receives comes from the redrive policy"
    );
    let dead_letter = SqsQueue::open(&config, &QueueLocation::Name(plan.dead_letter_queue))
        .await
        .expect("dead-letter queue opens");
    QueueFixture {
        queue: Arc::new(queue),
        dead_letter: Arc::new(dead_letter),
        max_receives,
        may_deliver_duplicates: true,
        guard: Box::new(()),
    }
}

stapel_store::object_store_conformance!(s3_store());
stapel_store::job_queue_conformance!(sqs_queue());

fn key(name: &str) -> ObjectKey {
    ObjectKey::new(name).unwrap()
}

/// A raw client on the same server, to look behind the store's back.
async fn raw_s3() -> aws_sdk_s3::Client {
    let config = config().await;
    let s3_config = aws_sdk_s3::config::Builder::from(config.sdk_config())
        .force_path_style(true)
        .endpoint_url(moto().endpoint())
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

async fn in_progress_uploads(client: &aws_sdk_s3::Client, bucket: &str) -> usize {
    client
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .uploads()
        .len()
}

/// A body that fails after several parts were uploaded leaves no multipart upload behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_multipart_upload_is_aborted() {
    let settings = s3_settings().await;
    let bucket = settings.location.bucket.clone();
    let store = S3ObjectStore::open(&config().await, &settings)
        .await
        .unwrap();
    let client = raw_s3().await;
    let one_mib = Bytes::from(vec![1u8; 1 << 20]);
    let good = futures::stream::iter((0..20).map(move |_| Ok(one_mib.clone())));
    let broken = futures::stream::iter([Err(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "client hung up",
    ))]);
    let error = store
        .put_stream(&key("broken/large"), good.chain(broken).boxed(), 1 << 30)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Body(_)), "{error:?}");
    assert_eq!(in_progress_uploads(&client, &bucket).await, 0);

    let too_big = futures::stream::iter((0..20).map(|_| Ok(Bytes::from(vec![2u8; 1 << 20]))));
    let error = store
        .put_stream(&key("too/large"), too_big.boxed(), 18 << 20)
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::TooLarge { limit } if limit == 18 << 20),
        "{error:?}"
    );
    assert_eq!(in_progress_uploads(&client, &bucket).await, 0);
    assert!(store.list("").await.unwrap().is_empty());
}

/// Small and multipart objects carry their SHA-256 as metadata and are encrypted at rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_carry_their_sha256_and_are_encrypted() {
    let settings = s3_settings().await;
    let bucket = settings.location.bucket.clone();
    let store = S3ObjectStore::open(&config().await, &settings)
        .await
        .unwrap();
    let client = raw_s3().await;
    let small = store
        .put(&key("small"), Bytes::from_static(b"%PDF-1.7"))
        .await
        .unwrap();
    let chunks = (0..18).map(|i| Ok(Bytes::from(vec![i as u8; 1 << 20])));
    let large = store
        .put_stream(
            &key("large"),
            futures::stream::iter(chunks).boxed(),
            1 << 30,
        )
        .await
        .unwrap();
    for meta in [small, large] {
        let head = client
            .head_object()
            .bucket(&bucket)
            .key(format!("tenant-data/{}", meta.key))
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.metadata()
                .and_then(|m| m.get(stapel_store_aws::SHA256_METADATA)),
            meta.sha256.as_ref(),
            "{}",
            meta.key
        );
        assert_eq!(head.content_length(), Some(meta.size as i64));
        assert_eq!(
            head.server_side_encryption(),
            Some(&ServerSideEncryption::Aes256),
            "{}",
            meta.key
        );
    }
}

/// SSE-KMS is requested with the configured key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_kms_is_requested_with_the_configured_key() {
    let mut settings = s3_settings().await;
    settings.encryption = Encryption::SseKms {
        key_id: Some("alias/stapel-test".into()),
    };
    let bucket = settings.location.bucket.clone();
    let store = S3ObjectStore::open(&config().await, &settings)
        .await
        .unwrap();
    store
        .put(&key("secret"), Bytes::from_static(b"invoice"))
        .await
        .unwrap();
    let head = raw_s3()
        .await
        .head_object()
        .bucket(&bucket)
        .key("tenant-data/secret")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.ssekms_key_id(), Some("alias/stapel-test"));
}

/// A missing bucket or queue fails at open, naming the resource and the fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_resources_fail_fast_with_a_fix() {
    let config = config().await;
    let mut settings = S3Settings::new(S3Location {
        bucket: "no-such-bucket-here".into(),
        prefix: String::new(),
    });
    settings.force_path_style = true;
    let error = S3ObjectStore::open(&config, &settings).await.unwrap_err();
    let StoreError::Misconfigured(message) = &error else {
        panic!("not a configuration error: {error:?}");
    };
    assert!(message.contains("no-such-bucket-here"), "{message}");
    assert!(message.contains("dispatcher setup"), "{message}");

    let error = SqsQueue::open(&config, &QueueLocation::Name("no-such-queue".into()))
        .await
        .unwrap_err();
    let QueueError::Misconfigured(message) = &error else {
        panic!("not a configuration error: {error:?}");
    };
    assert!(message.contains("no-such-queue"), "{message}");
    assert!(message.contains("dispatcher setup"), "{message}");
}

/// Setup can run again (and changes the redrive setting in place); a queue opened by URL
/// behaves like one opened by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_is_idempotent_and_queues_open_by_url() {
    let config = config().await;
    let name = unique_name("stapel-again");
    let mut plan = SetupPlan {
        bucket: Some(name.clone()),
        force_path_style: true,
        queues: Some(QueuePlan {
            queue: name.clone(),
            dead_letter_queue: format!("{name}-dead"),
            max_receives: 3,
        }),
        bulk_queue: None,
    };
    setup(&config, &plan).await.unwrap();
    if let Some(queues) = &mut plan.queues {
        queues.max_receives = 4;
    }
    let report = setup(&config, &plan).await.unwrap();
    let url = report.queue_url.unwrap();
    let queue = SqsQueue::open(&config, &QueueLocation::parse(&url).unwrap())
        .await
        .unwrap();
    assert_eq!(queue.name(), name);
    assert_eq!(queue.max_receives(), Some(4));
    assert_eq!(
        queue.redrive_policy().unwrap().dead_letter_queue_name(),
        format!("{name}-dead")
    );
}

/// A receipt handle SQS never issued is refused as `ReceiptInvalid`, not as an outage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bogus_receipt_is_receipt_invalid() {
    let fixture = sqs_queue().await;
    let bogus = stapel_store::ReceiptHandle("not-a-receipt".into());
    let error = fixture
        .queue
        .extend_visibility(&bogus, std::time::Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(matches!(error, QueueError::ReceiptInvalid), "{error:?}");
    let error = fixture.queue.delete(&bogus).await.unwrap_err();
    assert!(matches!(error, QueueError::ReceiptInvalid), "{error:?}");
}
