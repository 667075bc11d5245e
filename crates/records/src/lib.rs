//! The records of stapel: tenants, administrations, API keys, batches, documents, extraction
//! results, proposals with their review history, supplier memory and dead-lettered jobs.
//!
//! Blobs live in the object store and work in the queue; the state users query ("progress of
//! batch 7", "documents of client X that need review", "was invoice 2026-118 of this supplier
//! booked already?") lives here, in a relational database: SQLite on the embedded default
//! ([`SqliteRecords`], `<data-dir>/records.db`), PostgreSQL when distributed ([`PgRecords`]).
//! Both pass the same conformance suite ([`testing`], feature `testing`).
//!
//! **Invariant:** status changes are conditional statements. A `done` document never changes
//! status again, so a redelivered job cannot undo a result, and two workers finishing the same
//! job record one outcome.
//! **Invariant:** proposal history is append-only: the machine's proposal is version 1, each
//! review adds a version; nothing is overwritten.
#![deny(missing_docs)]

mod postgres;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use postgres::PgRecords;
pub use sqlite::SqliteRecords;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use stapel_domain::{
    AdministrationId, BatchId, BookingProposal, Decimal, DocumentId, DocumentStatus, ErrorInfo,
    ExtractedInvoice,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Why a records call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    /// The database failed; worth retrying.
    #[error("records database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("records migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored row could not be read back (a bug or a foreign writer).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// A referenced tenant, administration or batch does not exist.
    #[error("unknown {0}")]
    UnknownReference(String),
}

/// An administration (a client of the firm) as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Administration {
    /// Its id.
    pub id: AdministrationId,
    /// The firm it belongs to.
    pub tenant: String,
    /// Name, unique within the tenant.
    pub name: String,
    /// ISO 3166 country, which decides VAT codes.
    pub country: Option<String>,
    /// Name of its chart of accounts.
    pub chart: String,
}

/// How a new administration is set up, when the uploader names it (see
/// [`Records::ensure_administration_with`]). `None` takes the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdministrationSettings<'a> {
    /// Its chart of accounts by name (a built-in one or a firm's own file); `generic` if `None`.
    pub chart: Option<&'a str>,
    /// Its ISO 3166 country.
    pub country: Option<&'a str>,
}

/// An earlier document with the same supplier and invoice number, and its gross amount, so
/// the caller can tell a repeat (same amount) from a different invoice under the same number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceTwin {
    /// The earlier document.
    pub id: DocumentId,
    /// Its gross total as read, if it was read (documents done before the column existed have
    /// none).
    pub gross_total: Option<Decimal>,
}

/// A document as accepted by the dispatcher, before any worker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// The document's id.
    pub id: DocumentId,
    /// Its batch.
    pub batch_id: BatchId,
    /// The owning tenant (accounting firm).
    pub tenant: String,
    /// The client administration it is booked in.
    pub administration_id: AdministrationId,
    /// File name as uploaded.
    pub filename: String,
    /// Where the original is stored.
    pub object_key: String,
    /// SHA-256 of the content, for duplicate detection.
    pub content_sha256: String,
    /// Size in bytes.
    pub size_bytes: u64,
}

/// A bookkeeper's verdict on a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewStatus {
    /// Proposed, not yet reviewed.
    Pending,
    /// Accepted as proposed.
    Accepted,
    /// Accepted with corrections.
    Corrected,
}

impl ReviewStatus {
    /// The lowercase name used in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Corrected => "corrected",
        }
    }

    fn parse(value: &str) -> Result<Self, RecordsError> {
        match value {
            "pending" => Ok(Self::Pending),
            "accepted" => Ok(Self::Accepted),
            "corrected" => Ok(Self::Corrected),
            other => Err(RecordsError::Corrupt(format!("review status {other:?}"))),
        }
    }
}

/// A document and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    /// What was uploaded.
    pub document: NewDocument,
    /// Pipeline status.
    pub status: DocumentStatus,
    /// How many times a worker started on it.
    pub attempts: u32,
    /// The last failure, also kept while a retry is queued.
    pub error: Option<ErrorInfo>,
    /// Object-store key of the result (invoice and proposal) once done.
    pub result_key: Option<String>,
    /// Number of pages, once known.
    pub page_count: Option<u32>,
    /// Processing lane, once chosen.
    pub lane: Option<String>,
    /// Review state, once done.
    pub review_status: Option<ReviewStatus>,
    /// Accepted at.
    pub created_at: DateTime<Utc>,
    /// The latest attempt started at.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished (done or failed) at.
    pub finished_at: Option<DateTime<Utc>>,
    /// When the dispatcher sent its job; `None` while the job may not have been sent yet (see
    /// [`Records::unqueued_documents`]).
    pub enqueued_at: Option<DateTime<Utc>>,
}

/// Counts per status and the documents of one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// The batch.
    pub id: BatchId,
    /// The name the uploader gave it, if any.
    pub name: Option<String>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Number of documents per status; every status is present, zero included.
    pub counts: BTreeMap<DocumentStatus, u64>,
    /// The batch's documents in upload order.
    pub document_ids: Vec<DocumentId>,
}

/// What a conditional status change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The change was made.
    Applied,
    /// The document is already `done`; nothing changed. The caller's work is a duplicate.
    AlreadyDone,
    /// No such document.
    NotFound,
}

/// What a finished job records, in one transaction with the `done` transition.
#[derive(Debug, Clone, Copy)]
pub struct DoneOutcome<'a> {
    /// Object-store key of the result artefact.
    pub result_key: &'a str,
    /// The extracted fields.
    pub invoice: &'a ExtractedInvoice,
    /// The machine's proposal (version 1 of the history).
    pub proposal: &'a BookingProposal,
}

/// What a version of a proposal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalAction {
    /// The machine's proposal.
    Proposed,
    /// A bookkeeper accepted it as it stood.
    Accepted,
    /// A bookkeeper corrected it.
    Corrected,
}

impl ReviewStatus {
    /// The review state a review action leaves the document in.
    fn after(action: ProposalAction) -> Self {
        match action {
            ProposalAction::Corrected => Self::Corrected,
            ProposalAction::Accepted | ProposalAction::Proposed => Self::Accepted,
        }
    }
}

impl ProposalAction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Accepted => "accepted",
            Self::Corrected => "corrected",
        }
    }

    fn parse(value: &str) -> Result<Self, RecordsError> {
        match value {
            "proposed" => Ok(Self::Proposed),
            "accepted" => Ok(Self::Accepted),
            "corrected" => Ok(Self::Corrected),
            other => Err(RecordsError::Corrupt(format!("proposal action {other:?}"))),
        }
    }
}

/// One entry of a proposal's history.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalVersion {
    /// 1 for the machine's proposal, then one more per review.
    pub version: u32,
    /// What this version is.
    pub action: ProposalAction,
    /// Who: `stapel` for the machine, else the reviewer.
    pub author: String,
    /// The proposal as it stood after this action.
    pub proposal: BookingProposal,
    /// What the reviewer changed, as they submitted it.
    pub changes: Option<serde_json::Value>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A review to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReview {
    /// The document reviewed.
    pub document_id: DocumentId,
    /// Who reviewed.
    pub author: String,
    /// Accepted or corrected (not `Proposed`).
    pub action: ProposalAction,
    /// The proposal as accepted.
    pub proposal: BookingProposal,
    /// What changed, for the audit trail.
    pub changes: Option<serde_json::Value>,
    /// The invoice's fields as the reviewer corrected them, replacing the extraction (the
    /// worker's original stays in the object store's result, and `changes` says what moved).
    pub invoice: Option<ExtractedInvoice>,
}

/// What recording a review did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// Recorded as this version.
    Recorded {
        /// The new version number.
        version: u32,
    },
    /// The document is not `done`, so there is nothing to review yet.
    NotReviewable,
    /// No such document.
    NotFound,
}

/// What a bookkeeper taught us about a supplier in one administration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierMemory {
    /// The administration.
    pub administration_id: AdministrationId,
    /// See `ExtractedInvoice::supplier_key`.
    pub supplier_key: String,
    /// The supplier's name as last confirmed.
    pub supplier_name: Option<String>,
    /// The expense account to book on.
    pub expense_account: Option<String>,
    /// The VAT code to use.
    pub vat_code: Option<String>,
    /// The cost centre to book to (DATEV's KOST1).
    pub cost_centre: Option<String>,
    /// Days from the issue date to the due date, for invoices that print no due date.
    pub payment_terms_days: Option<u32>,
    /// How many reviews confirmed this (1 on first write).
    pub times_confirmed: u32,
    /// Who last changed it.
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// What a review teaches about a supplier. `None` fields keep what was known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupplierUpdate<'a> {
    /// The administration the knowledge applies to.
    pub administration: AdministrationId,
    /// See `ExtractedInvoice::supplier_key`.
    pub supplier_key: &'a str,
    /// The supplier's name as confirmed.
    pub supplier_name: Option<&'a str>,
    /// The expense account the bookkeeper chose.
    pub expense_account: Option<&'a str>,
    /// The VAT code the bookkeeper chose.
    pub vat_code: Option<&'a str>,
    /// The cost centre the bookkeeper chose.
    pub cost_centre: Option<&'a str>,
    /// The payment terms in days, as the bookkeeper gave them or as the reviewed invoice
    /// printed them (due date minus issue date).
    pub payment_terms_days: Option<u32>,
    /// Who taught it.
    pub updated_by: &'a str,
}

/// A job a worker gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The queue message id.
    pub message_id: String,
    /// The document, when the message could be read.
    pub document_id: Option<DocumentId>,
    /// The message body, kept for a redrive.
    pub body: String,
    /// Why it was given up.
    pub reason: ErrorInfo,
    /// Deliveries it had.
    pub receive_count: u32,
    /// When.
    pub dead_lettered_at: DateTime<Utc>,
    /// When a redrive sent it back to its job queue; `None` while it waits in the dead-letter
    /// queue.
    pub redriven_at: Option<DateTime<Utc>>,
}

/// Which dead letters to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLetterQuery<'a> {
    /// Only the letters of this tenant's documents. A letter whose message could not be read
    /// belongs to no document and is listed only when no tenant is given (operators).
    pub tenant: Option<&'a str>,
    /// Also the letters already redriven.
    pub include_redriven: bool,
    /// At most this many, newest first.
    pub limit: u32,
}

/// An API key as stored (the key itself never is, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Key id, for revocation.
    pub id: Uuid,
    /// The tenant it authenticates.
    pub tenant: String,
    /// A human label.
    pub label: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Revoked at, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A logged-in browser of the web page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// SHA-256 of the session id the cookie holds.
    pub id_hash: String,
    /// The tenant it is logged in as.
    pub tenant: String,
    /// The token the page's scripts send back on state-changing requests.
    pub csrf_token: String,
    /// Valid until.
    pub expires_at: DateTime<Utc>,
}

/// The relational store behind the API. One implementation per database; all pass the same
/// conformance suite.
///
/// Who writes what: the dispatcher writes tenants, administrations, API keys, batches, new
/// documents and reviews; workers write status transitions, results and dead letters. Supplier
/// memory is written when a review is recorded.
#[async_trait]
pub trait Records: Send + Sync + 'static {
    /// Create a tenant if it does not exist.
    async fn ensure_tenant(&self, tenant: &str, name: &str) -> Result<(), RecordsError>;

    /// The administration of `tenant` called `name`, created (with the generic chart) if new.
    async fn ensure_administration(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Administration, RecordsError> {
        self.ensure_administration_with(tenant, name, &AdministrationSettings::default())
            .await
    }

    /// The administration of `tenant` called `name`, created with `settings` if new. An existing
    /// administration is returned as stored, whatever `settings` say: the caller compares, so
    /// an upload cannot silently re-chart a client whose documents are already booked.
    async fn ensure_administration_with(
        &self,
        tenant: &str,
        name: &str,
        settings: &AdministrationSettings<'_>,
    ) -> Result<Administration, RecordsError>;

    /// The administration of `tenant` called `name`, if there is one (never creates it).
    async fn administration_named(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Option<Administration>, RecordsError>;

    /// One administration.
    async fn administration(
        &self,
        id: AdministrationId,
    ) -> Result<Option<Administration>, RecordsError>;

    /// Store a new API key's hash; returns its id.
    async fn create_api_key(
        &self,
        tenant: &str,
        label: &str,
        key_hash: &str,
    ) -> Result<ApiKey, RecordsError>;

    /// The tenant a key hash authenticates, unless unknown or revoked.
    async fn tenant_for_api_key(&self, key_hash: &str) -> Result<Option<String>, RecordsError>;

    /// Revoke a key; false if there is no such (unrevoked) key.
    async fn revoke_api_key(&self, id: Uuid) -> Result<bool, RecordsError>;

    /// Store a web session (by the hash of its cookie value) and drop expired ones.
    async fn create_web_session(&self, session: &WebSession) -> Result<(), RecordsError>;

    /// The live (unexpired) session with this id hash.
    async fn web_session(&self, id_hash: &str) -> Result<Option<WebSession>, RecordsError>;

    /// End a session (logout); unknown ids are ignored.
    async fn end_web_session(&self, id_hash: &str) -> Result<(), RecordsError>;

    /// The keys of `tenant` (every tenant's without one), revoked ones included, oldest first.
    /// Hashes are never returned.
    async fn api_keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKey>, RecordsError>;

    /// Create a batch if it does not exist yet (uploads may add to an existing batch).
    async fn ensure_batch(
        &self,
        id: BatchId,
        tenant: &str,
        administration: AdministrationId,
    ) -> Result<(), RecordsError>;

    /// The tenant's batch called `name`, created (for `administration`) if it has none yet.
    /// Names are unique per tenant, so concurrent uploads naming a new batch share one.
    async fn ensure_named_batch(
        &self,
        tenant: &str,
        name: &str,
        administration: AdministrationId,
    ) -> Result<BatchId, RecordsError>;

    /// Record an accepted upload with status `queued`, its job not yet sent (no `enqueued_at`).
    async fn insert_document(&self, document: &NewDocument) -> Result<(), RecordsError>;

    /// The dispatcher sent these documents' jobs (ids without a record, or already marked, are
    /// skipped): they are no longer candidates for [`Records::unqueued_documents`].
    async fn mark_enqueued(&self, ids: &[DocumentId]) -> Result<(), RecordsError>;

    /// Documents recorded before `recorded_before` whose job may never have been sent: still
    /// `queued`, never started by a worker, no `enqueued_at`. Oldest first, at most `limit`.
    /// A dispatcher that dies between recording and enqueueing leaves these behind.
    async fn unqueued_documents(
        &self,
        recorded_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DocumentRecord>, RecordsError>;

    /// One document, if it exists.
    async fn document(&self, id: DocumentId) -> Result<Option<DocumentRecord>, RecordsError>;

    /// A batch's progress, if the batch exists.
    async fn batch(&self, id: BatchId) -> Result<Option<BatchSummary>, RecordsError>;

    /// A worker starts an attempt: any status but `done` → `processing`, attempts + 1.
    async fn start_attempt(&self, id: DocumentId) -> Result<Transition, RecordsError>;

    /// The job is done: status, extraction result and proposal version 1 in one transaction.
    async fn finish_done(
        &self,
        id: DocumentId,
        outcome: DoneOutcome<'_>,
    ) -> Result<Transition, RecordsError>;

    /// The attempt failed. With `will_retry` the document goes back to `queued` (keeping the
    /// error for the user to see); otherwise it is `failed` for good.
    async fn finish_failed(
        &self,
        id: DocumentId,
        error: &ErrorInfo,
        will_retry: bool,
    ) -> Result<Transition, RecordsError>;

    /// Documents of a tenant with this content hash (a re-upload of the same file): at most
    /// [`MAX_DUPLICATES`], the oldest first.
    async fn documents_with_content(
        &self,
        tenant: &str,
        sha256: &str,
    ) -> Result<Vec<DocumentId>, RecordsError>;

    /// Documents of an administration with this supplier and invoice number (a duplicate
    /// invoice, even when the file differs), with their gross amounts, in id order: at most
    /// [`MAX_DUPLICATES`].
    async fn duplicates(
        &self,
        administration: AdministrationId,
        supplier_key: &str,
        invoice_number: &str,
    ) -> Result<Vec<InvoiceTwin>, RecordsError>;

    /// Done documents of an administration waiting for review: those that need review first,
    /// then oldest first.
    async fn review_queue(
        &self,
        administration: AdministrationId,
        limit: u32,
    ) -> Result<Vec<DocumentId>, RecordsError>;

    /// Reviewed (accepted or corrected) documents of an administration with an issue date in
    /// `from..=to`, for exports.
    async fn reviewed_in_period(
        &self,
        administration: AdministrationId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DocumentId>, RecordsError>;

    /// The extracted fields of a done document.
    async fn extraction(&self, id: DocumentId) -> Result<Option<ExtractedInvoice>, RecordsError>;

    /// Every version of a document's proposal, oldest first.
    async fn proposal_history(&self, id: DocumentId) -> Result<Vec<ProposalVersion>, RecordsError>;

    /// Append a review to the proposal history and mark the document reviewed.
    async fn record_review(&self, review: &NewReview) -> Result<ReviewOutcome, RecordsError>;

    /// Insert or update what we know of a supplier; `times_confirmed` counts the updates.
    async fn remember_supplier(&self, update: &SupplierUpdate<'_>) -> Result<(), RecordsError>;

    /// What we know of a supplier in an administration.
    async fn supplier_memory(
        &self,
        administration: AdministrationId,
        supplier_key: &str,
    ) -> Result<Option<SupplierMemory>, RecordsError>;

    /// Keep a job a worker gave up on (idempotent per message id).
    async fn record_dead_letter(&self, dead_letter: &DeadLetter) -> Result<(), RecordsError>;

    /// The most recent dead letters the query selects, newest first.
    async fn dead_letters(
        &self,
        query: &DeadLetterQuery<'_>,
    ) -> Result<Vec<DeadLetter>, RecordsError>;

    /// Note that a dead letter's job was sent back to its queue. False when no letter has that
    /// message id (the worker that gave up crashed before recording it) or it was already marked.
    async fn mark_redriven(
        &self,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RecordsError>;

    /// The earliest and latest issue dates of a batch's done documents (the export period a
    /// batch suggests), without reading each document.
    async fn batch_issue_dates(
        &self,
        batch: BatchId,
    ) -> Result<Option<(NaiveDate, NaiveDate)>, RecordsError>;

    /// A tenant's documents in a status, most recently changed first, optionally of one batch.
    async fn documents_in_status(
        &self,
        tenant: &str,
        status: DocumentStatus,
        batch: Option<BatchId>,
        limit: u32,
    ) -> Result<Vec<DocumentId>, RecordsError>;
}

/// JSON of a domain value for a JSON column.
fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values serialize")
}

/// A domain value back from a JSON column.
fn from_json<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T, RecordsError> {
    serde_json::from_str(json).map_err(|error| RecordsError::Corrupt(format!("{what}: {error}")))
}

fn parse<T: std::str::FromStr>(value: &str, what: &str) -> Result<T, RecordsError> {
    value
        .parse()
        .map_err(|_| RecordsError::Corrupt(format!("bad {what}: {value:?}")))
}

/// A foreign-key violation names what the write referred to; anything else stays a database
/// error.
fn foreign_key_error(error: sqlx::Error, what: &str) -> RecordsError {
    match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            RecordsError::UnknownReference(what.to_owned())
        }
        _ => RecordsError::Database(error),
    }
}

fn error_info(code: Option<String>, message: Option<String>) -> Option<ErrorInfo> {
    match (code, message) {
        (Some(code), Some(message)) => Some(ErrorInfo { code, message }),
        _ => None,
    }
}

/// The columns copied from a result for indexed queries.
struct ResultColumns {
    supplier_key: Option<String>,
    invoice_number: Option<String>,
    issue_date: Option<NaiveDate>,
    needs_review: bool,
    gross_total: Option<String>,
}

impl ResultColumns {
    fn of(outcome: &DoneOutcome<'_>) -> Self {
        Self {
            needs_review: outcome.proposal.needs_review,
            ..Self::of_invoice(outcome.invoice)
        }
    }

    /// The columns copied from an invoice (a reviewer's correction rewrites them).
    fn of_invoice(invoice: &ExtractedInvoice) -> Self {
        Self {
            supplier_key: invoice.supplier_key(),
            invoice_number: invoice.invoice_number.clone(),
            issue_date: invoice.issue_date,
            needs_review: false,
            gross_total: invoice.gross_total.map(|gross| gross.to_string()),
        }
    }
}

/// The author name of machine-made proposal versions.
pub const MACHINE_AUTHOR: &str = "stapel";

/// Most earlier documents a duplicate lookup returns. A proposal names each one it finds, and a
/// file uploaded ten thousand times must not carry ten thousand reasons (nor cost a worker a
/// ten-thousand-row read per document).
pub const MAX_DUPLICATES: i64 = 20;

/// A gross amount back from its text column.
fn gross_from_column(text: Option<String>) -> Result<Option<Decimal>, RecordsError> {
    text.map(|text| parse(&text, "gross total")).transpose()
}
