//! `GET /v1/documents/{id}/pages/{n}`: the page image a reviewer looks at next to the fields.
//!
//! Browsers show PNG, JPEG and WebP originals as they are. A PDF page is rendered to PNG by
//! the OCR crate's renderer in a limited child process (`dispatcher render-page`), like every
//! other parse of an uploaded file: a hostile PDF may kill that child, never the dispatcher.

use super::auth::Caller;
use super::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use stapel_domain::DocumentId;
use stapel_extract::isolation::{run_isolated, IsolationLimits};
use stapel_ocr::{detect_format, InputFormat};
use stapel_store::ObjectKey;
use std::io::{Read, Write};
use std::time::Duration;

/// The hidden subcommand that renders one page: PDF on stdin, PNG on stdout.
pub const RENDER_PAGE_SUBCOMMAND: &str = "render-page";
/// Resolution of page images: legible on a 1280 px screen, small enough to load fast.
const PAGE_DPI: u32 = 110;
/// Pages above this are refused before a child is started.
const MAX_PAGE: u32 = 2000;

/// `GET /v1/documents/{id}/pages/{n}` (1-based).
pub async fn page_image(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, page)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id: DocumentId = id.parse().map_err(|_| {
        ApiError::bad_request("request.invalid_id", format!("{id:?} is not a document id"))
    })?;
    let page: u32 = page
        .parse()
        .ok()
        .filter(|page| (1..=MAX_PAGE).contains(page))
        .ok_or_else(|| {
            ApiError::bad_request("request.invalid_page", format!("{page:?} is not a page"))
        })?;
    caller.check_document(&state.backends, id).await?;
    let record = state
        .backends
        .records
        .document(id)
        .await
        .map_err(|error| ApiError::internal(&error))?
        .ok_or_else(|| ApiError::not_found("document.not_found", format!("no document {id}")))?;
    let key = ObjectKey::new(record.document.object_key.clone())
        .map_err(|error| ApiError::internal(&error))?;
    let original = state
        .backends
        .store
        .get(&key)
        .await
        .map_err(|error| ApiError::internal(&error))?;
    let not_available = || {
        ApiError::not_found(
            "page.not_available",
            format!("document {id} has no page image {page}"),
        )
    };
    let (content_type, body) = match detect_format(&original) {
        Ok(InputFormat::Pdf) => ("image/png", render_pdf_page(original.to_vec(), page).await?),
        Ok(InputFormat::Png) if page == 1 => ("image/png", original.to_vec()),
        Ok(InputFormat::Jpeg) if page == 1 => ("image/jpeg", original.to_vec()),
        Ok(InputFormat::Webp) if page == 1 => ("image/webp", original.to_vec()),
        // TIFF (browsers do not show it) and XML e-invoices have no page image.
        _ => return Err(not_available()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            // Originals never change; the page of a document is the same forever.
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        body,
    )
        .into_response())
}

async fn render_pdf_page(pdf: Vec<u8>, page: u32) -> Result<Vec<u8>, ApiError> {
    let program = std::env::current_exe().map_err(|error| ApiError::internal(&error))?;
    let limits = IsolationLimits {
        wall_time: Duration::from_secs(30),
        cpu_seconds: 30,
        address_space_bytes: 2 * 1024 * 1024 * 1024,
        max_output_bytes: 64 * 1024 * 1024,
        max_stderr_bytes: 4096,
    };
    let page_arg = page.to_string();
    let dpi_arg = PAGE_DPI.to_string();
    let rendered = tokio::task::spawn_blocking(move || {
        run_isolated(
            &program,
            &[
                RENDER_PAGE_SUBCOMMAND,
                "--page",
                &page_arg,
                "--dpi",
                &dpi_arg,
            ],
            &pdf,
            &limits,
        )
    })
    .await
    .map_err(|error| ApiError::internal(&error))?;
    rendered.map_err(|error| {
        tracing::warn!(%error, page, "rendering a page image failed");
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "page.render_failed",
            format!("page {page} could not be rendered (is there such a page?)"),
        )
    })
}

/// The child side of `render-page`: read a PDF from stdin, write the page's PNG to stdout.
/// Returns the exit code.
pub fn render_page_child(page: u32, dpi: u32) -> i32 {
    let mut pdf = Vec::new();
    if let Err(error) = std::io::stdin().read_to_end(&mut pdf) {
        eprintln!("cannot read the PDF from stdin: {error}");
        return 1;
    }
    match stapel_ocr::render_page_png(&pdf, page, dpi) {
        Ok(png) => match std::io::stdout().write_all(&png) {
            Ok(()) => 0,
            Err(error) => {
                eprintln!("cannot write the PNG: {error}");
                1
            }
        },
        Err(error) => {
            eprintln!("{error}");
            1
        }
    }
}
