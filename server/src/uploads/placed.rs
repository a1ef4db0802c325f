//! A finished session's file where it landed, seen only through its storage's
//! store (the default storage's as any mounted one's): finishing a completion
//! that a crash cut short after the file was placed, and the background
//! whole-file SHA-256 of a file completed without one.

use std::sync::Arc;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use skiff_protocol::TreePath;
use tokio::runtime::Handle;

use super::body::hex;
use super::buckets::{bucket, Bucket};
use super::complete::record_completed;
use super::session::Uploads;
use super::store::{SessionRecord, Write};
use crate::blocking::blocking;
use crate::disk::place::key_path;
use crate::error::AppError;
use crate::store::{Entry, Store, StoreError};

/// Where a session's file lands: its storage's store, the key in it, and the
/// tree key its id and file record are kept under.
pub struct Landing {
    /// The storage's store.
    pub store: Arc<dyn Store>,
    /// The session's key in that storage.
    pub path: TreePath,
    /// The key in the whole tree (mount + `/` + key; the key itself in the
    /// default storage).
    pub tree_key: String,
}

/// Where `record`'s file lands (404 `unknown_bucket` for a storage that is gone,
/// 503 for one whose store could not be opened).
pub fn landing(uploads: &Uploads, record: &SessionRecord) -> Result<Landing, AppError> {
    let path = key_path(&record.key)?;
    Ok(match bucket(uploads.buckets(), &record.bucket)? {
        Bucket::Default => Landing {
            store: Arc::clone(uploads.default_store()),
            path,
            tree_key: record.key.clone(),
        },
        Bucket::Mounted(mounted) => Landing {
            store: Arc::clone(mounted.store()?),
            tree_key: mounted.tree_key(&record.key),
            path,
        },
    })
}

/// The entry that a completion cut short after its file was placed left at
/// `landing` for `record`: a file of the session's size. `None` if there is
/// none, or the storage cannot say (the session then starts over; whatever
/// was placed stays for the next completion to replace).
pub async fn placed_entry(landing: &Landing, record: &SessionRecord) -> Option<Entry> {
    match landing.store.stat(&landing.path).await {
        Ok(entry) if !entry.is_dir && entry.size == record.size => Some(entry),
        Ok(_) | Err(StoreError::NotFound) => None,
        Err(error) => {
            tracing::warn!(%error, id = record.id, "cannot tell whether a completion placed its file");
            None
        }
    }
}

/// Finishes the bookkeeping of a completion cut short after its file was
/// placed (blocking): the file record with the entry's ETag, the id kept, the
/// session `Completed`.
pub fn finish(
    uploads: &Uploads,
    record: SessionRecord,
    landing: &Landing,
    entry: Entry,
) -> Result<SessionRecord, AppError> {
    tracing::info!(
        id = record.id,
        "finishing a completion cut short by a crash"
    );
    record_completed(uploads, record, &landing.tree_key, Some(entry.etag), true)
}

/// Computes the whole-file SHA-256 of `record`'s placed file in the background,
/// one file at a time, reading it back from its storage, and records it if the
/// file did not change meanwhile.
pub fn hash_later(uploads: &Arc<Uploads>, record: &SessionRecord) {
    let uploads = Arc::clone(uploads);
    let record = record.clone();
    let permits = Arc::clone(&uploads.hashing);
    tokio::spawn(async move {
        let Ok(_permit) = permits.acquire_owned().await else {
            return;
        };
        let key = record.key.clone();
        // Hashing a big file is seconds of CPU: off the async workers.
        let hashed = blocking(move || {
            let runtime = Handle::current();
            runtime.block_on(hash_placed(&uploads, &record))
        })
        .await;
        if let Err(error) = hashed {
            tracing::warn!(%error, key, "background SHA-256 failed");
        }
    });
}

/// Hashes the placed file if its record lacks a SHA-256 and still describes it.
async fn hash_placed(uploads: &Arc<Uploads>, record: &SessionRecord) -> Result<(), AppError> {
    let landing = landing(uploads, record)?;
    let reader = Arc::clone(uploads);
    let key = landing.tree_key.clone();
    let Some(known) = blocking(move || reader.store().file(&key)).await? else {
        return Ok(());
    };
    if known.sha256.is_some() {
        return Ok(());
    }
    let entry = match landing.store.stat(&landing.path).await {
        Ok(entry) if !entry.is_dir && entry.etag == known.etag => entry,
        // Replaced or deleted before its turn came: nothing to record.
        Ok(_) | Err(StoreError::NotFound) => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    // Read only while it is still that file (a local store checks as it opens).
    let mut stream = match landing.store.read_entry(&entry, None).await {
        Ok(stream) => stream,
        Err(StoreError::NotFound | StoreError::Precondition) => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.next().await {
        hasher.update(&chunk?);
    }
    match landing.store.stat(&landing.path).await {
        Ok(now) if now.etag == known.etag => {}
        Ok(_) | Err(StoreError::NotFound) => return Ok(()),
        Err(error) => return Err(error.into()),
    }
    uploads
        .store()
        .commit(vec![Write::FileSha256 {
            key: landing.tree_key,
            etag: known.etag,
            sha256: hex(&hasher.finalize()),
        }])
        .await
}
