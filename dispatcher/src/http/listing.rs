//! Lists: every document of a batch in one answer (so the web page's live view of a hundred
//! files polls once, not a hundred times), the review queue, documents by status (the failed
//! ones with their reasons) and the dead letters.

use super::auth::Caller;
use super::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use stapel_domain::{BatchId, DocumentId, DocumentStatus};
use stapel_pipeline::view::{batch_view, document_views, BatchView, DeadLetterView, DocumentView};
use stapel_records::DeadLetterQuery;

/// Answer of `GET /v1/batches/{id}/documents`: the batch and its documents' views.
#[derive(Debug, Serialize)]
pub struct BatchDocuments {
    /// The batch, as `GET /v1/batches/{id}`.
    #[serde(flatten)]
    batch: BatchView,
    /// Each document (of the page asked for) as `GET /v1/documents/{id}`, in upload order.
    document_views: Vec<DocumentView>,
}

/// Query of `GET /v1/batches/{id}/documents`: one page of the batch's documents, so a
/// 10,000-document batch is not 10,000 views per poll.
#[derive(Debug, Deserialize)]
pub struct BatchPage {
    /// Skip this many documents (upload order).
    #[serde(default)]
    offset: usize,
    /// At most this many views (default: all of them).
    limit: Option<usize>,
}

/// `GET /v1/batches/{id}/documents[?offset=N&limit=M]`.
pub async fn batch_documents(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(page): Query<BatchPage>,
) -> Result<Json<BatchDocuments>, ApiError> {
    let id: BatchId = id.parse().map_err(|_| {
        ApiError::bad_request("request.invalid_id", format!("{id:?} is not a batch id"))
    })?;
    caller.check_batch(&state.backends, id).await?;
    let batch = batch_view(&state.backends, id)
        .await?
        .ok_or_else(|| ApiError::not_found("batch.not_found", format!("no batch {id}")))?;
    let page = batch
        .documents
        .iter()
        .copied()
        .skip(page.offset)
        .take(page.limit.unwrap_or(usize::MAX));
    let document_views = document_views(&state.backends, page).await?;
    Ok(Json(BatchDocuments {
        batch,
        document_views,
    }))
}

/// Query of `GET /v1/review-queue`.
#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    /// At most this many ids (default 50, at most 500).
    limit: Option<u32>,
}

/// Answer of `GET /v1/review-queue`.
#[derive(Debug, Serialize)]
pub struct ReviewQueue {
    /// Done documents of the caller's administration waiting for review: those that need
    /// review first, then oldest first.
    documents: Vec<DocumentId>,
}

/// `GET /v1/review-queue?limit=N`.
pub async fn review_queue(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<QueueQuery>,
) -> Result<Json<ReviewQueue>, ApiError> {
    let documents = pending_reviews(&state, &caller, query.limit.unwrap_or(50).min(500)).await?;
    Ok(Json(ReviewQueue { documents }))
}

/// The caller's review queue.
pub async fn pending_reviews(
    state: &AppState,
    caller: &Caller,
    limit: u32,
) -> Result<Vec<DocumentId>, ApiError> {
    state
        .backends
        .records
        .review_queue(caller.target.administration, limit)
        .await
        .map_err(|error| ApiError::internal(&error))
}

/// Query of `GET /v1/documents`.
#[derive(Debug, Deserialize)]
pub struct DocumentsQuery {
    /// `queued`, `processing`, `done` or `failed` (required: a tenant's whole history is not
    /// one answer).
    status: Option<String>,
    /// Only this batch's documents.
    batch: Option<String>,
    /// At most this many (default 50, at most 500).
    limit: Option<u32>,
}

/// Answer of `GET /v1/documents`.
#[derive(Debug, Serialize)]
pub struct DocumentList {
    /// Each document as `GET /v1/documents/{id}`, most recently changed first.
    documents: Vec<DocumentView>,
}

/// `GET /v1/documents?status=failed[&batch=ID][&limit=N]`: the caller's documents in a status,
/// with their errors (why each failed), most recently changed first.
pub async fn documents_in_status(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<DocumentsQuery>,
) -> Result<Json<DocumentList>, ApiError> {
    let status = query.status.as_deref().unwrap_or_default();
    let status: DocumentStatus = status.parse().map_err(|_| {
        ApiError::bad_request(
            "request.invalid_status",
            format!("status must be queued, processing, done or failed, not {status:?}"),
        )
    })?;
    let batch = match &query.batch {
        Some(batch) => {
            let id: BatchId = batch.parse().map_err(|_| {
                ApiError::bad_request("request.invalid_id", format!("{batch:?} is not a batch id"))
            })?;
            caller.check_batch(&state.backends, id).await?;
            Some(id)
        }
        None => None,
    };
    let documents = caller_documents_in_status(
        &state,
        &caller,
        status,
        batch,
        query.limit.unwrap_or(50).min(500),
    )
    .await?;
    Ok(Json(DocumentList { documents }))
}

/// The caller's documents in a status, most recently changed first (the API and the web page's
/// failed list).
pub async fn caller_documents_in_status(
    state: &AppState,
    caller: &Caller,
    status: DocumentStatus,
    batch: Option<BatchId>,
    limit: u32,
) -> Result<Vec<DocumentView>, ApiError> {
    let ids = state
        .backends
        .records
        .documents_in_status(&caller.target.tenant, status, batch, limit)
        .await
        .map_err(|error| ApiError::internal(&error))?;
    Ok(document_views(&state.backends, ids).await?)
}

/// Query of `GET /v1/dead-letters`.
#[derive(Debug, Deserialize)]
pub struct DeadLettersQuery {
    /// Also the letters already redriven (default: only those still waiting).
    #[serde(default)]
    all: bool,
    /// At most this many (default 50, at most 500).
    limit: Option<u32>,
}

/// Answer of `GET /v1/dead-letters`.
#[derive(Debug, Serialize)]
pub struct DeadLetters {
    /// The caller's documents' jobs that workers gave up on, newest first.
    dead_letters: Vec<DeadLetterView>,
}

/// `GET /v1/dead-letters[?all=true][&limit=N]`: the caller's jobs that were dead-lettered, with
/// the reason; an operator replays them with `dispatcher dead-letter redrive`.
pub async fn dead_letters(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<DeadLettersQuery>,
) -> Result<Json<DeadLetters>, ApiError> {
    let dead_letters = caller_dead_letters(
        &state,
        &caller,
        query.all,
        query.limit.unwrap_or(50).min(500),
    )
    .await?;
    Ok(Json(DeadLetters { dead_letters }))
}

/// The caller's dead letters, newest first (the API and the web page's failed list).
pub async fn caller_dead_letters(
    state: &AppState,
    caller: &Caller,
    include_redriven: bool,
    limit: u32,
) -> Result<Vec<DeadLetterView>, ApiError> {
    let letters = state
        .backends
        .records
        .dead_letters(&DeadLetterQuery {
            tenant: Some(&caller.target.tenant),
            include_redriven,
            limit,
        })
        .await
        .map_err(|error| ApiError::internal(&error))?;
    Ok(letters.into_iter().map(DeadLetterView::from).collect())
}
