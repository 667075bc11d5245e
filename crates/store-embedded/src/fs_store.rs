//! Objects as files.

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use stapel_store::{ByteStream, ContentDigest, ObjectKey, ObjectMeta, ObjectStore, StoreError};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// Bytes of an upload gathered before one write to its staged file.
const STAGING_BUFFER_BYTES: usize = 256 * 1024;

/// A staged file untouched for this long was left by a process that died mid-write (a crash, a
/// SIGKILL, a full disk); no upload takes that long. Other processes share the directory, so
/// younger files may be someone's write in progress and stay.
const STALE_STAGED_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Delete staged files older than `age`: the leftovers of writes that never finished, which
/// nothing else would ever remove. Best effort: a file that cannot be read or removed stays.
fn remove_stale_staged(staging: &Path, age: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(staging) else {
        return;
    };
    let mut removed = 0usize;
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|metadata| metadata.modified().ok())
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|elapsed| elapsed > age);
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, staging = %staging.display(), "removed stale staged files");
    }
}

/// An [`ObjectStore`] on the local file system.
#[derive(Debug, Clone)]
pub struct FsObjectStore {
    objects: PathBuf,
    staging: PathBuf,
}

fn io_error(error: std::io::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

impl FsObjectStore {
    /// Open (creating if needed) a store rooted at `root`.
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        let objects = root.join("objects");
        // Staging lives on the same file system as the objects, so the final rename is atomic.
        let staging = root.join("staging");
        std::fs::create_dir_all(&objects).map_err(io_error)?;
        std::fs::create_dir_all(&staging).map_err(io_error)?;
        remove_stale_staged(&staging, STALE_STAGED_AFTER);
        Ok(Self { objects, staging })
    }

    fn path_of(&self, key: &ObjectKey) -> PathBuf {
        // ObjectKey guarantees plain segments: no `..`, no absolute paths.
        self.objects.join(key.as_str())
    }

    /// Rename a staged file to its key. A concurrent delete may remove an emptied parent
    /// directory between our mkdir and rename, so a vanished directory is recreated once.
    async fn move_into_place(&self, staged: &Path, path: &Path) -> Result<(), StoreError> {
        let parent = path.parent().unwrap_or(&self.objects);
        for attempt in 0..2 {
            tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
            match tokio::fs::rename(staged, path).await {
                Ok(()) => return Ok(()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound && attempt == 0 => {}
                Err(error) => return Err(io_error(error)),
            }
        }
        Ok(())
    }

    /// Remove directories a delete left empty, up to the store root, so deleted documents
    /// leave no trace. A directory that is not empty (or reappeared) stops the climb.
    async fn prune_empty_parents(&self, path: &Path) {
        let mut dir = path.parent();
        while let Some(current) = dir {
            if current == self.objects || tokio::fs::remove_dir(current).await.is_err() {
                break;
            }
            dir = current.parent();
        }
    }

    async fn write_staged(
        &self,
        staged: &Path,
        mut body: ByteStream<'_>,
        max_bytes: u64,
    ) -> Result<(u64, String), StoreError> {
        let file = tokio::fs::File::create(staged).await.map_err(io_error)?;
        // Every write of a tokio file is a trip to the blocking pool; an upload arrives in
        // chunks of a few KB, so they are gathered first.
        let mut file = tokio::io::BufWriter::with_capacity(STAGING_BUFFER_BYTES, file);
        let mut digest = ContentDigest::default();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(StoreError::Body)?;
            digest.update(&chunk, max_bytes)?;
            file.write_all(&chunk).await.map_err(io_error)?;
        }
        file.flush().await.map_err(io_error)?;
        // Durable before it becomes visible: an accepted upload must survive a crash.
        file.into_inner().sync_all().await.map_err(io_error)?;
        Ok(digest.finish())
    }
}

#[async_trait]
impl ObjectStore for FsObjectStore {
    async fn put_stream(
        &self,
        key: &ObjectKey,
        body: ByteStream<'_>,
        max_bytes: u64,
    ) -> Result<ObjectMeta, StoreError> {
        let staged = self.staging.join(uuid::Uuid::new_v4().to_string());
        let (size, sha256) = match self.write_staged(&staged, body, max_bytes).await {
            Ok(written) => written,
            Err(error) => {
                let _ = tokio::fs::remove_file(&staged).await;
                return Err(error);
            }
        };
        let path = self.path_of(key);
        if let Err(error) = self.move_into_place(&staged, &path).await {
            let _ = tokio::fs::remove_file(&staged).await;
            return Err(error);
        }
        Ok(ObjectMeta {
            key: key.clone(),
            size,
            sha256: Some(sha256),
        })
    }

    async fn get(&self, key: &ObjectKey) -> Result<Bytes, StoreError> {
        match tokio::fs::read(self.path_of(key)).await {
            Ok(body) => Ok(Bytes::from(body)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(StoreError::NotFound(key.to_string()))
            }
            Err(error) => Err(io_error(error)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let objects = self.objects.clone();
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || list_files(&objects, &prefix))
            .await
            .map_err(|error| StoreError::Backend(error.to_string()))?
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        let path = self.path_of(key);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {
                self.prune_empty_parents(&path).await;
                Ok(())
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(io_error(error)),
        }
    }
}

/// Walk only the directory the prefix points into, not the whole store.
fn list_files(objects: &Path, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
    let start_dir = match prefix.rfind('/') {
        Some(slash) => objects.join(&prefix[..slash]),
        None => objects.to_path_buf(),
    };
    let mut found = Vec::new();
    let mut pending = vec![start_dir];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(io_error(error)),
        };
        for entry in entries {
            let entry = entry.map_err(io_error)?;
            let file_type = entry.file_type().map_err(io_error)?;
            let path = entry.path();
            if file_type.is_dir() {
                pending.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(objects) else {
                continue;
            };
            let Some(key) = relative.to_str() else {
                continue;
            };
            if !key.starts_with(prefix) {
                continue;
            }
            let Ok(key) = ObjectKey::new(key) else {
                continue;
            };
            let size = entry.metadata().map_err(io_error)?.len();
            found.push(ObjectMeta {
                key,
                size,
                sha256: None,
            });
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn opening_removes_staged_files_left_by_a_dead_writer_and_keeps_fresh_ones() {
        let root = tempfile::tempdir().unwrap();
        let staging = root.path().join("staging");
        std::fs::create_dir_all(&staging).unwrap();
        let old = staging.join("left-by-a-crash");
        std::fs::write(&old, b"half an upload").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(2 * 24 * 60 * 60))
            .unwrap();
        let fresh = staging.join("being-written");
        std::fs::write(&fresh, b"an upload in progress").unwrap();

        FsObjectStore::open(root.path()).unwrap();
        assert!(!old.exists(), "a two-day-old staged file is removed");
        assert!(fresh.exists(), "a fresh one may be another process's write");
    }
}
