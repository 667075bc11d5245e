//! [`Records`] on SQLite, for the embedded default.

use crate::{BatchSummary, DocumentRecord, NewDocument, Records, RecordsError, Transition};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;
use stapel_domain::{BatchId, DocumentId, DocumentStatus, ErrorInfo};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Records in a SQLite file shared by the dispatcher and the local workers.
#[derive(Debug, Clone)]
pub struct SqliteRecords {
    pool: SqlitePool,
}

impl SqliteRecords {
    /// Open (creating if needed) the database at `path` and apply pending migrations.
    pub async fn open(path: &Path) -> Result<Self, RecordsError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Worker processes and the dispatcher write concurrently; wait for the lock.
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        // SQLite serialises writers, so concurrent start-ups apply migrations one at a time.
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Tell apart "already done" from "no such document" after a conditional update matched
    /// no row.
    async fn explain_no_change(&self, id: DocumentId) -> Result<Transition, RecordsError> {
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM documents WHERE id = ?1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(match status {
            None => Transition::NotFound,
            Some(_) => Transition::AlreadyDone,
        })
    }

    async fn conditional(
        &self,
        id: DocumentId,
        result: sqlx::sqlite::SqliteQueryResult,
    ) -> Result<Transition, RecordsError> {
        if result.rows_affected() > 0 {
            Ok(Transition::Applied)
        } else {
            self.explain_no_change(id).await
        }
    }
}

fn parse<T: std::str::FromStr>(value: &str, what: &str) -> Result<T, RecordsError> {
    value
        .parse()
        .map_err(|_| RecordsError::Corrupt(format!("bad {what}: {value:?}")))
}

fn document_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<DocumentRecord, RecordsError> {
    let error = match (
        row.get::<Option<String>, _>("error_code"),
        row.get::<Option<String>, _>("error_message"),
    ) {
        (Some(code), Some(message)) => Some(ErrorInfo { code, message }),
        _ => None,
    };
    Ok(DocumentRecord {
        document: NewDocument {
            id: parse(row.get("id"), "document id")?,
            batch_id: parse(row.get("batch_id"), "batch id")?,
            tenant: row.get("tenant"),
            filename: row.get("filename"),
            object_key: row.get("object_key"),
            content_sha256: row.get("content_sha256"),
            size_bytes: row.get::<i64, _>("size_bytes") as u64,
        },
        status: parse(row.get("status"), "status")?,
        attempts: row.get::<i64, _>("attempts") as u32,
        error,
        result_key: row.get("result_key"),
        created_at: row.get("created_at"),
        started_at: row.get("started_at"),
        finished_at: row.get("finished_at"),
    })
}

#[async_trait]
impl Records for SqliteRecords {
    async fn ensure_batch(&self, id: BatchId, tenant: &str) -> Result<(), RecordsError> {
        sqlx::query(
            "INSERT INTO batches (id, tenant, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(tenant)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn insert_document(&self, document: &NewDocument) -> Result<(), RecordsError> {
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO documents (id, batch_id, tenant, filename, object_key, content_sha256,
                                    size_bytes, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8)",
        )
        .bind(document.id.to_string())
        .bind(document.batch_id.to_string())
        .bind(&document.tenant)
        .bind(&document.filename)
        .bind(&document.object_key)
        .bind(&document.content_sha256)
        .bind(document.size_bytes as i64)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn document(&self, id: DocumentId) -> Result<Option<DocumentRecord>, RecordsError> {
        let row = sqlx::query("SELECT * FROM documents WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(document_from_row).transpose()
    }

    async fn batch(&self, id: BatchId) -> Result<Option<BatchSummary>, RecordsError> {
        let Some(created_at) =
            sqlx::query_scalar::<_, DateTime<Utc>>("SELECT created_at FROM batches WHERE id = ?1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let mut counts: BTreeMap<DocumentStatus, u64> = DocumentStatus::ALL
            .into_iter()
            .map(|status| (status, 0))
            .collect();
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM documents WHERE batch_id = ?1 GROUP BY status",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            let status: DocumentStatus = parse(row.get("status"), "status")?;
            counts.insert(status, row.get::<i64, _>("n") as u64);
        }
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM documents WHERE batch_id = ?1 ORDER BY id")
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?;
        let document_ids = ids
            .iter()
            .map(|id| parse(id, "document id"))
            .collect::<Result<_, _>>()?;
        Ok(Some(BatchSummary {
            id,
            created_at,
            counts,
            document_ids,
        }))
    }

    async fn start_attempt(&self, id: DocumentId) -> Result<Transition, RecordsError> {
        let now = Utc::now();
        let result = sqlx::query(
            "UPDATE documents
                SET status = 'processing', attempts = attempts + 1, started_at = ?1,
                    updated_at = ?1
              WHERE id = ?2 AND status != 'done'",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        self.conditional(id, result).await
    }

    async fn finish_done(
        &self,
        id: DocumentId,
        result_key: &str,
    ) -> Result<Transition, RecordsError> {
        let now = Utc::now();
        let result = sqlx::query(
            "UPDATE documents
                SET status = 'done', result_key = ?1, error_code = NULL, error_message = NULL,
                    finished_at = ?2, updated_at = ?2
              WHERE id = ?3 AND status != 'done'",
        )
        .bind(result_key)
        .bind(now)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        self.conditional(id, result).await
    }

    async fn finish_failed(
        &self,
        id: DocumentId,
        error: &ErrorInfo,
        will_retry: bool,
    ) -> Result<Transition, RecordsError> {
        let now = Utc::now();
        let (status, finished_at) = if will_retry {
            ("queued", None)
        } else {
            ("failed", Some(now))
        };
        let result = sqlx::query(
            "UPDATE documents
                SET status = ?1, error_code = ?2, error_message = ?3, finished_at = ?4,
                    updated_at = ?5
              WHERE id = ?6 AND status != 'done'",
        )
        .bind(status)
        .bind(&error.code)
        .bind(&error.message)
        .bind(finished_at)
        .bind(now)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        self.conditional(id, result).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn open() -> (SqliteRecords, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let records = SqliteRecords::open(&dir.path().join("records.db"))
            .await
            .unwrap();
        (records, dir)
    }

    fn new_document(batch_id: BatchId) -> NewDocument {
        let id = DocumentId::new();
        NewDocument {
            id,
            batch_id,
            tenant: "local".into(),
            filename: "a.pdf".into(),
            object_key: format!("documents/{id}/original"),
            content_sha256: "00".repeat(32),
            size_bytes: 42,
        }
    }

    #[tokio::test]
    async fn a_document_walks_its_lifecycle() {
        let (records, _dir) = open().await;
        let batch = BatchId::new();
        records.ensure_batch(batch, "local").await.unwrap();
        records.ensure_batch(batch, "local").await.unwrap();
        let doc = new_document(batch);
        records.insert_document(&doc).await.unwrap();

        let stored = records.document(doc.id).await.unwrap().unwrap();
        assert_eq!(stored.document, doc);
        assert_eq!(
            (stored.status, stored.attempts),
            (DocumentStatus::Queued, 0)
        );

        assert_eq!(
            records.start_attempt(doc.id).await.unwrap(),
            Transition::Applied
        );
        let error = ErrorInfo::new("store.unavailable", "try again");
        assert_eq!(
            records.finish_failed(doc.id, &error, true).await.unwrap(),
            Transition::Applied
        );
        let retrying = records.document(doc.id).await.unwrap().unwrap();
        assert_eq!(retrying.status, DocumentStatus::Queued);
        assert_eq!(retrying.error, Some(error));

        assert_eq!(
            records.start_attempt(doc.id).await.unwrap(),
            Transition::Applied
        );
        assert_eq!(
            records
                .finish_done(doc.id, "documents/x/result.json")
                .await
                .unwrap(),
            Transition::Applied
        );
        let done = records.document(doc.id).await.unwrap().unwrap();
        assert_eq!(
            (done.status, done.attempts, done.error),
            (DocumentStatus::Done, 2, None)
        );
        assert!(done.finished_at.is_some());
    }

    #[tokio::test]
    async fn done_is_final_for_redeliveries_and_racing_workers() {
        let (records, _dir) = open().await;
        let batch = BatchId::new();
        records.ensure_batch(batch, "local").await.unwrap();
        let doc = new_document(batch);
        records.insert_document(&doc).await.unwrap();
        records.start_attempt(doc.id).await.unwrap();
        assert_eq!(
            records.finish_done(doc.id, "k").await.unwrap(),
            Transition::Applied
        );
        assert_eq!(
            records.finish_done(doc.id, "k2").await.unwrap(),
            Transition::AlreadyDone
        );
        assert_eq!(
            records.start_attempt(doc.id).await.unwrap(),
            Transition::AlreadyDone
        );
        let error = ErrorInfo::new("x", "y");
        assert_eq!(
            records.finish_failed(doc.id, &error, false).await.unwrap(),
            Transition::AlreadyDone
        );
        let done = records.document(doc.id).await.unwrap().unwrap();
        assert_eq!(
            (done.status, done.result_key.as_deref()),
            (DocumentStatus::Done, Some("k"))
        );
        assert_eq!(
            records.start_attempt(DocumentId::new()).await.unwrap(),
            Transition::NotFound
        );
    }

    #[tokio::test]
    async fn batch_counts_every_status() {
        let (records, _dir) = open().await;
        let batch = BatchId::new();
        records.ensure_batch(batch, "local").await.unwrap();
        let docs: Vec<_> = (0..3).map(|_| new_document(batch)).collect();
        for doc in &docs {
            records.insert_document(doc).await.unwrap();
        }
        records.start_attempt(docs[0].id).await.unwrap();
        records.finish_done(docs[0].id, "k").await.unwrap();
        records.start_attempt(docs[1].id).await.unwrap();
        let summary = records.batch(batch).await.unwrap().unwrap();
        assert_eq!(summary.counts[&DocumentStatus::Done], 1);
        assert_eq!(summary.counts[&DocumentStatus::Processing], 1);
        assert_eq!(summary.counts[&DocumentStatus::Queued], 1);
        assert_eq!(summary.counts[&DocumentStatus::Failed], 0);
        assert_eq!(
            summary.document_ids,
            docs.iter().map(|d| d.id).collect::<Vec<_>>()
        );
        assert!(records.batch(BatchId::new()).await.unwrap().is_none());
        assert!(records.document(DocumentId::new()).await.unwrap().is_none());
    }
}
