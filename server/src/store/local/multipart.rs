//! Multipart writes on a local tree: one sparse staging file per write under
//! `ROOT/.skiff/store/`, part `index` written at `index * part_size` (so parts
//! arrive in any order, and a part sent again overwrites itself), completed by
//! fixing the length, fsyncing, and renaming into place under a [`PutMode`].
//!
//! The [`MultipartId`] is the staging file's name and carries the part size
//! (`mp-<uuid>-<part_size>`), so a restarted server needs nothing else to go on.

use std::io::SeekFrom;
use std::path::PathBuf;

use futures_util::StreamExt;
use skiff_protocol::TreePath;
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use super::write::{place_file, writable_key};
use super::{io_error, LocalStore};
use crate::disk::place::sync_dir;
use crate::disk::place::WRITE_BUFFER;
use crate::store::{ByteStream, Entry, MultipartId, PartTag, PutMode, StoreError};

/// Where a multipart write's bytes wait, and its part size.
struct Staged {
    path: PathBuf,
    part_size: u64,
}

/// Reads an id back; anything not of our making is unknown (never a path).
fn staged(store: &LocalStore, id: &MultipartId) -> Result<Staged, StoreError> {
    let parsed = id.0.strip_prefix("mp-").and_then(|rest| {
        let (uuid, part_size) = rest.split_once('-')?;
        let well_formed = uuid.len() == 32 && uuid.bytes().all(|b| b.is_ascii_hexdigit());
        well_formed.then_some(())?;
        part_size.parse::<u64>().ok().filter(|size| *size > 0)
    });
    let part_size = parsed.ok_or(StoreError::NotFound)?;
    Ok(Staged {
        path: store.staging_dir()?.join(&id.0),
        part_size,
    })
}

/// Starts a write to `key` in parts of `part_size` bytes (blocking).
pub fn create(
    store: &LocalStore,
    key: &TreePath,
    part_size: u64,
) -> Result<MultipartId, StoreError> {
    writable_key(key, "the root is a folder")?;
    if part_size == 0 {
        return Err(StoreError::WrongKind(
            "the part size must be at least one byte",
        ));
    }
    let id = MultipartId(format!("mp-{}-{part_size}", uuid::Uuid::new_v4().simple()));
    let path = staged(store, &id)?.path;
    let file = std::fs::File::create(&path).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    if let Some(dir) = path.parent() {
        sync_dir(dir).map_err(super::from_app)?;
    }
    Ok(id)
}

/// Writes part `index` (exactly `len` bytes of `body`) at its place and makes it
/// durable; its tag is its length.
pub async fn put(
    store: &LocalStore,
    id: &MultipartId,
    index: u64,
    len: u64,
    mut body: ByteStream,
) -> Result<PartTag, StoreError> {
    let staged = staged(store, id)?;
    if len > staged.part_size {
        return Err(StoreError::Body(format!(
            "a part is at most {} bytes",
            staged.part_size
        )));
    }
    let start = index
        .checked_mul(staged.part_size)
        .ok_or(StoreError::Body("the part index is too large".to_owned()))?;
    // A handle of its own: other parts write elsewhere in the file meanwhile.
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(&staged.path)
        .await
        .map_err(io_error)?;
    file.seek(SeekFrom::Start(start)).await.map_err(io_error)?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut total: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        total = total.saturating_add(chunk.len() as u64);
        if total > len {
            return Err(StoreError::Body(format!(
                "the part is longer than {len} bytes"
            )));
        }
        writer.write_all(&chunk).await.map_err(io_error)?;
    }
    if total != len {
        return Err(StoreError::Body(format!(
            "the part ended after {total} of its {len} bytes"
        )));
    }
    writer.flush().await.map_err(io_error)?;
    writer.into_inner().sync_data().await.map_err(io_error)?;
    Ok(PartTag {
        index,
        tag: len.to_string(),
    })
}

/// Joins the parts into file `key` under `mode` (blocking): the file gets the
/// parts' total length, is fsynced, and renamed into place.
pub fn complete(
    store: &LocalStore,
    key: &TreePath,
    id: &MultipartId,
    parts: &[PartTag],
    mode: &PutMode,
) -> Result<Entry, StoreError> {
    let staged = staged(store, id)?;
    let total = total_length(parts, staged.part_size)?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&staged.path)
        .map_err(io_error)?;
    file.set_len(total).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    drop(file);
    place_file(store.root(), key, &staged.path, mode)
}

/// The file's length from its parts: indices 0..n in order, every part but the
/// last exactly `part_size` bytes.
fn total_length(parts: &[PartTag], part_size: u64) -> Result<u64, StoreError> {
    let mut total: u64 = 0;
    for (position, part) in parts.iter().enumerate() {
        let len: u64 = part
            .tag
            .parse()
            .map_err(|_| StoreError::Body(format!("part {} has a foreign tag", part.index)))?;
        let is_last = position + 1 == parts.len();
        if part.index != position as u64 || len > part_size || (!is_last && len != part_size) {
            return Err(StoreError::Body(format!(
                "part {} is out of order or of the wrong size",
                part.index
            )));
        }
        total += len;
    }
    Ok(total)
}

/// Drops the write's staging file; gone already is fine (blocking).
pub fn abort(store: &LocalStore, id: &MultipartId) -> Result<(), StoreError> {
    let staged = staged(store, id)?;
    match std::fs::remove_file(&staged.path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(error)),
    }
}
