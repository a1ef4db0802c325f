//! [`Uploads`]: the upload sessions of one server — the durable store, the
//! partial files under `ROOT/.skiff/partial/`, and a per-session async mutex that
//! serialises appends to the same session.
//!
//! The whole-file SHA-256 is computed incrementally while chunks arrive and kept
//! in memory next to the session's mutex (sha2's hasher state cannot be
//! serialised). After a restart the hasher is rebuilt once, lazily, by hashing
//! the durable prefix of the partial file; the stored `offset` is the source of
//! truth, and the in-memory hasher is used only if it covers exactly that offset.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::Sha256;
use skiff_protocol::{UploadCreate, UploadSession, DEFAULT_BUCKET, SESSION_PREFIX, UPLOADS_PATH};
use tokio::sync::OwnedMutexGuard;

use super::store::{SessionRecord, SessionState, Store};
use super::target::{exists, key_path};
use crate::config::Config;
use crate::error::AppError;
use crate::ids::Ids;

/// In-memory companion of a session, guarded by its mutex.
#[derive(Default)]
pub struct Live {
    /// Whole-file hasher and the offset it has consumed up to.
    pub hasher: Option<(u64, Sha256)>,
}

/// The server's upload sessions.
pub struct Uploads {
    pub(super) store: Store,
    pub(super) ids: Ids,
    pub(super) root: PathBuf,
    pub(super) partial_dir: PathBuf,
    pub(super) ttl: Duration,
    pub(super) max_chunk: u64,
    pub(super) max_size: u64,
    live: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Live>>>>,
}

impl std::fmt::Debug for Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploads")
            .field("partial_dir", &self.partial_dir)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Uploads {
    /// Opens the state under `root/.skiff` (canonical `root`) in the shared database, and
    /// reconciles it with the partial files on disk. Blocking; runs at startup.
    pub fn open(root: &Path, config: &Config, ids: Ids) -> Result<Self, AppError> {
        let state_dir = root.join(skiff_protocol::RESERVED_NAME);
        let partial_dir = state_dir.join("partial");
        std::fs::create_dir_all(&partial_dir)?;
        let store = Store::new(Arc::clone(ids.database()))?;
        let uploads = Self {
            store,
            ids,
            root: root.to_path_buf(),
            partial_dir,
            ttl: config.session_ttl,
            max_chunk: config.max_chunk,
            max_size: config.max_size,
            live: Mutex::new(HashMap::new()),
        };
        uploads.reconcile()?;
        Ok(uploads)
    }

    /// The store, for the file records of listings and tree writes.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The stable ids (§4), shared with the rest of the server.
    pub fn ids(&self) -> &Ids {
        &self.ids
    }

    /// The served root (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a session's bytes accumulate: beside the tree, on the same
    /// filesystem, so completion is a rename.
    pub fn partial_path(&self, id: &str) -> PathBuf {
        self.partial_dir.join(id)
    }

    /// A fresh temporary file name for a streamed `PUT`, in the partial folder
    /// (reclaimed at startup if the server dies mid-write).
    pub fn temp_path(&self) -> PathBuf {
        self.partial_dir
            .join(format!("put-{}", uuid::Uuid::new_v4().simple()))
    }

    /// Creates a session (blocking): validates the request, stores the record, then
    /// the empty partial file. A crash between the two leaves a record whose file
    /// is missing, which startup reconciliation recreates at offset 0.
    pub fn create(
        &self,
        request: UploadCreate,
        if_none_match: bool,
    ) -> Result<UploadSession, AppError> {
        if request.bucket != DEFAULT_BUCKET {
            return Err(AppError::UnknownBucket(request.bucket));
        }
        let path = key_path(&request.key)?;
        if request.size > self.max_size {
            return Err(AppError::TooLarge {
                code: "file_too_large",
                message: format!("size {} is over this server's limit", request.size),
            });
        }
        let expected_sha256 = request.sha256.as_deref().map(parse_sha256).transpose()?;
        // Also refuses (403) keys whose existing parents lead out of the root.
        if exists(&self.root, &path)? && if_none_match {
            return Err(AppError::AlreadyExists);
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let record = SessionRecord {
            id: id.clone(),
            bucket: request.bucket,
            key: super::target::key_of(&path),
            mime_type: request.mime_type,
            size: request.size,
            expected_sha256,
            offset: 0,
            digest: None,
            touched_ms: now_ms(),
            file_id: uuid::Uuid::new_v4().to_string(),
            state: SessionState::Open,
        };
        self.store.put_session(&record)?;
        std::fs::File::create(self.partial_path(&id))?;
        Ok(session_object(&record))
    }

    /// Locks session `id` for the caller and returns its current record; unknown,
    /// removed or expired sessions are 404.
    pub async fn lock(
        self: &Arc<Self>,
        id: &str,
    ) -> Result<(OwnedMutexGuard<Live>, SessionRecord), AppError> {
        if !is_session_id(id) {
            return Err(AppError::UnknownSession);
        }
        let uploads = Arc::clone(self);
        let owned = id.to_owned();
        // Only sessions that exist get an entry, so probing ids cannot grow the map.
        blocking(move || uploads.store.session(&owned))
            .await?
            .ok_or(AppError::UnknownSession)?;
        let mutex = {
            let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(live.entry(id.to_owned()).or_default())
        };
        let guard = mutex.lock_owned().await;
        // Re-read under the lock: an abort or a sweep may have won the race.
        let uploads = Arc::clone(self);
        let owned = id.to_owned();
        let record = blocking(move || uploads.store.session(&owned)).await?;
        match record {
            Some(record) if !self.is_expired(&record) => Ok((guard, record)),
            Some(record) => {
                let uploads = Arc::clone(self);
                blocking(move || uploads.remove(&record.id)).await?;
                Err(AppError::UnknownSession)
            }
            None => {
                self.forget(id);
                Err(AppError::UnknownSession)
            }
        }
    }

    /// Commits `record` (blocking).
    pub fn save(&self, record: &SessionRecord) -> Result<(), AppError> {
        self.store.put_session(record)
    }

    /// Removes a session with its partial data (blocking); the caller holds its
    /// lock or knows nobody does.
    pub fn remove(&self, id: &str) -> Result<(), AppError> {
        match std::fs::remove_file(self.partial_path(id)) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(AppError::Io(error)),
        }
        self.store.remove_session(id)?;
        self.forget(id);
        Ok(())
    }

    /// Drops the in-memory companion of a session that is gone or finished.
    pub(super) fn forget(&self, id: &str) {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// The session's mutex if nobody holds it right now (the sweep skips busy sessions).
    pub(super) fn try_lock(&self, id: &str) -> Option<Option<OwnedMutexGuard<Live>>> {
        let live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        match live.get(id) {
            None => Some(None),
            Some(mutex) => Arc::clone(mutex).try_lock_owned().ok().map(Some),
        }
    }

    /// Whether the session has been idle longer than the TTL.
    pub fn is_expired(&self, record: &SessionRecord) -> bool {
        let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        now_ms().saturating_sub(record.touched_ms) >= ttl_ms
    }
}

/// The session object clients see.
pub fn session_object(record: &SessionRecord) -> UploadSession {
    UploadSession {
        id: record.id.clone(),
        url: format!("{UPLOADS_PATH}/{SESSION_PREFIX}{}", record.id),
        offset: record.offset,
        size: record.size,
        part_size: None,
        parts: None,
        error: None,
    }
}

/// Session ids are 32 lowercase hex digits: anything else cannot name one (or a file).
pub fn is_session_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A client's whole-file SHA-256: 64 hex digits, normalised to lowercase.
fn parse_sha256(text: &str) -> Result<String, AppError> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(AppError::BadRequest {
            code: "bad_sha256",
            message: "sha256 must be 64 hexadecimal digits".to_owned(),
        })
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// Runs blocking file system or store work off the async workers.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AppError::Io(std::io::Error::other(error)))?
}
