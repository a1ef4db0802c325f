//! Sequential sessions (§2) of an `s3://` root, shared by every instance like
//! the parts sessions of `shared/mod.rs`: each chunk may land on any instance.
//!
//! The chunks are regrouped into S3 parts of the session's `part_size` (8 MiB,
//! or more for a huge file: `in_store::sequential_part`). The bytes after the
//! last part sent (the tail) are records too, `tails/ID/NAME`, one per chunk,
//! so any instance can take the next chunk: when the tail and a chunk make a
//! whole part, the tail is read back and the part sent to S3. The whole-file
//! SHA-256 is carried across parts as a resumable state (`resumable_sha.rs`),
//! so a file announced with `sha256` is checked before it is placed.
//!
//! An append is acknowledged once its bytes are in S3 (a part, or a tail
//! record) and the session's record names them, written with `If-Match` on the
//! record the append read: two instances taking a chunk at the same offset
//! cannot both win, and the loser answers 409 with the session (§2's offset
//! mismatch), its tail record removed. The chunk that reaches `size` completes
//! the upload (`open → completing → completed`, as a parts session's complete).

use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use skiff_protocol::{TreePath, UploadCreate, UploadSession, SESSION_PREFIX, UPLOADS_PATH};

use super::super::append::{Appended, Chunk};
use super::super::body::hex;
use super::super::in_store::sequential_part;
use super::super::resumable_sha::ResumableSha256;
use super::super::session::{now_ms, Uploads};
use super::{
    completing, damaged, file_object, record_new, state_error, Phase, Shared, SharedSession,
    COMPLETING_STALE,
};
use crate::blocking::blocking;
use crate::bucket_state::Version;
use crate::disk::place::key_of;
use crate::error::AppError;
use crate::store::{PartTag, PutMode, StoreError};

/// Bytes into S3: a whole part sent, the tail records, the last chunk's finish.
mod into_s3;
pub(super) use into_s3::drop_tails;
use into_s3::{finish, read_tail, send, write_tail};

/// Where a sequential session stands, beside its record's other fields.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Sequential {
    /// Bytes acknowledged: in S3 parts, then in the tail records.
    pub offset: u64,
    /// The ETags of the S3 parts sent, in order (part i + 1).
    pub etags: Vec<String>,
    /// The whole-file SHA-256 state after the parts sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha_state: Option<String>,
    /// The tail records' names (`tails/ID/NAME`), in order.
    pub tail: Vec<String>,
    /// The whole-file SHA-256 the client announced, lowercase hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_sha256: Option<String>,
    /// The whole-file SHA-256, once every byte is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The last append, Unix milliseconds (expiry).
    pub touched_ms: u64,
}

fn tails_dir(id: &str) -> String {
    format!("tails/{id}")
}

fn tail_key(id: &str, name: &str) -> String {
    format!("tails/{id}/{name}")
}

/// The session object of a sequential session.
pub(super) fn object(session: &SharedSession, sequential: &Sequential) -> UploadSession {
    UploadSession {
        id: session.id.clone(),
        url: format!("{UPLOADS_PATH}/{SESSION_PREFIX}{}", session.id),
        offset: if matches!(session.phase, Phase::Completed { .. }) {
            session.size
        } else {
            sequential.offset
        },
        size: session.size,
        part_size: None,
        parts: None,
        error: None,
    }
}

/// Where a new sequential session's bytes go.
pub(in crate::uploads::shared) struct Destination {
    /// The file's key inside its storage.
    pub path: TreePath,
    /// The mounted storage (`None`: the default storage).
    pub bucket: Option<String>,
    /// That storage's store.
    pub store: Arc<dyn crate::store::Store>,
}

/// `POST {uploads}` without `part_size` on an `s3://` root.
pub(super) async fn create(
    shared: &Shared,
    request: UploadCreate,
    destination: Destination,
    if_none_match: bool,
) -> Result<UploadSession, AppError> {
    let Destination {
        path,
        bucket,
        store,
    } = destination;
    let expected_sha256 = request
        .sha256
        .as_deref()
        .map(super::super::create::parse_sha256)
        .transpose()?;
    if if_none_match {
        match store.stat(&path).await {
            Ok(_) => return Err(AppError::AlreadyExists),
            Err(StoreError::NotFound) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let part_size = sequential_part(request.size);
    let upload = store.multipart_create(&path, part_size).await?;
    let session = SharedSession {
        id: uuid::Uuid::new_v4().simple().to_string(),
        key: key_of(&path),
        mime_type: request.mime_type,
        size: request.size,
        part_size,
        upload,
        create_only: if_none_match,
        bucket,
        created_ms: now_ms(),
        phase: Phase::Open,
        sequential: Some(Sequential {
            expected_sha256,
            touched_ms: now_ms(),
            ..Sequential::default()
        }),
    };
    record_new(shared, &*store, &path, &session).await?;
    let Some(sequential) = &session.sequential else {
        return Err(damaged(&session.id));
    };
    Ok(object(&session, sequential))
}

fn offset_mismatch(session: &SharedSession, sequential: &Sequential) -> AppError {
    AppError::OffsetMismatch(Box::new(object(session, sequential)))
}

fn past_size() -> AppError {
    AppError::BadRequest {
        code: "past_size",
        message: "the chunk goes past the session's size".to_owned(),
    }
}

fn sha256_mismatch() -> AppError {
    AppError::ChecksumMismatch {
        code: "sha256_mismatch",
        message: "the file's SHA-256 does not match; abort the session".to_owned(),
    }
}

/// `POST {url}` of a sequential session on an `s3://` root.
pub(super) async fn append(
    uploads: &Arc<Uploads>,
    shared: &Shared,
    mut session: SharedSession,
    version: Version,
    chunk: Chunk,
) -> Result<Appended, AppError> {
    let Some(mut sequential) = session.sequential.clone() else {
        return Err(damaged(&session.id));
    };
    let Chunk {
        offset,
        checksum,
        announced,
        mut body,
    } = chunk;
    if announced.is_some_and(|length| length > uploads.max_chunk) {
        return Err(AppError::TooLarge {
            code: "chunk_too_large",
            message: "the chunk is larger than max_chunk".to_owned(),
        });
    }
    match &session.phase {
        Phase::Open => {}
        Phase::Failed => return Err(sha256_mismatch()),
        // A retried last chunk whose answer was lost: the outcome again (an
        // empty body often comes without a `Content-Length`).
        Phase::Completed { .. } if offset == session.size && announced.unwrap_or(0) == 0 => {
            let file = file_object(&session).ok_or_else(|| damaged(&session.id))?;
            return Ok(Appended::File(Box::new(file)));
        }
        Phase::Completed { .. } => return Err(offset_mismatch(&session, &sequential)),
        Phase::Completing { since_ms } => {
            let stale = u64::try_from(COMPLETING_STALE.as_millis()).unwrap_or(u64::MAX);
            if now_ms().saturating_sub(*since_ms) < stale {
                return Err(completing(&session));
            }
        }
    }
    if offset != sequential.offset {
        return Err(offset_mismatch(&session, &sequential));
    }
    let remaining = session.size - sequential.offset;
    if announced.is_some_and(|length| length > remaining) {
        return Err(past_size());
    }
    if announced.is_none_or(|length| length >= remaining) {
        // A chunk that may complete the file: nothing lands in a folder a job
        // is moving or deleting (409 `job_running`).
        let target = session.target(uploads)?;
        crate::jobs::refuse_busy(&shared.state, &[&target.tree_key]).await?;
    }
    if remaining == 0 && sequential.sha256.is_some() {
        // Every byte is in S3 already: a completion that failed (the storage
        // was down) or whose instance died is tried again, by one request.
        session.phase = Phase::Completing { since_ms: now_ms() };
        let version = match shared.replace(&session, &version).await {
            Ok(version) => version,
            Err(StoreError::Precondition | StoreError::Exists) => {
                return Err(completing(&session));
            }
            Err(error) => return Err(error.into()),
        };
        return finish(uploads, shared, session, version, sequential).await;
    }
    // The chunk, whole (at most max_chunk), checked before anything is written.
    let mut data = Vec::new();
    while let Some(frame) = body.next().await {
        let frame = frame.map_err(|error| AppError::BadRequest {
            code: "body_interrupted",
            message: format!("the request body could not be read: {error}"),
        })?;
        let total = data.len() as u64 + frame.len() as u64;
        if total > remaining {
            return Err(past_size());
        }
        if total > uploads.max_chunk {
            return Err(AppError::TooLarge {
                code: "chunk_too_large",
                message: "the chunk is larger than max_chunk".to_owned(),
            });
        }
        data.extend_from_slice(&frame);
    }
    if checksum.is_some_and(|expected| expected != <[u8; 32]>::from(Sha256::digest(&data))) {
        return Err(AppError::ChecksumMismatch {
            code: "chunk_checksum_mismatch",
            message: "the chunk's SHA-256 does not match Upload-Checksum".to_owned(),
        });
    }
    let new_offset = offset + data.len() as u64;
    let last = new_offset == session.size;
    let part_size = session.part_size;
    let sent = (sequential.etags.len() as u64).saturating_mul(part_size);
    let tail_len = offset.saturating_sub(sent);
    let path = crate::disk::place::key_path(&session.key)?;
    let store = session.target(uploads)?.store;
    let consumed = sequential.tail.clone();
    let mut written_tail = None;
    if tail_len + data.len() as u64 >= part_size || last {
        // Whole parts (and, at the end, the last one) go to S3 now.
        let mut pending = read_tail(shared, &session.id, &sequential.tail).await?;
        if pending.len() as u64 != tail_len {
            return Err(damaged(&tail_key(&session.id, "…")));
        }
        pending.extend_from_slice(&data);
        let mut hasher = match &sequential.sha_state {
            Some(state) => ResumableSha256::resume(state).ok_or_else(|| damaged(&session.id))?,
            None => ResumableSha256::default(),
        };
        let size = usize::try_from(part_size).map_err(|_| damaged(&session.id))?;
        let mut start = 0;
        while pending.len() - start >= size && !(last && pending.len() - start == 0) {
            let part = &pending[start..start + size];
            start += size;
            hasher.update(part);
            let etag = send(&*store, &path, &session, sequential.etags.len(), part).await?;
            sequential.etags.push(etag);
        }
        let rest = &pending[start..];
        if last {
            if !rest.is_empty() || sequential.etags.is_empty() {
                hasher.update(rest);
                let etag = send(&*store, &path, &session, sequential.etags.len(), rest).await?;
                sequential.etags.push(etag);
            }
            sequential.sha256 = Some(hex(&hasher.finish()));
            sequential.tail = Vec::new();
        } else {
            sequential.sha_state = Some(
                hasher
                    .checkpoint()
                    .ok_or_else(|| damaged("a part size that is not whole SHA-256 blocks"))?,
            );
            sequential.tail = Vec::new();
            if !rest.is_empty() {
                let name = write_tail(shared, &session.id, new_offset, rest).await?;
                sequential.tail.push(name.clone());
                written_tail = Some(name);
            }
        }
    } else if !data.is_empty() {
        let name = write_tail(shared, &session.id, new_offset, &data).await?;
        sequential.tail.push(name.clone());
        written_tail = Some(name);
    }
    sequential.offset = new_offset;
    sequential.touched_ms = now_ms();
    let mismatch = last
        && sequential
            .expected_sha256
            .as_ref()
            .is_some_and(|expected| Some(expected) != sequential.sha256.as_ref());
    session.phase = if mismatch {
        Phase::Failed
    } else if last {
        Phase::Completing { since_ms: now_ms() }
    } else {
        Phase::Open
    };
    session.sequential = Some(sequential.clone());
    let version = match shared.replace(&session, &version).await {
        Ok(version) => version,
        Err(StoreError::Precondition | StoreError::Exists) => {
            // Another instance took a chunk at this offset first: ours is not kept.
            if let Some(name) = written_tail {
                if let Err(error) = shared.state.remove(&tail_key(&session.id, &name)).await {
                    tracing::warn!(%error, "cannot remove the tail record of a chunk not kept");
                }
            }
            let (current, _) = shared.session(&session.id).await?;
            let now = current.sequential.clone().unwrap_or_default();
            return Err(offset_mismatch(&current, &now));
        }
        Err(error) => return Err(error.into()),
    };
    if consumed != sequential.tail {
        for name in consumed
            .iter()
            .filter(|name| !sequential.tail.contains(name))
        {
            if let Err(error) = shared.state.remove(&tail_key(&session.id, name)).await {
                tracing::warn!(%error, "cannot remove a consumed tail record");
            }
        }
    }
    if mismatch {
        return Err(sha256_mismatch());
    }
    if !last {
        return Ok(Appended::Session(Box::new(object(&session, &sequential))));
    }
    finish(uploads, shared, session, version, sequential).await
}
