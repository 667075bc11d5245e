//! [`S3ObjectStore`]: objects in an S3 bucket, uploaded as they stream in.

use crate::error::{store_error, Failure};
use crate::{AwsConfig, S3Location};
use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream as S3Body;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, MetadataDirective,
    ServerSideEncryption,
};
use aws_sdk_s3::Client;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use stapel_store::{ByteStream, ContentDigest, ObjectKey, ObjectMeta, ObjectStore, StoreError};

/// Part size of multipart uploads: the memory one upload holds while it streams (twice this,
/// as the next part is read while the previous one is sent). S3 wants at least 5 MiB per part
/// except the last.
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;

/// S3's smallest part (except the last) and its largest number of parts per upload.
const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
const MAX_PARTS: u64 = 10_000;
/// S3's largest part.
const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The user-metadata entry holding the lowercase hex SHA-256 of the whole object
/// (`x-amz-meta-sha256`), so the content hash travels with the object.
pub const SHA256_METADATA: &str = "sha256";

/// Server-side encryption requested on every write. Requested per object (not left to the
/// bucket default) so a bucket created without a default still holds only encrypted invoices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Encryption {
    /// SSE-S3 (`AES256`): keys managed by S3.
    #[default]
    SseS3,
    /// SSE-KMS (`aws:kms`) with this key id or ARN; `None` uses the account's `aws/s3` key.
    SseKms {
        /// KMS key id, alias or ARN.
        key_id: Option<String>,
    },
}

/// Settings of an [`S3ObjectStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// Bucket and key prefix.
    pub location: S3Location,
    /// Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`: S3-compatible
    /// stores (MinIO, moto, Ceph) on a plain host name or IP need it.
    pub force_path_style: bool,
    /// Server-side encryption to request.
    pub encryption: Encryption,
    /// Multipart part size in bytes; raised automatically when a size limit would otherwise
    /// need more than S3's 10,000 parts.
    pub part_size: usize,
}

impl S3Settings {
    /// SSE-S3, virtual-hosted addressing, 8 MiB parts.
    pub fn new(location: S3Location) -> Self {
        Self {
            location,
            force_path_style: false,
            encryption: Encryption::default(),
            part_size: DEFAULT_PART_SIZE,
        }
    }
}

/// An [`ObjectStore`] on S3 or an S3-compatible store.
///
/// Uploads stream: a body that fits in one part is sent with one `PutObject`, a larger one as a
/// multipart upload whose parts are read while the previous part is being sent, so memory stays
/// at two parts whatever the file size. A multipart upload that fails (a body over the limit, a
/// client hanging up, a service error) is aborted, so S3 keeps no invisible, billed parts.
#[derive(Debug, Clone)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
    prefix: String,
    encryption: Encryption,
    part_size: usize,
}

impl S3ObjectStore {
    /// Connect and check that the bucket exists and is reachable with these credentials, so a
    /// misconfiguration fails at start-up with a message that says what to fix.
    pub async fn open(config: &AwsConfig, settings: &S3Settings) -> Result<Self, StoreError> {
        let store = Self {
            client: config.s3_client(settings.force_path_style),
            bucket: settings.location.bucket.clone(),
            prefix: settings.location.prefix.clone(),
            encryption: settings.encryption.clone(),
            part_size: settings.part_size.max(MIN_PART_SIZE),
        };
        store
            .client
            .head_bucket()
            .bucket(&store.bucket)
            .send()
            .await
            .map_err(|error| {
                // HEAD answers carry no error body: a 404 is the only sign of a missing bucket.
                if Failure::of(&error).status == Some(404) {
                    StoreError::Misconfigured(format!(
                        "S3 bucket {:?} does not exist: create it (`dispatcher setup` for a \
                         local endpoint, deploy/ for AWS) or point --store at an existing bucket",
                        store.bucket
                    ))
                } else {
                    store_error(&store.bucket, "HeadBucket", &error)
                }
            })?;
        Ok(store)
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn full_key(&self, key: &ObjectKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    /// The part size for a body of at most `max_bytes`: the configured size, or more if the
    /// limit would otherwise need more than S3's 10,000 parts.
    fn part_size_for(&self, max_bytes: u64) -> usize {
        let needed = max_bytes.div_ceil(MAX_PARTS).min(MAX_PART_SIZE);
        self.part_size
            .max(usize::try_from(needed).unwrap_or(usize::MAX))
    }

    fn encrypt_put(
        &self,
        request: aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder,
    ) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        match &self.encryption {
            Encryption::SseS3 => request.server_side_encryption(ServerSideEncryption::Aes256),
            Encryption::SseKms { key_id } => request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .set_ssekms_key_id(key_id.clone()),
        }
    }

    /// One `PutObject` for a body that fits in one part. S3 checks the body against the
    /// SHA-256 we send, so a corrupted transfer is refused rather than stored.
    async fn put_single(
        &self,
        full_key: &str,
        body: Bytes,
        sha256_hex: &str,
    ) -> Result<(), StoreError> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(full_key)
            .content_length(body.len() as i64)
            .checksum_sha256(base64_of_hex(sha256_hex))
            .metadata(SHA256_METADATA, sha256_hex)
            .body(S3Body::from(body));
        self.encrypt_put(request)
            .send()
            .await
            .map_err(|error| store_error(&self.bucket, "PutObject", &error))?;
        Ok(())
    }

    async fn put_multipart(
        &self,
        full_key: &str,
        first_part: Bytes,
        parts: &mut PartReader<'_>,
    ) -> Result<(), StoreError> {
        let request = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(full_key)
            .checksum_algorithm(ChecksumAlgorithm::Sha256);
        let request = match &self.encryption {
            Encryption::SseS3 => request.server_side_encryption(ServerSideEncryption::Aes256),
            Encryption::SseKms { key_id } => request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .set_ssekms_key_id(key_id.clone()),
        };
        let created = request
            .send()
            .await
            .map_err(|error| store_error(&self.bucket, "CreateMultipartUpload", &error))?;
        let upload_id = created.upload_id().ok_or_else(|| {
            StoreError::Backend("S3 CreateMultipartUpload returned no upload id".into())
        })?;
        let mut pending = PendingUpload {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: full_key.to_owned(),
            upload_id: Some(upload_id.to_owned()),
        };
        match self
            .send_parts(full_key, upload_id, first_part, parts)
            .await
        {
            Ok(()) => {
                pending.upload_id = None;
                Ok(())
            }
            Err(error) => {
                pending.abort().await;
                Err(error)
            }
        }
    }

    /// Upload every part, reading the next one while the previous one is sent, then complete.
    async fn send_parts(
        &self,
        full_key: &str,
        upload_id: &str,
        first_part: Bytes,
        parts: &mut PartReader<'_>,
    ) -> Result<(), StoreError> {
        let mut completed = Vec::new();
        let mut part_number = 1;
        let mut current = first_part;
        loop {
            let upload = self.upload_part(full_key, upload_id, part_number, current);
            let (part, next) = tokio::try_join!(upload, parts.next_part())?;
            completed.push(part);
            match next {
                Some(bytes) => {
                    current = bytes;
                    part_number += 1;
                }
                None => break,
            }
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(full_key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await
            .map_err(|error| store_error(&self.bucket, "CompleteMultipartUpload", &error))?;
        Ok(())
    }

    async fn upload_part(
        &self,
        full_key: &str,
        upload_id: &str,
        part_number: i32,
        body: Bytes,
    ) -> Result<CompletedPart, StoreError> {
        let uploaded = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(full_key)
            .upload_id(upload_id)
            .part_number(part_number)
            .content_length(body.len() as i64)
            // The SDK hashes each part and S3 checks it: a corrupted part is refused.
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .body(S3Body::from(body))
            .send()
            .await
            .map_err(|error| store_error(&self.bucket, "UploadPart", &error))?;
        Ok(CompletedPart::builder()
            .part_number(part_number)
            .set_e_tag(uploaded.e_tag().map(str::to_owned))
            .set_checksum_sha256(uploaded.checksum_sha256().map(str::to_owned))
            .build())
    }

    /// Record the whole-object SHA-256 on a completed multipart object. S3 metadata is fixed at
    /// creation and the hash is known only at the end, so the object is copied onto itself with
    /// new metadata (a server-side copy; no bytes pass through here). When S3 reports the copy's
    /// own full-object SHA-256, it is compared with ours: an end-to-end check of the upload.
    async fn record_sha256(&self, full_key: &str, sha256_hex: &str) -> Result<(), StoreError> {
        let request = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(full_key)
            .copy_source(format!("{}/{}", self.bucket, full_key))
            .metadata_directive(MetadataDirective::Replace)
            .metadata(SHA256_METADATA, sha256_hex)
            .checksum_algorithm(ChecksumAlgorithm::Sha256);
        let request = match &self.encryption {
            Encryption::SseS3 => request.server_side_encryption(ServerSideEncryption::Aes256),
            Encryption::SseKms { key_id } => request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .set_ssekms_key_id(key_id.clone()),
        };
        let copied = request
            .send()
            .await
            .map_err(|error| store_error(&self.bucket, "CopyObject", &error))?;
        let reported = copied
            .copy_object_result()
            .and_then(|result| result.checksum_sha256());
        if let Some(reported) = reported {
            // A composite checksum ("...-3") covers parts, not the object: nothing to compare.
            if !reported.contains('-') && reported != base64_of_hex(sha256_hex) {
                return Err(StoreError::Backend(format!(
                    "S3 object {full_key:?} does not match the uploaded bytes (SHA-256 {reported} \
                     reported, {sha256_hex} sent)"
                )));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn put_stream(
        &self,
        key: &ObjectKey,
        body: ByteStream<'_>,
        max_bytes: u64,
    ) -> Result<ObjectMeta, StoreError> {
        let full_key = self.full_key(key);
        let part_size = self.part_size_for(max_bytes);
        let mut parts = PartReader::new(body, part_size, max_bytes);
        let first_part = parts.next_part().await?.unwrap_or_default();
        if first_part.len() < part_size {
            // The whole body fit in one part: no multipart upload needed.
            let (size, sha256) = parts.finish();
            self.put_single(&full_key, first_part, &sha256).await?;
            return Ok(ObjectMeta {
                key: key.clone(),
                size,
                sha256: Some(sha256),
            });
        }
        self.put_multipart(&full_key, first_part, &mut parts)
            .await?;
        let (size, sha256) = parts.finish();
        if let Err(error) = self.record_sha256(&full_key, &sha256).await {
            // Every object of ours carries its hash: remove one that could not get it, so the
            // caller's retry starts clean instead of leaving an object the caller thinks failed.
            let _ = self
                .client
                .delete_object()
                .bucket(&self.bucket)
                .key(&full_key)
                .send()
                .await;
            return Err(error);
        }
        Ok(ObjectMeta {
            key: key.clone(),
            size,
            sha256: Some(sha256),
        })
    }

    async fn get(&self, key: &ObjectKey) -> Result<Bytes, StoreError> {
        let full_key = self.full_key(key);
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&full_key)
            .send()
            .await
            .map_err(|error| {
                if error.as_service_error().is_some_and(|e| e.is_no_such_key()) {
                    StoreError::NotFound(key.to_string())
                } else {
                    store_error(&self.bucket, "GetObject", &error)
                }
            })?;
        let body = output.body.collect().await.map_err(|error| {
            StoreError::Backend(format!(
                "S3 GetObject on bucket {:?}: reading {full_key:?} failed: {error}",
                self.bucket
            ))
        })?;
        Ok(body.into_bytes())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(format!("{}{prefix}", self.prefix))
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| store_error(&self.bucket, "ListObjectsV2", &error))?;
            for object in page.contents() {
                let Some(relative) = object
                    .key()
                    .and_then(|full| full.strip_prefix(self.prefix.as_str()))
                else {
                    continue;
                };
                // Objects someone else put under our prefix with keys we would never write.
                let Ok(key) = ObjectKey::new(relative) else {
                    continue;
                };
                found.push(ObjectMeta {
                    key,
                    size: object.size().unwrap_or(0).max(0) as u64,
                    sha256: None,
                });
            }
        }
        // S3 lists in UTF-8 byte order, which is key order for valid keys; sort anyway so an
        // S3-compatible store that differs cannot break the contract.
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // S3 answers 204 for a missing key; some compatible stores answer NoSuchKey.
            Err(error) if Failure::of(&error).code_is(&["NoSuchKey"]) => Ok(()),
            Err(error) => Err(store_error(&self.bucket, "DeleteObject", &error)),
        }
    }
}

/// Cuts a body stream into parts of exactly `part_size` bytes (the last may be shorter),
/// hashing and size-checking as it reads. Equal parts keep S3-compatible stores that demand
/// them (Cloudflare R2) working.
struct PartReader<'a> {
    body: ByteStream<'a>,
    /// Bytes of the last chunk that belong to the next part.
    carry: Option<Bytes>,
    ended: bool,
    digest: ContentDigest,
    part_size: usize,
    max_bytes: u64,
}

impl<'a> PartReader<'a> {
    fn new(body: ByteStream<'a>, part_size: usize, max_bytes: u64) -> Self {
        Self {
            body,
            carry: None,
            ended: false,
            digest: ContentDigest::default(),
            part_size,
            max_bytes,
        }
    }

    /// The next part, or `None` once the body is exhausted.
    async fn next_part(&mut self) -> Result<Option<Bytes>, StoreError> {
        let mut part = BytesMut::new();
        while part.len() < self.part_size {
            let mut chunk = match self.carry.take() {
                Some(carry) => carry,
                None if self.ended => break,
                None => match self.body.next().await {
                    None => {
                        self.ended = true;
                        break;
                    }
                    Some(Err(error)) => return Err(StoreError::Body(error)),
                    Some(Ok(chunk)) => {
                        self.digest.update(&chunk, self.max_bytes)?;
                        chunk
                    }
                },
            };
            let room = self.part_size - part.len();
            if chunk.len() > room {
                self.carry = Some(chunk.split_off(room));
            }
            if part.is_empty() && chunk.len() == self.part_size {
                // A chunk that fills a part alone (the usual case for large chunks): no copy.
                return Ok(Some(chunk));
            }
            part.extend_from_slice(&chunk);
        }
        Ok((!part.is_empty()).then(|| part.freeze()))
    }

    /// Size and SHA-256 of everything read.
    fn finish(&mut self) -> (u64, String) {
        std::mem::take(&mut self.digest).finish()
    }
}

/// A multipart upload that has not been completed. Aborted explicitly on errors and, should
/// the upload future be dropped mid-way (a client disconnect cancels the request handler), by
/// `Drop` on a spawned task. The bucket's lifecycle rule (see `setup`) is the last resort.
struct PendingUpload {
    client: Client,
    bucket: String,
    key: String,
    /// `None` once completed or aborted.
    upload_id: Option<String>,
}

impl PendingUpload {
    async fn abort(&mut self) {
        if let Some(upload_id) = self.upload_id.take() {
            abort_upload(
                self.client.clone(),
                self.bucket.clone(),
                self.key.clone(),
                upload_id,
            )
            .await;
        }
    }
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(abort_upload(
                    self.client.clone(),
                    std::mem::take(&mut self.bucket),
                    std::mem::take(&mut self.key),
                    upload_id,
                ));
            }
            Err(_) => tracing::warn!(bucket = %self.bucket, key = %self.key, %upload_id,
                "multipart upload left incomplete; the bucket's lifecycle rule removes it"),
        }
    }
}

async fn abort_upload(client: Client, bucket: String, key: String, upload_id: String) {
    if let Err(error) = client
        .abort_multipart_upload()
        .bucket(&bucket)
        .key(&key)
        .upload_id(&upload_id)
        .send()
        .await
    {
        tracing::warn!(%bucket, %key, %upload_id, error = %Failure::of(&error).text,
            "aborting a multipart upload failed; the bucket's lifecycle rule removes it");
    }
}

/// S3 wants checksums base64-encoded; we keep them as hex.
fn base64_of_hex(hex_digest: &str) -> String {
    // Our own digests are valid hex; an invalid one yields a checksum S3 rejects loudly.
    let raw = hex::decode(hex_digest).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader_of(chunks: Vec<&'static [u8]>, part_size: usize) -> PartReader<'static> {
        let stream = futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))));
        PartReader::new(stream.boxed(), part_size, u64::MAX)
    }

    async fn all_parts(mut reader: PartReader<'_>) -> Vec<Vec<u8>> {
        let mut parts = Vec::new();
        while let Some(part) = reader.next_part().await.unwrap() {
            parts.push(part.to_vec());
        }
        parts
    }

    #[tokio::test]
    async fn parts_are_exactly_part_size_except_the_last() {
        let reader = reader_of(vec![b"abc", b"defgh", b"i", b"jklmnopq"], 4);
        let parts = all_parts(reader).await;
        assert_eq!(
            parts,
            [
                b"abcd".to_vec(),
                b"efgh".to_vec(),
                b"ijkl".to_vec(),
                b"mnop".to_vec(),
                b"q".to_vec()
            ]
        );
    }

    #[tokio::test]
    async fn a_body_of_exactly_one_part_ends_cleanly() {
        let reader = reader_of(vec![b"ab", b"cd"], 4);
        assert_eq!(all_parts(reader).await, [b"abcd".to_vec()]);
        let empty = reader_of(vec![], 4);
        assert!(all_parts(empty).await.is_empty());
    }

    #[tokio::test]
    async fn the_limit_is_enforced_while_reading() {
        let stream = futures::stream::iter((0..3).map(|_| Ok(Bytes::from_static(b"12345"))));
        let mut reader = PartReader::new(stream.boxed(), 100, 12);
        let error = reader.next_part().await.unwrap_err();
        assert!(
            matches!(error, StoreError::TooLarge { limit: 12 }),
            "{error:?}"
        );
    }

    #[test]
    fn part_size_grows_so_large_limits_fit_in_ten_thousand_parts() {
        let store = S3ObjectStore {
            client: Client::from_conf(
                aws_sdk_s3::Config::builder()
                    .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                    .build(),
            ),
            bucket: "b".into(),
            prefix: String::new(),
            encryption: Encryption::SseS3,
            part_size: DEFAULT_PART_SIZE,
        };
        assert_eq!(store.part_size_for(100 << 20), DEFAULT_PART_SIZE);
        let huge = 200u64 << 30;
        assert!(store.part_size_for(huge) as u64 * MAX_PARTS >= huge);
    }

    #[test]
    fn checksums_are_sent_as_base64() {
        // SHA-256 of the empty string.
        let hex_digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            base64_of_hex(hex_digest),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
