//! The HTTP API and the web page. Only this module knows HTTP; handlers delegate to
//! `stapel_pipeline`. Every route but `/healthz`, `/metrics` and the login page needs a caller
//! ([`auth::Caller`]): an API key or a web session.

pub mod auth;
mod documents;
mod error;
mod listing;
pub mod page_image;
mod web;

pub use error::ApiError;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use stapel_pipeline::Backends;
use tower_http::trace::TraceLayer;

/// Limits on what one request may upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest single file, in bytes.
    pub max_file_bytes: u64,
    /// Largest request body (all files of one request), in bytes.
    pub max_request_bytes: u64,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The stores.
    pub backends: Backends,
    /// Upload limits.
    pub limits: UploadLimits,
    /// One permit per upload being received; when none is left, uploads are refused with
    /// `503` and `Retry-After` at once instead of queueing without bound (see
    /// `--max-concurrent-uploads`).
    pub upload_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// Web sessions and the tenants' default administrations.
    pub auth: auth::AuthState,
    /// Prometheus metrics; `GET /metrics` answers 404 without.
    pub metrics: Option<crate::telemetry::MetricsState>,
}

/// The dispatcher's routes.
pub fn router(state: AppState) -> Router {
    let body_limit = usize::try_from(state.limits.max_request_bytes).unwrap_or(usize::MAX);
    Router::new()
        .merge(web::routes())
        .route("/healthz", get(documents::health))
        .route("/metrics", get(metrics))
        .route(
            "/v1/documents",
            post(documents::upload)
                .layer(DefaultBodyLimit::max(body_limit))
                .get(listing::documents_in_status),
        )
        .route("/v1/dead-letters", get(listing::dead_letters))
        .route("/v1/documents/{id}", get(documents::get_document))
        .route(
            "/v1/documents/{id}/review",
            post(documents::review_document),
        )
        .route("/v1/batches/{id}", get(documents::get_batch))
        .route("/v1/batches/{id}/documents", get(listing::batch_documents))
        .route(
            "/v1/documents/{id}/pages/{page}",
            get(page_image::page_image),
        )
        .route("/v1/review-queue", get(listing::review_queue))
        .route("/v1/exports", get(documents::export))
        .fallback(error::not_found)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /metrics`: Prometheus text format, without authentication like `/healthz` (scrapers
/// rarely carry keys); it shows counts and queue depths, no tenant data, but should still not
/// be reachable from the internet.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match &state.metrics {
        Some(metrics) => {
            let body = crate::telemetry::render(metrics, &state.backends).await;
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    stapel_worker::telemetry::PROMETHEUS_CONTENT_TYPE,
                )],
                body,
            )
                .into_response()
        }
        None => error::not_found().await.into_response(),
    }
}
