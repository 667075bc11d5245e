//! The embedded backends against the shared conformance suites.

use stapel_store::testing::{QueueFixture, StoreFixture};
use stapel_store_embedded::{open_queue_database, FsObjectStore, Redrive, SqliteQueue};
use std::sync::Arc;

async fn fs_store() -> StoreFixture {
    let dir = tempfile::tempdir().unwrap();
    let store = FsObjectStore::open(dir.path()).unwrap();
    StoreFixture {
        store: Arc::new(store),
        guard: Box::new(dir),
    }
}

async fn sqlite_queue() -> QueueFixture {
    let dir = tempfile::tempdir().unwrap();
    let pool = open_queue_database(&dir.path().join("queue.db"))
        .await
        .unwrap();
    let max_receives = 2;
    let queue = SqliteQueue::new(
        pool.clone(),
        "jobs",
        Some(Redrive {
            dead_letter_queue: "jobs-dead".into(),
            max_receives,
        }),
    );
    let dead_letter = SqliteQueue::new(pool, "jobs-dead", None);
    QueueFixture {
        queue: Arc::new(queue),
        dead_letter: Arc::new(dead_letter),
        max_receives,
        may_deliver_duplicates: false,
        guard: Box::new(dir),
    }
}

stapel_store::object_store_conformance!(fs_store());
stapel_store::job_queue_conformance!(sqlite_queue());
