//! The storage seam: everything the services do to bytes goes through [`Store`],
//! so a local folder and an S3-compatible bucket are interchangeable behind it.
//!
//! - `local/`: a folder on this machine (path safety and symlink rules of
//!   PROTOCOL.md's general rules; staged write then rename, as object_store's
//!   `local.rs` does it)
//! - `s3.rs`: an S3-compatible bucket through the `object_store` crate
//!   (multipart parts as S3 parts: part number = part index + 1, so a retried part
//!   replaces itself)
//!
//! Shaped after tusd's `DataStore` (one interface, the HTTP layer never touches
//! storage) and object_store's `PutMode`. Keys are [`TreePath`]s relative to the
//! storage's own root (the root itself is [`TreePath::root`]): they are already
//! lexically safe, and a backend only adds its own physical checks (symlinks
//! leaving the root for `local`). The reserved `.skiff` name is the services'
//! business, not the backend's: a backend stores what it is told.

pub mod local;
pub mod s3;

use std::fmt::Debug;
use std::ops::Range;
use std::path::Path;
use std::pin::Pin;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;
use skiff_protocol::{StorageKind, TreePath};

/// A stream of bytes going into or coming out of a store.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, StoreError>> + Send>>;

/// A stream of entries (a walk).
pub type EntryStream = Pin<Box<dyn Stream<Item = Result<Entry, StoreError>> + Send>>;

/// What a store knows about one file or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Where it is, relative to the store's root.
    pub key: TreePath,
    /// A folder (S3: a common prefix or a `key/` marker object).
    pub is_dir: bool,
    /// Bytes of a file; 0 for a folder.
    pub size: u64,
    /// Last change.
    pub modified: SystemTime,
    /// A quoted entity-tag that changes whenever the bytes change (S3: the
    /// object's ETag; local: derived from size and modification time as today).
    pub etag: String,
}

/// One page of a folder's children, in the order S3 lists them: by name in byte
/// order, a folder as if its name ended in `/` (so `a.txt` comes before the folder
/// `a`, as in [`Store::walk`]).
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Children of this page.
    pub entries: Vec<Entry>,
    /// Pass as `after` to get the next page; `None` on the last page. An opaque
    /// cursor (the backend's sort key of the page's last entry), not a name.
    pub next: Option<String>,
}

/// How a write treats what is already there (object_store's `PutMode`,
/// the protocol's `If-None-Match: *` / `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutMode {
    /// Replace whatever is there.
    Overwrite,
    /// Only if nothing is there; otherwise [`StoreError::Exists`].
    Create,
    /// Only if the current entity-tag is this one; otherwise
    /// [`StoreError::Precondition`].
    Update(String),
}

/// An unfinished multipart write: the backend's upload id (S3's UploadId; a
/// staging file's name for `local`). Kept in the server's session records so a
/// restart resumes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MultipartId(pub String);

/// A finished part of a multipart write, as the backend needs it at completion
/// (S3: the part's ETag).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartTag {
    /// The part's index (0-based; S3 part number = index + 1).
    pub index: u64,
    /// The backend's tag for it.
    pub tag: String,
}

/// Why a store call failed. Services map these onto `AppError`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such key.
    #[error("not found")]
    NotFound,
    /// [`PutMode::Create`] (or a rename/copy without overwrite) met an existing entry.
    #[error("already exists")]
    Exists,
    /// [`PutMode::Update`] met a different entity-tag.
    #[error("precondition failed")]
    Precondition,
    /// The key leaves the store (a symlink out of a local root).
    #[error("outside the storage")]
    Outside,
    /// A file where a folder is needed, or the other way round.
    #[error("{0}")]
    WrongKind(&'static str),
    /// A folder that still has children where an empty one is needed.
    #[error("folder is not empty")]
    NotEmpty,
    /// The backend is out of space (ENOSPC, EDQUOT, S3 quota).
    #[error("no space left on the storage")]
    NoSpace,
    /// The backend refused access to this entry (a local file the server's user
    /// may not read or write), while the storage as a whole works.
    #[error("access to the entry was refused")]
    Forbidden,
    /// The backend refused our credentials.
    #[error("the storage refused the credentials: {0}")]
    Denied(String),
    /// The backend cannot be reached or answered something unexpected.
    #[error("the storage is unavailable: {0}")]
    Unavailable(String),
    /// A body stream given to the store failed (a client hung up).
    #[error("the body was cut: {0}")]
    Body(String),
    /// An optional capability this store lacks ([`Store::adopt`]); the caller
    /// falls back to the plain calls.
    #[error("the storage cannot do this")]
    Unsupported,
}

/// A place bytes live: a local folder or an S3-compatible bucket.
#[async_trait]
pub trait Store: Send + Sync + Debug {
    /// What kind of backend this is.
    fn kind(&self) -> StorageKind;

    /// Proves the backend works for us: it can be listed and written (writes and
    /// removes a probe object under `.skiff/`). The `Err` names why not, in words
    /// an admin can act on (bad credentials, no such bucket, endpoint unreachable).
    async fn probe(&self) -> Result<(), StoreError>;

    /// The entry at `key` (the root is a folder).
    async fn stat(&self, key: &TreePath) -> Result<Entry, StoreError>;

    /// Up to `limit` children of folder `dir`, after the cursor `after` (a
    /// previous page's [`Page::next`]).
    async fn list(
        &self,
        dir: &TreePath,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError>;

    /// The bytes of file `key`, all or `range` (clamped to the file: a range
    /// past its end reads nothing).
    async fn read(
        &self,
        key: &TreePath,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StoreError>;

    /// [`Store::read`] of the file `entry` describes, only while it still
    /// does: a file changed since `entry` was taken is
    /// [`StoreError::Precondition`], so validators sent with the bytes describe
    /// them. A backend that cannot tell reads without checking (the default).
    async fn read_entry(
        &self,
        entry: &Entry,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StoreError> {
        self.read(&entry.key, range).await
    }

    /// Writes `body` as file `key` atomically (nobody sees a half-written file),
    /// creating missing parent folders; returns the new entry.
    async fn put(
        &self,
        key: &TreePath,
        mode: PutMode,
        body: ByteStream,
    ) -> Result<Entry, StoreError>;

    /// Optional capability (tusd's extra interfaces): takes `staged`, a fully
    /// written, fsynced file on this machine that the caller owns, as file `key`
    /// under `mode` by renaming it, not copying its bytes, creating missing
    /// parents as [`Store::put`] does. A store that cannot (S3, a folder on
    /// another file system) answers [`StoreError::Unsupported`] and leaves
    /// `staged` as it was: the caller then streams it in with [`Store::put`].
    async fn adopt(
        &self,
        staged: &Path,
        key: &TreePath,
        mode: PutMode,
    ) -> Result<Entry, StoreError> {
        let _ = (staged, key, mode);
        Err(StoreError::Unsupported)
    }

    /// Removes `key`: a file, an empty folder, or with `recursive` a whole folder.
    async fn delete(&self, key: &TreePath, recursive: bool) -> Result<(), StoreError>;

    /// Makes folder `key` and its missing parents; an existing folder is fine.
    async fn mkdir(&self, key: &TreePath) -> Result<(), StoreError>;

    /// Makes folder `key` only if nothing is at `key` ([`StoreError::Exists`]
    /// otherwise). The default checks first; a store shared between instances
    /// (S3) makes it one conditional write, so a race has one winner.
    async fn mkdir_new(&self, key: &TreePath) -> Result<(), StoreError> {
        match self.stat(key).await {
            Ok(_) => Err(StoreError::Exists),
            Err(StoreError::NotFound) => self.mkdir(key).await,
            Err(error) => Err(error),
        }
    }

    /// Moves `from` (file or folder) to `to`, creating `to`'s missing parents;
    /// an existing `to` is [`StoreError::Exists`] unless `overwrite`, which
    /// replaces a file or an empty folder there (a folder with children is
    /// [`StoreError::NotEmpty`]). A folder cannot go inside itself.
    async fn rename(
        &self,
        from: &TreePath,
        to: &TreePath,
        overwrite: bool,
    ) -> Result<(), StoreError>;

    /// Copies `from` (file or folder) to `to`, as [`Store::rename`] treats `to`.
    async fn copy(&self, from: &TreePath, to: &TreePath, overwrite: bool)
        -> Result<(), StoreError>;

    /// Every file under `prefix` (or `prefix` itself if it is a file), in byte
    /// order of the whole keys.
    fn walk(&self, prefix: &TreePath) -> EntryStream;

    /// [`Store::walk`] with the folders too, each just before what it holds (not
    /// `prefix` itself): the whole tree a copy into another storage recreates,
    /// empty folders included. A local store's symlinked folders are not
    /// followed, as in `walk`.
    fn walk_tree(&self, prefix: &TreePath) -> EntryStream;

    /// Starts a multipart write that will become file `key`, in parts of
    /// `part_size` bytes (the last one may be shorter). Local stores place part
    /// `index` at `index * part_size`; S3 ignores it.
    async fn multipart_create(
        &self,
        key: &TreePath,
        part_size: u64,
    ) -> Result<MultipartId, StoreError>;

    /// Stores part `index` (0-based; every part but the last has the session's
    /// part size) from `body` of exactly `len` bytes. Sending a part again
    /// replaces it.
    async fn multipart_put(
        &self,
        key: &TreePath,
        id: &MultipartId,
        index: u64,
        len: u64,
        body: ByteStream,
    ) -> Result<PartTag, StoreError>;

    /// Joins `parts` (sorted by index, none missing) into file `key` under `mode`.
    async fn multipart_complete(
        &self,
        key: &TreePath,
        id: &MultipartId,
        parts: Vec<PartTag>,
        mode: PutMode,
    ) -> Result<Entry, StoreError>;

    /// Drops an unfinished multipart write and its parts; gone already is fine.
    async fn multipart_abort(&self, key: &TreePath, id: &MultipartId) -> Result<(), StoreError>;
}

/// Where an entry sorts among its siblings ([`Page`]'s order): its name, plus
/// `/` for a folder.
pub fn sort_key(name: &str, is_dir: bool) -> String {
    if is_dir {
        format!("{name}/")
    } else {
        name.to_owned()
    }
}

/// Refuses moves and copies that make no sense: the root either way, or a
/// folder into itself. `Ok(true)` when `from` and `to` are the same entry
/// (nothing to do with `overwrite`, [`StoreError::Exists`] without).
pub fn check_move(from: &TreePath, to: &TreePath) -> Result<bool, StoreError> {
    if from.is_root() {
        return Err(StoreError::WrongKind("the root cannot be moved or copied"));
    }
    if to.is_root() {
        return Err(StoreError::WrongKind("the root is a folder"));
    }
    if from == to {
        return Ok(true);
    }
    if to.starts_with(from) {
        return Err(StoreError::WrongKind("a folder cannot go inside itself"));
    }
    Ok(false)
}

/// What a [`StoreError`] means to a client: the same codes the local tree has
/// always answered with, plus `Unavailable` for a backend that cannot be reached
/// (the client may retry; nothing acknowledged is lost).
impl From<StoreError> for crate::error::AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => crate::error::AppError::NotFound,
            StoreError::Exists => crate::error::AppError::AlreadyExists,
            StoreError::Precondition => crate::error::AppError::PreconditionFailed,
            StoreError::Outside => crate::error::AppError::OutsideRoot,
            StoreError::WrongKind(what) => crate::error::AppError::Conflict {
                code: "wrong_kind",
                message: what.to_owned(),
            },
            StoreError::NotEmpty => crate::error::AppError::Conflict {
                code: "not_empty",
                message: "the folder is not empty".to_owned(),
            },
            StoreError::Forbidden => crate::error::AppError::PermissionDenied,
            StoreError::NoSpace => crate::error::AppError::InsufficientStorage {
                code: "insufficient_storage",
                message: "the storage has no space left; free some and try again".to_owned(),
            },
            StoreError::Denied(reason) | StoreError::Unavailable(reason) => {
                crate::error::AppError::Unavailable(reason)
            }
            StoreError::Body(reason) => crate::error::AppError::BadRequest {
                code: "body_cut",
                message: format!("the request body could not be read: {reason}"),
            },
            StoreError::Unsupported => crate::error::AppError::Io(std::io::Error::other(
                "a storage was asked for a capability it lacks",
            )),
        }
    }
}
