//! The web page: login with an API key, upload a batch and watch it, review proposals, export,
//! see what failed and why.
//!
//! Pages are rendered on the server ([`templates`]); a small script (`app.js`) uploads files,
//! polls the batch's status and sends reviews. The script only calls the public JSON API, with
//! the session cookie and the session's CSRF token, so the page can do nothing an API client
//! could not.
//!
//! Cookies: the session cookie is `HttpOnly` (scripts cannot read it), `Secure` (browsers treat
//! `http://127.0.0.1` and `http://localhost` as secure, so the embedded default works without
//! TLS) and `SameSite=Strict` (other sites' requests do not carry it). State-changing requests
//! also need the CSRF token; the login form uses a double-submit cookie for the same purpose.

mod templates;

use super::auth::{tokens_equal, Caller, SESSION_COOKIE};
use super::listing::{caller_dead_letters, caller_documents_in_status, pending_reviews};
use super::{auth, ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use stapel_domain::{BatchId, DocumentId, DocumentStatus};
use stapel_pipeline::view::{batch_view, document_view};

/// Cookie holding the login form's CSRF token until the login succeeds.
const LOGIN_CSRF_COOKIE: &str = "stapel_login_csrf";

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/batches/{id}", get(batch_page))
        .route("/documents/{id}", get(review_page))
        .route("/review", get(next_review))
        .route("/failed", get(failed_page))
        .route("/static/app.js", get(script))
        .route("/static/app.css", get(stylesheet))
}

fn cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/")
        .build()
}

/// A page caller: only a browser session counts (an API key in a header is not a login).
fn session_of(caller: Result<Caller, ApiError>) -> Option<(Caller, String)> {
    let caller = caller.ok()?;
    let csrf = caller.csrf_token.clone()?;
    Some((caller, csrf))
}

/// `GET /`: the upload page when logged in, else the login form.
async fn home(jar: CookieJar, caller: Result<Caller, ApiError>) -> Result<Response, ApiError> {
    match session_of(caller) {
        Some((caller, csrf)) => Ok(templates::upload_page(caller.tenant(), &csrf).into_response()),
        None => login_form(jar, None, StatusCode::OK),
    }
}

fn login_form(
    jar: CookieJar,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let token = auth::random_token()?;
    let jar = jar.add(cookie(LOGIN_CSRF_COOKIE, token.clone()));
    Ok((status, jar, templates::login_page(&token, error)).into_response())
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    api_key: String,
    csrf: String,
}

/// `POST /login`: trade an API key for a session.
async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|expected| tokens_equal(&expected, &form.csrf)) {
        return login_form(
            jar,
            Some("The form expired; please log in again."),
            StatusCode::FORBIDDEN,
        );
    }
    let Some(tenant) = auth::tenant_for_key(&state.backends, form.api_key.trim()).await? else {
        tracing::info!("web login with an unknown or revoked key");
        return login_form(
            jar,
            Some("That API key is unknown or revoked."),
            StatusCode::UNAUTHORIZED,
        );
    };
    let session = state.auth.start_session(&state.backends, &tenant).await?;
    let jar = jar
        .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/"))
        .add(cookie(SESSION_COOKIE, session.id));
    Ok((jar, Redirect::to("/")).into_response())
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    csrf: String,
}

/// `POST /logout`.
async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<LogoutForm>,
) -> Result<Response, ApiError> {
    if let Some(session) = jar.get(SESSION_COOKIE) {
        // Only the page that holds the token may end the session (no forced logouts).
        if state
            .auth
            .csrf_token_of(&state.backends, session.value())
            .await?
            .is_some_and(|expected| tokens_equal(&expected, &form.csrf))
        {
            state
                .auth
                .end_session(&state.backends, session.value())
                .await?;
        } else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "auth.csrf",
                "missing or wrong CSRF token; reload the page",
            ));
        }
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/")).into_response())
}

/// `GET /batches/{id}`: the batch's documents, live, and the export form.
async fn batch_page(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some((caller, csrf)) = session_of(caller) else {
        return Ok(Redirect::to("/").into_response());
    };
    let id: BatchId = id.parse().map_err(|_| {
        ApiError::bad_request("request.invalid_id", format!("{id:?} is not a batch id"))
    })?;
    caller.check_batch(&state.backends, id).await?;
    let batch = batch_view(&state.backends, id)
        .await?
        .ok_or_else(|| ApiError::not_found("batch.not_found", format!("no batch {id}")))?;
    // The export period defaults to the batch's invoice dates.
    let today = chrono::Utc::now().date_naive();
    let (from, to) = state
        .backends
        .records
        .batch_issue_dates(id)
        .await
        .map_err(|error| ApiError::internal(&error))?
        .unwrap_or((today, today));
    Ok(templates::batch_page(caller.tenant(), &csrf, &batch, from, to).into_response())
}

/// `GET /documents/{id}`: one document's review.
async fn review_page(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some((caller, csrf)) = session_of(caller) else {
        return Ok(Redirect::to("/").into_response());
    };
    let id: DocumentId = id.parse().map_err(|_| {
        ApiError::bad_request("request.invalid_id", format!("{id:?} is not a document id"))
    })?;
    caller.check_document(&state.backends, id).await?;
    let view = document_view(&state.backends, id)
        .await?
        .ok_or_else(|| ApiError::not_found("document.not_found", format!("no document {id}")))?;
    let queue = pending_reviews(&state, &caller, 500).await?;
    let next = queue.into_iter().find(|other| *other != id);
    Ok(templates::review_page(caller.tenant(), &csrf, &view, next).into_response())
}

/// How many failed documents the page lists.
const FAILED_PAGE_LIMIT: u32 = 200;

/// `GET /failed`: the firm's failed documents with their reasons, dead-lettered ones marked.
async fn failed_page(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
) -> Result<Response, ApiError> {
    let Some((caller, csrf)) = session_of(caller) else {
        return Ok(Redirect::to("/").into_response());
    };
    let failed = caller_documents_in_status(
        &state,
        &caller,
        DocumentStatus::Failed,
        None,
        FAILED_PAGE_LIMIT,
    )
    .await?;
    let dead_letters = caller_dead_letters(&state, &caller, false, FAILED_PAGE_LIMIT).await?;
    Ok(templates::failed_page(caller.tenant(), &csrf, &failed, &dead_letters).into_response())
}

/// `GET /review`: the first document waiting for review, or the upload page when none is.
async fn next_review(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
) -> Result<Response, ApiError> {
    let Some((caller, _)) = session_of(caller) else {
        return Ok(Redirect::to("/").into_response());
    };
    let queue = pending_reviews(&state, &caller, 1).await?;
    Ok(match queue.first() {
        Some(id) => Redirect::to(&format!("/documents/{id}")).into_response(),
        None => Redirect::to("/?review=empty").into_response(),
    })
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("app.js"),
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("app.css"),
    )
}
