//! [`Uploads`]: the upload sessions of one server — the durable store, the
//! partial bytes under `ROOT/.skiff/partial/`, and the live sessions' locks
//! (`locks.rs`): creating, locking, expiring and removing sessions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use skiff_protocol::{
    part_count, TreePath, UploadCreate, UploadSession, SESSION_PREFIX, UPLOADS_PATH,
};
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

pub use super::locks::{Live, SessionLocks};

use super::buckets::{bucket, under_mount, Bucket, Buckets};
use super::partial::{LocalPartial, PartialBytes};
use super::parts::{PartSet, MIN_PART};
use super::store::{SessionRecord, SessionState, Store};
use super::{in_store, in_store_tail};
use crate::blocking::blocking;
use crate::catalog::ids::Ids;
use crate::config::Config;
use crate::disk::place::{exists, key_path};
use crate::error::AppError;
use crate::store::StoreError;

/// The server's upload sessions.
pub struct Uploads {
    pub(super) store: Store,
    pub(super) ids: Ids,
    pub(super) root: PathBuf,
    pub(super) partial_dir: PathBuf,
    pub(super) ttl: Duration,
    pub(super) max_chunk: u64,
    pub(super) max_size: u64,
    pub(super) partial: LocalPartial,
    /// The default storage's store: finished files are placed through it.
    pub(super) default_store: Arc<dyn crate::store::Store>,
    /// The storages as buckets: sessions may upload into any of them.
    pub(super) buckets: Arc<dyn Buckets>,
    /// Background whole-file hashes of files uploaded in parts, one at a time.
    pub(super) hashing: Arc<tokio::sync::Semaphore>,
    live: Mutex<HashMap<String, Arc<SessionLocks>>>,
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
    /// Opens the state under `root/.skiff` (canonical `root`, the folder of
    /// `default_store`) in the shared database, and
    /// reconciles it with the partial files on disk. Blocking; runs at startup.
    pub fn open(
        root: &Path,
        config: &Config,
        ids: Ids,
        buckets: Arc<dyn Buckets>,
        default_store: Arc<dyn crate::store::Store>,
    ) -> Result<Self, AppError> {
        let state_dir = root.join(skiff_protocol::RESERVED_NAME);
        let partial_dir = state_dir.join("partial");
        std::fs::create_dir_all(&partial_dir)?;
        let store = Store::new(Arc::clone(ids.database()))?;
        let uploads = Self {
            store,
            ids,
            root: root.to_path_buf(),
            partial_dir: partial_dir.clone(),
            ttl: config.session_ttl,
            max_chunk: config.max_chunk,
            max_size: config.max_size,
            partial: LocalPartial::new(partial_dir.clone()),
            default_store,
            buckets,
            hashing: Arc::new(tokio::sync::Semaphore::new(1)),
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

    /// `--max-size`: the largest file accepted, in bytes.
    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    /// The default storage's store.
    pub fn default_store(&self) -> &Arc<dyn crate::store::Store> {
        &self.default_store
    }

    /// The storages as buckets.
    pub fn buckets(&self) -> &dyn Buckets {
        &*self.buckets
    }

    /// The served root (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a session's bytes accumulate: beside the tree, on the same
    /// filesystem, so completion is a rename.
    pub fn partial_path(&self, id: &str) -> PathBuf {
        self.partial.path(id)
    }

    /// 507 with a sentence when `bytes` more cannot fit on the default storage's
    /// disk, where sessions and writes stage their bytes (blocking).
    pub fn ensure_room(&self, bytes: u64) -> Result<(), AppError> {
        crate::disk::space::ensure_room(&self.partial_dir, bytes)
    }

    /// [`Uploads::ensure_room`] for a request's announced length, if it gave one
    /// (on a blocking thread): checked before any byte of the body is read.
    pub async fn ensure_room_for(self: &Arc<Self>, announced: Option<u64>) -> Result<(), AppError> {
        let Some(length) = announced else {
            return Ok(());
        };
        let checker = Arc::clone(self);
        crate::blocking::blocking(move || checker.ensure_room(length)).await
    }

    /// Creates a session (blocking): validates the request, stores the record, then
    /// the partial file (sparse, at full size for a parts session). A crash between
    /// the two leaves a record whose file is missing, which startup reconciliation
    /// recreates with nothing stored.
    pub fn create(
        &self,
        request: UploadCreate,
        if_none_match: bool,
    ) -> Result<UploadSession, AppError> {
        let target = bucket(&*self.buckets, &request.bucket)?;
        let path = key_path(&request.key)?;
        match &target {
            // A mount's name belongs to its storage (§5), like `.skiff`.
            Bucket::Default if under_mount(&*self.buckets, &path) => {
                return Err(AppError::Reserved)
            }
            Bucket::Mounted(mounted) if !mounted.writable => return Err(AppError::ReadOnly),
            _ => {}
        }
        if request.size > self.max_size {
            return Err(AppError::TooLarge {
                code: "file_too_large",
                message: format!("size {} is over this server's limit", request.size),
            });
        }
        if let Some(part_size) = request.part_size {
            if part_size < MIN_PART || part_size > self.max_chunk {
                return Err(AppError::BadRequest {
                    code: "bad_part_size",
                    message: format!(
                        "part_size must be from {MIN_PART} (min_part) to {} (max_chunk)",
                        self.max_chunk
                    ),
                });
            }
        }
        let expected_sha256 = request.sha256.as_deref().map(parse_sha256).transpose()?;
        let parts = request.part_size.is_some();
        let mut in_store = match &target {
            Bucket::Mounted(mounted) => in_store::plan(
                mounted,
                request.size,
                request.part_size,
                expected_sha256.is_some(),
            )?,
            Bucket::Default => None,
        };
        let room = match &target {
            Bucket::Mounted(mounted) => in_store::room_needed(
                mounted,
                in_store.as_ref(),
                request.size,
                self.max_chunk,
                parts,
            )?,
            Bucket::Default => request.size,
        };
        // A size no disk here can hold is refused now, not after gigabytes arrive.
        crate::disk::space::ensure_room(&self.partial_dir, room)?;
        // Always asked of the default storage: refuses (403) keys whose existing
        // parents lead out of the root.
        let asked = if_none_match || matches!(target, Bucket::Default);
        if asked && target_exists(&self.root, &target, &path)? && if_none_match {
            return Err(AppError::AlreadyExists);
        }
        if let (Bucket::Mounted(mounted), Some(plan)) = (&target, in_store.as_mut()) {
            in_store::start(mounted, &path, plan, parts)?;
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let record = SessionRecord {
            id: id.clone(),
            bucket: request.bucket,
            key: crate::disk::place::key_of(&path),
            mime_type: request.mime_type,
            size: request.size,
            expected_sha256,
            offset: 0,
            digest: None,
            touched_ms: now_ms(),
            file_id: uuid::Uuid::new_v4().to_string(),
            state: SessionState::Open,
            part_size: request.part_size,
            content_hash: None,
            create_only: if_none_match,
            in_store,
        };
        self.store.put_session(&record)?;
        match (&record.in_store, parts) {
            (Some(_), true) => {}
            (Some(_), false) => in_store_tail::create(self, &id)?,
            (None, true) => self.partial.create(&id, record.size)?,
            (None, false) => self.partial.create(&id, 0)?,
        }
        Ok(session_object(&record, Some(&PartSet::default())))
    }

    /// Locks session `id` exclusively for the caller and returns its current
    /// record; unknown, removed or expired sessions are 404.
    pub async fn lock(
        self: &Arc<Self>,
        id: &str,
    ) -> Result<(OwnedRwLockWriteGuard<Live>, SessionRecord), AppError> {
        let locks = self.locks_of(id).await?;
        let guard = Arc::clone(&locks.gate).write_owned().await;
        let record = self.current(id).await?;
        Ok((guard, record))
    }

    /// Shares session `id`'s gate (parts in flight) and returns its locks and
    /// current record; 404 like [`Uploads::lock`].
    pub async fn share(
        self: &Arc<Self>,
        id: &str,
    ) -> Result<(OwnedRwLockReadGuard<Live>, Arc<SessionLocks>, SessionRecord), AppError> {
        let locks = self.locks_of(id).await?;
        let guard = Arc::clone(&locks.gate).read_owned().await;
        let record = self.current(id).await?;
        Ok((guard, locks, record))
    }

    /// The locks of an existing session (404 otherwise).
    async fn locks_of(self: &Arc<Self>, id: &str) -> Result<Arc<SessionLocks>, AppError> {
        if !is_session_id(id) {
            return Err(AppError::UnknownSession);
        }
        let uploads = Arc::clone(self);
        let owned = id.to_owned();
        // Only sessions that exist get an entry, so probing ids cannot grow the map.
        blocking(move || uploads.store.session(&owned))
            .await?
            .ok_or(AppError::UnknownSession)?;
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(Arc::clone(live.entry(id.to_owned()).or_default()))
    }

    /// The record, re-read under the gate: an abort or a sweep may have won the race.
    async fn current(self: &Arc<Self>, id: &str) -> Result<SessionRecord, AppError> {
        let uploads = Arc::clone(self);
        let owned = id.to_owned();
        let record = blocking(move || uploads.store.session(&owned)).await?;
        match record {
            Some(record) if !self.is_expired(&record) => Ok(record),
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

    /// The durable parts of session `id`, loading them from the store on first
    /// use (blocking).
    pub fn durable_parts(&self, locks: &SessionLocks, id: &str) -> Result<PartSet, AppError> {
        let mut durable = locks.durable.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(parts) = durable.as_ref() {
            return Ok(parts.clone());
        }
        let parts = PartSet::from_sorted(self.store.parts(id)?.into_iter().map(|(n, _)| n));
        *durable = Some(parts.clone());
        Ok(parts)
    }

    /// Commits `record` (blocking).
    pub fn save(&self, record: &SessionRecord) -> Result<(), AppError> {
        self.store.put_session(record)
    }

    /// Removes a session with its partial data (blocking); the caller holds its
    /// lock or knows nobody does.
    pub fn remove(&self, id: &str) -> Result<(), AppError> {
        if let Some(record) = self.store.session(id)? {
            // The storage's multipart write goes first: if the storage is down,
            // the session stays (503) rather than leaking its parts there.
            in_store::release(self, &record)?;
        }
        self.partial.discard(id)?;
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
    pub(super) fn try_lock(&self, id: &str) -> Option<Option<OwnedRwLockWriteGuard<Live>>> {
        let live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        match live.get(id) {
            None => Some(None),
            Some(locks) => Arc::clone(&locks.gate).try_write_owned().ok().map(Some),
        }
    }

    /// Whether the session has been idle longer than the TTL.
    pub fn is_expired(&self, record: &SessionRecord) -> bool {
        let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        now_ms().saturating_sub(record.touched_ms) >= ttl_ms
    }
}

/// Whether something is at `path` in `target` (blocking; a mounted storage is
/// asked through its store: 503 if it is down).
fn target_exists(root: &Path, target: &Bucket, path: &TreePath) -> Result<bool, AppError> {
    match target {
        Bucket::Default => exists(root, path),
        Bucket::Mounted(mounted) => {
            let store = Arc::clone(mounted.store()?);
            match tokio::runtime::Handle::current().block_on(store.stat(path)) {
                Ok(_) => Ok(true),
                Err(StoreError::NotFound) => Ok(false),
                Err(error) => Err(error.into()),
            }
        }
    }
}

/// The session object clients see; `parts` are the durable parts of a parts
/// session (`None` reports none, or all once it completed).
pub fn session_object(record: &SessionRecord, parts: Option<&PartSet>) -> UploadSession {
    let mut session = UploadSession {
        id: record.id.clone(),
        url: format!("{UPLOADS_PATH}/{SESSION_PREFIX}{}", record.id),
        offset: record.offset,
        size: record.size,
        part_size: record.part_size,
        parts: None,
        error: None,
    };
    if let Some(part_size) = record.part_size {
        let count = part_count(record.size, part_size);
        let all;
        let parts = match (parts, record.state) {
            (_, SessionState::Completed { .. }) => {
                all = PartSet::full(count);
                &all
            }
            (Some(parts), _) => parts,
            (None, _) => {
                all = PartSet::default();
                &all
            }
        };
        let prefix = parts.prefix();
        session.offset = if prefix >= count {
            record.size
        } else {
            prefix.saturating_mul(part_size).min(record.size)
        };
        session.parts = Some(parts.ranges());
    }
    session
}

/// Session ids are 32 lowercase hex digits: anything else cannot name one (or a file).
pub fn is_session_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A client's whole-file SHA-256: 64 hex digits, normalised to lowercase.
pub(super) fn parse_sha256(text: &str) -> Result<String, AppError> {
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
