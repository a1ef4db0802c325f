//! A sequential session (§2: chunks of any size) into a mounted storage, as
//! tusd's s3store does it: chunks accumulate in a small tail file here; each
//! time the tail holds a whole store part (8 MiB, see `in_store.rs`), the part
//! goes to the store's multipart write, is recorded with its tag, and the tail
//! starts again after it. The last part (short or not) stays in the tail until
//! completion. The acknowledged offset = bytes in the store's parts + bytes in
//! the tail, fsync'd.
//!
//! The tail file is `partial/<id>.t<sent>`, named after the number of parts
//! sent before it, so after a crash the record says which file is the tail:
//! a part's successor tail is written and fsync'd first, then the part, the new
//! offset and the hash state are committed together, then the old tail goes.
//! The whole-file SHA-256 runs as bytes arrive ([`ResumableSha256`]); its state
//! at the last sent part is recorded, so a restart hashes only the tail again.

use std::io::SeekFrom;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, BufWriter};
use tokio::runtime::Handle;
use tokio_util::io::ReaderStream;

use super::body::{copy_body, hex, RequestBody, WRITE_BUFFER};
use super::in_store::store_of;
use super::resumable_sha::ResumableSha256;
use super::session::{now_ms, Live, Uploads};
use super::store::{InStore, SessionRecord, Write};
use crate::blocking::blocking;
use crate::disk::place::{key_path, sync_dir};
use crate::error::AppError;
use crate::store::{ByteStream, MultipartId, PartTag, Store, StoreError};

/// The store part a sequential session's chunks are regrouped into (S3's
/// minimum is 5 MiB).
pub const SEQUENTIAL_PART: u64 = 8 << 20;

/// The tail file of session `id` after `sent` parts.
pub fn tail_path(uploads: &Uploads, id: &str, sent: u64) -> PathBuf {
    uploads.partial_dir.join(tail_name(id, sent))
}

/// The tail file's name.
pub fn tail_name(id: &str, sent: u64) -> String {
    format!("{id}.t{sent}")
}

/// Creates the empty first tail of a new session (blocking).
pub fn create(uploads: &Uploads, id: &str) -> Result<(), AppError> {
    std::fs::File::create(tail_path(uploads, id, 0))?.sync_all()?;
    sync_dir(&uploads.partial_dir)
}

/// Removes the session's tail; gone already is fine (blocking).
pub fn discard(uploads: &Uploads, record: &SessionRecord) -> Result<(), AppError> {
    let Some(in_store) = &record.in_store else {
        return Ok(());
    };
    match std::fs::remove_file(tail_path(uploads, &record.id, in_store.sent)) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
        _ => Ok(()),
    }
}

/// Bytes `[from, to)` of a tail file as a store body; `digest`, if given, sees them.
fn file_stream(
    path: PathBuf,
    from: u64,
    to: u64,
    digest: Option<Arc<Mutex<Sha256>>>,
) -> Result<ByteStream, AppError> {
    let mut file = std::fs::File::open(path)?;
    if file.metadata()?.len() < to {
        return Err(AppError::Io(std::io::Error::other(
            "an upload's tail file is shorter than its recorded bytes",
        )));
    }
    std::io::Seek::seek(&mut file, SeekFrom::Start(from))?;
    let reader = tokio::fs::File::from_std(file).take(to - from);
    let stream = ReaderStream::with_capacity(reader, WRITE_BUFFER).map(move |chunk| {
        let chunk = chunk.map_err(|error| StoreError::Body(error.to_string()))?;
        if let Some(digest) = &digest {
            digest
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .update(&chunk);
        }
        Ok(chunk)
    });
    Ok(Box::pin(stream))
}

/// The whole tail of a finished session as a store body (a file of one part).
pub fn tail_stream(
    uploads: &Uploads,
    record: &SessionRecord,
    in_store: &InStore,
) -> Result<ByteStream, AppError> {
    let base = in_store.sent * in_store.part_size;
    let path = tail_path(uploads, &record.id, in_store.sent);
    file_stream(path, 0, record.size - base, None)
}

/// Sends a finished session's tail as its last part (blocking).
pub fn send_last(
    uploads: &Uploads,
    runtime: &Handle,
    store: &Arc<dyn Store>,
    record: &SessionRecord,
    in_store: &InStore,
    upload: &MultipartId,
) -> Result<PartTag, AppError> {
    let len = record.size - in_store.sent * in_store.part_size;
    let body = tail_stream(uploads, record, in_store)?;
    let path = key_path(&record.key)?;
    Ok(runtime.block_on(store.multipart_put(&path, upload, in_store.sent, len, body))?)
}

/// The limits a chunk is streamed under, and its promised SHA-256.
pub struct ChunkRules {
    /// `max_chunk`.
    pub max_chunk: u64,
    /// `Upload-Checksum`.
    pub checksum: Option<[u8; 32]>,
    /// Refusals for too much data: (past the size, past max_chunk).
    pub refuse: fn(bool) -> AppError,
}

/// Appends a chunk at `record.offset` (checked by the caller, who holds the
/// session exclusively) and sends every part it completes; returns the
/// committed record.
pub async fn append(
    uploads: &Arc<Uploads>,
    live: &mut Live,
    mut record: SessionRecord,
    rules: ChunkRules,
    body: RequestBody,
) -> Result<SessionRecord, AppError> {
    let mut in_store = record
        .in_store
        .clone()
        .ok_or_else(|| AppError::Io(std::io::Error::other("not an in-store session")))?;
    let part = in_store.part_size;
    let base = in_store.sent * part;
    let offset = record.offset;
    let mut whole = hasher(uploads, live, &record, &in_store).await?;
    let path = tail_path(uploads, &record.id, in_store.sent);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .await?;
    // Anything past the durable offset was never acknowledged.
    file.set_len(offset - base).await?;
    file.seek(SeekFrom::Start(offset - base)).await?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
    let remaining = record.size - offset;
    let mut chunk = Sha256::new();
    let mut position = offset;
    let mut checkpoints: Vec<(u64, String)> = Vec::new();
    let copied = copy_body(
        body,
        &mut writer,
        |total| {
            if total > remaining {
                Err((rules.refuse)(true))
            } else if total > rules.max_chunk {
                Err((rules.refuse)(false))
            } else {
                Ok(())
            }
        },
        |mut data| {
            chunk.update(data);
            // Fed up to each part boundary, where the state is written down.
            while !data.is_empty() {
                let to_boundary = part - position % part;
                let take = usize::try_from(to_boundary)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                whole.update(&data[..take]);
                position += take as u64;
                if position % part == 0 {
                    if let Some(state) = whole.checkpoint() {
                        checkpoints.push((position, state));
                    }
                }
                data = &data[take..];
            }
        },
    )
    .await;
    let file = writer.into_inner();
    let cut_back = |error: AppError| async {
        if let Err(truncate) = file.set_len(offset - base).await {
            tracing::warn!(%truncate, "cannot cut a refused chunk back");
        }
        error
    };
    let copied = match copied {
        Ok(copied) => copied,
        Err(error) => return Err(cut_back(error).await),
    };
    if rules
        .checksum
        .is_some_and(|expected| expected != <[u8; 32]>::from(chunk.finalize()))
    {
        let error = AppError::ChecksumMismatch {
            code: "chunk_checksum_mismatch",
            message: "the chunk's SHA-256 does not match Upload-Checksum".to_owned(),
        };
        return Err(cut_back(error).await);
    }
    file.sync_data().await?;
    let new_offset = offset + copied;
    // Parts that end inside what we now hold, except the file's last part.
    let full = (new_offset / part).min(record.size.saturating_sub(1) / part);
    let mut writes = Vec::new();
    let sends = full > in_store.sent;
    if sends {
        match send_parts(uploads, &mut record, &mut in_store, full, new_offset).await {
            Ok(parts) => writes.extend(parts),
            Err(error) => return Err(cut_back(error).await),
        }
        in_store.sha_state = checkpoints
            .iter()
            .find(|(at, _)| *at == full * part)
            .map(|(_, state)| state.clone());
        in_store.sent = full;
    }
    record.offset = new_offset;
    record.touched_ms = now_ms();
    if record.offset == record.size {
        record.digest = Some(hex(&whole.finish()));
    }
    record.in_store = Some(in_store.clone());
    writes.insert(0, Write::Session(record.clone()));
    if let Err(error) = uploads.store().commit(writes).await {
        if sends {
            let _ = tokio::fs::remove_file(tail_path(uploads, &record.id, full)).await;
        }
        return Err(cut_back(error).await);
    }
    drop(file);
    if sends {
        // The parts and the new tail are recorded: the old tail is history.
        if let Err(error) = tokio::fs::remove_file(&path).await {
            tracing::warn!(%error, "cannot remove a sent tail");
        }
    }
    live.resumable = Some((record.offset, whole));
    Ok(record)
}

/// Sends parts `sent + 1 ..= full` from the tail to the store (starting the
/// multipart write if this is the first), then writes the bytes after them
/// into the next tail file; the part writes to commit.
async fn send_parts(
    uploads: &Arc<Uploads>,
    record: &mut SessionRecord,
    in_store: &mut InStore,
    full: u64,
    new_offset: u64,
) -> Result<Vec<Write>, AppError> {
    let (_, store) = store_of(uploads, record)?;
    let key = key_path(&record.key)?;
    let part = in_store.part_size;
    let base = in_store.sent * part;
    let upload = match &in_store.upload {
        Some(upload) => upload.clone(),
        None => {
            let upload = store.multipart_create(&key, part).await?;
            // Recorded before any part goes, so abort and expiry can find it.
            in_store.upload = Some(upload.clone());
            record.in_store = Some(in_store.clone());
            uploads
                .store()
                .commit(vec![Write::Session(record.clone())])
                .await?;
            upload
        }
    };
    let path = tail_path(uploads, &record.id, in_store.sent);
    let mut writes = Vec::new();
    for n in in_store.sent + 1..=full {
        let digest = Arc::new(Mutex::new(Sha256::new()));
        let from = (n - 1) * part - base;
        let body = file_stream(path.clone(), from, from + part, Some(Arc::clone(&digest)))?;
        let tag = store
            .multipart_put(&key, &upload, n - 1, part, body)
            .await?;
        let digest = std::mem::take(&mut *digest.lock().unwrap_or_else(PoisonError::into_inner));
        writes.push(Write::Part {
            id: record.id.clone(),
            n,
            digest: digest.finalize().into(),
            tag: tag.tag,
            touched_ms: now_ms(),
        });
    }
    let next = tail_path(uploads, &record.id, full);
    let (from, to) = (full * part - base, new_offset - base);
    let dir = uploads.partial_dir.clone();
    blocking(move || {
        let mut source = std::fs::File::open(&path)?;
        std::io::Seek::seek(&mut source, SeekFrom::Start(from))?;
        let mut target = std::fs::File::create(&next)?;
        std::io::copy(&mut std::io::Read::take(source, to - from), &mut target)?;
        target.sync_all()?;
        sync_dir(&dir)
    })
    .await?;
    Ok(writes)
}

/// The whole-file hasher at the durable offset: the one in memory, or one
/// resumed from the recorded state with the tail hashed again (after a restart).
async fn hasher(
    uploads: &Arc<Uploads>,
    live: &mut Live,
    record: &SessionRecord,
    in_store: &InStore,
) -> Result<ResumableSha256, AppError> {
    if let Some((hashed, hasher)) = &live.resumable {
        if *hashed == record.offset {
            return Ok(hasher.clone());
        }
    }
    let mut hasher = match (&in_store.sha_state, in_store.sent) {
        (_, 0) => ResumableSha256::default(),
        (Some(state), _) => ResumableSha256::resume(state)
            .ok_or_else(|| AppError::Io(std::io::Error::other("a bad recorded hash state")))?,
        (None, _) => {
            return Err(AppError::Io(std::io::Error::other(
                "an upload's recorded hash state is missing",
            )))
        }
    };
    let path = tail_path(uploads, &record.id, in_store.sent);
    let length = record.offset - in_store.sent * in_store.part_size;
    let hasher = blocking(move || {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?.take(length);
        let mut buffer = vec![0; WRITE_BUFFER];
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        Ok(hasher)
    })
    .await?;
    live.resumable = Some((record.offset, hasher.clone()));
    Ok(hasher)
}

/// A sequential in-store session at startup (blocking): its tail cut back to,
/// or its offset lowered to, what the tail file durably holds; true if the
/// record changed.
pub fn reconcile(uploads: &Uploads, record: &mut SessionRecord) -> Result<bool, AppError> {
    let Some(in_store) = &record.in_store else {
        return Ok(false);
    };
    let base = in_store.sent * in_store.part_size;
    let path = tail_path(uploads, &record.id, in_store.sent);
    let expected = record.offset - base;
    match std::fs::metadata(&path) {
        Ok(metadata) if metadata.len() > expected => {
            tracing::info!(id = record.id, "dropping an unacknowledged chunk tail");
            let file = std::fs::OpenOptions::new().write(true).open(&path)?;
            file.set_len(expected)?;
            file.sync_all()?;
            Ok(false)
        }
        Ok(metadata) if metadata.len() < expected => {
            tracing::warn!(id = record.id, "tail file shorter than its offset");
            record.offset = base + metadata.len();
            record.digest = None;
            Ok(true)
        }
        Ok(_) => Ok(false),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(
                id = record.id,
                "tail file lost; the session resumes after its parts"
            );
            std::fs::File::create(&path)?.sync_all()?;
            record.offset = base;
            record.digest = None;
            Ok(true)
        }
        Err(error) => Err(error.into()),
    }
}
