//! Who is calling, and what they may see.
//!
//! A caller is a tenant (an accounting firm), proven by an API key in `Authorization: Bearer`
//! or by a session cookie of the web page. Keys are 256 random bits; the records keep only
//! their SHA-256, so a leaked database does not leak working keys (a fast hash is enough for a
//! secret with that much entropy). Web sessions live in the records the same way (the hash of
//! the cookie's value), so any dispatcher behind the load balancer knows them and a rolling
//! deploy logs nobody out.
//!
//! Everything a caller names (a document, a batch) is checked against its tenant, and another
//! tenant's ids answer `404` exactly like ids that do not exist, so ids leak nothing.

use super::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum_extra::extract::cookie::CookieJar;
use sha2::{Digest, Sha256};
use stapel_domain::{BatchId, DocumentId};
use stapel_pipeline::ingest::{default_target, UploadTarget};
use stapel_pipeline::Backends;
use stapel_records::{ApiKey, WebSession};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Name of the web page's session cookie.
pub const SESSION_COOKIE: &str = "stapel_session";
/// Header the web page's scripts send the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a web session lasts without a new login (a working day).
const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(10);
/// Prefix of every API key, so a leaked key is recognisable in logs and secret scanners.
const KEY_PREFIX: &str = "stapel_";

/// Per-tenant lookups shared by all requests of this process.
#[derive(Clone, Default)]
pub struct AuthState {
    /// The default administration of each tenant seen, so a request does not write to the
    /// records just to find it.
    targets: Arc<Mutex<HashMap<String, UploadTarget>>>,
}

/// A new session: its id (the cookie value) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Goes into the `HttpOnly` cookie.
    pub id: String,
    /// Goes into the page, for scripts and forms to send back.
    pub csrf_token: String,
}

impl AuthState {
    /// Start a session for `tenant`.
    pub async fn start_session(
        &self,
        backends: &Backends,
        tenant: &str,
    ) -> Result<NewSession, ApiError> {
        let session = NewSession {
            id: random_token()?,
            csrf_token: random_token()?,
        };
        backends
            .records
            .create_web_session(&WebSession {
                id_hash: hash_api_key(&session.id),
                tenant: tenant.to_owned(),
                csrf_token: session.csrf_token.clone(),
                expires_at: chrono::Utc::now() + SESSION_LIFETIME,
            })
            .await
            .map_err(|error| ApiError::internal(&error))?;
        Ok(session)
    }

    /// End a session (logout); unknown ids are ignored.
    pub async fn end_session(&self, backends: &Backends, id: &str) -> Result<(), ApiError> {
        backends
            .records
            .end_web_session(&hash_api_key(id))
            .await
            .map_err(|error| ApiError::internal(&error))
    }

    /// The CSRF token of a live session.
    pub async fn csrf_token_of(
        &self,
        backends: &Backends,
        id: &str,
    ) -> Result<Option<String>, ApiError> {
        Ok(self
            .session(backends, id)
            .await?
            .map(|session| session.csrf_token))
    }

    async fn session(&self, backends: &Backends, id: &str) -> Result<Option<WebSession>, ApiError> {
        backends
            .records
            .web_session(&hash_api_key(id))
            .await
            .map_err(|error| ApiError::internal(&error))
    }

    async fn target(&self, backends: &Backends, tenant: &str) -> Result<UploadTarget, ApiError> {
        if let Some(target) = self
            .targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(tenant)
        {
            return Ok(target.clone());
        }
        let target = default_target(backends, tenant).await?;
        self.targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tenant.to_owned(), target.clone());
        Ok(target)
    }
}

/// An authenticated request: the tenant, its default administration, and how it proved who it
/// is. Handlers take this as an argument; a request without valid credentials never reaches
/// them (`401`).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The tenant and the administration its uploads and exports go to.
    pub target: UploadTarget,
    /// The session's CSRF token when the caller is a browser session, for the pages to embed.
    pub csrf_token: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let key = value
                .to_str()
                .ok()
                .and_then(|value| value.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    unauthorized(
                        "auth.malformed",
                        "the Authorization header must be `Bearer <API key>`",
                    )
                })?;
            let tenant = tenant_for_key(&state.backends, key)
                .await?
                .ok_or_else(|| unauthorized("auth.invalid_key", "unknown or revoked API key"))?;
            let target = state.auth.target(&state.backends, &tenant).await?;
            return Ok(Self {
                target,
                csrf_token: None,
            });
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let session = match jar.get(SESSION_COOKIE) {
            Some(cookie) => state.auth.session(&state.backends, cookie.value()).await?,
            None => None,
        };
        let Some(session) = session else {
            return Err(unauthorized(
                "auth.missing",
                "send `Authorization: Bearer <API key>`, or log in on the web page",
            ));
        };
        // A browser sends cookies on requests other sites start; only our own scripts know the
        // token, so a state-changing request without it is forged.
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|value| value.to_str().ok());
            if !sent.is_some_and(|sent| tokens_equal(sent, &session.csrf_token)) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "auth.csrf",
                    "missing or wrong CSRF token; reload the page",
                ));
            }
        }
        let target = state.auth.target(&state.backends, &session.tenant).await?;
        Ok(Self {
            target,
            csrf_token: Some(session.csrf_token),
        })
    }
}

impl Caller {
    /// The tenant's name.
    pub fn tenant(&self) -> &str {
        &self.target.tenant
    }

    /// `404 document.not_found` unless the document exists and belongs to the caller.
    pub async fn check_document(
        &self,
        backends: &Backends,
        id: DocumentId,
    ) -> Result<(), ApiError> {
        match backends
            .records
            .document(id)
            .await
            .map_err(|error| ApiError::internal(&error))?
        {
            Some(record) if record.document.tenant == self.target.tenant => Ok(()),
            _ => Err(ApiError::not_found(
                "document.not_found",
                format!("no document {id}"),
            )),
        }
    }

    /// `404 batch.not_found` unless the batch exists and belongs to the caller. A batch's
    /// tenant is its documents' (a batch is only created with its first document).
    pub async fn check_batch(&self, backends: &Backends, id: BatchId) -> Result<(), ApiError> {
        let not_found = || ApiError::not_found("batch.not_found", format!("no batch {id}"));
        let summary = backends
            .records
            .batch(id)
            .await
            .map_err(|error| ApiError::internal(&error))?
            .ok_or_else(not_found)?;
        let first = summary.document_ids.first().ok_or_else(not_found)?;
        self.check_document(backends, *first)
            .await
            .map_err(|_| not_found())
    }

    /// Whether a batch id is free or the caller's: uploads may add to their own batches only.
    pub async fn check_batch_for_upload(
        &self,
        backends: &Backends,
        id: BatchId,
    ) -> Result<(), ApiError> {
        let exists = backends
            .records
            .batch(id)
            .await
            .map_err(|error| ApiError::internal(&error))?
            .is_some();
        if exists {
            self.check_batch(backends, id).await
        } else {
            Ok(())
        }
    }
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// The tenant an API key authenticates, if it is known and not revoked.
pub async fn tenant_for_key(backends: &Backends, key: &str) -> Result<Option<String>, ApiError> {
    if !key.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    backends
        .records
        .tenant_for_api_key(&hash_api_key(key))
        .await
        .map_err(|error| ApiError::internal(&error))
}

/// SHA-256 of a key, hex: what the records store and look up.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Create a key for `tenant` (creating the tenant if new). Returns the stored record and the
/// key itself, which exists nowhere else: show it once.
pub async fn create_api_key(
    backends: &Backends,
    tenant: &str,
    label: &str,
) -> anyhow::Result<(ApiKey, String)> {
    anyhow::ensure!(
        !tenant.is_empty()
            && tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "a tenant name is letters, digits, `-` and `_`, not {tenant:?}"
    );
    let key = format!(
        "{KEY_PREFIX}{}",
        random_token().map_err(|_| anyhow::anyhow!("the OS has no randomness to give"))?
    );
    default_target(backends, tenant).await?;
    let record = backends
        .records
        .create_api_key(tenant, label, &hash_api_key(&key))
        .await?;
    Ok((record, key))
}

/// 256 random bits from the OS, hex.
pub fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| ApiError::internal(&error))?;
    Ok(hex::encode(bytes))
}

/// Compare secrets without an early exit, so timing does not reveal how much matched.
pub fn tokens_equal(left: &str, right: &str) -> bool {
    use subtle::ConstantTimeEq;
    left.as_bytes().ct_eq(right.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hash_is_sha256_hex_of_the_key() {
        // SHA-256("abc"), from FIPS 180-2.
        assert_eq!(
            hash_api_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tokens_are_random_and_compare_exactly() {
        let first = random_token().unwrap();
        let second = random_token().unwrap();
        assert_eq!(first.len(), 64);
        assert_ne!(first, second);
        assert!(tokens_equal(&first, &first.clone()));
        assert!(!tokens_equal(&first, &second));
        assert!(!tokens_equal(&first, &first[..63]));
    }
}
