//! Object storage: put/get/list/delete of immutable blobs by key.

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use std::fmt;

/// A stream of body chunks, so large uploads flow to the store without being held in memory.
/// It may borrow (an HTTP multipart field borrows its request).
pub type ByteStream<'a> = BoxStream<'a, std::io::Result<Bytes>>;

/// A validated object key: `/`-separated segments of `[A-Za-z0-9._-]`, no `.` or `..` segments.
///
/// Keys become file paths on the embedded store, so validation is what keeps a hostile file
/// name from escaping the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Validate a key.
    pub fn new(key: impl Into<String>) -> Result<Self, StoreError> {
        let key = key.into();
        let valid = !key.is_empty()
            && key.len() <= 512
            && key.split('/').all(|segment| {
                !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            });
        if valid {
            Ok(Self(key))
        } else {
            Err(StoreError::InvalidKey(key))
        }
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the store knows about an object after writing or listing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The object's key.
    pub key: ObjectKey,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the content, when the backend computed it on write.
    pub sha256: Option<String>,
}

/// Why an object-store call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No object under this key.
    #[error("object not found: {0}")]
    NotFound(String),
    /// The key breaks [`ObjectKey`]'s rules.
    #[error("invalid object key: {0:?}")]
    InvalidKey(String),
    /// The body was larger than the caller allowed.
    #[error("object is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The body stream failed (e.g. the client disconnected mid-upload).
    #[error("reading the upload failed: {0}")]
    Body(std::io::Error),
    /// The backend failed; worth retrying.
    #[error("object store backend error: {0}")]
    Backend(String),
    /// The backend refused for a reason retrying cannot fix (a missing bucket, denied access).
    /// The message names the resource and the fix, so an operator can act on the log line.
    #[error("object store misconfigured: {0}")]
    Misconfigured(String),
}

/// Blob storage for originals and results.
///
/// Writes are atomic: a reader sees the whole object or none of it, never a partial file.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// Store a body from a stream, refusing it once it passes `max_bytes`.
    /// Returns the size and SHA-256 computed while streaming.
    async fn put_stream(
        &self,
        key: &ObjectKey,
        body: ByteStream<'_>,
        max_bytes: u64,
    ) -> Result<ObjectMeta, StoreError>;

    /// Store a small body held in memory.
    async fn put(&self, key: &ObjectKey, body: Bytes) -> Result<ObjectMeta, StoreError> {
        let size = body.len() as u64;
        let stream: ByteStream<'static> = Box::pin(futures::stream::once(async move { Ok(body) }));
        self.put_stream(key, stream, size).await
    }

    /// Read a whole object.
    async fn get(&self, key: &ObjectKey) -> Result<Bytes, StoreError>;

    /// Every object whose key starts with `prefix`, in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError>;

    /// Remove an object. Deleting a missing object is not an error (as on S3).
    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError>;
}

/// Incremental SHA-256 and size of a stream, shared by the backends.
#[derive(Default)]
pub struct ContentDigest {
    hasher: sha2::Sha256,
    size: u64,
}

impl ContentDigest {
    /// Feed one chunk; fails once the running size exceeds `max_bytes`.
    pub fn update(&mut self, chunk: &[u8], max_bytes: u64) -> Result<(), StoreError> {
        use sha2::Digest;
        self.size += chunk.len() as u64;
        if self.size > max_bytes {
            return Err(StoreError::TooLarge { limit: max_bytes });
        }
        self.hasher.update(chunk);
        Ok(())
    }

    /// Size so far and the lowercase hex digest.
    pub fn finish(self) -> (u64, String) {
        use sha2::Digest;
        (self.size, hex::encode(self.hasher.finalize()))
    }
}
