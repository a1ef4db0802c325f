//! [`Uploads`]: the upload sessions of one server — the durable store, the
//! partial bytes under `ROOT/.skiff/partial/`, and the live sessions' locks
//! (`locks.rs`): opening them, locking, expiring and removing sessions, and the
//! session object clients see. Creating one is `create.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use skiff_protocol::{part_count, UploadSession, SESSION_PREFIX, UPLOADS_PATH};
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

pub use super::locks::{Live, SessionLocks};

use super::buckets::Buckets;
use super::in_store;
use super::partial::{LocalPartial, PartialBytes};
use super::parts::PartSet;
use super::store::{SessionRecord, SessionState, Store};
use crate::blocking::blocking;
use crate::catalog::ids::Ids;
use crate::config::Config;
use crate::error::AppError;

/// The server's upload sessions.
pub struct Uploads {
    pub(super) store: Store,
    pub(super) ids: Ids,
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
    /// On an `s3://` root: the sessions are records in the bucket (`shared.rs`),
    /// and the redb store and partial folder here are unused.
    pub(super) shared: Option<super::shared::Shared>,
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
            partial_dir: partial_dir.clone(),
            ttl: config.session_ttl,
            max_chunk: config.max_chunk,
            max_size: config.max_size,
            partial: LocalPartial::new(partial_dir.clone()),
            default_store,
            buckets,
            hashing: Arc::new(tokio::sync::Semaphore::new(1)),
            shared: None,
            live: Mutex::new(HashMap::new()),
        };
        uploads.reconcile()?;
        Ok(uploads)
    }

    /// The upload sessions of an `s3://` root: records in its bucket (`state`),
    /// shared by every instance; nothing on this machine's disk. `ids` keep
    /// their database in memory (`crate::database::in_memory`), which also holds
    /// the (unused) local session tables.
    pub fn open_s3(
        config: &Config,
        ids: Ids,
        buckets: Arc<dyn Buckets>,
        default_store: Arc<dyn crate::store::Store>,
        state: crate::bucket_state::BucketState,
    ) -> Result<Self, AppError> {
        let store = Store::new(Arc::clone(ids.database()))?;
        // Never created: sessions and whole-file writes go straight to the bucket.
        let partial_dir = std::env::temp_dir().join("skiff-s3-root-unused");
        Ok(Self {
            store,
            ids,
            partial_dir: partial_dir.clone(),
            ttl: config.session_ttl,
            max_chunk: config.max_chunk,
            max_size: config.max_size,
            partial: LocalPartial::new(partial_dir),
            default_store,
            buckets,
            hashing: Arc::new(tokio::sync::Semaphore::new(1)),
            shared: Some(super::shared::Shared::new(state)),
            live: Mutex::new(HashMap::new()),
        })
    }

    /// The bucket's shared sessions on an `s3://` root; `None` on a folder root.
    pub fn shared(&self) -> Option<&super::shared::Shared> {
        self.shared.as_ref()
    }

    /// The smallest part size (discovery's `min_part`): S3's 5 MiB on an
    /// `s3://` root, whose parts are S3 parts.
    pub fn min_part(&self) -> u64 {
        if self.shared.is_some() {
            super::in_store::S3_MIN_PART
        } else {
            super::parts::MIN_PART
        }
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

    /// Where a session's bytes accumulate: beside the tree, on the same
    /// filesystem, so completion is a rename.
    pub fn partial_path(&self, id: &str) -> PathBuf {
        self.partial.path(id)
    }

    /// 507 with a sentence when `bytes` more cannot fit on the default storage's
    /// disk, where sessions and writes stage their bytes (blocking).
    pub fn ensure_room(&self, bytes: u64) -> Result<(), AppError> {
        if self.shared.is_some() {
            // An `s3://` root stages nothing here: the bytes go to the bucket.
            return Ok(());
        }
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

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}
