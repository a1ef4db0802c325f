//! A part of a parts session going straight into its storage's multipart write
//! (`in_store.rs`): the request body streams into the store's part, hashed and
//! checked (`max_chunk`, the part's length, `Upload-Checksum`/`Content-Digest`)
//! as it passes, so a refused part never completes in the store. The store
//! holds at most the part's bytes (S3 needs a part's length up front).

use std::sync::Arc;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::body::RequestBody;
use super::in_store::store_of;
use super::partial::{wrong_length, PartLimits};
use super::session::Uploads;
use super::store::SessionRecord;
use crate::disk::place::key_path;
use crate::error::AppError;
use crate::store::{ByteStream, StoreError};

/// Streams part `n` of a parts session into the store: its SHA-256 and the
/// store's tag once the store took it. The body is checked against `limits` and
/// `checksums` as it passes; a refusal ends the stream with an error, so the
/// store never completes the part.
pub async fn send_part(
    uploads: &Uploads,
    record: &SessionRecord,
    n: u64,
    limits: PartLimits,
    checksums: [Option<[u8; 32]>; 2],
    body: RequestBody,
) -> Result<([u8; 32], String), AppError> {
    let (_, store) = store_of(uploads, record)?;
    let upload = record
        .in_store
        .as_ref()
        .and_then(|in_store| in_store.upload.clone())
        .ok_or_else(|| AppError::Io(std::io::Error::other("no multipart write")))?;
    let path = key_path(&record.key)?;
    send_into(&*store, &path, &upload, n, limits, checksums, body).await
}

/// Streams part `n` into the store's multipart write `upload` of file `path`,
/// checked as in [`send_part`]: its SHA-256 and the store's tag. Also the way
/// parts of an S3 root's shared sessions go in (`shared.rs`).
pub async fn send_into(
    store: &dyn crate::store::Store,
    path: &skiff_protocol::TreePath,
    upload: &crate::store::MultipartId,
    n: u64,
    limits: PartLimits,
    checksums: [Option<[u8; 32]>; 2],
    body: RequestBody,
) -> Result<([u8; 32], String), AppError> {
    let verdict = Arc::new(std::sync::Mutex::new(None));
    let stream = checked(body, limits, checksums, Arc::clone(&verdict));
    let sent = store
        .multipart_put(path, upload, n - 1, limits.len, stream)
        .await;
    let verdict = verdict
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    match (sent, verdict) {
        (Ok(tag), Some(Ok(digest))) => Ok((digest, tag.tag)),
        (_, Some(Err(refusal))) => Err(refusal),
        (Err(error), _) => Err(error.into()),
        (Ok(_), None) => Err(AppError::Io(std::io::Error::other(
            "the store took a part it did not read to the end",
        ))),
    }
}

type Verdict = Arc<std::sync::Mutex<Option<Result<[u8; 32], AppError>>>>;

/// `body` as a store body that hashes and checks as it goes; the outcome
/// (the digest, or why the part is refused) lands in `verdict`.
fn checked(
    body: RequestBody,
    limits: PartLimits,
    checksums: [Option<[u8; 32]>; 2],
    verdict: Verdict,
) -> ByteStream {
    struct State {
        body: RequestBody,
        hasher: Sha256,
        total: u64,
        done: bool,
    }
    let state = State {
        body,
        hasher: Sha256::new(),
        total: 0,
        done: false,
    };
    let settle = move |outcome: Result<[u8; 32], AppError>| {
        let failed = outcome.is_err();
        *verdict
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome);
        failed.then(|| StoreError::Body("the part was refused".to_owned()))
    };
    Box::pin(futures_util::stream::unfold(state, move |mut state| {
        let settle = settle.clone();
        async move {
            if state.done {
                return None;
            }
            let refuse = |state: &mut State, error: AppError| {
                state.done = true;
                settle(Err(error)).map(Err)
            };
            match state.body.next().await {
                Some(Ok(frame)) => {
                    state.total = state.total.saturating_add(frame.len() as u64);
                    if state.total > limits.max_chunk {
                        let error = AppError::TooLarge {
                            code: "chunk_too_large",
                            message: "the part is larger than max_chunk".to_owned(),
                        };
                        return refuse(&mut state, error).map(|item| (item, state));
                    }
                    if state.total > limits.len {
                        let error = wrong_length(limits.len);
                        return refuse(&mut state, error).map(|item| (item, state));
                    }
                    state.hasher.update(&frame);
                    Some((Ok(frame), state))
                }
                Some(Err(error)) => {
                    let error = AppError::BadRequest {
                        code: "body_interrupted",
                        message: format!("the request body could not be read: {error}"),
                    };
                    refuse(&mut state, error).map(|item| (item, state))
                }
                None => {
                    state.done = true;
                    if state.total != limits.len {
                        let error = wrong_length(limits.len);
                        return settle(Err(error)).map(|error| (Err(error), state));
                    }
                    let digest: [u8; 32] = state.hasher.clone().finalize().into();
                    if checksums
                        .iter()
                        .flatten()
                        .any(|expected| *expected != digest)
                    {
                        let error = AppError::ChecksumMismatch {
                            code: "part_checksum_mismatch",
                            message: "the part's SHA-256 does not match its checksum header"
                                .to_owned(),
                        };
                        return settle(Err(error)).map(|error| (Err(error), state));
                    }
                    settle(Ok(digest));
                    None
                }
            }
        }
    }))
}
