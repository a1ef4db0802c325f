//! Completing an upload: `POST {url}/complete` of a parts session (PROTOCOL.md
//! §2.1), and moving any finished session's file into place (also used by
//! sequential appends and by startup recovery).
//!
//! Order for parts: the content hash (from the recorded part digests, never
//! from the bytes) is checked, then committed on the session, then the file is
//! placed (renamed in where the store can adopt it), then the file record and the `Completed` state are
//! committed together. A crash before the rename leaves the session completable;
//! after it, recovery sees the partial gone and the content hash recorded and
//! finishes the bookkeeping. The plain whole-file SHA-256 is read from the bytes
//! only if the client asked for it to be checked; otherwise one background task
//! at a time reads the file back from its store later (`placed.rs`) and records
//! it if the file is still unchanged.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use skiff_protocol::{part_count, FileObject, UploadComplete};

use super::body::hex;
use super::buckets::{bucket, Bucket};
use super::partial::PartialBytes;
use super::parts::PartSet;
use super::session::{now_ms, session_object, Uploads};
use super::store::{FileRecord, SessionRecord, SessionState, Write};
use crate::blocking::blocking;
use crate::disk::place::key_path;
use crate::error::AppError;
use crate::store::PutMode;

/// Largest JSON body accepted by complete.
pub const COMPLETE_BODY_LIMIT: usize = 64 * 1024;

/// `POST {url}/complete` with the body's bytes (at most [`COMPLETE_BODY_LIMIT`]).
pub async fn complete_parts(
    uploads: &Arc<Uploads>,
    id: &str,
    body: &[u8],
) -> Result<FileObject, AppError> {
    if let Some(shared) = uploads.shared() {
        return super::shared::complete(uploads, shared, id, body).await;
    }
    let request = complete_request(body)?;
    // Exclusive: waits for parts in flight, and later parts see the outcome.
    let (_guard, mut record) = uploads.lock(id).await?;
    let Some(part_size) = record.part_size else {
        return Err(AppError::SessionConflict {
            code: "not_parts",
            message: "this session completes with its last chunk, not with complete".to_owned(),
            session: Box::new(session_object(&record, None)),
        });
    };
    match record.state {
        SessionState::Open => {}
        SessionState::Completed { created_at } => return Ok(completed(&record, created_at)),
        SessionState::Failed => {
            return Err(super::parts::closed(&record, &PartSet::default()));
        }
    }
    let reader = Arc::clone(uploads);
    let owned = record.id.clone();
    let parts = blocking(move || reader.store().parts(&owned)).await?;
    let count = part_count(record.size, part_size);
    if parts.len() as u64 != count {
        let durable = PartSet::from_sorted(parts.iter().map(|(n, _)| *n));
        return Err(AppError::SessionConflict {
            code: "parts_missing",
            message: format!("{} of {count} parts are stored", parts.len()),
            session: Box::new(session_object(&record, Some(&durable))),
        });
    }
    let mut over_digests = Sha256::new();
    for (_, digest) in &parts {
        over_digests.update(digest);
    }
    let content_hash = hex(&over_digests.finalize());
    if request
        .content_hash
        .as_ref()
        .is_some_and(|expected| *expected != content_hash)
    {
        return Err(fail(uploads, record, "content_hash_mismatch", "content_hash").await);
    }
    let expected: Vec<String> = [request.sha256, record.expected_sha256.clone()]
        .into_iter()
        .flatten()
        .collect();
    if !expected.is_empty() && record.in_store.is_some() {
        return Err(AppError::SessionConflict {
            code: "sha256_unavailable",
            message: "the parts are in the storage, which cannot read them back before \
                      they are joined: complete with content_hash, or announce sha256 at create"
                .to_owned(),
            session: Box::new(session_object(
                &record,
                Some(&PartSet::from_sorted(parts.iter().map(|(n, _)| *n))),
            )),
        });
    }
    if !expected.is_empty() {
        // Asked for: the one time the request path reads the whole file.
        let hasher = Arc::clone(uploads);
        let (owned, size) = (record.id.clone(), record.size);
        let sha256 = hex(&blocking(move || hasher.partial.hash(&owned, size)).await?);
        if expected.iter().any(|expected| *expected != sha256) {
            return Err(fail(uploads, record, "sha256_mismatch", "sha256").await);
        }
        record.digest = Some(sha256);
    }
    record.content_hash = Some(content_hash);
    record.touched_ms = now_ms();
    uploads
        .store()
        .commit(vec![Write::Session(record.clone())])
        .await?;
    let placer = Arc::clone(uploads);
    let record = blocking(move || place_session(&placer, record)).await?;
    if record.digest.is_none() {
        super::placed::hash_later(uploads, &record);
    }
    let SessionState::Completed { created_at } = record.state else {
        return Err(AppError::Io(std::io::Error::other(
            "placed but not completed",
        )));
    };
    Ok(completed(&record, created_at))
}

/// The body: empty, `{}`, or [`UploadComplete`] with well-formed digests.
pub(super) fn complete_request(bytes: &[u8]) -> Result<UploadComplete, AppError> {
    if bytes.trim_ascii().is_empty() {
        return Ok(UploadComplete::default());
    }
    let request: UploadComplete =
        serde_json::from_slice(bytes).map_err(|error| AppError::BadRequest {
            code: "bad_json",
            message: format!("the body is not a complete request: {error}"),
        })?;
    Ok(UploadComplete {
        sha256: request
            .sha256
            .as_deref()
            .map(super::create::parse_sha256)
            .transpose()?,
        content_hash: request
            .content_hash
            .as_deref()
            .map(|text| {
                super::create::parse_sha256(text).map_err(|_| AppError::BadRequest {
                    code: "bad_content_hash",
                    message: "content_hash must be 64 hexadecimal digits".to_owned(),
                })
            })
            .transpose()?,
    })
}

/// Marks the session failed (only abort remains) and returns the 460.
async fn fail(
    uploads: &Arc<Uploads>,
    mut record: SessionRecord,
    code: &'static str,
    which: &str,
) -> AppError {
    record.state = SessionState::Failed;
    record.touched_ms = now_ms();
    if let Err(error) = uploads.store().commit(vec![Write::Session(record)]).await {
        return error;
    }
    AppError::ChecksumMismatch {
        code,
        message: format!("the file's {which} does not match; abort the session"),
    }
}

/// Moves the finished session's bytes into place and records it completed
/// (blocking). The caller holds the session exclusively.
pub fn place_session(uploads: &Uploads, record: SessionRecord) -> Result<SessionRecord, AppError> {
    if let Bucket::Mounted(mounted) = bucket(uploads.buckets(), &record.bucket)? {
        if record.in_store.is_some() {
            return super::in_store::place(uploads, record);
        }
        return super::mounted::place(uploads, &mounted, record);
    }
    // The default storage's files are placed through its store like any
    // storage's, renamed in from the partial file. Its sessions keep the
    // protocol's rule of replacing at completion: `If-None-Match: *` is
    // checked at create only.
    let mut record = record;
    let path = key_path(&record.key)?;
    let store = Arc::clone(uploads.default_store());
    let runtime = tokio::runtime::Handle::current();
    let replaced = super::mounted::target_state(&runtime, &store, &path)?;
    let mode = PutMode::Overwrite;
    let entry =
        super::mounted::put_partial(uploads, &runtime, &store, &path, &mut record, mode, true)?;
    let key = record.key.clone();
    let record = record_completed(uploads, record, &key, Some(entry.etag), replaced)?;
    uploads.partial.discard(&record.id)?;
    Ok(record)
}

/// The bookkeeping once the file is in place in any storage (blocking): the id
/// and file record under `tree_key` (the file's path in the whole tree), with
/// the file's ETag `tag` if known, and the session `Completed`, in one commit.
pub fn record_completed(
    uploads: &Uploads,
    mut record: SessionRecord,
    tree_key: &str,
    tag: Option<String>,
    replaced: bool,
) -> Result<SessionRecord, AppError> {
    let created_at = i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX);
    // The file object reports the entry's stable id: kept if it replaced a
    // file; a new file starts afresh, whatever a file deleted behind our back left.
    if !replaced {
        uploads.ids().forget_tree(tree_key)?;
    }
    record.file_id = uploads.ids().id_for(tree_key)?;
    record.state = SessionState::Completed { created_at };
    record.touched_ms = now_ms();
    let mut writes = Vec::new();
    if let Some(tag) = tag {
        writes.push(Write::File {
            key: tree_key.to_owned(),
            record: FileRecord {
                etag: tag,
                sha256: record.digest.clone(),
                id: record.file_id.clone(),
                mime_type: record.mime_type.clone(),
                created_at,
                content_hash: record.content_hash.clone(),
                part_size: record.part_size,
            },
        });
    }
    writes.push(Write::Session(record.clone()));
    if record.part_size.is_some() {
        writes.push(Write::DropParts(record.id.clone()));
    }
    uploads.store().commit_blocking(writes)?;
    uploads.forget(&record.id);
    Ok(record)
}

/// The file object of a completed session.
pub fn completed(record: &SessionRecord, created_at: i64) -> FileObject {
    FileObject {
        key: record.key.clone(),
        bucket: record.bucket.clone(),
        mime_type: record.mime_type.clone(),
        bytes: record.size,
        created_at,
        id: record.file_id.clone(),
        sha256: record.digest.clone(),
        content_hash: record.content_hash.clone(),
        part_size: record.part_size,
    }
}
