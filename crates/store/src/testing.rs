//! Conformance suites: the behaviour every [`ObjectStore`] and [`JobQueue`] backend must show.
//!
//! A backend's test file calls [`object_store_conformance!`](crate::object_store_conformance) and
//! [`job_queue_conformance!`](crate::job_queue_conformance) with an async factory that builds a
//! fresh, empty backend; each check then runs as its own `#[tokio::test]`.
//!
//! Timeouts are whole seconds because SQS counts visibility in seconds.

use crate::{
    JobQueue, ObjectKey, ObjectStore, OutgoingMessage, QueueError, ReceiveOptions, StoreError,
};
use bytes::Bytes;
use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fresh object store plus whatever must live as long as it (a temp dir, a server).
pub struct StoreFixture {
    /// The backend under test.
    pub store: Arc<dyn ObjectStore>,
    /// Dropped after the test.
    pub guard: Box<dyn Any + Send>,
}

/// A fresh queue, its dead-letter queue, and the redrive setting that links them.
pub struct QueueFixture {
    /// The queue under test; must dead-letter after `max_receives` deliveries.
    pub queue: Arc<dyn JobQueue>,
    /// Where dead-lettered messages go.
    pub dead_letter: Arc<dyn JobQueue>,
    /// The redrive setting the queue was built with (small, e.g. 2, to keep tests fast).
    pub max_receives: u32,
    /// True for SQS standard queues, which promise at-least-once delivery only: "occasionally
    /// more than one copy of a message is delivered", even to concurrent consumers within the
    /// visibility timeout. The embedded queue never does that, and its tests say so.
    pub may_deliver_duplicates: bool,
    /// Dropped after the test.
    pub guard: Box<dyn Any + Send>,
}

/// Declare the object-store conformance tests for a backend.
///
/// `$make` is an expression yielding a future of [`StoreFixture`].
#[macro_export]
macro_rules! object_store_conformance {
    ($make:expr) => {
        mod object_store_conformance {
            #[allow(unused_imports)]
            use super::*;
            $crate::__conformance_cases!(
                object,
                $make,
                put_then_get_round_trips,
                put_reports_size_and_sha256,
                get_of_missing_key_is_not_found,
                put_overwrites,
                list_filters_by_prefix_in_key_order,
                delete_is_idempotent,
                oversized_stream_is_refused_and_leaves_nothing,
                failing_stream_leaves_nothing,
                large_streamed_object_round_trips,
                invalid_keys_are_refused,
            );
        }
    };
}

/// Declare the job-queue conformance tests for a backend.
///
/// `$make` is an expression yielding a future of [`QueueFixture`].
#[macro_export]
macro_rules! job_queue_conformance {
    ($make:expr) => {
        mod job_queue_conformance {
            #[allow(unused_imports)]
            use super::*;
            $crate::__conformance_cases!(
                queue,
                $make,
                sent_message_is_received_once_with_count,
                received_message_is_hidden_until_timeout,
                deleted_message_is_gone,
                extend_visibility_keeps_message_hidden,
                dead_letters_after_max_receives,
                long_poll_returns_when_message_arrives,
                long_poll_waits_when_empty,
                batch_receive_returns_distinct_messages,
                concurrent_consumers_process_each_message_once,
                depth_counts_visible_and_in_flight,
                receive_rejects_out_of_range_batch,
                batch_delete_reports_each_entry,
            );
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($suite:ident, $make:expr, $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $make.await;
                $crate::testing::$suite::$case(&fixture).await;
            }
        )+
    };
}

fn key(s: &str) -> ObjectKey {
    ObjectKey::new(s).expect("test key is valid")
}

/// Object-store checks.
pub mod object {
    use super::*;
    use futures::StreamExt;
    use sha2::Digest;

    /// A stored body reads back byte for byte.
    pub async fn put_then_get_round_trips(f: &StoreFixture) {
        let body = Bytes::from_static(b"%PDF-1.7 hello");
        f.store
            .put(&key("a/b/original"), body.clone())
            .await
            .unwrap();
        assert_eq!(f.store.get(&key("a/b/original")).await.unwrap(), body);
    }

    /// Writes report the size and content hash, computed while streaming.
    pub async fn put_reports_size_and_sha256(f: &StoreFixture) {
        let body = Bytes::from_static(b"invoice bytes");
        let meta = f.store.put(&key("hash/me"), body.clone()).await.unwrap();
        assert_eq!(meta.size, body.len() as u64);
        assert_eq!(meta.key, key("hash/me"));
        assert_eq!(
            meta.sha256.unwrap(),
            hex::encode(sha2::Sha256::digest(&body))
        );
    }

    /// Reading a missing key is `NotFound`, not an empty body.
    pub async fn get_of_missing_key_is_not_found(f: &StoreFixture) {
        let error = f.store.get(&key("no/such/key")).await.unwrap_err();
        assert!(matches!(error, StoreError::NotFound(_)), "{error:?}");
    }

    /// A second put replaces the first.
    pub async fn put_overwrites(f: &StoreFixture) {
        f.store
            .put(&key("over/write"), Bytes::from_static(b"one"))
            .await
            .unwrap();
        f.store
            .put(&key("over/write"), Bytes::from_static(b"two"))
            .await
            .unwrap();
        assert_eq!(
            f.store.get(&key("over/write")).await.unwrap(),
            Bytes::from_static(b"two")
        );
    }

    /// `list` returns exactly the keys under a prefix, in key order, with sizes.
    pub async fn list_filters_by_prefix_in_key_order(f: &StoreFixture) {
        for name in [
            "docs/2/x",
            "docs/1/original",
            "docs/1/result.json",
            "other/1",
        ] {
            f.store
                .put(&key(name), Bytes::from(name.to_owned()))
                .await
                .unwrap();
        }
        let listed = f.store.list("docs/1/").await.unwrap();
        let keys: Vec<&str> = listed.iter().map(|meta| meta.key.as_str()).collect();
        assert_eq!(keys, ["docs/1/original", "docs/1/result.json"]);
        assert_eq!(listed[0].size, "docs/1/original".len() as u64);
        let all = f.store.list("docs/").await.unwrap();
        assert_eq!(all.len(), 3);
        assert!(f.store.list("nothing/").await.unwrap().is_empty());
    }

    /// Deleting removes the object; deleting again is fine.
    pub async fn delete_is_idempotent(f: &StoreFixture) {
        f.store
            .put(&key("del/me"), Bytes::from_static(b"x"))
            .await
            .unwrap();
        f.store.delete(&key("del/me")).await.unwrap();
        assert!(matches!(
            f.store.get(&key("del/me")).await,
            Err(StoreError::NotFound(_))
        ));
        f.store.delete(&key("del/me")).await.unwrap();
    }

    /// A stream past the limit is refused and no partial object remains.
    pub async fn oversized_stream_is_refused_and_leaves_nothing(f: &StoreFixture) {
        let chunks = (0..10).map(|_| Ok(Bytes::from(vec![7u8; 1024])));
        let stream = futures::stream::iter(chunks).boxed();
        let error = f
            .store
            .put_stream(&key("big/one"), stream, 4096)
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::TooLarge { limit: 4096 }),
            "{error:?}"
        );
        assert!(matches!(
            f.store.get(&key("big/one")).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(f.store.list("big/").await.unwrap().is_empty());
    }

    /// A body stream that fails midway (a client hanging up) leaves no object behind.
    pub async fn failing_stream_leaves_nothing(f: &StoreFixture) {
        let chunks: Vec<std::io::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"%PDF-partial")),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "client hung up",
            )),
        ];
        let stream = futures::stream::iter(chunks).boxed();
        let error = f
            .store
            .put_stream(&key("broken/upload"), stream, 1 << 20)
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Body(_)), "{error:?}");
        assert!(matches!(
            f.store.get(&key("broken/upload")).await,
            Err(StoreError::NotFound(_))
        ));
    }

    /// A multi-megabyte body streamed in chunks reads back intact (exercises multipart paths).
    pub async fn large_streamed_object_round_trips(f: &StoreFixture) {
        let chunk_size = 256 * 1024;
        let n_chunks = 48; // 12 MiB: above S3's 5 MiB minimum part size, so multipart is used.
        let chunks = (0..n_chunks).map(move |i| Ok(Bytes::from(vec![(i % 251) as u8; chunk_size])));
        let stream = futures::stream::iter(chunks).boxed();
        let meta = f
            .store
            .put_stream(&key("large/blob"), stream, 64 << 20)
            .await
            .unwrap();
        assert_eq!(meta.size, (chunk_size * n_chunks) as u64);
        let body = f.store.get(&key("large/blob")).await.unwrap();
        assert_eq!(body.len(), chunk_size * n_chunks);
        for i in 0..n_chunks {
            assert_eq!(body[i * chunk_size], (i % 251) as u8);
        }
        assert_eq!(
            meta.sha256.unwrap(),
            hex::encode(sha2::Sha256::digest(&body))
        );
    }

    /// Keys that could escape a directory or confuse a backend are refused up front.
    pub async fn invalid_keys_are_refused(_f: &StoreFixture) {
        for bad in [
            "",
            "/abs",
            "a/../b",
            "a//b",
            "a/./b",
            "ü",
            "a b",
            "trailing/",
        ] {
            assert!(ObjectKey::new(bad).is_err(), "{bad:?} should be invalid");
        }
    }
}

/// Job-queue checks.
pub mod queue {
    use super::*;

    fn message(body: &str) -> OutgoingMessage {
        OutgoingMessage {
            body: body.to_owned(),
            group: "tenant-a".to_owned(),
        }
    }

    fn options(visibility_secs: u64, wait_secs: u64) -> ReceiveOptions {
        ReceiveOptions {
            max_messages: 1,
            visibility_timeout: Duration::from_secs(visibility_secs),
            wait_time: Duration::from_secs(wait_secs),
        }
    }

    /// Receive until `n` messages arrived or `deadline` passed.
    async fn receive_n(
        queue: &dyn JobQueue,
        n: usize,
        visibility_secs: u64,
        deadline: Duration,
    ) -> Vec<crate::ReceivedMessage> {
        let start = Instant::now();
        let mut got = Vec::new();
        while got.len() < n && start.elapsed() < deadline {
            let mut opts = options(visibility_secs, 1);
            opts.max_messages = (n - got.len()).min(10);
            got.extend(queue.receive(&opts).await.unwrap());
        }
        got
    }

    /// A sent message comes back with its body and a receive count of one.
    pub async fn sent_message_is_received_once_with_count(f: &QueueFixture) {
        let id = f.queue.send(message("job-1")).await.unwrap();
        let got = receive_n(&*f.queue, 1, 30, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body, "job-1");
        assert_eq!(got[0].message_id, id);
        assert_eq!(got[0].receive_count, 1);
    }

    /// A received message is invisible to others until its timeout, then comes back with a new
    /// receipt and a higher receive count: the crash-safety of the whole pipeline.
    pub async fn received_message_is_hidden_until_timeout(f: &QueueFixture) {
        f.queue.send(message("job-2")).await.unwrap();
        let first = receive_n(&*f.queue, 1, 2, Duration::from_secs(10)).await;
        assert_eq!(first.len(), 1);
        let hidden = f.queue.receive(&options(2, 0)).await.unwrap();
        assert!(hidden.is_empty(), "message was visible during its timeout");
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let again = receive_n(&*f.queue, 1, 30, Duration::from_secs(10)).await;
        assert_eq!(
            again.len(),
            1,
            "message was not redelivered after its timeout"
        );
        assert_eq!(again[0].message_id, first[0].message_id);
        assert_eq!(again[0].receive_count, 2);
        assert_ne!(again[0].receipt, first[0].receipt);
        // The current receipt deletes it.
        f.queue.delete(&again[0].receipt).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(f.queue.depth().await.unwrap().visible, 0);
    }

    /// After delete the message never comes back.
    pub async fn deleted_message_is_gone(f: &QueueFixture) {
        f.queue.send(message("job-3")).await.unwrap();
        let got = receive_n(&*f.queue, 1, 1, Duration::from_secs(10)).await;
        f.queue.delete(&got[0].receipt).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(f.queue.receive(&options(1, 1)).await.unwrap().is_empty());
    }

    /// A heartbeat keeps a long job's message hidden past its first timeout.
    pub async fn extend_visibility_keeps_message_hidden(f: &QueueFixture) {
        f.queue.send(message("job-4")).await.unwrap();
        let got = receive_n(&*f.queue, 1, 2, Duration::from_secs(10)).await;
        f.queue
            .extend_visibility(&got[0].receipt, Duration::from_secs(6))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(3000)).await;
        assert!(
            f.queue.receive(&options(2, 0)).await.unwrap().is_empty(),
            "extended message became visible at its original timeout"
        );
        f.queue.delete(&got[0].receipt).await.unwrap();
    }

    /// A message received `max_receives` times without a delete moves to the dead-letter queue.
    pub async fn dead_letters_after_max_receives(f: &QueueFixture) {
        f.queue.send(message("poison")).await.unwrap();
        for attempt in 1..=f.max_receives {
            let got = receive_n(&*f.queue, 1, 1, Duration::from_secs(10)).await;
            assert_eq!(got.len(), 1, "delivery {attempt} missing");
            assert_eq!(got[0].receive_count, attempt);
            tokio::time::sleep(Duration::from_millis(1200)).await;
        }
        // The next receive finds it over the limit and moves it instead of delivering it.
        let after = receive_n(&*f.queue, 1, 1, Duration::from_secs(3)).await;
        assert!(
            after.is_empty(),
            "message delivered more than max_receives times"
        );
        let dead = receive_n(&*f.dead_letter, 1, 30, Duration::from_secs(10)).await;
        assert_eq!(dead.len(), 1, "message was not dead-lettered");
        assert_eq!(dead[0].body, "poison");
    }

    /// Long polling returns as soon as a message arrives, not at the end of the wait.
    pub async fn long_poll_returns_when_message_arrives(f: &QueueFixture) {
        let queue = f.queue.clone();
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            queue.send(message("late")).await.unwrap();
        });
        let start = Instant::now();
        let got = f.queue.receive(&options(30, 10)).await.unwrap();
        sender.await.unwrap();
        assert_eq!(got.len(), 1);
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "long poll waited {:?}",
            start.elapsed()
        );
    }

    /// With nothing to receive, a long poll waits (roughly) its time and returns empty.
    pub async fn long_poll_waits_when_empty(f: &QueueFixture) {
        let start = Instant::now();
        let got = f.queue.receive(&options(30, 1)).await.unwrap();
        assert!(got.is_empty());
        assert!(
            start.elapsed() >= Duration::from_millis(800),
            "returned after {:?}",
            start.elapsed()
        );
    }

    /// A batch receive returns distinct messages and never more than asked.
    pub async fn batch_receive_returns_distinct_messages(f: &QueueFixture) {
        for i in 0..15 {
            f.queue.send(message(&format!("batch-{i}"))).await.unwrap();
        }
        let mut opts = options(60, 1);
        opts.max_messages = 10;
        let first = f.queue.receive(&opts).await.unwrap();
        assert!(
            !first.is_empty() && first.len() <= 10,
            "got {}",
            first.len()
        );
        let rest = receive_n(&*f.queue, 15 - first.len(), 60, Duration::from_secs(15)).await;
        let bodies: HashSet<String> = first.iter().chain(&rest).map(|m| m.body.clone()).collect();
        assert_eq!(bodies.len(), 15);
        assert_eq!(first.len() + rest.len(), 15);
    }

    /// Several consumers racing on one queue each get distinct messages: none processed twice.
    pub async fn concurrent_consumers_process_each_message_once(f: &QueueFixture) {
        let n = 40;
        for i in 0..n {
            f.queue.send(message(&format!("c-{i}"))).await.unwrap();
        }
        let deliveries = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let queue = f.queue.clone();
            let deliveries = deliveries.clone();
            tasks.push(tokio::spawn(async move {
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(20) {
                    let mut opts = options(60, 1);
                    opts.max_messages = 3;
                    let got = queue.receive(&opts).await.unwrap();
                    let distinct = deliveries
                        .lock()
                        .unwrap()
                        .iter()
                        .collect::<HashSet<&String>>()
                        .len();
                    if got.is_empty() && distinct >= n {
                        break;
                    }
                    for m in got {
                        match queue.delete(&m.receipt).await {
                            // A duplicate copy's receipt may be refused once the other is gone.
                            Ok(()) | Err(QueueError::ReceiptInvalid) => {}
                            Err(error) => panic!("delete failed: {error}"),
                        }
                        deliveries.lock().unwrap().push(m.body);
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let deliveries = deliveries.lock().unwrap();
        let distinct: HashSet<&String> = deliveries.iter().collect();
        assert_eq!(distinct.len(), n, "some message was lost");
        if !f.may_deliver_duplicates {
            assert_eq!(deliveries.len(), n, "some message was delivered twice");
        }
    }

    /// Depth counts waiting and in-flight messages.
    pub async fn depth_counts_visible_and_in_flight(f: &QueueFixture) {
        for i in 0..3 {
            f.queue.send(message(&format!("d-{i}"))).await.unwrap();
        }
        // SQS's counts are approximate and lag a little; poll briefly.
        let settled = |want_visible: u64, want_in_flight: u64| {
            let queue = f.queue.clone();
            async move {
                let start = Instant::now();
                loop {
                    let depth = queue.depth().await.unwrap();
                    if (depth.visible, depth.in_flight) == (want_visible, want_in_flight)
                        || start.elapsed() > Duration::from_secs(5)
                    {
                        return depth;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        let depth = settled(3, 0).await;
        assert_eq!((depth.visible, depth.in_flight), (3, 0));
        let got = receive_n(&*f.queue, 1, 60, Duration::from_secs(10)).await;
        let depth = settled(2, 1).await;
        assert_eq!((depth.visible, depth.in_flight), (2, 1));
        f.queue.delete(&got[0].receipt).await.unwrap();
        let depth = settled(2, 0).await;
        assert_eq!((depth.visible, depth.in_flight), (2, 0));
    }

    /// A batch delete removes every message it holds a current receipt for and reports an
    /// unknown receipt in its own entry.
    pub async fn batch_delete_reports_each_entry(f: &QueueFixture) {
        for i in 0..3 {
            f.queue.send(message(&format!("b-{i}"))).await.unwrap();
        }
        let got = receive_n(&*f.queue, 3, 60, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 3);
        let mut receipts: Vec<crate::ReceiptHandle> =
            got.iter().map(|m| m.receipt.clone()).collect();
        receipts.insert(1, crate::ReceiptHandle("not-a-receipt".into()));
        let results = f.queue.delete_batch(&receipts).await.unwrap();
        assert_eq!(results.len(), 4);
        assert!(
            results[0].is_ok() && results[2].is_ok() && results[3].is_ok(),
            "{results:?}"
        );
        assert!(
            matches!(results[1], Err(QueueError::ReceiptInvalid)),
            "{results:?}"
        );
        let start = Instant::now();
        while f.queue.depth().await.unwrap() != crate::QueueDepth::default() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "batch-deleted messages remain"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let too_many: Vec<crate::ReceiptHandle> = (0..11)
            .map(|i| crate::ReceiptHandle(format!("r{i}")))
            .collect();
        assert!(matches!(
            f.queue.delete_batch(&too_many).await,
            Err(QueueError::InvalidArgument(_))
        ));
        assert!(matches!(
            f.queue.delete_batch(&[]).await,
            Err(QueueError::InvalidArgument(_))
        ));
    }

    /// SQS refuses batches above ten; every backend does the same.
    pub async fn receive_rejects_out_of_range_batch(f: &QueueFixture) {
        let mut opts = options(30, 0);
        opts.max_messages = 11;
        let error = f.queue.receive(&opts).await.unwrap_err();
        assert!(matches!(error, QueueError::InvalidArgument(_)), "{error:?}");
        opts.max_messages = 0;
        assert!(f.queue.receive(&opts).await.is_err());
    }
}
