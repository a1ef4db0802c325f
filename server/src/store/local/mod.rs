//! [`LocalStore`]: a folder on this machine behind the [`Store`] seam, with
//! exactly the server's existing rules, by calling the code that enforces them:
//! `crate::disk::paths` (canonicalise, stay inside the root, `.skiff` unreachable),
//! `crate::disk::walk::visible` (links leaving the root and special files are not
//! listed), `crate::disk::entry` (ETag, modification time) and `crate::disk::place`
//! (parents created inside the root, atomic rename, folder fsync).
//!
//! Every write lands in a staging file under `ROOT/.skiff/store/` first (same
//! file system as the tree; not `.skiff/partial/`, whose unknown files the
//! upload sessions' startup sweep removes), is fsynced, then renamed into
//! place, so nobody ever sees half a file; [`PutMode::Create`] is
//! `renameat2(RENAME_NOREPLACE)`. All file system work runs on the blocking pool.
//!
//! - `read.rs`: stat, paged list, ranged read, walk
//! - `pages.rs`: one reading of a folder serves a listing's pages
//! - `write.rs`: put, adopt (a staged file renamed in), delete, mkdir, rename, copy
//! - `multipart.rs`: one sparse staging file per multipart write

mod multipart;
mod pages;
mod read;
mod write;

use std::fs::Metadata;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use skiff_protocol::{StorageKind, TreePath, RESERVED_NAME};

use super::{
    ByteStream, Entry, EntryStream, MultipartId, Page, PartTag, PutMode, Store, StoreError,
};
use crate::error::{is_out_of_space, AppError};

/// A folder on this machine (its canonical path).
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    pages: Arc<pages::PageCache>,
}

impl LocalStore {
    /// The store of folder `root`, which must exist; kept as its canonical path
    /// so containment checks compare like with like.
    pub fn open(root: &Path) -> Result<LocalStore, StoreError> {
        let root = std::fs::canonicalize(root).map_err(io_error)?;
        if !root.is_dir() {
            return Err(StoreError::WrongKind("the storage's root is not a folder"));
        }
        Ok(LocalStore {
            root,
            pages: Arc::default(),
        })
    }

    /// The canonical root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where staged writes wait before their rename: `ROOT/.skiff/store`,
    /// created on first use (a read-only tree never needs it).
    fn staging_dir(&self) -> Result<PathBuf, StoreError> {
        let dir = self.root.join(RESERVED_NAME).join("store");
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        Ok(dir)
    }

    /// Removes what interrupted whole-file writes and copies left staged (a
    /// crash mid-write: nobody else ever removes it). Multipart writes (`mp-…`)
    /// stay: their sessions resume. For a writable server's startup, before
    /// any write (blocking).
    pub fn sweep_staged(&self) -> Result<(), StoreError> {
        let dir = self.root.join(RESERVED_NAME).join("store");
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(io_error(error)),
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let staged = ["put-", "copy-", "probe-"]
                .iter()
                .any(|prefix| name.to_str().is_some_and(|name| name.starts_with(prefix)));
            if !staged {
                continue;
            }
            let path = entry.path();
            let removed = if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            if let Err(error) = removed {
                tracing::warn!(%error, path = %path.display(), "cannot remove a staged write");
            }
        }
        Ok(())
    }

    /// A fresh staging path for one write.
    fn staging_path(&self, what: &str) -> Result<PathBuf, StoreError> {
        Ok(self
            .staging_dir()?
            .join(format!("{what}-{}", uuid::Uuid::new_v4().simple())))
    }
}

/// Runs blocking file system work off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| StoreError::Unavailable(format!("a file system task failed: {error}")))?
}

/// What the server's own path and write helpers say, in the seam's words.
fn from_app(error: AppError) -> StoreError {
    match error {
        AppError::NotFound => StoreError::NotFound,
        AppError::OutsideRoot | AppError::Reserved => StoreError::Outside,
        AppError::AlreadyExists => StoreError::Exists,
        AppError::PreconditionFailed => StoreError::Precondition,
        AppError::InsufficientStorage { .. } => StoreError::NoSpace,
        AppError::PermissionDenied => StoreError::Forbidden,
        AppError::Conflict { code, .. } => match code {
            "not_empty" => StoreError::NotEmpty,
            "target_is_folder" => StoreError::WrongKind("a folder is in the way"),
            "parent_not_folder" => StoreError::WrongKind("a file is in the way of a folder"),
            _ => StoreError::WrongKind("the entry is in the way"),
        },
        AppError::Io(error) => io_error(error),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// A file system error on a path of the tree, in the seam's words.
fn io_error(error: std::io::Error) -> StoreError {
    use std::io::ErrorKind;
    if is_out_of_space(&error) {
        return StoreError::NoSpace;
    }
    match error.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory => StoreError::NotFound,
        ErrorKind::AlreadyExists => StoreError::Exists,
        ErrorKind::DirectoryNotEmpty => StoreError::NotEmpty,
        ErrorKind::IsADirectory => StoreError::WrongKind("a folder is in the way"),
        // One entry the server's user may not touch: 403, as it always was, not
        // a storage that is down.
        ErrorKind::PermissionDenied => StoreError::Forbidden,
        ErrorKind::ReadOnlyFilesystem => {
            StoreError::Denied("the file system is read-only".to_owned())
        }
        // `from_fs` knows the rest (a symlink loop, a too-long name: not found).
        _ => match AppError::from_fs(error) {
            AppError::Io(error) => StoreError::Unavailable(error.to_string()),
            mapped => from_app(mapped),
        },
    }
}

/// The entry for `key` described by `metadata` (a symlink's target's).
fn entry_of(key: TreePath, metadata: &Metadata) -> Entry {
    Entry {
        key,
        is_dir: metadata.is_dir(),
        size: if metadata.is_dir() { 0 } else { metadata.len() },
        modified: crate::disk::entry::modified(metadata),
        etag: crate::disk::entry::etag(metadata),
    }
}

#[async_trait]
impl Store for LocalStore {
    fn kind(&self) -> StorageKind {
        StorageKind::Local
    }

    async fn probe(&self) -> Result<(), StoreError> {
        let store = self.clone();
        blocking(move || write::probe(&store)).await
    }

    async fn stat(&self, key: &TreePath) -> Result<Entry, StoreError> {
        let (root, key) = (self.root.clone(), key.clone());
        blocking(move || read::stat(&root, key)).await
    }

    async fn list(
        &self,
        dir: &TreePath,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let (root, pages, dir) = (self.root.clone(), Arc::clone(&self.pages), dir.clone());
        let after = after.map(str::to_owned);
        blocking(move || read::list(&root, &pages, &dir, after.as_deref(), limit)).await
    }

    async fn read(
        &self,
        key: &TreePath,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StoreError> {
        read::read(&self.root, key, range, None).await
    }

    async fn read_entry(
        &self,
        entry: &Entry,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StoreError> {
        read::read(&self.root, &entry.key, range, Some(entry.etag.clone())).await
    }

    async fn put(
        &self,
        key: &TreePath,
        mode: PutMode,
        body: ByteStream,
    ) -> Result<Entry, StoreError> {
        write::put(self, key, mode, body).await
    }

    async fn adopt(
        &self,
        staged: &Path,
        key: &TreePath,
        mode: PutMode,
    ) -> Result<Entry, StoreError> {
        let (root, key, staged) = (self.root.clone(), key.clone(), staged.to_path_buf());
        blocking(move || write::adopt(&root, &key, &staged, &mode)).await
    }

    async fn delete(&self, key: &TreePath, recursive: bool) -> Result<(), StoreError> {
        let (root, key) = (self.root.clone(), key.clone());
        blocking(move || write::delete(&root, &key, recursive)).await
    }

    async fn mkdir(&self, key: &TreePath) -> Result<(), StoreError> {
        let (root, key) = (self.root.clone(), key.clone());
        blocking(move || write::mkdir(&root, &key)).await
    }

    async fn rename(
        &self,
        from: &TreePath,
        to: &TreePath,
        overwrite: bool,
    ) -> Result<(), StoreError> {
        let (root, from, to) = (self.root.clone(), from.clone(), to.clone());
        blocking(move || write::rename(&root, &from, &to, overwrite)).await
    }

    async fn copy(
        &self,
        from: &TreePath,
        to: &TreePath,
        overwrite: bool,
    ) -> Result<(), StoreError> {
        let (store, from, to) = (self.clone(), from.clone(), to.clone());
        blocking(move || write::copy(&store, &from, &to, overwrite)).await
    }

    fn walk(&self, prefix: &TreePath) -> EntryStream {
        read::walk(self.root.clone(), prefix.clone(), false)
    }

    fn walk_tree(&self, prefix: &TreePath) -> EntryStream {
        read::walk(self.root.clone(), prefix.clone(), true)
    }

    async fn multipart_create(
        &self,
        key: &TreePath,
        part_size: u64,
    ) -> Result<MultipartId, StoreError> {
        let (store, key) = (self.clone(), key.clone());
        blocking(move || multipart::create(&store, &key, part_size)).await
    }

    async fn multipart_put(
        &self,
        _key: &TreePath,
        id: &MultipartId,
        index: u64,
        len: u64,
        body: ByteStream,
    ) -> Result<PartTag, StoreError> {
        multipart::put(self, id, index, len, body).await
    }

    async fn multipart_complete(
        &self,
        key: &TreePath,
        id: &MultipartId,
        parts: Vec<PartTag>,
        mode: PutMode,
    ) -> Result<Entry, StoreError> {
        let (store, key, id) = (self.clone(), key.clone(), id.clone());
        blocking(move || multipart::complete(&store, &key, &id, &parts, &mode)).await
    }

    async fn multipart_abort(&self, _key: &TreePath, id: &MultipartId) -> Result<(), StoreError> {
        let (store, id) = (self.clone(), id.clone());
        blocking(move || multipart::abort(&store, &id)).await
    }
}

#[cfg(test)]
mod walk_tests;

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn an_entry_the_os_refuses_is_403_permission_denied_not_an_unavailable_storage() {
        let refused = io_error(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(matches!(refused, StoreError::Forbidden), "{refused:?}");
        assert!(matches!(
            AppError::from(refused),
            AppError::PermissionDenied
        ));
        let refused = from_app(AppError::PermissionDenied);
        assert!(matches!(refused, StoreError::Forbidden), "{refused:?}");
    }
}
