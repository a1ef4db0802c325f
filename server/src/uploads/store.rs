//! The crash-safe upload state, in the server's `redb` database at
//! `ROOT/.skiff/state.redb` (shared with `crate::catalog::ids`).
//!
//! Two tables `&str → JSON bytes` so a record can grow a field without a
//! migration: `sessions` (one [`SessionRecord`] per upload session) and `files`
//! (what we learnt about a file we wrote: its SHA-256 and id, valid while its
//! ETag is unchanged). A third, `parts`, maps `(session id, part number)` to the
//! part's raw 32-byte SHA-256 (§2.1): one small row per part, so recording a part
//! costs the same however many parts the session has.
//!
//! Every commit uses redb's default durability (fsync before `commit` returns),
//! which is what lets an offset or a part be acknowledged only once it is durable.
//! The hot writes (offsets, parts, completions) go through the group committer
//! (`committer.rs`), which shares one commit among all writes pending at once;
//! rare ones (startup, tree writes) commit on their own here. All calls block:
//! run them on a blocking thread.

use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition};

use super::committer::Committer;
pub use super::committer::Write;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use crate::catalog::checksums::{FileRecord, FILES};
use crate::error::AppError;

pub(super) const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
/// `(session id, part number)` → the part's raw SHA-256, then its store tag.
pub(super) const PARTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("parts");

/// One upload session as stored.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Session id (32 hex digits), also the partial file's name.
    pub id: String,
    /// Bucket it uploads into.
    pub bucket: String,
    /// Target tree path without the leading `/`.
    pub key: String,
    /// Declared content type.
    pub mime_type: String,
    /// Announced total size.
    pub size: u64,
    /// Expected whole-file SHA-256 (lowercase hex), if the client gave one.
    pub expected_sha256: Option<String>,
    /// Bytes durably stored in the partial file.
    pub offset: u64,
    /// Whole-file SHA-256, recorded in the same commit that makes `offset` reach `size`.
    pub digest: Option<String>,
    /// Last activity, Unix milliseconds: the session expires `ttl` after it.
    pub touched_ms: u64,
    /// Id the completed file gets.
    pub file_id: String,
    /// Where the session is in its life.
    pub state: SessionState,
    /// Part size of a parts session (§2.1); `None` for a sequential one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
    /// §2.1 content hash, recorded before a parts session's file is moved into
    /// place (so recovery can finish a completion a crash interrupted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// Created with `If-None-Match: *`: a mounted storage places the file only
    /// if nothing is there by then (`PutMode::Create`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_only: bool,
    /// The session's bytes go into its mounted storage as a multipart write
    /// (`in_store.rs`); `None` when they stage in a partial file here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_store: Option<InStore>,
}

/// A session whose bytes go straight into its storage's multipart write.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct InStore {
    /// The store's multipart write; a sequential session starts it with its
    /// first full part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<crate::store::MultipartId>,
    /// The store part size: the session's `part_size`, or for a sequential
    /// session the size its chunks are regrouped into.
    pub part_size: u64,
    /// How many parts of a sequential session the store has (recorded with
    /// their tags); its tail file here holds the bytes after them.
    #[serde(default)]
    pub sent: u64,
    /// A sequential session's whole-file SHA-256 state after the parts sent to
    /// the store (`resumable_sha.rs`), so a restart resumes hashing at the tail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha_state: Option<String>,
}

/// Life of a session after creation.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SessionState {
    /// Accepting chunks (or all bytes in, waiting to be moved into place).
    Open,
    /// The whole-file SHA-256 did not match: it can only be aborted.
    Failed,
    /// Moved into place; kept until it expires so a retried last chunk learns the outcome.
    Completed {
        /// When the file was moved into place, Unix seconds.
        created_at: i64,
    },
}

/// The upload tables in the server's database.
#[derive(Debug)]
pub struct Store {
    db: Arc<Database>,
    committer: Committer,
}

impl Store {
    /// The upload tables in `db` (opened by `crate::database::open`, where
    /// redb repairs itself after a crash), created now so read transactions never
    /// meet a missing table.
    pub fn new(db: Arc<Database>) -> Result<Self, AppError> {
        let txn = db.begin_write().map_err(store_error)?;
        txn.open_table(SESSIONS).map_err(store_error)?;
        txn.open_table(FILES).map_err(store_error)?;
        txn.open_table(PARTS).map_err(store_error)?;
        txn.commit().map_err(store_error)?;
        let committer = Committer::start(Arc::clone(&db))?;
        Ok(Self { db, committer })
    }

    /// Commits `writes` atomically, sharing the commit with whatever else is
    /// pending; durable when this returns.
    pub async fn commit(&self, writes: Vec<Write>) -> Result<(), AppError> {
        self.committer.commit(writes).await
    }

    /// [`Store::commit`], running `after` on the committer thread once durable
    /// (before anyone is answered).
    pub async fn commit_then(
        &self,
        writes: Vec<Write>,
        after: Option<super::committer::AfterCommit>,
    ) -> Result<(), AppError> {
        self.committer.commit_then(writes, after).await
    }

    /// [`Store::commit`] from a blocking thread.
    pub fn commit_blocking(&self, writes: Vec<Write>) -> Result<(), AppError> {
        self.committer.commit_blocking(writes)
    }

    /// The recorded parts of session `id` with their digests, by part number.
    pub fn parts(&self, id: &str) -> Result<Vec<(u64, [u8; 32])>, AppError> {
        Ok(self
            .tagged_parts(id)?
            .into_iter()
            .map(|(n, digest, _)| (n, digest))
            .collect())
    }

    /// [`Store::parts`] with each part's store tag (empty for staged parts).
    pub fn tagged_parts(&self, id: &str) -> Result<Vec<(u64, [u8; 32], String)>, AppError> {
        let txn = self.db.begin_read().map_err(store_error)?;
        let table = txn.open_table(PARTS).map_err(store_error)?;
        let mut parts = Vec::new();
        for row in table.range((id, 0)..=(id, u64::MAX)).map_err(store_error)? {
            let (key, value) = row.map_err(store_error)?;
            let value = value.value();
            let (digest, tag) = value
                .split_at_checked(32)
                .ok_or_else(|| store_error("a short part row"))?;
            let digest = <[u8; 32]>::try_from(digest).map_err(store_error)?;
            let tag = String::from_utf8(tag.to_vec()).map_err(store_error)?;
            parts.push((key.value().1, digest, tag));
        }
        Ok(parts)
    }

    /// Forgets every part of session `id` (abort, expiry, a lost partial file).
    pub fn remove_parts(&self, id: &str) -> Result<(), AppError> {
        let txn = self.db.begin_write().map_err(store_error)?;
        {
            let mut table = txn.open_table(PARTS).map_err(store_error)?;
            super::committer::remove_parts(&mut table, id)?;
        }
        txn.commit().map_err(store_error)
    }

    /// The session `id`, if it exists.
    pub fn session(&self, id: &str) -> Result<Option<SessionRecord>, AppError> {
        self.get(SESSIONS, id)
    }

    /// Every stored session (startup reconciliation and the expiry sweep).
    pub fn sessions(&self) -> Result<Vec<SessionRecord>, AppError> {
        let txn = self.db.begin_read().map_err(store_error)?;
        let table = txn.open_table(SESSIONS).map_err(store_error)?;
        let mut records = Vec::new();
        for row in table.iter().map_err(store_error)? {
            let (_, value) = row.map_err(store_error)?;
            records.push(decode(value.value())?);
        }
        Ok(records)
    }

    /// Inserts or replaces a session; durable when this returns.
    pub fn put_session(&self, record: &SessionRecord) -> Result<(), AppError> {
        self.put(SESSIONS, &record.id, record)
    }

    /// Forgets a session and its parts; durable when this returns.
    pub fn remove_session(&self, id: &str) -> Result<(), AppError> {
        let txn = self.db.begin_write().map_err(store_error)?;
        {
            let mut sessions = txn.open_table(SESSIONS).map_err(store_error)?;
            sessions.remove(id).map_err(store_error)?;
            let mut parts = txn.open_table(PARTS).map_err(store_error)?;
            super::committer::remove_parts(&mut parts, id)?;
        }
        txn.commit().map_err(store_error)
    }

    /// What we know about the file at `key`, if anything.
    pub fn file(&self, key: &str) -> Result<Option<FileRecord>, AppError> {
        self.get(FILES, key)
    }

    fn get<T: DeserializeOwned>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        key: &str,
    ) -> Result<Option<T>, AppError> {
        let txn = self.db.begin_read().map_err(store_error)?;
        let table = txn.open_table(table).map_err(store_error)?;
        match table.get(key).map_err(store_error)? {
            Some(value) => Ok(Some(decode(value.value())?)),
            None => Ok(None),
        }
    }

    fn put<T: Serialize>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        key: &str,
        value: &T,
    ) -> Result<(), AppError> {
        let bytes = serde_json::to_vec(value).map_err(store_error)?;
        let txn = self.db.begin_write().map_err(store_error)?;
        {
            let mut table = txn.open_table(table).map_err(store_error)?;
            table.insert(key, bytes.as_slice()).map_err(store_error)?;
        }
        txn.commit().map_err(store_error)
    }
}

pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(bytes).map_err(store_error)
}

pub use crate::error::store_error;
