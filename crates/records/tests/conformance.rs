//! Both records backends against the one conformance suite.

use stapel_records::testing::{RecordsFixture, TempPostgres};
use stapel_records::{PgRecords, SqliteRecords};
use std::sync::Arc;

async fn sqlite() -> RecordsFixture {
    let dir = tempfile::tempdir().unwrap();
    let records = SqliteRecords::open(&dir.path().join("records.db"))
        .await
        .unwrap();
    RecordsFixture {
        records: Arc::new(records),
        guard: Box::new(dir),
    }
}

async fn postgres() -> RecordsFixture {
    let url = TempPostgres::shared().fresh_database_url().await;
    let records = PgRecords::connect(&url, 8).await.unwrap();
    RecordsFixture {
        records: Arc::new(records),
        guard: Box::new(()),
    }
}

mod on_sqlite {
    stapel_records::records_conformance!(crate::sqlite());
}

mod on_postgres {
    stapel_records::records_conformance!(crate::postgres());
}

/// Several dispatchers starting at once against one database: migrations run once, under
/// PostgreSQL's advisory lock, and every start-up succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_startups_migrate_once() {
    let url = TempPostgres::shared().fresh_database_url().await;
    let starts = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { PgRecords::connect(&url, 2).await.map(|_| ()) })
    });
    for start in starts {
        start.await.unwrap().unwrap();
    }
    let records = PgRecords::connect(&url, 1).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(records.pool())
        .await
        .unwrap();
    // Each migration file once, however many start-ups raced.
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|extension| extension == "sql")
        })
        .count();
    assert!(files >= 2, "0001 and 0002 at least");
    assert_eq!(applied, files as i64);
}
