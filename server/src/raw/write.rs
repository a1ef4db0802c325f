//! Raw API writes: `PUT data` (the tree's streamed, digest-verified whole-file
//! write, answering with the stat object and `Repr-Digest`), `DELETE data` (recursive only when asked), `mkdir`.

use std::sync::Arc;

use skiff_protocol::{RawStat, TreePath};

use super::stat_of;
use crate::disk::paths::{find_blocking, resolve_blocking, Found};
use crate::disk::place::{prepare_parent, sync_dir};
use crate::error::AppError;
use crate::uploads::tree_write::{remove_entry, write_whole, WholeWrite, Written};
use crate::uploads::{blocking, Uploads};

/// `PUT {raw}/data?ref=`: what the write did, and the stat object.
pub async fn put(
    uploads: &Arc<Uploads>,
    path: TreePath,
    write: WholeWrite,
) -> Result<(Written, RawStat), AppError> {
    let written = write_whole(uploads, path.clone(), write).await?;
    let uploads = Arc::clone(uploads);
    let metadata = written.metadata.clone();
    let stat = blocking(move || {
        let canonical = resolve_blocking(uploads.root(), &path)?;
        let found = Found {
            path,
            canonical,
            metadata,
        };
        stat_of(uploads.ids(), &found)
    })
    .await?;
    Ok((written, stat))
}

/// `DELETE {raw}/data?ref=[&recursive=true]`; a non-empty folder without
/// `recursive` is 409 `not_empty`, the root is 409 `is_root`.
pub async fn delete(
    uploads: &Arc<Uploads>,
    path: TreePath,
    recursive: bool,
) -> Result<(), AppError> {
    let uploads = Arc::clone(uploads);
    blocking(move || {
        match remove_entry(&uploads, &path, true) {
            Err(AppError::Conflict {
                code: "not_empty", ..
            }) if recursive => {}
            other => return other,
        }
        // Only a real folder (not a symlink to one) gets here: remove_entry
        // removes links themselves.
        let parent = path.parent().unwrap_or_else(TreePath::root);
        let dir = resolve_blocking(uploads.root(), &parent)?;
        let entry = dir.join(path.name().unwrap_or_default());
        // `remove_dir_all` does not follow symlinks inside the folder.
        std::fs::remove_dir_all(&entry).map_err(AppError::from_fs)?;
        sync_dir(&dir)?;
        uploads.ids().forget_tree(&path.segments().join("/"))
    })
    .await
}

/// `POST {raw}/mkdir?ref=`: the new folder's stat object; parents are created; an
/// existing entry is 409 `exists`.
pub async fn mkdir(uploads: &Arc<Uploads>, path: TreePath) -> Result<RawStat, AppError> {
    if path.is_root() {
        return Err(exists());
    }
    let uploads = Arc::clone(uploads);
    blocking(move || {
        let target = prepare_parent(uploads.root(), &path)?;
        std::fs::create_dir(&target).map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => exists(),
            _ => AppError::from_fs(error),
        })?;
        if let Some(parent) = target.parent() {
            sync_dir(parent)?;
        }
        // Whatever an earlier entry at this path left in the store is not ours.
        let key = path.segments().join("/");
        uploads.ids().forget_tree(&key)?;
        let found = find_blocking(uploads.root(), path)?;
        stat_of(uploads.ids(), &found)
    })
    .await
}

fn exists() -> AppError {
    AppError::Conflict {
        code: "exists",
        message: "something already exists at that path".to_owned(),
    }
}
