//! Whole-file writes and removals on the default storage's disk, as the raw API
//! (`crate::raw`) still makes them: the body streamed to a temporary file beside
//! the tree, its `Content-Digest` verified, and renamed into place (201 created,
//! 200 replaced); a file, or a folder only when it is empty (else 409), removed.
//! The tree's own `PUT P` / `DELETE P` go through the store (`crate::tree::write`).

use std::sync::Arc;

use sha2::{Digest, Sha256};
use skiff_protocol::TreePath;
use tokio::io::BufWriter;

use super::body::{copy_body, hex, verify, RequestBody, WRITE_BUFFER};
use super::session::{now_ms, Uploads};
use super::store::FileRecord;
use crate::blocking::blocking;
use crate::catalog::checksums::record_rows;
use crate::catalog::group_commit::WrittenFile;
use crate::catalog::ids::Known;
use crate::disk::entry::{etag, mime_for_name};
use crate::disk::paths::resolve_blocking;
use crate::disk::place::{exists, key_of, place, place_new, prepare_target, sync_dir};
use crate::disk::space::ensure_room;
use crate::error::AppError;

/// What a whole-file write did.
#[derive(Debug)]
pub struct Written {
    /// Whether it replaced a file.
    pub existed: bool,
    /// The new file's metadata.
    pub metadata: std::fs::Metadata,
    /// Lowercase hex SHA-256 of what was stored.
    pub sha256: String,
}

/// A whole-file write as the request gave it.
pub struct WholeWrite {
    /// `If-Match`'s ETags, if the header was sent.
    pub if_match: Option<Vec<String>>,
    /// `If-None-Match: *`: create only.
    pub if_none_match: bool,
    /// The SHA-256 `Content-Digest` promised, if any.
    pub promised: Option<[u8; 32]>,
    /// The announced length (`Content-Length`), if any.
    pub announced: Option<u64>,
    /// The bytes.
    pub body: RequestBody,
}

/// 409 `target_is_folder` for the root: checked before any header is read.
pub fn refuse_root(path: &TreePath) -> Result<(), AppError> {
    if path.is_root() {
        return Err(AppError::Conflict {
            code: "target_is_folder",
            message: "the root is a folder".to_owned(),
        });
    }
    Ok(())
}

/// A whole-file write (§2.2). `If-None-Match: *` → 412 if something is there;
/// `If-Match` → 412 unless the current file has one of the listed ETags (both
/// checked before the body is read and again at the rename); a `Content-Digest`
/// is verified before the file is placed (460, nothing changes); a
/// `Content-Length` that cannot fit on the disk is 507 before any byte is read.
pub async fn write_whole(
    uploads: &Arc<Uploads>,
    path: TreePath,
    write: WholeWrite,
) -> Result<Written, AppError> {
    refuse_root(&path)?;
    let WholeWrite {
        if_match,
        if_none_match,
        promised,
        announced,
        body,
    } = write;
    let max_size = uploads.max_size;
    let too_large = || AppError::TooLarge {
        code: "file_too_large",
        message: "the body is over this server's size limit".to_owned(),
    };
    if announced.is_some_and(|length| length > max_size) {
        return Err(too_large());
    }
    let checked = Arc::clone(uploads);
    let probe = path.clone();
    // Refuse early (before reading the body) what would be refused anyway.
    let guard = if_match.clone();
    blocking(move || {
        if exists(checked.root(), &probe)? && if_none_match {
            return Err(AppError::AlreadyExists);
        }
        check_if_match(checked.root(), &probe, guard.as_deref())?;
        // The temporary file is where the bytes land first.
        match announced {
            Some(length) => ensure_room(&checked.partial_dir, length),
            None => Ok(()),
        }
    })
    .await?;

    let temp = uploads.temp_path();
    let file = tokio::fs::File::create(&temp)
        .await
        .map_err(AppError::from)?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut hasher = Sha256::new();
    let copied = copy_body(
        body,
        &mut writer,
        |total| {
            if total > max_size {
                Err(too_large())
            } else {
                Ok(())
            }
        },
        |data| hasher.update(data),
    )
    .await;
    let file = writer.into_inner();
    let written = match copied {
        Ok(_) => file.sync_data().await.map_err(AppError::from),
        Err(error) => Err(error),
    };
    drop(file);
    let digest = hasher.finalize();
    // A body that is not what its sender hashed never reaches the tree.
    let written = written.and_then(|()| verify(promised, &digest));
    let sha256 = hex(&digest);
    let leftover = temp.clone();
    let uploads = Arc::clone(uploads);
    let placed = blocking(move || {
        written?;
        let target = prepare_target(uploads.root(), &path)?;
        let existed = target.symlink_metadata().is_ok();
        if existed && if_none_match {
            return Err(AppError::AlreadyExists);
        }
        check_if_match(uploads.root(), &path, if_match.as_deref())?;
        if if_none_match {
            place_new(&temp, &target)?;
        } else {
            place(&temp, &target)?;
        }
        let metadata = std::fs::metadata(&target).map_err(AppError::from_fs)?;
        let record = FileRecord {
            etag: etag(&metadata),
            sha256: Some(sha256.clone()),
            id: String::new(),
            mime_type: mime_for_name(path.name().unwrap_or_default()),
            created_at: i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX),
            content_hash: None,
            part_size: None,
        };
        record_written(&uploads, &key_of(&path), existed, record)?;
        Ok(Written {
            existed,
            metadata,
            sha256,
        })
    })
    .await;
    match placed {
        Ok(placed) => Ok(placed),
        Err(error) => {
            // The temporary file is ours alone: never leave it behind (after a
            // successful rename it is already gone, and this finds nothing).
            let _ = tokio::fs::remove_file(&leftover).await;
            Err(error)
        }
    }
}

/// Records a file just placed at `key` — its id (kept if it `replaced` a
/// file, else new) and its file record — in ONE write transaction shared with
/// the other writes in flight (group commit), so a small-file `PUT` costs a
/// share of one commit, not three commits of its own (blocking). Returns its
/// id and `_format` once durable.
fn record_written(
    uploads: &Uploads,
    key: &str,
    replaced: bool,
    record: FileRecord,
) -> Result<Known, AppError> {
    uploads.ids().commit_written(WrittenFile {
        key: key.to_owned(),
        replaced,
        extra: record_rows(key.to_owned(), record),
    })
}

/// 412 unless the entry at `path` matches `If-Match` (strong comparison; `*`
/// means "exists"). No header, no condition (blocking).
pub fn check_if_match(
    root: &std::path::Path,
    path: &TreePath,
    if_match: Option<&[String]>,
) -> Result<(), AppError> {
    let Some(tags) = if_match else {
        return Ok(());
    };
    let current = match resolve_blocking(root, path) {
        Ok(canonical) => std::fs::metadata(canonical).ok().map(|m| etag(&m)),
        Err(AppError::NotFound) => None,
        Err(error) => return Err(error),
    };
    let matches =
        current.is_some_and(|current| tags.iter().any(|tag| tag == "*" || *tag == current));
    if matches {
        Ok(())
    } else {
        Err(AppError::PreconditionFailed)
    }
}

/// Removes the entry at `path` itself (a symlink, not its target), and what the
/// store knew about it (blocking). Folders only with `folders`, and only empty.
pub fn remove_entry(uploads: &Uploads, path: &TreePath, folders: bool) -> Result<(), AppError> {
    let (Some(parent), Some(name)) = (path.parent(), path.name()) else {
        return Err(AppError::Conflict {
            code: "is_root",
            message: "the root cannot be deleted".to_owned(),
        });
    };
    let dir = resolve_blocking(uploads.root(), &parent)?;
    let entry = dir.join(name);
    let metadata = std::fs::symlink_metadata(&entry).map_err(AppError::from_fs)?;
    if metadata.is_dir() {
        if !folders {
            return Err(AppError::NotFound);
        }
        std::fs::remove_dir(&entry).map_err(|error| match error.kind() {
            std::io::ErrorKind::DirectoryNotEmpty => AppError::Conflict {
                code: "not_empty",
                message: "the folder is not empty".to_owned(),
            },
            _ => AppError::from_fs(error),
        })?;
    } else {
        std::fs::remove_file(&entry).map_err(AppError::from_fs)?;
    }
    sync_dir(&dir)?;
    // Its id, metadata and recorded digest die with it: a new file at this path
    // starts afresh.
    uploads.ids().forget_tree(&key_of(path))
}
