//! Changing a local tree: whole-file puts (staged, fsynced, renamed into place
//! under a [`PutMode`]; a file staged by the caller adopted the same way),
//! deletes, `mkdir -p`, renames and copies. Copies are
//! staged as well, so a copied folder appears in one rename, complete.
//!
//! The top-level `.skiff` is the server's own state, never part of the tree:
//! every write refuses it as [`StoreError::Outside`].

use std::fs::DirEntry;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use skiff_protocol::TreePath;
use tokio::io::{AsyncWriteExt, BufWriter};

use super::{blocking, entry_of, from_app, io_error, LocalStore};
use crate::disk::entry::etag;
use crate::disk::paths::{is_reserved, resolve_blocking};
use crate::disk::place::place_new;
use crate::disk::place::WRITE_BUFFER;
use crate::disk::place::{place, prepare_parent, prepare_target, sync_dir};
use crate::disk::walk::visible;
use crate::store::{ByteStream, Entry, PutMode, StoreError};

/// Refuses the root (`what` says why) and anything under the reserved name.
pub fn writable_key(key: &TreePath, what: &'static str) -> Result<(), StoreError> {
    if key.is_root() {
        return Err(StoreError::WrongKind(what));
    }
    if is_reserved(key) {
        return Err(StoreError::Outside);
    }
    Ok(())
}

/// Proves the tree can be listed and written: lists the root, then writes,
/// fsyncs and removes a probe file under `.skiff/` (blocking).
pub fn probe(store: &LocalStore) -> Result<(), StoreError> {
    std::fs::read_dir(store.root()).map_err(io_error)?;
    let probe = store.staging_path("probe")?;
    let written = std::fs::write(&probe, b"skiff probe")
        .and_then(|()| std::fs::File::open(&probe)?.sync_all())
        .map_err(io_error);
    let removed = std::fs::remove_file(&probe).map_err(io_error);
    written.and(removed)
}

/// Streams `body` into a staging file, fsyncs it, and places it at `key`.
pub async fn put(
    store: &LocalStore,
    key: &TreePath,
    mode: PutMode,
    mut body: ByteStream,
) -> Result<Entry, StoreError> {
    writable_key(key, "the root is a folder")?;
    let staged = {
        let store = store.clone();
        blocking(move || store.staging_path("put")).await?
    };
    let written = async {
        let file = tokio::fs::File::create(&staged).await.map_err(io_error)?;
        let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
        while let Some(chunk) = body.next().await {
            writer.write_all(&chunk?).await.map_err(io_error)?;
        }
        writer.flush().await.map_err(io_error)?;
        writer.into_inner().sync_data().await.map_err(io_error)
    }
    .await;
    let (root, key) = (store.root().to_path_buf(), key.clone());
    let leftover = staged.clone();
    let placed = match written {
        Ok(()) => blocking(move || place_file(&root, &key, &staged, &mode)).await,
        Err(error) => Err(error),
    };
    if placed.is_err() {
        // Ours alone; after a successful rename it is gone already.
        let _ = tokio::fs::remove_file(&leftover).await;
    }
    placed
}

/// Renames the fsynced file `staged` to `key` under `mode`, creating missing
/// parents inside the root (blocking); returns the new entry.
pub fn place_file(
    root: &Path,
    key: &TreePath,
    staged: &Path,
    mode: &PutMode,
) -> Result<Entry, StoreError> {
    writable_key(key, "the root is a folder")?;
    let target = prepare_target(root, key).map_err(from_app)?;
    rename_into(root, key, staged, &target, mode)
}

/// [`crate::store::Store::adopt`] (blocking): [`place_file`] for a file staged
/// by someone else, when a rename can take it (the same file system as the
/// folder it goes into); otherwise `Unsupported`, `staged` untouched.
pub fn adopt(
    root: &Path,
    key: &TreePath,
    staged: &Path,
    mode: &PutMode,
) -> Result<Entry, StoreError> {
    writable_key(key, "the root is a folder")?;
    let target = prepare_target(root, key).map_err(from_app)?;
    let folder = target.parent().unwrap_or(root);
    if !same_file_system(staged, folder)? {
        return Err(StoreError::Unsupported);
    }
    rename_into(root, key, staged, &target, mode)
}

/// Whether a rename can move `file` into `folder` (blocking).
fn same_file_system(file: &Path, folder: &Path) -> Result<bool, StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let file = std::fs::metadata(file).map_err(io_error)?;
        let folder = std::fs::metadata(folder).map_err(io_error)?;
        Ok(file.dev() == folder.dev())
    }
    #[cfg(not(unix))]
    {
        let _ = (file, folder);
        Ok(true)
    }
}

/// Renames `staged` onto `target`, the prepared path of `key`, under `mode`.
fn rename_into(
    root: &Path,
    key: &TreePath,
    staged: &Path,
    target: &Path,
    mode: &PutMode,
) -> Result<Entry, StoreError> {
    let target = target.to_path_buf();
    match mode {
        PutMode::Overwrite => place(staged, &target).map_err(from_app)?,
        // "Only if absent" is part of the rename itself (renameat2 NOREPLACE).
        PutMode::Create => place_new(staged, &target).map_err(from_app)?,
        PutMode::Update(expected) => {
            let current = match resolve_blocking(root, key) {
                Ok(canonical) => std::fs::metadata(canonical).ok().map(|m| etag(&m)),
                Err(crate::error::AppError::NotFound) => None,
                Err(error) => return Err(from_app(error)),
            };
            if current.as_deref() != Some(expected.as_str()) {
                return Err(StoreError::Precondition);
            }
            place(staged, &target).map_err(from_app)?;
        }
    }
    let metadata = std::fs::metadata(&target).map_err(io_error)?;
    Ok(entry_of(key.clone(), &metadata))
}

/// The folder holding `key`'s entry (canonical, inside the root) and the entry's
/// own path there (a symlink is the link, not its target).
fn entry_path(root: &Path, key: &TreePath) -> Result<(PathBuf, PathBuf), StoreError> {
    let (Some(parent), Some(name)) = (key.parent(), key.name()) else {
        return Err(StoreError::WrongKind("the root cannot be changed"));
    };
    let dir = resolve_blocking(root, &parent).map_err(from_app)?;
    let path = dir.join(name);
    Ok((dir, path))
}

/// Removes a file, an empty folder, or with `recursive` a whole folder (blocking).
pub fn delete(root: &Path, key: &TreePath, recursive: bool) -> Result<(), StoreError> {
    writable_key(key, "the root cannot be deleted")?;
    let (dir, path) = entry_path(root, key)?;
    let metadata = std::fs::symlink_metadata(&path).map_err(io_error)?;
    let removed = if !metadata.is_dir() {
        std::fs::remove_file(&path)
    } else if recursive {
        std::fs::remove_dir_all(&path)
    } else {
        std::fs::remove_dir(&path)
    };
    removed.map_err(io_error)?;
    sync_dir(&dir).map_err(from_app)
}

/// Makes folder `key` and its missing parents (blocking); an existing folder is
/// fine, a file in the way is not.
pub fn mkdir(root: &Path, key: &TreePath) -> Result<(), StoreError> {
    if key.is_root() {
        return Ok(());
    }
    writable_key(key, "the root exists")?;
    let target = prepare_parent(root, key).map_err(from_app)?;
    match std::fs::create_dir(&target) {
        Ok(()) => match target.parent() {
            Some(parent) => sync_dir(parent).map_err(from_app),
            None => Ok(()),
        },
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let canonical = resolve_blocking(root, key).map_err(from_app)?;
            if std::fs::metadata(canonical).is_ok_and(|m| m.is_dir()) {
                Ok(())
            } else {
                Err(StoreError::WrongKind("a file is in the way of a folder"))
            }
        }
        Err(error) => Err(io_error(error)),
    }
}

/// [`crate::store::check_move`], and never the reserved `.skiff`.
fn check_move(from: &TreePath, to: &TreePath) -> Result<bool, StoreError> {
    let same = crate::store::check_move(from, to)?;
    writable_key(from, "the root cannot be moved or copied")?;
    writable_key(to, "the root is a folder")?;
    Ok(same)
}

/// Moves `from` to `to` (blocking): one `rename(2)`; without `overwrite` one
/// `renameat2(RENAME_NOREPLACE)`.
pub fn rename(
    root: &Path,
    from: &TreePath,
    to: &TreePath,
    overwrite: bool,
) -> Result<(), StoreError> {
    if check_move(from, to)? {
        return if overwrite {
            Ok(())
        } else {
            Err(StoreError::Exists)
        };
    }
    let (source_dir, source) = entry_path(root, from)?;
    std::fs::symlink_metadata(&source).map_err(io_error)?;
    let target = prepare_parent(root, to).map_err(from_app)?;
    move_into_place(&source, &target, overwrite)?;
    sync_dir(&source_dir).map_err(from_app)
}

/// Copies `from` to `to` (blocking): the copy is built in a staging place, then
/// renamed to `to` in one step. Symlinks inside the root are copied as what
/// they point to; links leaving the root and symlinked folders are left out.
pub fn copy(
    store: &LocalStore,
    from: &TreePath,
    to: &TreePath,
    overwrite: bool,
) -> Result<(), StoreError> {
    if check_move(from, to)? {
        return if overwrite {
            Ok(())
        } else {
            Err(StoreError::Exists)
        };
    }
    let root = store.root();
    let source = resolve_blocking(root, from).map_err(from_app)?;
    let metadata = std::fs::metadata(&source).map_err(io_error)?;
    let staged = store.staging_path("copy")?;
    let built = if metadata.is_dir() {
        copy_tree(root, &source, &staged)
    } else {
        copy_file(&source, &staged)
    };
    let placed = built.and_then(|()| {
        let target = prepare_parent(root, to).map_err(from_app)?;
        move_into_place(&staged, &target, overwrite)
    });
    if placed.is_err() {
        let _ = if metadata.is_dir() {
            std::fs::remove_dir_all(&staged)
        } else {
            std::fs::remove_file(&staged)
        };
    }
    placed
}

/// Renames `source` onto `target` (blocking). An existing target is `Exists`
/// unless `overwrite`; then a file or an empty folder there is replaced, a
/// folder with children is `NotEmpty`.
fn move_into_place(source: &Path, target: &Path, overwrite: bool) -> Result<(), StoreError> {
    let existing = match std::fs::symlink_metadata(target) {
        Ok(existing) => existing,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return place_new(source, target).map_err(from_app);
        }
        Err(error) => return Err(io_error(error)),
    };
    if !overwrite {
        return Err(StoreError::Exists);
    }
    let source_is_dir = std::fs::symlink_metadata(source)
        .map_err(io_error)?
        .is_dir();
    // rename(2) replaces a file by a file and an empty folder by a folder; the
    // mixed cases need the old entry gone first.
    if existing.is_dir() && !source_is_dir {
        std::fs::remove_dir(target).map_err(io_error)?;
    } else if !existing.is_dir() && source_is_dir {
        std::fs::remove_file(target).map_err(io_error)?;
    }
    place(source, target).map_err(from_app)
}

/// Copies the file at `source` to `target` and fsyncs it (blocking).
fn copy_file(source: &Path, target: &Path) -> Result<(), StoreError> {
    std::fs::copy(source, target).map_err(io_error)?;
    std::fs::File::open(target)
        .and_then(|file| file.sync_all())
        .map_err(io_error)
}

/// Copies folder `source` to a new folder `target`, what listings show of it
/// (blocking; depth-first, fsyncing as it goes).
fn copy_tree(root: &Path, source: &Path, target: &Path) -> Result<(), StoreError> {
    std::fs::create_dir(target).map_err(io_error)?;
    for entry in std::fs::read_dir(source).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let Some((name, metadata)) = visible(root, false, &entry) else {
            continue;
        };
        let into = target.join(&name);
        if metadata.is_dir() {
            if !is_symlink(&entry) {
                copy_tree(root, &entry.path(), &into)?;
            }
        } else {
            copy_file(&entry.path(), &into)?;
        }
    }
    sync_dir(target).map_err(from_app)
}

fn is_symlink(entry: &DirEntry) -> bool {
    entry.file_type().is_ok_and(|kind| kind.is_symlink())
}
