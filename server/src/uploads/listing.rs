//! The bucket side of §2: `GET {uploads}` (the buckets), `GET {uploads}/{bucket}`
//! (every file of the tree, recursively, by key in byte order, paginated), and
//! `GET`/`DELETE {uploads}/{bucket}/{key}` (one file object).
//!
//! The default bucket is served by `mounted_listing.rs` through the default
//! storage's store, as every storage is; this file has what all buckets share
//! (the bucket list, paging).

use std::sync::Arc;

use skiff_protocol::{Bucket, BucketList, FileList, FileObject, TreePath, DEFAULT_BUCKET};

use super::buckets::MountedBucket;
use super::mounted_listing;
use super::session::Uploads;
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

/// The default storage as a bucket: the mount with the empty name, so it is
/// listed, read and written through its store like every other storage.
fn default_bucket(uploads: &Uploads) -> MountedBucket {
    MountedBucket {
        store: Ok(Arc::clone(uploads.default_store())),
        mount: String::new(),
        writable: true,
    }
}

/// `GET {uploads}/default?after=&limit=`.
pub async fn files(uploads: &Arc<Uploads>, query: Option<&str>) -> Result<FileList, AppError> {
    let bucket = default_bucket(uploads);
    mounted_listing::files(uploads, DEFAULT_BUCKET, &bucket, query).await
}

/// `GET {uploads}/default/{key}`.
pub async fn file(uploads: &Arc<Uploads>, path: TreePath) -> Result<FileObject, AppError> {
    let bucket = default_bucket(uploads);
    mounted_listing::file(uploads, DEFAULT_BUCKET, &bucket, path).await
}

/// `DELETE {uploads}/default/{key}`: 200 with the object as it was.
pub async fn delete_file(uploads: &Arc<Uploads>, path: TreePath) -> Result<FileObject, AppError> {
    let bucket = default_bucket(uploads);
    mounted_listing::delete_file(uploads, DEFAULT_BUCKET, &bucket, path).await
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
