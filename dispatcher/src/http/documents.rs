//! `/v1/documents`, `/v1/batches` and `/healthz`.

use super::auth::Caller;
use super::{ApiError, AppState};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use futures::TryStreamExt;
use serde::Serialize;
use serde_json::{json, Value};
use stapel_domain::{BatchId, DocumentId};
use stapel_pipeline::ingest::{
    commit_staged_for_request, discard_staged, stage_original, StagedDocument,
};
use stapel_pipeline::view::{batch_view, document_view, BatchView, DocumentView};
use tracing::Instrument;

/// Answer of `POST /v1/documents`.
#[derive(Debug, Serialize)]
pub struct UploadResponse {
    batch: BatchId,
    documents: Vec<AcceptedJson>,
}

#[derive(Debug, Serialize)]
struct AcceptedJson {
    id: DocumentId,
    filename: String,
    /// `queued`, or `failed` for a file refused by its content (empty, or of no type stapel
    /// reads): it is recorded but never processed.
    status: &'static str,
    /// Why a refused file failed (`upload.empty`, `upload.unsupported_type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<stapel_domain::ErrorInfo>,
}

/// The longest batch name accepted, in characters.
const MAX_BATCH_NAME_CHARS: usize = 200;

/// `POST /v1/documents`: multipart with one or more `file` parts and an optional `batch` (an
/// id) or `batch_name` (the caller's batch of that name, created on first use).
///
/// Each file streams into the object store as it arrives. Only when the whole request has been
/// read are the documents recorded and enqueued, so a request is accepted whole or not at all;
/// the answer is `202` as soon as the jobs are queued, never after processing.
///
/// The client's `X-Request-Id` (or the trace id of its `traceparent`) is logged with every
/// accepted document and travels in the job message to the worker's logs.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    let request_id = request_id(&headers);
    let span = tracing::info_span!(
        "upload",
        tenant = caller.tenant(),
        request_id = request_id.as_deref()
    );
    let mut staged = Vec::new();
    // Taken before the body is read, so an overloaded dispatcher refuses cheaply.
    let outcome = match state.upload_slots.clone().try_acquire_owned() {
        Ok(_slot) => {
            accept_request(
                &state,
                &caller,
                &mut multipart,
                &mut staged,
                request_id.as_deref(),
            )
            .instrument(span)
            .await
        }
        Err(_) => Err(ApiError::busy(
            "upload.busy",
            "the dispatcher is receiving as many uploads as it takes at once; retry shortly",
            1,
        )),
    };
    if outcome.is_err() {
        discard_staged(&state.backends, &staged).await;
    }
    crate::telemetry::upload_answered(match &outcome {
        Ok((_, response)) => Ok(response
            .documents
            .iter()
            .map(|document| document.error.as_ref().map(|error| error.code.as_str()))),
        Err(error) => Err(error.code()),
    });
    outcome
}

/// The id a client gave its request: `X-Request-Id` if it is short printable ASCII, else the
/// trace id of a W3C `traceparent` (`00-<32 hex trace id>-<16 hex parent>-<2 hex flags>`).
/// Anything else is ignored, so a header cannot inject into the logs.
fn request_id(headers: &HeaderMap) -> Option<String> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(id) = header("x-request-id").map(str::trim) {
        let printable = id
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b'"' && byte != b'\\');
        if !id.is_empty() && id.len() <= 128 && printable {
            return Some(id.to_owned());
        }
    }
    let traceparent = header("traceparent")?;
    let mut parts = traceparent.trim().split('-');
    let (_version, trace_id) = (parts.next()?, parts.next()?);
    let valid = trace_id.len() == 32
        && trace_id.bytes().all(|byte| byte.is_ascii_hexdigit())
        && trace_id.bytes().any(|byte| byte != b'0');
    valid.then(|| trace_id.to_ascii_lowercase())
}

async fn accept_request(
    state: &AppState,
    caller: &Caller,
    multipart: &mut Multipart,
    staged: &mut Vec<StagedDocument>,
    request_id: Option<&str>,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    let mut batch = None;
    // Optional: a batch by name, found or created for the caller's tenant.
    let mut batch_name = None;
    // Optional: the administration (client) the files belong to, and for a new one its chart
    // and country; without `administration` the caller's default administration is used.
    let mut named = stapel_pipeline::charts::NamedAdministration::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("file") => {
                let filename = field.file_name().unwrap_or("upload").to_owned();
                let body = field.map_err(std::io::Error::other);
                let document = stage_original(
                    &state.backends,
                    &filename,
                    Box::pin(body),
                    state.limits.max_file_bytes,
                )
                .await?;
                staged.push(document);
            }
            Some("batch") => {
                let text = field.text().await.map_err(multipart_error)?;
                let id = text.trim().parse::<BatchId>().map_err(|_| {
                    ApiError::bad_request(
                        "request.invalid_batch",
                        format!("batch {text:?} is not a batch id"),
                    )
                })?;
                caller.check_batch_for_upload(&state.backends, id).await?;
                batch = Some(id);
            }
            Some("batch_name") => {
                let text = field.text().await.map_err(multipart_error)?;
                let name = text.trim();
                if name.is_empty() || name.chars().count() > MAX_BATCH_NAME_CHARS {
                    return Err(ApiError::bad_request(
                        "request.invalid_batch_name",
                        format!("a batch name has 1 to {MAX_BATCH_NAME_CHARS} characters"),
                    ));
                }
                batch_name = Some(name.to_owned());
            }
            Some(part @ ("administration" | "chart" | "country")) => {
                let part = part.to_owned();
                let text = field.text().await.map_err(multipart_error)?;
                let value = Some(text.trim().to_owned());
                match part.as_str() {
                    "administration" => named.name = value,
                    "chart" => named.chart = value,
                    _ => named.country = value,
                }
            }
            // Unknown parts are skipped, so clients can send extra metadata safely.
            _ => {}
        }
    }
    if staged.is_empty() {
        return Err(ApiError::bad_request(
            "request.no_files",
            "the request has no `file` part; send multipart/form-data with one or more files",
        ));
    }
    let target = upload_target(state, caller, &named).await?;
    let batch = match (batch, batch_name) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "request.batch_and_batch_name",
                "send either `batch` (an id) or `batch_name`, not both",
            ))
        }
        (Some(id), None) => id,
        (None, Some(name)) => state
            .backends
            .records
            .ensure_named_batch(&target.tenant, &name, target.administration)
            .await
            .map_err(|error| ApiError::internal(&error))?,
        (None, None) => BatchId::default(),
    };
    let accepted =
        commit_staged_for_request(&state.backends, batch, &target, staged, request_id).await?;
    let documents = accepted
        .into_iter()
        .map(|document| AcceptedJson {
            id: document.id,
            filename: document.filename,
            status: document.status.as_str(),
            error: document.error,
        })
        .collect();
    Ok((
        StatusCode::ACCEPTED,
        Json(UploadResponse { batch, documents }),
    ))
}

/// Where an upload's documents go: the administration the request names (set up on first
/// use, see `ChartLibrary::named_administration`), else the caller's default one.
async fn upload_target(
    state: &AppState,
    caller: &Caller,
    named: &stapel_pipeline::charts::NamedAdministration,
) -> Result<stapel_pipeline::ingest::UploadTarget, ApiError> {
    use stapel_pipeline::charts::{AdministrationError, ChartLibrary};
    let administration = ChartLibrary::from_env()
        .named_administration(&state.backends, caller.tenant(), named)
        .await
        .map_err(|error| match &error {
            AdministrationError::Records(records) => ApiError::internal(records),
            AdministrationError::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, error.code(), error.to_string())
            }
            _ => ApiError::bad_request(error.code(), error.to_string()),
        })?;
    Ok(match administration {
        Some(administration) => stapel_pipeline::ingest::UploadTarget {
            tenant: caller.tenant().to_owned(),
            administration: administration.id,
        },
        None => caller.target.clone(),
    })
}

fn multipart_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request("request.malformed_multipart", error.body_text())
}

/// `GET /v1/documents/{id}`.
pub async fn get_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    let id: DocumentId = id.parse().map_err(|_| {
        ApiError::bad_request("request.invalid_id", format!("{id:?} is not a document id"))
    })?;
    caller.check_document(&state.backends, id).await?;
    document_view(&state.backends, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("document.not_found", format!("no document {id}")))
}

/// `POST /v1/documents/{id}/review`: accept or correct the proposal (see
/// `stapel_pipeline::review`). Answers the new proposal version.
pub async fn review_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<stapel_pipeline::review::ReviewResult>, ApiError> {
    use stapel_pipeline::review::{ReviewError, ReviewRequest};
    let id: DocumentId = id.parse().map_err(|_| {
        ApiError::bad_request("request.invalid_id", format!("{id:?} is not a document id"))
    })?;
    caller.check_document(&state.backends, id).await?;
    let request: ReviewRequest = serde_json::from_slice(&body).map_err(|error| {
        ApiError::bad_request(
            "request.invalid_json",
            format!("the review is not valid: {error}"),
        )
    })?;
    let charts = stapel_pipeline::charts::ChartLibrary::from_env();
    stapel_pipeline::review::review_document(&state.backends, &charts, id, &request)
        .await
        .map(Json)
        .map_err(|error| {
            use stapel_pipeline::charts::ChartError;
            let status = match &error {
                ReviewError::NotFound(_) => StatusCode::NOT_FOUND,
                ReviewError::NotReviewable(_) => StatusCode::CONFLICT,
                ReviewError::Records(records) => return ApiError::internal(records),
                ReviewError::Chart(ChartError::Records(records)) => {
                    return ApiError::internal(records)
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            ApiError::new(status, error.code(), error.to_string())
        })
}

/// Query of `GET /v1/exports`.
#[derive(Debug, serde::Deserialize)]
pub struct ExportQuery {
    /// First issue date, `YYYY-MM-DD`.
    from: chrono::NaiveDate,
    /// Last issue date, inclusive.
    to: chrono::NaiveDate,
    /// `csv` (default), `json` or `datev`.
    #[serde(default)]
    format: Option<String>,
    /// DATEV Beraternummer (required for `datev`).
    consultant: Option<u32>,
    /// DATEV Mandantennummer (required for `datev`).
    client: Option<u32>,
    /// The administration to export, by name; the caller's default one if absent.
    #[serde(default)]
    administration: Option<String>,
}

/// `GET /v1/exports?from=&to=&format=csv|json|datev`: the reviewed entries of the period.
/// Deterministic: the same reviews give the same bytes (DATEV's "created at" is the period's
/// last day, not the clock).
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Query(query): axum::extract::Query<ExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    use stapel_booking::export::{to_csv, to_datev, to_json, DatevSettings};
    if query.from > query.to {
        return Err(ApiError::bad_request(
            "export.invalid_period",
            "`from` is after `to`",
        ));
    }
    let administration = match query.administration.as_deref() {
        None => caller.target.administration,
        Some(name) => {
            state
                .backends
                .records
                .administration_named(caller.tenant(), name.trim())
                .await
                .map_err(|error| ApiError::internal(&error))?
                .ok_or_else(|| {
                    ApiError::not_found(
                        "administration.not_found",
                        format!("no administration {name:?}"),
                    )
                })?
                .id
        }
    };
    let charts = stapel_pipeline::charts::ChartLibrary::from_env();
    let administration_record = state
        .backends
        .records
        .administration(administration)
        .await
        .map_err(|error| ApiError::internal(&error))?;
    let chart_name = administration_record
        .as_ref()
        .map_or("generic", |record| record.chart.as_str())
        .to_owned();
    let chart = charts.load(&chart_name).await.map_err(|error| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            error.code(),
            error.to_string(),
        )
    })?;
    let entries = stapel_pipeline::export::reviewed_entries(
        &state.backends,
        administration,
        query.from,
        query.to,
    )
    .await
    .map_err(|error| ApiError::internal(&error))?;
    let invalid = |error: stapel_booking::export::ExportError| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "export.invalid",
            error.to_string(),
        )
    };
    let (content_type, body): (&str, Vec<u8>) = match query.format.as_deref().unwrap_or("csv") {
        "csv" => (
            "text/csv; charset=utf-8",
            to_csv(&entries).map_err(invalid)?.into_bytes(),
        ),
        "json" => (
            "application/json",
            to_json(&entries).map_err(invalid)?.into_bytes(),
        ),
        "datev" => {
            let (Some(consultant), Some(client)) = (query.consultant, query.client) else {
                return Err(ApiError::bad_request(
                    "export.datev_numbers_missing",
                    "a DATEV export needs `consultant` (Beraternummer) and `client` (Mandantennummer)",
                ));
            };
            let settings = DatevSettings {
                consultant_number: consultant,
                client_number: client,
                fiscal_year_start: chrono::NaiveDate::from_ymd_opt(
                    chrono::Datelike::year(&query.from),
                    1,
                    1,
                )
                .unwrap_or(query.from),
                account_length: 4,
                period_start: query.from,
                period_end: query.to,
                description: "stapel".to_owned(),
                created_at: query.to.and_hms_opt(0, 0, 0).unwrap_or_default(),
                chart_code: stapel_pipeline::charts::datev_chart_code(&chart_name),
                currency: chart.currency().unwrap_or("EUR").to_owned(),
            };
            (
                "text/csv; charset=windows-1252",
                to_datev(&entries, &chart, &settings).map_err(invalid)?,
            )
        }
        other => {
            return Err(ApiError::bad_request(
                "export.unknown_format",
                format!("{other:?} is not csv, json or datev"),
            ))
        }
    };
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response())
}

/// `GET /v1/batches/{id}`.
pub async fn get_batch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<BatchView>, ApiError> {
    let id: BatchId = id.parse().map_err(|_| {
        ApiError::bad_request("request.invalid_id", format!("{id:?} is not a batch id"))
    })?;
    caller.check_batch(&state.backends, id).await?;
    batch_view(&state.backends, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("batch.not_found", format!("no batch {id}")))
}

/// `GET /healthz`: answers only when the queues are reachable, with their depths (the fast
/// lane is `queue`, for compatibility; the bulk lane `bulk_queue`).
pub async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let jobs = state
        .backends
        .queue
        .depth()
        .await
        .map_err(|error| ApiError::internal(&error))?;
    let bulk = state
        .backends
        .bulk
        .depth()
        .await
        .map_err(|error| ApiError::internal(&error))?;
    let dead = state
        .backends
        .dead_letter
        .depth()
        .await
        .map_err(|error| ApiError::internal(&error))?;
    Ok(Json(json!({
        "status": "ok",
        "queue": {"visible": jobs.visible, "in_flight": jobs.in_flight},
        "bulk_queue": {"visible": bulk.visible, "in_flight": bulk.in_flight},
        "dead_letter": {"visible": dead.visible + dead.in_flight},
    })))
}

#[cfg(test)]
mod tests {
    use super::request_id;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn request_id_comes_from_x_request_id_then_traceparent() {
        let traceparent = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
        assert_eq!(
            request_id(&headers(&[
                ("x-request-id", " req-1 "),
                ("traceparent", traceparent)
            ])),
            Some("req-1".into())
        );
        assert_eq!(
            request_id(&headers(&[("traceparent", traceparent)])),
            Some("4bf92f3577b34da6a3ce929d0e0e4736".into())
        );
        assert_eq!(request_id(&HeaderMap::new()), None);
    }

    #[test]
    fn odd_request_ids_are_ignored() {
        let long = "x".repeat(129);
        for bad in ["a b", "quote\"d", long.as_str(), ""] {
            assert_eq!(
                request_id(&headers(&[("x-request-id", bad)])),
                None,
                "{bad:?}"
            );
        }
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-xyz-00f067aa0ba902b7-01",
            "garbage",
        ] {
            assert_eq!(
                request_id(&headers(&[("traceparent", bad)])),
                None,
                "{bad:?}"
            );
        }
    }
}
