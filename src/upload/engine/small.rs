//! Whole-file uploads in one `PUT` on the tree path:
//! - small files (one part or chunk at most) on any server, with their WebCrypto SHA-256
//!   as `Content-Digest` (§2.2: the server verifies it, 460 if the bytes were damaged, and
//!   the upload is simply sent again); many of these run at once;
//! - large files on plain RFSAPI servers (§0), which have no sessions: no digest, no
//!   resume, an interruption starts over.
//!
//! Either way the `File` itself is the body: the browser streams it from disk.

use super::{
    already_there, error_message, open, refuses_existing, settle_conflict, still_wanted,
    unreadable, wait_to_retry, Reply, Stop,
};
use crate::upload::browser_io::{bytes_and_sha256, sha256_of};
use crate::upload::digest::content_digest;
use crate::upload::item::UploadItem;
use crate::upload::policy::{recovery_for, Recovery};
use crate::upload::worker_io::{self, Digest, WorkerFailure, WorkerRequest};
use crate::upload::xhr::AbortHandle;
use leptos::prelude::*;
use skiff_protocol::CONTENT_DIGEST_HEADER;
use web_sys::File;

/// Files up to this size are sent from memory rather than as a `Blob` (see
/// `browser_io::bytes_and_sha256`); larger ones stream from disk.
const FROM_MEMORY: u64 = 64 * 1024;

/// `PUT`s `file` to its target; `small` adds the digest, retries what is worth it and
/// reports no progress until the end (one file among thousands must not cost events).
pub(super) async fn upload(
    item: UploadItem,
    token: u64,
    file: &File,
    server: &str,
    small: bool,
) -> Result<(), Stop> {
    if small && worker_io::available() {
        return by_worker(item, token, file, server).await;
    }
    // Tiny files go from memory (already read to be hashed), the rest as the File.
    let (digest, bytes) = if !small {
        (None, None)
    } else if item.size <= FROM_MEMORY {
        let (bytes, digest) = bytes_and_sha256(file).await.ok_or_else(unreadable)?;
        (Some(content_digest(&digest)), Some(bytes))
    } else {
        let digest = sha256_of(file).await.ok_or_else(unreadable)?;
        (Some(content_digest(&digest)), None)
    };
    let mut copy = 0u32;
    let mut attempt = 0u32;
    loop {
        if !still_wanted(item, token) {
            return Err(Stop::ByUser);
        }
        let url = format!("{server}{}", item.target.with_value(|t| t.to_url_path()));
        let mut request = open("PUT", &url, server)?;
        if refuses_existing(item) {
            request = request.header("If-None-Match", "*");
        }
        if let Some(digest) = &digest {
            request = request.header(CONTENT_DIGEST_HEADER, digest);
        }
        let number = item.track(request.abort_handle());
        let result = if let Some(bytes) = &bytes {
            request.send_bytes_quietly(bytes).await
        } else if small {
            request.send_blob_quietly(file).await
        } else {
            request
                .send_blob(file, move |loaded| {
                    item.sent.set(loaded as u64);
                    item.speed
                        .update(|meter| meter.sample(js_sys::Date::now(), loaded as u64));
                })
                .await
        };
        item.untrack(number);
        let reply = Reply::from(result)?;
        match reply.status() {
            Some(status) if (200..300).contains(&status) => return Ok(()),
            // The name exists: with our bytes it is done; keep both renames and goes
            // again; otherwise stop here.
            Some(412) => {
                if let Some(digest) = &digest {
                    if already_there(item, server, digest).await {
                        return Ok(());
                    }
                }
                settle_conflict(item, &mut copy)?;
            }
            status if small && recovery_for(status) == Recovery::Retry => {
                wait_to_retry(item, attempt, reply.why()).await?;
                attempt += 1;
            }
            None => {
                return Err(Stop::Failed(
                    "connection lost (this server cannot resume; retry)".into(),
                ))
            }
            status => return Err(Stop::Failed(error_message(status, reply.body()))),
        }
    }
}

/// A small file through the upload worker (`worker_io`): it reads and hashes the file
/// and sends it with `Content-Digest`, off the page's main thread; a retry or a new name
/// after a conflict sends it again (hashed again: a few bytes).
async fn by_worker(item: UploadItem, token: u64, file: &File, server: &str) -> Result<(), Stop> {
    let mut copy = 0u32;
    let mut attempt = 0u32;
    loop {
        if !still_wanted(item, token) {
            return Err(Stop::ByUser);
        }
        let url = format!("{server}{}", item.target.with_value(|t| t.to_url_path()));
        let mut request = WorkerRequest::new("PUT", &url, server);
        if refuses_existing(item) {
            request = request.header("If-None-Match", "*");
        }
        let number = item.track(AbortHandle::Worker(request.abort_handle()));
        let result = request
            .send_slice(
                file,
                (0, item.size),
                Digest::ContentDigest,
                item.size <= FROM_MEMORY,
                None,
            )
            .await;
        item.untrack(number);
        let (result, digest) = match result {
            Err(WorkerFailure::Unreadable) => return Err(unreadable()),
            Err(failure) => (Err(failure.into()), None),
            Ok(answer) => (Ok(answer.answer), answer.digest),
        };
        let reply = Reply::from(result)?;
        match reply.status() {
            Some(status) if (200..300).contains(&status) => return Ok(()),
            Some(412) => {
                let digest = digest.map(|digest| content_digest(&digest));
                if let Some(digest) = digest {
                    if already_there(item, server, &digest).await {
                        return Ok(());
                    }
                }
                settle_conflict(item, &mut copy)?;
            }
            status if recovery_for(status) == Recovery::Retry => {
                wait_to_retry(item, attempt, reply.why()).await?;
                attempt += 1;
            }
            status => return Err(Stop::Failed(error_message(status, reply.body()))),
        }
    }
}
