//! The upload service: resumable chunked uploads (PROTOCOL.md §2) and the bucket
//! listings, which exist only with `--writable` (whole-file `PUT`s are
//! `crate::tree::write`). Plain Rust in and out; `crate::http::uploads` is the HTTP
//! side (routes, headers, status codes).
//!
//! - `session.rs`: the sessions (open, lock, expire, remove)
//! - `create.rs`: creating a session
//! - `locks.rs`: a live session's gate, per-part locks and in-memory state
//! - `append.rs`: a chunk of a sequential session
//! - `parts.rs`: a part of a parallel-parts session (§2.1)
//! - `complete.rs`: completing a parts session, and placing any finished file
//! - `partial.rs`: where unfinished uploads keep their bytes
//! - `placed.rs`: a finished file in its storage: a completion a crash cut
//!   short finished, the background SHA-256
//! - `committer.rs`: group commit of the hot upload state writes
//! - `recovery.rs`: startup reconciliation and the expiry sweep
//! - `store.rs`: the redb database that makes sessions survive a crash
//! - `listing.rs`: the buckets, and paging
//! - `buckets.rs`: the storages as buckets (§2, §5)
//! - `in_store.rs`, `in_store_parts.rs`, `in_store_tail.rs`: sessions whose
//!   bytes go straight into their mounted storage's multipart write (planning,
//!   completion, abort; a part streamed in; sequential chunks regrouped)
//! - `shared/`: the sessions of an `s3://` root, as records in its bucket
//!   shared by every instance (their bytes an S3 multipart upload):
//!   `requests.rs` each request, `complete.rs` completes a parts session,
//!   `sequential/` takes sequential chunks (regrouped into S3 parts, the rest
//!   as tail records), `sweep.rs` expires them
//! - `resumable_sha.rs`: a whole-file SHA-256 that survives a restart
//! - `mounted.rs`: placing a staged session's file through its storage's store
//!   (the default storage's renamed in, `Store::adopt`)
//! - `mounted_listing.rs`: a storage's files and file objects, through its store
//!   (the default storage's too)
//! - `body.rs`: request bodies, streamed to disk

pub mod append;
pub mod body;
pub mod buckets;
mod committer;
pub mod complete;
mod create;
mod in_store;
mod in_store_parts;
mod in_store_tail;
pub mod listing;
mod locks;
mod mounted;
pub mod mounted_listing;
mod partial;
pub mod parts;
mod placed;
mod recovery;
#[cfg(test)]
mod recovery_tests;
mod resumable_sha;
pub mod session;
mod shared;
pub(crate) mod store;

use std::sync::Arc;

use skiff_protocol::{UploadCreate, UploadSession};

pub use recovery::spawn_sweeper;
pub use session::Uploads;
pub use shared::spawn_sweeper as spawn_shared_sweeper;

use crate::error::AppError;

/// Largest JSON body accepted when creating a session.
pub const CREATE_BODY_LIMIT: usize = 64 * 1024;

/// `POST {uploads}` with the body's bytes: the new session.
pub async fn create(
    uploads: &Arc<Uploads>,
    body: &[u8],
    if_none_match: bool,
) -> Result<UploadSession, AppError> {
    let request: UploadCreate =
        serde_json::from_slice(body).map_err(|error| AppError::BadRequest {
            code: "bad_json",
            message: format!("the body is not an upload request: {error}"),
        })?;
    if let Some(shared) = uploads.shared() {
        return shared::create(uploads, shared, request, if_none_match).await;
    }
    let creator = Arc::clone(uploads);
    crate::blocking::blocking(move || creator.create(request, if_none_match)).await
}

/// `GET {url}`: the durable state, without waiting for an append in flight.
pub async fn status(uploads: &Arc<Uploads>, id: &str) -> Result<UploadSession, AppError> {
    if let Some(shared) = uploads.shared() {
        return shared::status(shared, id).await;
    }
    if !session::is_session_id(id) {
        return Err(AppError::UnknownSession);
    }
    let reader = Arc::clone(uploads);
    let owned = id.to_owned();
    let found = crate::blocking::blocking(move || {
        let Some(record) = reader.store().session(&owned)? else {
            return Ok(None);
        };
        let parts = match record.part_size {
            Some(_) => Some(parts::PartSet::from_sorted(
                reader.store().parts(&owned)?.into_iter().map(|(n, _)| n),
            )),
            None => None,
        };
        Ok(Some((record, parts)))
    })
    .await?;
    match found {
        Some((record, parts)) if !uploads.is_expired(&record) => {
            Ok(session::session_object(&record, parts.as_ref()))
        }
        _ => Err(AppError::UnknownSession),
    }
}

/// `DELETE {url}`: the session and its partial data are gone.
pub async fn abort(uploads: &Arc<Uploads>, id: &str) -> Result<(), AppError> {
    if let Some(shared) = uploads.shared() {
        return shared::abort(uploads, shared, id).await;
    }
    let (_guard, record) = uploads.lock(id).await?;
    let remover = Arc::clone(uploads);
    crate::blocking::blocking(move || remover.remove(&record.id)).await
}
