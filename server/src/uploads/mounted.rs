//! Completing a staged session whose bucket is a mounted storage (§2, §5): a
//! parts session that announced the whole file's SHA-256 at create (most go
//! straight into the store instead, `in_store.rs`), or one created before that.
//!
//! The session's bytes staged on this server's disk exactly as for the default
//! bucket (partial file, parts, digests, group commit, recovery), so the SHA-256
//! is checked before anything is placed. Completion places the finished partial
//! file under `PutMode::Create` when the session was created with
//! `If-None-Match: *` (otherwise `Overwrite`), then records the session
//! completed: renamed in where the store can adopt it (a local folder on this
//! file system, `Store::adopt`), as the default storage's files are; otherwise
//! streamed in with one `Store::put` (one S3 multipart upload), then the partial
//! file dropped.
//!
//! A crash between the placing and the record: a renamed-in file left the
//! session open without its partial file, which startup recovery finishes
//! exactly as for the default storage (`placed.rs`: the store holds a file of
//! the session's size at its key). A streamed one left its bytes on disk: the
//! client's repeated completion repeats the put (for `Create`, a file already
//! there with the session's size and SHA-256 counts as placed).

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use skiff_protocol::TreePath;
use tokio::io::AsyncReadExt;
use tokio::runtime::Handle;
use tokio_util::io::ReaderStream;

use super::body::{hex, WRITE_BUFFER};
use super::buckets::MountedBucket;
use super::complete::record_completed;
use super::partial::PartialBytes;
use super::session::Uploads;
use super::store::SessionRecord;
use crate::disk::place::key_path;
use crate::error::AppError;
use crate::store::{ByteStream, Entry, PutMode, Store, StoreError};

/// Places the finished session's file in `mounted` and records it completed
/// (blocking: runs on a blocking thread inside the runtime). The caller holds
/// the session exclusively.
pub fn place(
    uploads: &Uploads,
    mounted: &MountedBucket,
    mut record: SessionRecord,
) -> Result<SessionRecord, AppError> {
    let store = Arc::clone(mounted.store()?);
    let path = key_path(&record.key)?;
    let runtime = Handle::current();
    let replaced = target_state(&runtime, &store, &path)?;
    let mode = if record.create_only {
        PutMode::Create
    } else {
        PutMode::Overwrite
    };
    let entry = match put_partial(uploads, &runtime, &store, &path, &mut record, mode, true) {
        Ok(entry) => entry,
        Err(StoreError::Exists) if record.create_only => {
            placed_before(uploads, &runtime, &store, &path, &mut record)?
        }
        Err(error) => return Err(error.into()),
    };
    let tree_key = mounted.tree_key(&record.key);
    let record = record_completed(uploads, record, &tree_key, Some(entry.etag), replaced)?;
    uploads.partial.discard(&record.id)?;
    Ok(record)
}

/// Places the finished session's partial file at `path` in `store` under
/// `mode` (blocking): with `adopt`, renamed in when the store can take it that
/// way ([`Store::adopt`]); otherwise streamed in with [`Store::put`], its
/// SHA-256 computed on the way (`record.digest` filled in if it was unknown).
/// The partial file stays if it was streamed: the caller drops it once the
/// session is recorded completed.
pub fn put_partial(
    uploads: &Uploads,
    runtime: &Handle,
    store: &Arc<dyn Store>,
    path: &TreePath,
    record: &mut SessionRecord,
    mode: PutMode,
    adopt: bool,
) -> Result<Entry, StoreError> {
    if adopt {
        let staged = uploads.partial_path(&record.id);
        match runtime.block_on(store.adopt(&staged, path, mode.clone())) {
            Err(StoreError::Unsupported) => {}
            adopted => return adopted,
        }
    }
    let hasher = Arc::new(Mutex::new(Sha256::new()));
    let body = partial_stream(uploads, record, Arc::clone(&hasher))
        .map_err(|error| StoreError::Unavailable(error.to_string()))?;
    let entry = runtime.block_on(store.put(path, mode, body))?;
    let hasher = std::mem::take(&mut *hasher.lock().unwrap_or_else(PoisonError::into_inner));
    let sha256 = hex(&hasher.finalize());
    if record.digest.as_ref().is_some_and(|known| *known != sha256) {
        // The staged bytes changed on disk after they were acknowledged.
        tracing::error!(id = record.id, "a partial file no longer has its digest");
    }
    record.digest.get_or_insert(sha256);
    Ok(entry)
}

/// Whether a file is at `path` already (it will be replaced); a folder there is
/// 409 `target_is_folder` (blocking).
pub fn target_state(
    runtime: &Handle,
    store: &Arc<dyn Store>,
    path: &TreePath,
) -> Result<bool, AppError> {
    match runtime.block_on(store.stat(path)) {
        Ok(entry) if entry.is_dir => Err(AppError::Conflict {
            code: "target_is_folder",
            message: format!("{:?} is a folder", path.name().unwrap_or_default()),
        }),
        Ok(_) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// The partial file's `size` bytes as a store body, hashed as they pass.
fn partial_stream(
    uploads: &Uploads,
    record: &SessionRecord,
    hasher: Arc<Mutex<Sha256>>,
) -> Result<ByteStream, AppError> {
    let file = std::fs::File::open(uploads.partial_path(&record.id))?;
    if file.metadata()?.len() < record.size {
        return Err(AppError::Io(std::io::Error::other(
            "a finished session's partial file is shorter than its size",
        )));
    }
    let reader = tokio::fs::File::from_std(file).take(record.size);
    let stream = ReaderStream::with_capacity(reader, WRITE_BUFFER).map(move |chunk| {
        let chunk = chunk.map_err(|error| StoreError::Body(error.to_string()))?;
        hasher
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .update(&chunk);
        Ok(chunk)
    });
    Ok(Box::pin(stream))
}

/// `Create` met a file: it counts as this session's own earlier put (a crash or
/// a lost answer after the store took it) only if it has the session's size and
/// SHA-256; anything else is 412.
fn placed_before(
    uploads: &Uploads,
    runtime: &Handle,
    store: &Arc<dyn Store>,
    path: &TreePath,
    record: &mut SessionRecord,
) -> Result<Entry, AppError> {
    let entry = runtime.block_on(store.stat(path))?;
    if entry.is_dir || entry.size != record.size {
        return Err(AppError::AlreadyExists);
    }
    let sha256 = match &record.digest {
        Some(known) => known.clone(),
        None => hex(&uploads.partial.hash(&record.id, record.size)?),
    };
    let stored = runtime.block_on(async {
        let mut stream = store.read(path, None).await?;
        let mut hasher = Sha256::new();
        while let Some(chunk) = stream.next().await {
            hasher.update(&chunk?);
        }
        Ok::<_, StoreError>(hex(&hasher.finalize()))
    })?;
    if stored != sha256 {
        return Err(AppError::AlreadyExists);
    }
    record.digest = Some(sha256);
    Ok(entry)
}
