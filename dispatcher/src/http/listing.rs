//! Lists for the web page's live views: every document of a batch in one answer (so a page of
//! a hundred files polls once, not a hundred times) and the review queue.

use super::auth::Caller;
use super::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use stapel_domain::{BatchId, DocumentId};
use stapel_pipeline::view::{batch_view, document_view, BatchView, DocumentView};

/// Answer of `GET /v1/batches/{id}/documents`: the batch and its documents' views.
#[derive(Debug, Serialize)]
pub struct BatchDocuments {
    /// The batch, as `GET /v1/batches/{id}`.
    #[serde(flatten)]
    batch: BatchView,
    /// Each document as `GET /v1/documents/{id}`, in upload order.
    document_views: Vec<DocumentView>,
}

/// `GET /v1/batches/{id}/documents`.
pub async fn batch_documents(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<BatchDocuments>, ApiError> {
    let id: BatchId = id.parse().map_err(|_| {
        ApiError::bad_request("request.invalid_id", format!("{id:?} is not a batch id"))
    })?;
    caller.check_batch(&state.backends, id).await?;
    let batch = batch_view(&state.backends, id)
        .await?
        .ok_or_else(|| ApiError::not_found("batch.not_found", format!("no batch {id}")))?;
    let mut document_views = Vec::with_capacity(batch.documents.len());
    for document in &batch.documents {
        if let Some(view) = document_view(&state.backends, *document).await? {
            document_views.push(view);
        }
    }
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
