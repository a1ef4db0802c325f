//! Many small files in one request (`POST {batch}`, docs/protocol-notes.md "Batch
//! writes"): each file is one item, exactly the `PUT` `small.rs` would send (its
//! `Content-Digest`, `If-None-Match: *` unless the user chose Replace), so a folder of
//! thousands of tiny files costs the page tens of requests instead of thousands.
//!
//! The body is one `Blob` made of the header lines and the `File`s themselves, so the
//! browser streams the files from disk while it sends. Files up to [`UNREAD`] go without a
//! digest (it is optional for batch items) and the page never reads their bytes: reading
//! and hashing 10,000 tiny files one by one cost the page's main thread most of its time
//! and each read queued behind the folder walk's requests to the browser process. What
//! that gives up is the end-to-end check of those bytes (the server hashes what it writes,
//! but nothing compares it with what the page read): TCP (and TLS) still guard them in
//! transit, and a file changed on disk since the drop fails the browser's read, so the
//! request fails and each file goes again on its own, with its digest. Bigger files keep
//! their WebCrypto digest: for them reading is cheap next to sending. The answer says what became of each file: done,
//! a conflict (asked or settled as for one `PUT`), or a failure in the server's words.
//! Whatever the batch could not settle (no answer, a server error, a damaged file, a new
//! name after "keep both") goes again on its own through `small.rs`, with its retries.

use super::{error_message, finish, open, refuses_existing, small, Stop};
use crate::upload::browser_io::sha256_of;
use crate::upload::digest::content_digest;
use crate::upload::item::{UploadItem, UploadStatus};
use crate::upload::policy::{recovery_for, Recovery};
use crate::upload::queue::SMALL_PARALLEL;
use crate::upload::worker_io::{self, WorkerRequest};
use crate::upload::xhr::{AbortHandle, XhrFailure};
use leptos::prelude::*;
use skiff_protocol::{BatchAnswer, BatchItem, BatchResult, BATCH_CONTENT_TYPE};
use wasm_bindgen::JsValue;
use web_sys::{Blob, BlobPropertyBag, File};

/// Most files in one batch: the server's limit. Each request costs the page a round of
/// work (and the server a group commit), so tiny files go as many at once as it takes.
pub const BATCH_FILES: usize = 1000;
/// Most bytes of files in one batch.
pub const BATCH_BYTES: u64 = 8 << 20;
/// Files up to this size go in batches; bigger small files go alone.
pub const BATCH_FILE_MAX: u64 = 1 << 20;
/// Files up to this size go without a digest, never read by the page (see the module
/// doc).
pub const UNREAD: u64 = 64 * 1024;

/// One file of the batch, ready to go.
struct Entry {
    item: UploadItem,
    token: u64,
    file: File,
}

/// Uploads `items` (small files the queue marked `Uploading`) in one batch to `url`,
/// then settles each as its own upload would.
pub async fn run(items: Vec<UploadItem>, server: String, url: String) {
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let Some(file) = item.file.get_value() else {
            item.status.set(UploadStatus::NeedsFile);
            continue;
        };
        let token = item
            .run
            .try_update_value(|run| {
                *run += 1;
                *run
            })
            .unwrap_or_default();
        entries.push(Entry { item, token, file });
    }
    let parts = js_sys::Array::new();
    let mut sent = Vec::with_capacity(entries.len());
    for entry in entries {
        match body_of(&entry).await {
            Some((header, bytes)) => {
                parts.push(&JsValue::from_str(&header));
                parts.push(&bytes);
                sent.push(entry);
            }
            None => finish(entry.item, Err(super::unreadable())),
        }
    }
    if sent.is_empty() {
        return;
    }
    let answer = send(&sent, &parts, &server, &url).await;
    let results = match answer {
        Ok(results) if results.len() == sent.len() => results,
        // No usable answer (lost, refused, a server error): each file on its own.
        _ => {
            alone(sent, &server).await;
            return;
        }
    };
    let mut again = Vec::new();
    for (entry, result) in sent.into_iter().zip(results) {
        match settle(&entry, &result) {
            Settled::Done(outcome) => finish(entry.item, outcome),
            Settled::Again => again.push(entry),
        }
    }
    alone(again, &server).await;
}

/// The item's header line (with a digest for files over [`UNREAD`]) and its bytes: the
/// `File` itself.
async fn body_of(entry: &Entry) -> Option<(String, JsValue)> {
    let item = entry.item;
    let digest = if item.size <= UNREAD {
        None
    } else {
        Some(content_digest(&sha256_of(&entry.file).await?))
    };
    let header = BatchItem {
        path: item.target.with_value(|target| target.to_url_path()),
        size: item.size,
        digest,
        create_only: refuses_existing(item),
        if_match: None,
    };
    let mut line = serde_json::to_string(&header).ok()?;
    line.push('\n');
    Some((line, JsValue::from(entry.file.clone())))
}

/// Sends the batch, through the upload worker where there is one (it puts the body
/// together off the page's main thread); the per-file results, or why there are none.
async fn send(
    sent: &[Entry],
    parts: &js_sys::Array,
    server: &str,
    url: &str,
) -> Result<Vec<BatchResult>, Stop> {
    let result = if worker_io::available() {
        let request =
            WorkerRequest::new("POST", url, server).header("Content-Type", BATCH_CONTENT_TYPE);
        let numbers = track(sent, || AbortHandle::Worker(request.abort_handle()));
        let result = request.send_parts(parts).await;
        untrack(sent, numbers);
        result.map(|answer| answer.answer).map_err(XhrFailure::from)
    } else {
        let options = BlobPropertyBag::new();
        options.set_type(BATCH_CONTENT_TYPE);
        let blob = Blob::new_with_str_sequence_and_options(parts, &options)
            .map_err(|_| Stop::Failed("the browser refused to build the request".into()))?;
        let request = open("POST", url, server)?.header("Content-Type", BATCH_CONTENT_TYPE);
        let numbers = track(sent, || request.abort_handle());
        let result = request.send_blob_quietly(&blob).await;
        untrack(sent, numbers);
        result
    };
    match result {
        Ok(answer) if answer.status == 200 => serde_json::from_str::<BatchAnswer>(&answer.body)
            .map(|answer| answer.results)
            .map_err(|_| Stop::Failed("the server's batch answer could not be read".into())),
        Ok(answer) => Err(Stop::Failed(error_message(
            Some(answer.status),
            &answer.body,
        ))),
        Err(XhrFailure::Aborted) => Err(Stop::ByUser),
        Err(XhrFailure::Network) => Err(Stop::Failed("connection lost".into())),
    }
}

/// Lets a pause or cancel of any file of the batch abort its request.
fn track(sent: &[Entry], handle: impl Fn() -> AbortHandle) -> Vec<u64> {
    sent.iter()
        .map(|entry| entry.item.track(handle()))
        .collect()
}

fn untrack(sent: &[Entry], numbers: Vec<u64>) {
    for (entry, number) in sent.iter().zip(numbers) {
        entry.item.untrack(number);
    }
}

enum Settled {
    /// The file's upload is over (or waits for the user), as `finish` records it.
    Done(Result<(), Stop>),
    /// Send it again on its own.
    Again,
}

/// What one file's result means, as `small.rs` would read the same answer to its `PUT`.
fn settle(entry: &Entry, result: &BatchResult) -> Settled {
    let item = entry.item;
    if !super::still_wanted(item, entry.token) {
        return Settled::Done(Err(Stop::ByUser));
    }
    match result.status {
        200..=299 => Settled::Done(Ok(())),
        // The name exists. Before anyone is asked (or a standing choice applies), the
        // file goes again on its own: that upload hashes it and, if the file there holds
        // the same bytes, is done (`super::already_there`: a lost answer, or a file
        // dropped twice).
        412 => Settled::Again,
        status if recovery_for(Some(status)) == Recovery::Retry => Settled::Again,
        // The server's own sentence when it gave one, as for a single `PUT`.
        status => Settled::Done(Err(Stop::Failed(match &result.error {
            Some(error) => error.message.clone(),
            None => error_message(Some(status), ""),
        }))),
    }
}

/// Each of `entries` as its own upload (`small.rs`), [`SMALL_PARALLEL`] at a time (a
/// failed batch may hold a thousand files).
async fn alone(entries: Vec<Entry>, server: &str) {
    use futures::StreamExt;
    let uploads = entries.into_iter().map(|entry| async move {
        let Entry { item, token, file } = entry;
        // Paused or cancelled meanwhile: leave it as the user set it.
        if !super::still_wanted(item, token) {
            return;
        }
        let outcome = small::upload(item, token, &file, server, true).await;
        finish(item, outcome);
    });
    futures::stream::iter(uploads)
        .buffer_unordered(SMALL_PARALLEL)
        .collect::<()>()
        .await;
}
