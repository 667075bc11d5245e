//! [`Records`] on SQLite, for the embedded default. Ids and JSON are stored as text.

use crate::{
    error_info, foreign_key_error, from_json, gross_from_column, parse, to_json, Administration,
    AdministrationSettings, ApiKey, BatchSummary, DeadLetter, DeadLetterQuery, DocumentRecord,
    DoneOutcome, InvoiceTwin, NewDocument, NewReview, ProposalAction, ProposalVersion, Records,
    RecordsError, ResultColumns, ReviewOutcome, ReviewStatus, SupplierMemory, SupplierUpdate,
    Transition, WebSession, MACHINE_AUTHOR,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use sqlx::Row;
use stapel_domain::{
    AdministrationId, BatchId, DocumentId, DocumentStatus, ErrorInfo, ExtractedInvoice,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

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
        let exists: Option<String> =
            sqlx::query_scalar("SELECT status FROM documents WHERE id = ?1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(match exists {
            None => Transition::NotFound,
            Some(_) => Transition::AlreadyDone,
        })
    }

    async fn conditional(&self, id: DocumentId, rows: u64) -> Result<Transition, RecordsError> {
        if rows > 0 {
            Ok(Transition::Applied)
        } else {
            self.explain_no_change(id).await
        }
    }

    async fn ids<'q>(
        &self,
        query: sqlx::query::QueryScalar<
            'q,
            sqlx::Sqlite,
            String,
            sqlx::sqlite::SqliteArguments<'q>,
        >,
    ) -> Result<Vec<DocumentId>, RecordsError> {
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|id| parse(id, "document id"))
            .collect()
    }
}

fn document_from_row(row: &SqliteRow) -> Result<DocumentRecord, RecordsError> {
    Ok(DocumentRecord {
        document: NewDocument {
            id: parse(row.get("id"), "document id")?,
            batch_id: parse(row.get("batch_id"), "batch id")?,
            tenant: row.get("tenant_id"),
            administration_id: parse(row.get("administration_id"), "administration id")?,
            filename: row.get("filename"),
            object_key: row.get("object_key"),
            content_sha256: row.get("content_sha256"),
            size_bytes: row.get::<i64, _>("size_bytes") as u64,
        },
        status: parse(row.get("status"), "status")?,
        attempts: row.get::<i64, _>("attempts") as u32,
        error: error_info(row.get("error_code"), row.get("error_message")),
        result_key: row.get("result_key"),
        page_count: row.get::<Option<i64>, _>("page_count").map(|n| n as u32),
        lane: row.get("lane"),
        review_status: row
            .get::<Option<String>, _>("review_status")
            .map(|status| ReviewStatus::parse(&status))
            .transpose()?,
        created_at: row.get("created_at"),
        started_at: row.get("started_at"),
        finished_at: row.get("finished_at"),
        enqueued_at: row.get("enqueued_at"),
    })
}

fn administration_from_row(row: &SqliteRow) -> Result<Administration, RecordsError> {
    Ok(Administration {
        id: parse(row.get("id"), "administration id")?,
        tenant: row.get("tenant_id"),
        name: row.get("name"),
        country: row.get("country"),
        chart: row.get("chart"),
    })
}

#[async_trait]
impl Records for SqliteRecords {
    async fn ensure_tenant(&self, tenant: &str, name: &str) -> Result<(), RecordsError> {
        sqlx::query(
            "INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(tenant)
        .bind(name)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn ensure_administration_with(
        &self,
        tenant: &str,
        name: &str,
        settings: &AdministrationSettings<'_>,
    ) -> Result<Administration, RecordsError> {
        sqlx::query(
            "INSERT INTO administrations (id, tenant_id, name, country, chart, created_at)
             VALUES (?1, ?2, ?3, ?4, COALESCE(?5, 'generic'), ?6)
             ON CONFLICT (tenant_id, name) DO NOTHING",
        )
        .bind(AdministrationId::new().to_string())
        .bind(tenant)
        .bind(name)
        .bind(settings.country)
        .bind(settings.chart)
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key_error(error, &format!("tenant {tenant:?}")))?;
        let row = sqlx::query("SELECT * FROM administrations WHERE tenant_id = ?1 AND name = ?2")
            .bind(tenant)
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        administration_from_row(&row)
    }

    async fn administration_named(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Option<Administration>, RecordsError> {
        let row = sqlx::query("SELECT * FROM administrations WHERE tenant_id = ?1 AND name = ?2")
            .bind(tenant)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(administration_from_row).transpose()
    }

    async fn administration(
        &self,
        id: AdministrationId,
    ) -> Result<Option<Administration>, RecordsError> {
        let row = sqlx::query("SELECT * FROM administrations WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(administration_from_row).transpose()
    }

    async fn create_api_key(
        &self,
        tenant: &str,
        label: &str,
        key_hash: &str,
    ) -> Result<ApiKey, RecordsError> {
        let key = ApiKey {
            id: Uuid::now_v7(),
            tenant: tenant.to_owned(),
            label: label.to_owned(),
            created_at: Utc::now(),
            revoked_at: None,
        };
        sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, label, key_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(key.id.to_string())
        .bind(tenant)
        .bind(label)
        .bind(key_hash)
        .bind(key.created_at)
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key_error(error, &format!("tenant {tenant:?}")))?;
        Ok(key)
    }

    async fn tenant_for_api_key(&self, key_hash: &str) -> Result<Option<String>, RecordsError> {
        Ok(sqlx::query_scalar(
            "SELECT tenant_id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn revoke_api_key(&self, id: Uuid) -> Result<bool, RecordsError> {
        let result =
            sqlx::query("UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL")
                .bind(Utc::now())
                .bind(id.to_string())
                .execute(&self.pool)
                .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn create_web_session(&self, session: &WebSession) -> Result<(), RecordsError> {
        let now = Utc::now();
        sqlx::query("DELETE FROM web_sessions WHERE expires_at <= ?1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, tenant_id, csrf_token, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&session.id_hash)
        .bind(&session.tenant)
        .bind(&session.csrf_token)
        .bind(now)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key_error(error, &format!("tenant {:?}", session.tenant)))?;
        Ok(())
    }

    async fn web_session(&self, id_hash: &str) -> Result<Option<WebSession>, RecordsError> {
        let row = sqlx::query(
            "SELECT tenant_id, csrf_token, expires_at FROM web_sessions
              WHERE id_hash = ?1 AND expires_at > ?2",
        )
        .bind(id_hash)
        .bind(Utc::now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| WebSession {
            id_hash: id_hash.to_owned(),
            tenant: row.get("tenant_id"),
            csrf_token: row.get("csrf_token"),
            expires_at: row.get("expires_at"),
        }))
    }

    async fn end_web_session(&self, id_hash: &str) -> Result<(), RecordsError> {
        sqlx::query("DELETE FROM web_sessions WHERE id_hash = ?1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn api_keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKey>, RecordsError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, label, created_at, revoked_at FROM api_keys
              WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY created_at, id",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiKey {
                    id: parse(row.get("id"), "key id")?,
                    tenant: row.get("tenant_id"),
                    label: row.get("label"),
                    created_at: row.get("created_at"),
                    revoked_at: row.get("revoked_at"),
                })
            })
            .collect()
    }

    async fn ensure_batch(
        &self,
        id: BatchId,
        tenant: &str,
        administration: AdministrationId,
    ) -> Result<(), RecordsError> {
        sqlx::query(
            "INSERT INTO batches (id, tenant_id, administration_id, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(tenant)
        .bind(administration.to_string())
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key_error(error, "tenant or administration"))?;
        Ok(())
    }

    async fn ensure_named_batch(
        &self,
        tenant: &str,
        name: &str,
        administration: AdministrationId,
    ) -> Result<BatchId, RecordsError> {
        // Insert-or-keep, then read: whoever inserted first, every caller gets the same id.
        let id = BatchId::new();
        sqlx::query(
            "INSERT INTO batches (id, tenant_id, administration_id, created_at, name)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(tenant)
        .bind(administration.to_string())
        .bind(Utc::now())
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key_error(error, "tenant or administration"))?;
        let id: String =
            sqlx::query_scalar("SELECT id FROM batches WHERE tenant_id = ?1 AND name = ?2")
                .bind(tenant)
                .bind(name)
                .fetch_one(&self.pool)
                .await?;
        parse(&id, "batch id")
    }

    async fn insert_document(&self, document: &NewDocument) -> Result<(), RecordsError> {
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO documents (id, tenant_id, administration_id, batch_id, filename, object_key,
                                    content_sha256, size_bytes, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?9)",
        )
        .bind(document.id.to_string())
        .bind(&document.tenant)
        .bind(document.administration_id.to_string())
        .bind(document.batch_id.to_string())
        .bind(&document.filename)
        .bind(&document.object_key)
        .bind(&document.content_sha256)
        .bind(document.size_bytes as i64)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key_error(error, "tenant, administration or batch"))?;
        Ok(())
    }

    async fn mark_enqueued(&self, ids: &[DocumentId]) -> Result<(), RecordsError> {
        let now = Utc::now();
        // One statement per chunk, well below SQLite's limit of bound parameters.
        for chunk in ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "UPDATE documents SET enqueued_at = ? WHERE enqueued_at IS NULL AND id IN ({placeholders})"
            );
            let mut query = sqlx::query(&sql).bind(now);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            query.execute(&self.pool).await?;
        }
        Ok(())
    }

    async fn unqueued_documents(
        &self,
        recorded_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DocumentRecord>, RecordsError> {
        let rows = sqlx::query(
            "SELECT * FROM documents
              WHERE status = 'queued' AND enqueued_at IS NULL AND attempts = 0 AND created_at < ?1
              ORDER BY created_at, id LIMIT ?2",
        )
        .bind(recorded_before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from_row).collect()
    }

    async fn document(&self, id: DocumentId) -> Result<Option<DocumentRecord>, RecordsError> {
        let row = sqlx::query("SELECT * FROM documents WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(document_from_row).transpose()
    }

    async fn batch(&self, id: BatchId) -> Result<Option<BatchSummary>, RecordsError> {
        let Some((created_at, name)) = sqlx::query_as::<_, (DateTime<Utc>, Option<String>)>(
            "SELECT created_at, name FROM batches WHERE id = ?1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let mut counts: BTreeMap<DocumentStatus, u64> =
            DocumentStatus::ALL.into_iter().map(|s| (s, 0)).collect();
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM documents WHERE batch_id = ?1 GROUP BY status",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            counts.insert(
                parse(row.get("status"), "status")?,
                row.get::<i64, _>("n") as u64,
            );
        }
        let document_ids = self
            .ids(
                sqlx::query_scalar("SELECT id FROM documents WHERE batch_id = ?1 ORDER BY id")
                    .bind(id.to_string()),
            )
            .await?;
        Ok(Some(BatchSummary {
            id,
            name,
            created_at,
            counts,
            document_ids,
        }))
    }

    async fn start_attempt(&self, id: DocumentId) -> Result<Transition, RecordsError> {
        let result = sqlx::query(
            "UPDATE documents
                SET status = 'processing', attempts = attempts + 1, started_at = ?1, updated_at = ?1
              WHERE id = ?2 AND status != 'done'",
        )
        .bind(Utc::now())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        self.conditional(id, result.rows_affected()).await
    }

    async fn finish_done(
        &self,
        id: DocumentId,
        outcome: DoneOutcome<'_>,
    ) -> Result<Transition, RecordsError> {
        let now = Utc::now();
        let columns = ResultColumns::of(&outcome);
        let mut tx = self.pool.begin().await?;
        // The conditional update comes first: it takes the write lock and decides the race.
        let updated = sqlx::query(
            "UPDATE documents
                SET status = 'done', result_key = ?1, error_code = NULL, error_message = NULL,
                    supplier_key = ?2, invoice_number = ?3, issue_date = ?4, needs_review = ?5,
                    review_status = 'pending', finished_at = ?6, updated_at = ?6,
                    gross_total = ?8
              WHERE id = ?7 AND status != 'done'",
        )
        .bind(outcome.result_key)
        .bind(&columns.supplier_key)
        .bind(&columns.invoice_number)
        .bind(columns.issue_date)
        .bind(columns.needs_review)
        .bind(now)
        .bind(id.to_string())
        .bind(&columns.gross_total)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            tx.rollback().await?;
            return self.explain_no_change(id).await;
        }
        sqlx::query(
            "INSERT INTO extraction_results (document_id, invoice, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (document_id) DO UPDATE SET invoice = excluded.invoice, created_at = excluded.created_at",
        )
        .bind(id.to_string())
        .bind(to_json(outcome.invoice))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO proposal_versions (document_id, version, action, author, proposal, created_at)
             VALUES (?1, 1, 'proposed', ?2, ?3, ?4)
             ON CONFLICT (document_id, version) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(MACHINE_AUTHOR)
        .bind(to_json(outcome.proposal))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Transition::Applied)
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
                SET status = ?1, error_code = ?2, error_message = ?3, finished_at = ?4, updated_at = ?5
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
        self.conditional(id, result.rows_affected()).await
    }

    async fn documents_with_content(
        &self,
        tenant: &str,
        sha256: &str,
    ) -> Result<Vec<DocumentId>, RecordsError> {
        self.ids(
            sqlx::query_scalar(
                "SELECT id FROM documents WHERE tenant_id = ?1 AND content_sha256 = ?2 \
                 ORDER BY id LIMIT ?3",
            )
            .bind(tenant.to_owned())
            .bind(sha256.to_owned())
            .bind(crate::MAX_DUPLICATES),
        )
        .await
    }

    async fn duplicates(
        &self,
        administration: AdministrationId,
        supplier_key: &str,
        invoice_number: &str,
    ) -> Result<Vec<InvoiceTwin>, RecordsError> {
        let rows = sqlx::query(
            "SELECT id, gross_total FROM documents
              WHERE administration_id = ?1 AND supplier_key = ?2 AND invoice_number = ?3
              ORDER BY id LIMIT ?4",
        )
        .bind(administration.to_string())
        .bind(supplier_key)
        .bind(invoice_number)
        .bind(crate::MAX_DUPLICATES)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(InvoiceTwin {
                    id: parse(row.get("id"), "document id")?,
                    gross_total: gross_from_column(row.get("gross_total"))?,
                })
            })
            .collect()
    }

    async fn review_queue(
        &self,
        administration: AdministrationId,
        limit: u32,
    ) -> Result<Vec<DocumentId>, RecordsError> {
        self.ids(
            sqlx::query_scalar(
                "SELECT id FROM documents
                  WHERE administration_id = ?1 AND review_status = 'pending'
                  ORDER BY needs_review DESC, created_at LIMIT ?2",
            )
            .bind(administration.to_string())
            .bind(i64::from(limit)),
        )
        .await
    }

    async fn reviewed_in_period(
        &self,
        administration: AdministrationId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DocumentId>, RecordsError> {
        self.ids(
            sqlx::query_scalar(
                "SELECT id FROM documents
                  WHERE administration_id = ?1 AND review_status IN ('accepted', 'corrected')
                    AND issue_date BETWEEN ?2 AND ?3
                  ORDER BY issue_date, id",
            )
            .bind(administration.to_string())
            .bind(from.to_string())
            .bind(to.to_string()),
        )
        .await
    }

    async fn extraction(&self, id: DocumentId) -> Result<Option<ExtractedInvoice>, RecordsError> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT invoice FROM extraction_results WHERE document_id = ?1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        json.map(|json| from_json(&json, "extraction result"))
            .transpose()
    }

    async fn proposal_history(&self, id: DocumentId) -> Result<Vec<ProposalVersion>, RecordsError> {
        let rows =
            sqlx::query("SELECT * FROM proposal_versions WHERE document_id = ?1 ORDER BY version")
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(ProposalVersion {
                    version: row.get::<i64, _>("version") as u32,
                    action: ProposalAction::parse(row.get("action"))?,
                    author: row.get("author"),
                    proposal: from_json(row.get("proposal"), "proposal")?,
                    changes: row
                        .get::<Option<String>, _>("changes")
                        .map(|json| from_json(&json, "changes"))
                        .transpose()?,
                    created_at: row.get("created_at"),
                })
            })
            .collect()
    }

    async fn record_review(&self, review: &NewReview) -> Result<ReviewOutcome, RecordsError> {
        let status = ReviewStatus::after(review.action);
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        // Write first, so this transaction holds the lock before it reads the next version.
        let updated = sqlx::query(
            "UPDATE documents SET review_status = ?1, reviewed_at = ?2, updated_at = ?2
              WHERE id = ?3 AND status = 'done'",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(review.document_id.to_string())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(match self.explain_no_change(review.document_id).await? {
                Transition::NotFound => ReviewOutcome::NotFound,
                _ => ReviewOutcome::NotReviewable,
            });
        }
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM proposal_versions WHERE document_id = ?1",
        )
        .bind(review.document_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO proposal_versions (document_id, version, action, author, proposal, changes, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(review.document_id.to_string())
        .bind(version)
        .bind(review.action.as_str())
        .bind(&review.author)
        .bind(to_json(&review.proposal))
        .bind(review.changes.as_ref().map(to_json))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(invoice) = &review.invoice {
            sqlx::query("UPDATE extraction_results SET invoice = ?1 WHERE document_id = ?2")
                .bind(to_json(invoice))
                .bind(review.document_id.to_string())
                .execute(&mut *tx)
                .await?;
            // The copied columns follow, so duplicates and exports see the corrected fields.
            let columns = ResultColumns::of_invoice(invoice);
            sqlx::query(
                "UPDATE documents SET supplier_key = ?1, invoice_number = ?2, issue_date = ?3,
                                      gross_total = ?4
                  WHERE id = ?5",
            )
            .bind(columns.supplier_key)
            .bind(columns.invoice_number)
            .bind(columns.issue_date)
            .bind(columns.gross_total)
            .bind(review.document_id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ReviewOutcome::Recorded {
            version: version as u32,
        })
    }

    async fn remember_supplier(&self, update: &SupplierUpdate<'_>) -> Result<(), RecordsError> {
        sqlx::query(
            "INSERT INTO supplier_memory (administration_id, supplier_key, supplier_name, expense_account,
                                          vat_code, updated_by, updated_at, cost_centre,
                                          payment_terms_days)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (administration_id, supplier_key) DO UPDATE SET
                supplier_name = COALESCE(excluded.supplier_name, supplier_memory.supplier_name),
                expense_account = COALESCE(excluded.expense_account, supplier_memory.expense_account),
                vat_code = COALESCE(excluded.vat_code, supplier_memory.vat_code),
                cost_centre = COALESCE(excluded.cost_centre, supplier_memory.cost_centre),
                payment_terms_days = COALESCE(excluded.payment_terms_days,
                                              supplier_memory.payment_terms_days),
                times_confirmed = supplier_memory.times_confirmed + 1,
                updated_by = excluded.updated_by,
                updated_at = excluded.updated_at",
        )
        .bind(update.administration.to_string())
        .bind(update.supplier_key)
        .bind(update.supplier_name)
        .bind(update.expense_account)
        .bind(update.vat_code)
        .bind(update.updated_by)
        .bind(Utc::now())
        .bind(update.cost_centre)
        .bind(update.payment_terms_days.map(i64::from))
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key_error(error, "administration"))?;
        Ok(())
    }

    async fn supplier_memory(
        &self,
        administration: AdministrationId,
        supplier_key: &str,
    ) -> Result<Option<SupplierMemory>, RecordsError> {
        let row = sqlx::query(
            "SELECT * FROM supplier_memory WHERE administration_id = ?1 AND supplier_key = ?2",
        )
        .bind(administration.to_string())
        .bind(supplier_key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(SupplierMemory {
                administration_id: parse(row.get("administration_id"), "administration id")?,
                supplier_key: row.get("supplier_key"),
                supplier_name: row.get("supplier_name"),
                expense_account: row.get("expense_account"),
                vat_code: row.get("vat_code"),
                cost_centre: row.get("cost_centre"),
                payment_terms_days: row
                    .get::<Option<i64>, _>("payment_terms_days")
                    .map(|days| days as u32),
                times_confirmed: row.get::<i64, _>("times_confirmed") as u32,
                updated_by: row.get("updated_by"),
                updated_at: row.get("updated_at"),
            })
        })
        .transpose()
    }

    async fn record_dead_letter(&self, dead_letter: &DeadLetter) -> Result<(), RecordsError> {
        sqlx::query(
            "INSERT INTO dead_letters (message_id, document_id, body, reason_code, reason_message,
                                       receive_count, dead_lettered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(&dead_letter.message_id)
        .bind(dead_letter.document_id.map(|id| id.to_string()))
        .bind(&dead_letter.body)
        .bind(&dead_letter.reason.code)
        .bind(&dead_letter.reason.message)
        .bind(i64::from(dead_letter.receive_count))
        .bind(dead_letter.dead_lettered_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn dead_letters(
        &self,
        query: &DeadLetterQuery<'_>,
    ) -> Result<Vec<DeadLetter>, RecordsError> {
        let rows = sqlx::query(
            "SELECT dl.* FROM dead_letters dl LEFT JOIN documents d ON d.id = dl.document_id
              WHERE (?1 IS NULL OR d.tenant_id = ?1) AND (?2 OR dl.redriven_at IS NULL)
              ORDER BY dl.dead_lettered_at DESC, dl.message_id LIMIT ?3",
        )
        .bind(query.tenant)
        .bind(query.include_redriven)
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DeadLetter {
                    message_id: row.get("message_id"),
                    document_id: row
                        .get::<Option<String>, _>("document_id")
                        .map(|id| parse(&id, "document id"))
                        .transpose()?,
                    body: row.get("body"),
                    reason: ErrorInfo::new(
                        row.get::<String, _>("reason_code"),
                        row.get::<String, _>("reason_message"),
                    ),
                    receive_count: row.get::<i64, _>("receive_count") as u32,
                    dead_lettered_at: row.get("dead_lettered_at"),
                    redriven_at: row.get("redriven_at"),
                })
            })
            .collect()
    }

    async fn mark_redriven(
        &self,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RecordsError> {
        let result = sqlx::query(
            "UPDATE dead_letters SET redriven_at = ?1
              WHERE message_id = ?2 AND redriven_at IS NULL",
        )
        .bind(at)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn batch_issue_dates(
        &self,
        batch: BatchId,
    ) -> Result<Option<(NaiveDate, NaiveDate)>, RecordsError> {
        let (first, last) = sqlx::query_as::<_, (Option<NaiveDate>, Option<NaiveDate>)>(
            "SELECT MIN(issue_date), MAX(issue_date) FROM documents WHERE batch_id = ?1",
        )
        .bind(batch.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(first.zip(last))
    }

    async fn documents_in_status(
        &self,
        tenant: &str,
        status: DocumentStatus,
        batch: Option<BatchId>,
        limit: u32,
    ) -> Result<Vec<DocumentId>, RecordsError> {
        self.ids(
            sqlx::query_scalar(
                "SELECT id FROM documents
                  WHERE tenant_id = ?1 AND status = ?2 AND (?3 IS NULL OR batch_id = ?3)
                  ORDER BY updated_at DESC, id LIMIT ?4",
            )
            .bind(tenant.to_owned())
            .bind(status.as_str())
            .bind(batch.map(|id| id.to_string()))
            .bind(i64::from(limit)),
        )
        .await
    }
}
