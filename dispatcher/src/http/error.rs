//! API errors: a status and a stable `code`, as `{"error": {"code", "message"}}`.
//!
//! Internal failures are logged in full and answered with a generic message: details of the
//! infrastructure are not the client's business. Codes are added, never renamed.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use stapel_pipeline::ingest::IngestError;
use stapel_pipeline::view::ViewError;

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds a client should wait before trying again (`Retry-After`), for overload answers.
    retry_after: Option<u32>,
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Any status with a code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A 404.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A 503 that tells the client when to come back: the service is busy, nothing is wrong
    /// with the request, and nothing of it was kept.
    pub fn busy(code: &'static str, message: impl Into<String>, retry_after_secs: u32) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code,
            message: message.into(),
            retry_after: Some(retry_after_secs),
        }
    }

    /// The stable code, e.g. for pages that show an API error.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// A 500/503 whose details go to the log only.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error answering a request");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "internal.unavailable",
            message: "the service could not complete the request; try again".into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": {"code": self.code, "message": self.message}}));
        let mut response = (self.status, body).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6750: a 401 names the scheme the client should use.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"stapel\""),
            );
        }
        response
    }
}

impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::TooLarge { .. } => Self {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "upload.too_large",
                message: error.to_string(),
                retry_after: None,
            },
            IngestError::Body { .. } => Self::bad_request("upload.body", error.to_string()),
            other => Self::internal(&other),
        }
    }
}

impl From<ViewError> for ApiError {
    fn from(error: ViewError) -> Self {
        Self::internal(&error)
    }
}

/// Unknown routes answer JSON too.
pub async fn not_found() -> ApiError {
    ApiError::not_found("route.not_found", "no such endpoint")
}
