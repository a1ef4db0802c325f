//! Raw API tree operations: `move` (a rename: ids and metadata follow) and
//! `copy` (streamed into a temporary entry beside the tree, then renamed into
//! place, so nobody sees a half-made copy; the copy gets new ids).
//!
//! Both refuse an existing target with 412 unless `overwrite=true`, which
//! replaces it (a file over a file atomically; anything else by removing the
//! target first). Every function here blocks inside one `blocking` call.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skiff_protocol::{RawStat, TreePath};

use super::stat_of;
use crate::disk::paths::{find_blocking, resolve_blocking};
use crate::disk::place::{exists, prepare_parent, sync_dir};
use crate::disk::walk::visible;
use crate::error::AppError;
use crate::uploads::{blocking, Uploads};

/// `POST {raw}/move?ref=&to=[&overwrite=true]`: the new stat object.
pub async fn move_entry(
    uploads: &Arc<Uploads>,
    from: TreePath,
    to: TreePath,
    overwrite: bool,
) -> Result<RawStat, AppError> {
    let uploads = Arc::clone(uploads);
    blocking(move || {
        check_places(&from, &to)?;
        let (Some(parent), Some(name)) = (from.parent(), from.name()) else {
            return Err(is_root());
        };
        // The entry itself: a symlink moves as a link.
        let source_dir = resolve_blocking(uploads.root(), &parent)?;
        let source = source_dir.join(name);
        let source_meta = std::fs::symlink_metadata(&source).map_err(AppError::from_fs)?;
        let target = claim_target(&uploads, &to, overwrite, !source_meta.is_dir())?;
        std::fs::rename(&source, &target).map_err(AppError::from_fs)?;
        sync_dir(&source_dir)?;
        if let Some(target_dir) = target.parent() {
            sync_dir(target_dir)?;
        }
        let (from_key, to_key) = (key(&from), key(&to));
        // Ids, metadata and recorded digests of the whole subtree, in one commit.
        uploads.ids().move_tree(&from_key, &to_key)?;
        let found = find_blocking(uploads.root(), to)?;
        stat_of(uploads.ids(), &found)
    })
    .await
}

/// `POST {raw}/copy?ref=&to=[&overwrite=true]`: the copy's stat object.
pub async fn copy_entry(
    uploads: &Arc<Uploads>,
    from: TreePath,
    to: TreePath,
    overwrite: bool,
) -> Result<RawStat, AppError> {
    let uploads = Arc::clone(uploads);
    blocking(move || {
        check_places(&from, &to)?;
        let source = find_blocking(uploads.root(), from)?;
        let temp = uploads.temp_path();
        let copied = copy_into(&uploads, &source.canonical, &temp, source.metadata.is_dir())
            .and_then(|()| claim_target(&uploads, &to, overwrite, source.metadata.is_file()))
            .and_then(|target| {
                std::fs::rename(&temp, &target).map_err(AppError::from_fs)?;
                match target.parent() {
                    Some(dir) => sync_dir(dir),
                    None => Ok(()),
                }
            });
        if let Err(error) = copied {
            remove_any(&temp);
            return Err(error);
        }
        // A copy is a new entry: whatever was recorded at the target is not its.
        uploads.ids().forget_tree(&key(&to))?;
        let found = find_blocking(uploads.root(), to)?;
        stat_of(uploads.ids(), &found)
    })
    .await
}

/// Refuses the root as either end and a folder into itself (409).
fn check_places(from: &TreePath, to: &TreePath) -> Result<(), AppError> {
    if from.is_root() || to.is_root() {
        return Err(is_root());
    }
    if to.starts_with(from) {
        return Err(AppError::Conflict {
            code: "into_itself",
            message: "an entry cannot be moved or copied into itself".to_owned(),
        });
    }
    Ok(())
}

/// Where the entry lands: 412 if taken and not `overwrite`; with `overwrite`, a
/// file replacing a file is left to the atomic rename, anything else taken is
/// removed first (with its ids and metadata). Missing parents are created.
fn claim_target(
    uploads: &Uploads,
    to: &TreePath,
    overwrite: bool,
    incoming_is_file: bool,
) -> Result<PathBuf, AppError> {
    let taken = exists(uploads.root(), to)?;
    if taken && !overwrite {
        return Err(AppError::AlreadyExists);
    }
    let target = prepare_parent(uploads.root(), to)?;
    if taken {
        let current = std::fs::symlink_metadata(&target).map_err(AppError::from_fs)?;
        if current.is_dir() || !incoming_is_file {
            remove_any(&target);
        }
        uploads.ids().forget_tree(&key(to))?;
    }
    Ok(target)
}

/// Copies the file or folder at canonical `source` to the new path `temp`.
fn copy_into(uploads: &Uploads, source: &Path, temp: &Path, is_dir: bool) -> Result<(), AppError> {
    if !is_dir {
        // `std::fs::copy` streams in the kernel (copy_file_range) where it can.
        std::fs::copy(source, temp).map_err(AppError::from_fs)?;
        return std::fs::File::open(temp)
            .and_then(|file| file.sync_all())
            .map_err(AppError::from);
    }
    std::fs::create_dir(temp).map_err(AppError::from)?;
    let is_root = source == uploads.root();
    for entry in std::fs::read_dir(source).map_err(AppError::from_fs)? {
        let Ok(entry) = entry else { continue };
        let Some((name, metadata)) = visible(uploads.root(), is_root, &entry) else {
            continue;
        };
        let is_link = entry.file_type().is_ok_and(|kind| kind.is_symlink());
        if metadata.is_dir() && is_link {
            // A linked folder could lead back up the tree: never followed.
            continue;
        }
        copy_into(uploads, &entry.path(), &temp.join(name), metadata.is_dir())?;
    }
    sync_dir(temp)
}

/// Best-effort removal of a file, link or folder tree we own or replace.
fn remove_any(path: &Path) {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
    if let Err(error) = removed {
        tracing::warn!(%error, path = %path.display(), "cannot remove");
    }
}

fn key(path: &TreePath) -> String {
    path.segments().join("/")
}

fn is_root() -> AppError {
    AppError::Conflict {
        code: "is_root",
        message: "the root cannot be moved, copied onto or replaced".to_owned(),
    }
}
