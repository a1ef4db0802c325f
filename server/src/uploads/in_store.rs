//! Sessions whose bytes go straight into their mounted storage (§2, §2.1, §5):
//! the storage's own multipart write (`Store::multipart_*`: S3 multipart upload,
//! or a local store's staging file), with the session records here.
//!
//! - A parts session starts the multipart write at create; part `n` streams into
//!   store part `n` (`in_store_parts.rs`: checked against its digest headers on
//!   the way, so a mismatch never reaches the store), and is acknowledged once
//!   the store took it and its tag and SHA-256 are committed (group commit).
//! - A sequential session regroups its chunks into store parts (`in_store_tail.rs`).
//! - Completion joins the recorded parts under the session's `PutMode`; abort
//!   and expiry drop the multipart write.
//!
//! A parts session that announces the whole file's `sha256` at create still
//! stages its bytes here (`mounted.rs`): the SHA-256 must be checked before
//! the file is placed, and an unfinished multipart write cannot be read back.

use std::sync::Arc;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use skiff_protocol::{part_count, StorageKind, TreePath};
use tokio::runtime::Handle;

use super::body::hex;
use super::buckets::{bucket, Bucket, MountedBucket};
use super::complete::record_completed;
use super::in_store_tail::{self as tail, SEQUENTIAL_PART};
use super::session::Uploads;
use super::store::{InStore, SessionRecord, SessionState};
use crate::disk::place::key_path;
use crate::error::AppError;
use crate::store::{Entry, PartTag, PutMode, Store, StoreError};

/// S3's smallest part but the last: an S3 storage's `min_part`.
pub const S3_MIN_PART: u64 = 5 << 20;
/// S3's most parts in one multipart upload.
pub const S3_MAX_PARTS: u64 = 10_000;
/// S3's largest object.
pub const S3_MAX_OBJECT: u64 = 5 << 40;

/// The in-store plan of a new session into `mounted`, or `None` when it stages
/// here; refuses what the storage cannot hold (S3's limits). Nothing is sent.
pub fn plan(
    mounted: &MountedBucket,
    size: u64,
    part_size: Option<u64>,
    announces_sha256: bool,
) -> Result<Option<InStore>, AppError> {
    let store = Arc::clone(mounted.store()?);
    let s3 = store.kind() == StorageKind::S3;
    if s3 && size > S3_MAX_OBJECT {
        return Err(AppError::TooLarge {
            code: "file_too_large",
            message: format!("size {size} is over the 5 TiB an S3 object can hold"),
        });
    }
    let Some(part_size) = part_size else {
        return Ok(Some(InStore {
            upload: None,
            part_size: sequential_part(size),
            sent: 0,
            sha_state: None,
        }));
    };
    if s3 && part_size < S3_MIN_PART {
        return Err(AppError::BadRequest {
            code: "bad_part_size",
            message: format!(
                "this storage is S3: part_size must be at least {S3_MIN_PART} (5 MiB)"
            ),
        });
    }
    if s3 && part_count(size, part_size) > S3_MAX_PARTS {
        return Err(AppError::BadRequest {
            code: "bad_part_size",
            message: format!(
                "this storage is S3, which takes at most {S3_MAX_PARTS} parts: part_size must be at least {}",
                size.div_ceil(S3_MAX_PARTS)
            ),
        });
    }
    if announces_sha256 {
        return Ok(None);
    }
    Ok(Some(InStore {
        upload: None,
        part_size,
        sent: 0,
        sha_state: None,
    }))
}

/// Bytes a new session needs on this server's disk: an S3 session only its
/// tail (a parts session none); a local storage is taken to be on this
/// server's disks, so its whole size, as for a staged session.
pub fn room_needed(
    mounted: &MountedBucket,
    plan: Option<&InStore>,
    size: u64,
    max_chunk: u64,
    parts: bool,
) -> Result<u64, AppError> {
    let s3 = mounted.store()?.kind() == StorageKind::S3;
    Ok(match plan {
        Some(_) if s3 && parts => 0,
        Some(plan) if s3 => size.min(plan.part_size.saturating_add(max_chunk)),
        _ => size,
    })
}

/// Starts a parts session's multipart write (blocking); a sequential one
/// starts it with its first full part.
pub fn start(
    mounted: &MountedBucket,
    path: &TreePath,
    plan: &mut InStore,
    parts: bool,
) -> Result<(), AppError> {
    if parts {
        let store = Arc::clone(mounted.store()?);
        let upload = Handle::current().block_on(store.multipart_create(path, plan.part_size))?;
        plan.upload = Some(upload);
    }
    Ok(())
}

/// The store part size of a sequential session of `size` bytes: 8 MiB, or the
/// whole file when smaller, or bigger parts (whole MiB) where 10,000 would not
/// hold it.
pub(super) fn sequential_part(size: u64) -> u64 {
    const MIB: u64 = 1 << 20;
    let fitting = size.div_ceil(S3_MAX_PARTS).div_ceil(MIB) * MIB;
    SEQUENTIAL_PART.max(fitting).min(size.max(1))
}

/// The session's storage and its store.
pub fn store_of(
    uploads: &Uploads,
    record: &SessionRecord,
) -> Result<(MountedBucket, Arc<dyn Store>), AppError> {
    match bucket(uploads.buckets(), &record.bucket)? {
        Bucket::Mounted(mounted) => {
            let store = Arc::clone(mounted.store()?);
            Ok((mounted, store))
        }
        Bucket::Default => Err(AppError::Io(std::io::Error::other(
            "a default-storage session marked as going into a store",
        ))),
    }
}

/// Places the finished session's file in its storage (blocking; the caller
/// holds the session exclusively): the recorded parts joined (a sequential
/// session's tail sent first as the last part, or put whole when it is the only
/// one), then the session recorded completed and its tail dropped.
///
/// A crash or an outage after the store placed the file but before it was
/// recorded leaves the session open; the repeated completion finds the
/// multipart write gone (or, for `If-None-Match: *`, the file there) and
/// counts the file as placed if it holds the session's bytes.
pub fn place(uploads: &Uploads, record: SessionRecord) -> Result<SessionRecord, AppError> {
    let (mounted, store) = store_of(uploads, &record)?;
    let in_store = record
        .in_store
        .clone()
        .ok_or_else(|| AppError::Io(std::io::Error::other("not an in-store session")))?;
    let path = key_path(&record.key)?;
    let runtime = Handle::current();
    let replaced = super::mounted::target_state(&runtime, &store, &path)?;
    let mode = if record.create_only {
        PutMode::Create
    } else {
        PutMode::Overwrite
    };
    let placed = match &in_store.upload {
        None => {
            let body = tail::tail_stream(uploads, &record, &in_store)?;
            runtime.block_on(store.put(&path, mode, body))
        }
        Some(upload) => {
            let mut tags: Vec<PartTag> = uploads
                .store()
                .tagged_parts(&record.id)?
                .into_iter()
                .map(|(n, _, tag)| PartTag { index: n - 1, tag })
                .collect();
            if record.part_size.is_none() {
                let last = tail::send_last(uploads, &runtime, &store, &record, &in_store, upload)?;
                tags.push(last);
            }
            runtime.block_on(store.multipart_complete(&path, upload, tags, mode))
        }
    };
    let entry = match placed {
        Ok(entry) => entry,
        Err(StoreError::Exists) if record.create_only => {
            placed_before(&runtime, &store, &path, &record)?
        }
        Err(StoreError::NotFound) if in_store.upload.is_some() => {
            placed_before(&runtime, &store, &path, &record)?
        }
        Err(error) => return Err(error.into()),
    };
    let tree_key = mounted.tree_key(&record.key);
    let record = record_completed(uploads, record, &tree_key, Some(entry.etag), replaced)?;
    tail::discard(uploads, &record)?;
    Ok(record)
}

/// The file at `path` counts as this session's own earlier placement only if
/// it holds the session's bytes: its size, and its SHA-256 (sequential) or
/// content hash (parts) read back from the store; anything else is 412.
fn placed_before(
    runtime: &Handle,
    store: &Arc<dyn Store>,
    path: &TreePath,
    record: &SessionRecord,
) -> Result<Entry, AppError> {
    let entry = match runtime.block_on(store.stat(path)) {
        Ok(entry) => entry,
        Err(StoreError::NotFound) => {
            return Err(AppError::Unavailable(
                "the storage lost this upload's parts; abort it and upload again".to_owned(),
            ))
        }
        Err(error) => return Err(error.into()),
    };
    if entry.is_dir || entry.size != record.size {
        return Err(AppError::AlreadyExists);
    }
    let part_size = record.part_size.unwrap_or(record.size.max(1));
    let (sha256, content_hash) = runtime.block_on(stored_digests(store, path, part_size))?;
    let same = match (&record.digest, &record.content_hash) {
        (Some(digest), _) => *digest == sha256,
        (None, Some(hash)) => *hash == content_hash,
        (None, None) => false,
    };
    if same {
        Ok(entry)
    } else {
        Err(AppError::AlreadyExists)
    }
}

/// The SHA-256 and the §2.1 content hash (in parts of `part_size`) of the file
/// at `path`, read once from the store.
pub async fn stored_digests(
    store: &Arc<dyn Store>,
    path: &TreePath,
    part_size: u64,
) -> Result<(String, String), StoreError> {
    let mut stream = store.read(path, None).await?;
    let mut whole = Sha256::new();
    let mut part = Sha256::new();
    let mut in_part = 0u64;
    let mut over_parts = Sha256::new();
    let mut parts = 0u64;
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk?;
        whole.update(&chunk);
        while !chunk.is_empty() {
            let take = usize::try_from(part_size - in_part)
                .unwrap_or(usize::MAX)
                .min(chunk.len());
            let piece = chunk.split_to(take);
            part.update(&piece);
            in_part += take as u64;
            if in_part == part_size {
                over_parts.update(std::mem::take(&mut part).finalize());
                in_part = 0;
                parts += 1;
            }
        }
    }
    // The last, shorter part; or the one empty part of an empty file.
    if in_part > 0 || parts == 0 {
        over_parts.update(part.finalize());
    }
    Ok((hex(&whole.finalize()), hex(&over_parts.finalize())))
}

/// Whether dropping the session means asking its storage to drop a multipart write.
pub fn holds_store_upload(record: &SessionRecord) -> bool {
    record
        .in_store
        .as_ref()
        .is_some_and(|in_store| in_store.upload.is_some())
        && matches!(record.state, SessionState::Open | SessionState::Failed)
}

/// Drops what the session holds in its storage and here (blocking): the
/// multipart write of an unfinished session, and a sequential session's tail.
/// A storage that cannot be reached keeps the session (503): nothing leaks.
pub fn release(uploads: &Uploads, record: &SessionRecord) -> Result<(), AppError> {
    let Some(in_store) = &record.in_store else {
        return Ok(());
    };
    if let (Some(upload), true) = (&in_store.upload, holds_store_upload(record)) {
        match bucket(uploads.buckets(), &record.bucket) {
            Ok(Bucket::Mounted(mounted)) => {
                let store = Arc::clone(mounted.store()?);
                let path = key_path(&record.key)?;
                Handle::current().block_on(store.multipart_abort(&path, upload))?;
            }
            // The storage was removed: its backend is no longer ours to clean.
            Ok(Bucket::Default) | Err(AppError::UnknownBucket(_)) => {}
            Err(error) => return Err(error),
        }
    }
    tail::discard(uploads, record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_parts_are_8_mib_or_the_file_or_what_10000_parts_need() {
        const MIB: u64 = 1 << 20;
        assert_eq!(sequential_part(0), 1);
        assert_eq!(sequential_part(10), 10);
        assert_eq!(sequential_part(100 * MIB), 8 * MIB);
        assert_eq!(sequential_part(200_000 * MIB), 20 * MIB);
        assert!(part_count(S3_MAX_OBJECT, sequential_part(S3_MAX_OBJECT)) <= S3_MAX_PARTS);
    }
}
