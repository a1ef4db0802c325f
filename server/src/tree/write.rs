//! Whole-file writes on any storage, the default one included (PROTOCOL.md §0,
//! §2.2): `PUT P` streams the body into the store, which makes it visible in one
//! step; the body's
//! SHA-256 and length are checked as it passes, and a mismatch ends the stream
//! with an error so the store never commits it (460 or 413, nothing changes).
//! `DELETE P` removes a file, or a folder only when it is empty (else 409).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};
use skiff_protocol::TreePath;

use super::Mounted;
use crate::catalog::checksums::{record_rows, FileRecord};
use crate::catalog::group_commit::WrittenFile;
use crate::catalog::ids::Known;
use crate::disk::entry::mime_for_name;
use crate::error::AppError;
use crate::store::{Entry, PutMode, StoreError};
use crate::uploads::body::{hex, verify, RequestBody};
use crate::uploads::session::now_ms;

/// A whole-file write as the request gave it, before the storage is known (the
/// raw API reads it lazily, after its own checks).
pub struct WholeWrite {
    /// `If-Match`'s ETags, if the header was sent.
    pub if_match: Option<Vec<String>>,
    /// `If-None-Match: *`: create only.
    pub if_none_match: bool,
    /// The SHA-256 `Content-Digest` promised, if any.
    pub promised: Option<[u8; 32]>,
    /// The announced length (`Content-Length`), if any.
    pub announced: Option<u64>,
    /// The bytes.
    pub body: RequestBody,
}

/// 409 `target_is_folder` for the root: checked before any header is read.
pub fn refuse_root(path: &TreePath) -> Result<(), AppError> {
    if path.is_root() {
        return Err(AppError::Conflict {
            code: "target_is_folder",
            message: "the root is a folder".to_owned(),
        });
    }
    Ok(())
}

/// A whole-file write ready for a storage.
pub struct Put {
    /// `If-None-Match: *`: create only.
    pub create_only: bool,
    /// `If-Match`'s ETags, if the header was sent.
    pub if_match: Option<Vec<String>>,
    /// The SHA-256 `Content-Digest` promised, if any.
    pub promised: Option<[u8; 32]>,
    /// `--max-size`.
    pub max_size: u64,
    /// The bytes.
    pub body: RequestBody,
}

/// What a write did.
pub struct Written {
    /// The file as stored.
    pub entry: Entry,
    /// Its id and `_format`.
    pub known: Known,
    /// Whether it replaced a file (200) or is new (201).
    pub replaced: bool,
    /// Lowercase hex SHA-256 of what was stored.
    pub sha256: String,
}

/// The checks made before any header is read: the storage's top folder (409)
/// and an announced length over `max_size` (413).
pub fn check_put(key: &TreePath, announced: Option<u64>, max_size: u64) -> Result<(), AppError> {
    if key.is_root() {
        return Err(AppError::Conflict {
            code: "target_is_folder",
            message: "the storage's top folder is a folder".to_owned(),
        });
    }
    if announced.is_some_and(|length| length > max_size) {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> AppError {
    AppError::TooLarge {
        code: "file_too_large",
        message: "the body is over this server's size limit".to_owned(),
    }
}

/// `PUT P` into a storage (the default one is the mount with the empty name).
pub async fn put(mounted: &Mounted, key: TreePath, put: Put) -> Result<Written, AppError> {
    let Put {
        create_only,
        if_match,
        promised,
        max_size,
        body,
    } = put;
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
    } else if let Some(tags) = if_match {
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
        inner: body,
        hasher: Sha256::new(),
        len: 0,
        max_size,
        promised,
        verdict: Arc::clone(&verdict),
        finished: false,
    };
    let written = mounted.store.put(&key, mode, Box::pin(checked)).await;
    let outcome = verdict
        .lock()
        .map(|verdict| verdict.clone())
        .unwrap_or(Verdict::Flowing);
    let (entry, sha256) = match (written, outcome) {
        (Ok(entry), Verdict::Passed(sha256)) => (entry, sha256),
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
    // The SHA-256 is recorded with the stored ETag in the same commit, so the
    // file's bytes carry `Repr-Digest` while they stay as written.
    let ids = mounted.ids.clone();
    let tree_key = mounted.tree_key(&key);
    let replaced = current.is_some();
    let record = FileRecord {
        etag: entry.etag.clone(),
        sha256: Some(sha256.clone()),
        id: String::new(),
        mime_type: mime_for_name(key.name().unwrap_or_default()),
        created_at: i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX),
        content_hash: None,
        part_size: None,
    };
    let known = crate::blocking::blocking(move || {
        ids.commit_written(WrittenFile {
            extra: record_rows(tree_key.clone(), record),
            key: tree_key,
            replaced,
        })
    })
    .await?;
    Ok(Written {
        entry,
        known,
        replaced,
        sha256,
    })
}

/// `DELETE P`: a file, or an empty folder (a full one is 409 `not_empty`).
pub async fn delete(mounted: &Mounted, key: TreePath) -> Result<(), AppError> {
    if key.is_root() && mounted.mount.is_empty() {
        return Err(AppError::Conflict {
            code: "is_root",
            message: "the root cannot be deleted".to_owned(),
        });
    }
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
    crate::blocking::blocking(move || ids.forget_tree(&tree_key)).await
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
    inner: RequestBody,
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
        match self.inner.as_mut().poll_next(cx) {
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

/// A store that finished without reading the body to its end (so it was never
/// checked): a bug in the backend, never answered with success.
fn unchecked_commit() -> AppError {
    tracing::error!("a storage finished a PUT before the end of its body");
    AppError::Io(std::io::Error::other(
        "the storage did not read the whole body",
    ))
}
