//! `POST {uploads}/session:{id}`: appending one chunk, and completing the upload
//! when the last byte arrives (PROTOCOL.md §2).
//!
//! Order of durability: the chunk is streamed to the partial file past the
//! durable offset, checked, fsync'd, and only then is the new offset committed to
//! the store and reported. Any failure before the commit cuts the file back to
//! the durable offset, so a refused or interrupted chunk leaves no trace. A
//! session into a mounted storage keeps only a tail here and sends whole parts
//! on to the storage (`in_store_tail.rs`), in the same order.

use std::io::SeekFrom;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use skiff_protocol::{FileObject, UploadSession};
use tokio::io::{AsyncSeekExt, BufWriter};

use super::body::{copy_body, hex, RequestBody, WRITE_BUFFER};
use super::complete::{completed, place_session};
use super::in_store_tail::{self, ChunkRules};
use super::session::{now_ms, session_object, Live, Uploads};
use super::store::{SessionRecord, SessionState, Write};
use crate::blocking::blocking;
use crate::error::AppError;

/// One chunk of a sequential session, as the request gave it.
pub struct Chunk {
    /// Where the client says the chunk starts (`Upload-Offset`).
    pub offset: u64,
    /// The chunk's promised SHA-256 (`Upload-Checksum`), if any.
    pub checksum: Option<[u8; 32]>,
    /// The announced length (`Content-Length`), if any.
    pub announced: Option<u64>,
    /// The bytes.
    pub body: RequestBody,
}

/// What an append answers (200 either way): the session while bytes are
/// missing, the file object once the last byte placed the file.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Appended {
    /// The session as it now stands.
    Session(Box<UploadSession>),
    /// The completed file.
    File(Box<FileObject>),
}

/// Appends `chunk` to session `id`.
pub async fn append(uploads: &Arc<Uploads>, id: &str, chunk: Chunk) -> Result<Appended, AppError> {
    let Chunk {
        offset,
        checksum,
        announced,
        body,
    } = chunk;
    if let Some(shared) = uploads.shared() {
        let chunk = Chunk {
            offset,
            checksum,
            announced,
            body,
        };
        return super::shared::append(uploads, shared, id, chunk).await;
    }
    if announced.is_some_and(|length| length > uploads.max_chunk) {
        return Err(chunk_too_large());
    }
    // Held to the end: appends to one session run one at a time.
    let (mut live, mut record) = uploads.lock(id).await?;
    if record.part_size.is_some() {
        return Err(AppError::SessionConflict {
            code: "not_sequential",
            message: "this session takes parts (PUT {url}/parts/{n}), not sequential chunks"
                .to_owned(),
            session: Box::new(session_object(&record, None)),
        });
    }
    match record.state {
        SessionState::Open => {}
        SessionState::Failed => return Err(sha256_mismatch()),
        // A retried last chunk whose answer was lost: report the outcome again.
        SessionState::Completed { created_at } if offset == record.size && announced == Some(0) => {
            return Ok(Appended::File(Box::new(completed(&record, created_at))));
        }
        SessionState::Completed { .. } => return Err(offset_mismatch(&record)),
    }
    if offset != record.offset {
        return Err(offset_mismatch(&record));
    }
    let remaining = record.size - record.offset;
    if announced.is_some_and(|length| length > remaining) {
        return Err(past_size());
    }
    if record.in_store.is_some() {
        // Regrouped into the storage's parts (`in_store_tail.rs`).
        let rules = ChunkRules {
            max_chunk: uploads.max_chunk,
            checksum,
            refuse: |past| if past { past_size() } else { chunk_too_large() },
        };
        let record = in_store_tail::append(uploads, &mut live, record, rules, body).await?;
        if record.offset < record.size {
            return Ok(Appended::Session(Box::new(session_object(&record, None))));
        }
        let file = complete(uploads, record).await?;
        return Ok(Appended::File(Box::new(file)));
    }
    let hasher = whole_file_hasher(uploads, &mut live, &record).await?;
    let partial = uploads.partial_path(&record.id);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(&partial)
        .await
        .map_err(AppError::from)?;
    // Anything past the durable offset was never acknowledged.
    file.set_len(offset).await.map_err(AppError::from)?;
    file.seek(SeekFrom::Start(offset))
        .await
        .map_err(AppError::from)?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut whole = hasher.clone();
    let mut chunk = Sha256::new();
    let max_chunk = uploads.max_chunk;
    let copied = copy_body(
        body,
        &mut writer,
        |total| {
            if total > remaining {
                Err(past_size())
            } else if total > max_chunk {
                Err(chunk_too_large())
            } else {
                Ok(())
            }
        },
        |data| {
            whole.update(data);
            chunk.update(data);
        },
    )
    .await;
    let file = writer.into_inner();
    let discard = |error: AppError| async {
        if let Err(truncate) = file.set_len(offset).await {
            tracing::warn!(%truncate, "cannot cut a refused chunk back");
        }
        error
    };
    let copied = match copied {
        Ok(copied) => copied,
        Err(error) => return Err(discard(error).await),
    };
    if checksum.is_some_and(|expected| expected != <[u8; 32]>::from(chunk.finalize())) {
        return Err(discard(AppError::ChecksumMismatch {
            code: "chunk_checksum_mismatch",
            message: "the chunk's SHA-256 does not match Upload-Checksum".to_owned(),
        })
        .await);
    }
    file.sync_data().await.map_err(AppError::from)?;
    drop(file);

    record.offset = offset + copied;
    record.touched_ms = now_ms();
    if record.offset == record.size {
        record.digest = Some(hex(&whole.clone().finalize()));
    }
    uploads
        .store()
        .commit(vec![Write::Session(record.clone())])
        .await?;
    live.hasher = Some((record.offset, whole));
    if record.offset < record.size {
        return Ok(Appended::Session(Box::new(session_object(&record, None))));
    }
    let file = complete(uploads, record).await?;
    Ok(Appended::File(Box::new(file)))
}

/// The hasher covering exactly the durable prefix: the one kept in memory, or
/// (after a restart) one rebuilt by reading that prefix back.
async fn whole_file_hasher(
    uploads: &Arc<Uploads>,
    live: &mut Live,
    record: &SessionRecord,
) -> Result<Sha256, AppError> {
    if let Some((hashed, hasher)) = &live.hasher {
        if *hashed == record.offset {
            return Ok(hasher.clone());
        }
    }
    let partial = uploads.partial_path(&record.id);
    let length = record.offset;
    let hasher = blocking(move || {
        use std::io::Read;
        let file = std::fs::File::open(partial)?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file.take(length), &mut hasher)?;
        Ok(hasher)
    })
    .await?;
    live.hasher = Some((length, hasher.clone()));
    Ok(hasher)
}

/// All bytes are in: check the whole-file SHA-256, then move the file into place.
async fn complete(
    uploads: &Arc<Uploads>,
    mut record: SessionRecord,
) -> Result<FileObject, AppError> {
    let digest = record.digest.clone().unwrap_or_default();
    if record
        .expected_sha256
        .as_ref()
        .is_some_and(|expected| *expected != digest)
    {
        record.state = SessionState::Failed;
        uploads.store().commit(vec![Write::Session(record)]).await?;
        return Err(sha256_mismatch());
    }
    let placer = Arc::clone(uploads);
    let record = blocking(move || place_session(&placer, record)).await?;
    let SessionState::Completed { created_at } = record.state else {
        return Err(AppError::Io(std::io::Error::other(
            "placed but not completed",
        )));
    };
    Ok(completed(&record, created_at))
}

fn offset_mismatch(record: &SessionRecord) -> AppError {
    AppError::OffsetMismatch(Box::new(session_object(record, None)))
}

fn past_size() -> AppError {
    AppError::BadRequest {
        code: "past_size",
        message: "the chunk goes past the session's size".to_owned(),
    }
}

fn chunk_too_large() -> AppError {
    AppError::TooLarge {
        code: "chunk_too_large",
        message: "the chunk is larger than max_chunk".to_owned(),
    }
}

fn sha256_mismatch() -> AppError {
    AppError::ChecksumMismatch {
        code: "sha256_mismatch",
        message: "the file's SHA-256 does not match; abort the session".to_owned(),
    }
}
