//! The bucket side of §2: `GET {uploads}` (the buckets), `GET {uploads}/{bucket}`
//! (every file of the tree, recursively, by key in byte order, paginated), and
//! `GET`/`DELETE {uploads}/{bucket}/{key}` (one file object).
//!
//! The listing walks the tree (`crate::disk::walk`) on a blocking thread each time:
//! simple, always current, and fine for trees of some 100,000 files.

use std::fs::Metadata;
use std::ops::ControlFlow;
use std::sync::Arc;

use skiff_protocol::{Bucket, BucketList, FileList, FileObject, TreePath, DEFAULT_BUCKET};

use super::session::Uploads;
use crate::blocking::blocking;
use crate::disk::entry::{etag, mime_for_name, modified};
use crate::disk::paths::resolve_blocking;
use crate::disk::place::key_of;
use crate::disk::walk::Walked;
use crate::error::AppError;

/// Page size when `limit` is not given, and the largest one accepted.
const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

/// `GET {uploads}`: one bucket per storage, the default (the served tree) first.
pub fn buckets(uploads: &Uploads) -> BucketList {
    BucketList {
        data: uploads
            .buckets()
            .names()
            .into_iter()
            .map(|name| Bucket { name })
            .collect(),
    }
}

/// `GET {uploads}/default?after=&limit=`.
pub async fn files(uploads: &Arc<Uploads>, query: Option<&str>) -> Result<FileList, AppError> {
    let (after, limit) = page_query(query)?;
    let uploads = Arc::clone(uploads);
    let page = blocking(move || {
        // The walk yields keys in byte order already.
        let mut keys = Vec::new();
        let _ = crate::disk::walk::files(uploads.root(), |walked| {
            if let Walked::File { key } = walked {
                // A local folder under a mount's name is hidden by the mount (§5).
                let top = key.split('/').next().unwrap_or_default();
                if !uploads.buckets().is_mount(top) {
                    keys.push(key);
                }
            }
            ControlFlow::Continue(())
        });
        let start = after.map_or(0, |after| keys.partition_point(|key| *key <= after));
        let end = start.saturating_add(limit).min(keys.len());
        let mut data = Vec::with_capacity(end - start);
        // One store transaction for the page's ids.
        let ids = uploads.ids().ids_for(&keys[start..end])?;
        for (key, id) in keys[start..end].iter().zip(ids) {
            let path = TreePath::from_segments(key.split('/'))?;
            // A file removed since the walk is simply left out of the page.
            if let Ok(object) = file_object(&uploads, &path, Some(id)) {
                data.push(object);
            }
        }
        let next = (end < keys.len()).then(|| keys[end - 1].clone());
        Ok(FileList { data, next })
    })
    .await?;
    Ok(page)
}

/// `GET {uploads}/default/{key}`.
pub async fn file(uploads: &Arc<Uploads>, path: TreePath) -> Result<FileObject, AppError> {
    let uploads = Arc::clone(uploads);
    let object = blocking(move || file_object(&uploads, &path, None)).await?;
    Ok(object)
}

/// `DELETE {uploads}/default/{key}`: 200 with the object as it was.
pub async fn delete_file(uploads: &Arc<Uploads>, path: TreePath) -> Result<FileObject, AppError> {
    let uploads = Arc::clone(uploads);
    let object = blocking(move || {
        let object = file_object(&uploads, &path, None)?;
        super::tree_write::remove_entry(&uploads, &path, false)?;
        Ok(object)
    })
    .await?;
    Ok(object)
}

/// The file object of the regular file at `path` (blocking); folders are 404.
/// `id` is its stable id if the caller already looked it up.
pub fn file_object(
    uploads: &Uploads,
    path: &TreePath,
    id: Option<String>,
) -> Result<FileObject, AppError> {
    let canonical = resolve_blocking(uploads.root(), path)?;
    let metadata = std::fs::metadata(&canonical).map_err(AppError::from_fs)?;
    if !metadata.is_file() {
        return Err(AppError::NotFound);
    }
    let key = key_of(path);
    // Only now that it surely exists may the entry get an id.
    let id = match id {
        Some(id) => id,
        None => uploads.ids().id_for(&key)?,
    };
    let store = uploads.store();
    let name = path.name().unwrap_or_default();
    let known = store
        .file(&key)?
        .filter(|known| known.etag == etag(&metadata));
    Ok(match known {
        Some(known) => FileObject {
            key,
            bucket: DEFAULT_BUCKET.to_owned(),
            mime_type: known.mime_type,
            bytes: metadata.len(),
            created_at: known.created_at,
            id,
            sha256: known.sha256,
            content_hash: known.content_hash,
            part_size: known.part_size,
        },
        None => FileObject {
            key,
            bucket: DEFAULT_BUCKET.to_owned(),
            mime_type: mime_for_name(name),
            bytes: metadata.len(),
            created_at: unix_seconds(&metadata),
            id,
            sha256: None,
            content_hash: None,
            part_size: None,
        },
    })
}

/// `after` and `limit` from the query string (form-encoded values).
pub(super) fn page_query(query: Option<&str>) -> Result<(Option<String>, usize), AppError> {
    let mut after = None;
    let mut limit = DEFAULT_LIMIT;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = form_decode(value)?;
        match name {
            "after" => after = Some(value),
            "limit" => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                    .ok_or_else(|| AppError::BadRequest {
                        code: "bad_limit",
                        message: format!("limit must be an integer from 1 to {MAX_LIMIT}"),
                    })?;
            }
            _ => {}
        }
    }
    Ok((after, limit))
}

/// Decodes a form value: `+` is a space, then percent escapes (PROTOCOL.md general rules).
fn form_decode(value: &str) -> Result<String, AppError> {
    Ok(skiff_protocol::decode_segment(&value.replace('+', " "))?)
}

fn unix_seconds(metadata: &Metadata) -> i64 {
    time::OffsetDateTime::from(modified(metadata)).unix_timestamp()
}
