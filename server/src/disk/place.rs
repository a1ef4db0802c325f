//! Where a written file lands in the tree: upload keys as tree paths, parent
//! folders created on demand without ever leaving the root, and the atomic
//! rename that makes a fully written file visible in one step (or only if
//! nothing is there yet).
//!
//! Every function blocks: call from a blocking thread.

use std::path::{Path, PathBuf};

use skiff_protocol::TreePath;

use super::paths::{check_contained, is_reserved};
use crate::error::AppError;

/// Buffer between a body's frames (or a copy's reads) and the file, so small
/// frames do not each cost a trip to the blocking pool.
pub const WRITE_BUFFER: usize = 256 * 1024;

/// Parses an upload key (a tree path without the leading `/`, not percent-encoded)
/// with the same lexical rules as URL paths; the root and `.skiff` are refused.
pub fn key_path(key: &str) -> Result<TreePath, AppError> {
    let path = TreePath::from_segments(key.split('/'))?;
    if path.is_root() {
        return Err(AppError::BadRequest {
            code: "bad_key",
            message: "the key must name a file".to_owned(),
        });
    }
    if is_reserved(&path) {
        return Err(AppError::Reserved);
    }
    Ok(path)
}

/// The key of `path`: its segments joined with `/`, no leading `/`.
pub fn key_of(path: &TreePath) -> String {
    path.segments().join("/")
}

/// The on-disk path a new file at `path` is renamed to, after creating missing
/// parent folders. Existing parents are followed only if they stay inside the
/// root; a file where a folder should be, or a folder at the target, is 409.
pub fn prepare_target(root: &Path, path: &TreePath) -> Result<PathBuf, AppError> {
    let target = prepare_parent(root, path)?;
    if std::fs::metadata(&target).is_ok_and(|metadata| metadata.is_dir()) {
        let name = path.name().unwrap_or_default();
        return Err(AppError::Conflict {
            code: "target_is_folder",
            message: format!("{name:?} is a folder"),
        });
    }
    Ok(target)
}

/// The on-disk path of `path` (the name itself not followed, so a symlink there
/// is the link), after creating its missing parent folders inside the root.
pub fn prepare_parent(root: &Path, path: &TreePath) -> Result<PathBuf, AppError> {
    let (name, parents) = path.segments().split_last().ok_or(AppError::Reserved)?;
    let mut dir = root.to_path_buf();
    for segment in parents {
        let candidate = dir.join(segment);
        match std::fs::symlink_metadata(&candidate) {
            Ok(_) => {
                let canonical = std::fs::canonicalize(&candidate).map_err(AppError::from_fs)?;
                // A symlinked parent that points into `.skiff` must not become a way in.
                check_contained(root, &canonical).map_err(|error| match error {
                    AppError::NotFound => AppError::Reserved,
                    other => other,
                })?;
                if !canonical.is_dir() {
                    return Err(AppError::Conflict {
                        code: "parent_not_folder",
                        message: format!("{segment:?} is a file, not a folder"),
                    });
                }
                dir = canonical;
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::create_dir(&candidate) {
                    Ok(()) => {}
                    // Another upload created it meanwhile: just as good.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(error) => return Err(AppError::from_fs(error)),
                }
                dir = candidate;
            }
            Err(error) => return Err(AppError::from_fs(error)),
        }
    }
    Ok(dir.join(name))
}

/// Moves the fully written, fsync'd `source` onto `target` in one atomic step
/// (readers see the old file or the new one, never a mix), then fsyncs the
/// folder so the new name survives a crash.
pub fn place(source: &Path, target: &Path) -> Result<(), AppError> {
    std::fs::rename(source, target).map_err(AppError::from_fs)?;
    if let Some(parent) = target.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Makes a folder's entries (created, renamed or removed names) durable.
pub fn sync_dir(dir: &Path) -> Result<(), AppError> {
    std::fs::File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(AppError::from)
}

/// Like [`place`], but never over an existing entry (`If-None-Match: *`): the
/// check before is not enough when two creates of one name race. Linux's
/// `renameat2(RENAME_NOREPLACE)` makes "only if absent" part of the rename;
/// where the filesystem lacks it, the check just before the rename stands.
pub fn place_new(source: &Path, target: &Path) -> Result<(), AppError> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        use rustix::io::Errno;
        match renameat_with(CWD, source, CWD, target, RenameFlags::NOREPLACE) {
            Ok(()) => {
                return match target.parent() {
                    Some(parent) => sync_dir(parent),
                    None => Ok(()),
                };
            }
            Err(Errno::EXIST) => return Err(AppError::AlreadyExists),
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => {}
            Err(error) => return Err(AppError::from_fs(error.into())),
        }
    }
    place(source, target)
}
