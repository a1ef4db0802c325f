//! Whole-file writes on a mounted storage (PROTOCOL.md §0, §2.2): `PUT P` streams
//! the body into the store, which makes it visible in one step; the body's
//! SHA-256 and length are checked as it passes, and a mismatch ends the stream
//! with an error so the store never commits it (460 or 413, nothing changes).
//! `DELETE P` removes a file, or a folder only when it is empty (else 409).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, BodyDataStream};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};
use skiff_protocol::TreePath;

use super::listing::fileset_response;
use super::mounted::{Allowed, Mounted};
use crate::error::AppError;
use crate::http::digest::{content_sha256, sha256_field};
use crate::http::headers::{content_length, if_match};
use crate::listing::mounted as listing;
use crate::store::{PutMode, StoreError};
use crate::uploads::body::{hex, verify};

/// `PUT P` into a mounted storage: 201 created, 200 replaced, with the file's
/// RFSAPI entry and `Repr-Digest`.
pub async fn put(
    mounted: &Mounted,
    allowed: Allowed,
    key: TreePath,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    if key.is_root() {
        return Err(AppError::Conflict {
            code: "target_is_folder",
            message: "the storage's top folder is a folder".to_owned(),
        });
    }
    let too_large = || AppError::TooLarge {
        code: "file_too_large",
        message: "the body is over this server's size limit".to_owned(),
    };
    if content_length(headers).is_some_and(|length| length > allowed.max_size) {
        return Err(too_large());
    }
    let promised = content_sha256(headers)?;
    let create_only = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes().trim_ascii() == b"*");
    let current = match mounted.store.stat(&key).await {
        Ok(entry) if entry.is_dir => {
            return Err(AppError::Conflict {
                code: "target_is_folder",
                message: "a folder has this name".to_owned(),
            })
        }
        Ok(entry) => Some(entry),
        Err(StoreError::NotFound) => None,
        Err(error) => return Err(error.into()),
    };
    let mode = if create_only {
        if current.is_some() {
            return Err(AppError::AlreadyExists);
        }
        PutMode::Create
    } else if let Some(tags) = if_match(headers) {
        // Strong comparison; `*` means "whatever is there, as long as something is".
        match &current {
            Some(entry) if tags.iter().any(|tag| tag == "*" || *tag == entry.etag) => {
                PutMode::Update(entry.etag.clone())
            }
            _ => return Err(AppError::PreconditionFailed),
        }
    } else {
        PutMode::Overwrite
    };

    let verdict = Arc::new(Mutex::new(Verdict::Flowing));
    let checked = Checked {
        inner: body.into_data_stream(),
        hasher: Sha256::new(),
        len: 0,
        max_size: allowed.max_size,
        promised,
        verdict: Arc::clone(&verdict),
        finished: false,
    };
    let written = mounted.store.put(&key, mode, Box::pin(checked)).await;
    let outcome = verdict
        .lock()
        .map(|verdict| verdict.clone())
        .unwrap_or(Verdict::Flowing);
    let entry = match (written, outcome) {
        (Ok(entry), Verdict::Passed(_)) => entry,
        (_, Verdict::TooLarge) => return Err(too_large()),
        (_, Verdict::Mismatch(computed)) => {
            return Err(verify(promised, &computed)
                .err()
                .unwrap_or_else(unchecked_commit))
        }
        (Ok(_), Verdict::Flowing) => return Err(unchecked_commit()),
        (Err(error), _) => return Err(error.into()),
    };
    // Replaced files keep their id; a new one starts afresh (§4), as in ROOT.
    let ids = mounted.ids.clone();
    let tree_key = mounted.tree_key(&key);
    let replaced = current.is_some();
    let known = crate::blocking::blocking(move || {
        if !replaced {
            ids.forget_tree(&tree_key)?;
        }
        ids.known_or_new(&tree_key)
    })
    .await?;
    let mut response = fileset_response(&listing::file(
        &entry,
        Some(known),
        allowed.writes_supported,
    ));
    *response.status_mut() = if current.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    if let Verdict::Passed(hex) = &*verdict.lock().map_err(|_| poisoned())? {
        if let Some(value) = sha256_field(hex) {
            response
                .headers_mut()
                .insert(skiff_protocol::REPR_DIGEST_HEADER, value);
        }
    }
    Ok(response)
}

/// `DELETE P`: a file, or an empty folder (a full one is 409 `not_empty`).
pub async fn delete(mounted: &Mounted, key: TreePath) -> Result<Response, AppError> {
    if key.is_root() {
        return Err(AppError::Conflict {
            code: "storage_root",
            message: "a storage's top folder cannot be deleted; remove the storage instead"
                .to_owned(),
        });
    }
    mounted.store.delete(&key, false).await?;
    // Its id and metadata die with it.
    let ids = mounted.ids.clone();
    let tree_key = mounted.tree_key(&key);
    crate::blocking::blocking(move || ids.forget_tree(&tree_key)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// How the body fared on its way to the store.
#[derive(Debug, Clone)]
enum Verdict {
    /// Still arriving (or the client hung up).
    Flowing,
    /// Complete and as promised: its SHA-256, lowercase hex.
    Passed(String),
    /// Over `--max-size`.
    TooLarge,
    /// Complete, but not the promised digest: what it was.
    Mismatch([u8; 32]),
}

/// The request body, hashed and counted as the store reads it.
struct Checked {
    inner: BodyDataStream,
    hasher: Sha256,
    len: u64,
    max_size: u64,
    promised: Option<[u8; 32]>,
    verdict: Arc<Mutex<Verdict>>,
    finished: bool,
}

impl Checked {
    fn settle(&mut self, verdict: Verdict) {
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = verdict;
        }
    }
}

impl Stream for Checked {
    type Item = Result<Bytes, StoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.finished {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(bytes))) => {
                self.len += bytes.len() as u64;
                if self.len > self.max_size {
                    self.finished = true;
                    self.settle(Verdict::TooLarge);
                    return Poll::Ready(Some(Err(StoreError::Body("over the size limit".into()))));
                }
                self.hasher.update(&bytes);
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(error))) => {
                self.finished = true;
                Poll::Ready(Some(Err(StoreError::Body(error.to_string()))))
            }
            Poll::Ready(None) => {
                self.finished = true;
                let computed: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
                if self.promised.is_some_and(|promised| promised != computed) {
                    self.settle(Verdict::Mismatch(computed));
                    // An error as the last item: the store must not commit.
                    return Poll::Ready(Some(Err(StoreError::Body(
                        "the body does not match its Content-Digest".into(),
                    ))));
                }
                self.settle(Verdict::Passed(hex(&computed)));
                Poll::Ready(None)
            }
        }
    }
}

fn poisoned() -> AppError {
    AppError::Io(std::io::Error::other("a write's verdict lock was poisoned"))
}

/// A store that finished without reading the body to its end (so it was never
/// checked): a bug in the backend, never answered with success.
fn unchecked_commit() -> AppError {
    tracing::error!("a storage finished a PUT before the end of its body");
    AppError::Io(std::io::Error::other(
        "the storage did not read the whole body",
    ))
}
