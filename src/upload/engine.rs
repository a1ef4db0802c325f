//! Moves one file's bytes: a resumable session (PROTOCOL.md §2) chunk by chunk, or a
//! whole-file `PUT` when the server has no sessions. Chunks are `Blob.slice`s read one at
//! a time, so a file is never in memory whole.

use crate::upload::browser_io::{is_online, read_slice, sleep_ms};
use crate::upload::digest::{chunk_checksum_header, FileHasher};
use crate::upload::item::{UploadItem, UploadStatus};
use crate::upload::persist::{self, SavedUpload};
use crate::upload::policy::{
    backoff_ms, chunk_range, numbered_name, recovery_for, ConflictChoice, Recovery,
};
use crate::upload::xhr::{XhrFailure, XhrRequest};
use js_sys::Uint8Array;
use leptos::prelude::*;
use skiff_protocol::{
    ErrorBody, FileObject, UploadCreate, UploadSession, DEFAULT_BUCKET, UPLOAD_CHECKSUM_HEADER,
    UPLOAD_OFFSET_HEADER,
};
use web_sys::File;

/// How the server takes uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Resumable sessions at this absolute URL, with chunks of at most `chunk` bytes.
    Sessions {
        /// `{server}{uploads}`.
        endpoint: String,
        /// Chunk size to use.
        chunk: u64,
    },
    /// Plain RFSAPI: `PUT` the whole file (no resume).
    Put,
}

/// Why an upload stopped before the end.
pub(super) enum Stop {
    /// The user paused or cancelled (the status says which).
    ByUser,
    /// The target exists and the user has not said what to do (412).
    Conflict,
    /// Not worth retrying: the message says why.
    Failed(String),
}

/// Uploads `item` to the end (or until paused, cancelled or failed), updating its signals.
pub async fn run(item: UploadItem, server: String, route: Route) {
    let Some(file) = item.file.get_value() else {
        item.status.set(UploadStatus::NeedsFile);
        return;
    };
    item.status.set(UploadStatus::Uploading);
    let token = item
        .run
        .try_update_value(|run| {
            *run += 1;
            *run
        })
        .unwrap_or_default();
    let outcome = match &route {
        Route::Sessions { endpoint, chunk } => {
            by_session(item, token, &file, &server, endpoint, *chunk).await
        }
        Route::Put => crate::upload::put::by_put(item, &file, &server).await,
    };
    match outcome {
        Ok(()) => {
            item.sent.set(item.size);
            item.status.set(UploadStatus::Done);
        }
        Err(Stop::ByUser) => {}
        Err(Stop::Conflict) => item.status.set(UploadStatus::Conflict),
        Err(Stop::Failed(why)) => item.status.set(UploadStatus::Failed(why)),
    }
}

async fn by_session(
    item: UploadItem,
    token: u64,
    file: &File,
    server: &str,
    endpoint: &str,
    chunk: u64,
) -> Result<(), Stop> {
    let fingerprint = item.fingerprint.get_value();
    let mut hasher = FileHasher::default();
    let (mut url, mut offset) = match resume(&fingerprint, server).await {
        Some(resumed) => resumed,
        None => create(item, token, server, endpoint).await?,
    };
    let remember = |url: &str, offset: u64| {
        persist::save(
            &fingerprint,
            &SavedUpload {
                server: server.to_owned(),
                url: url.to_owned(),
                target: item.target.with_value(ToString::to_string),
                name: item.name.get_value(),
                size: item.size,
                last_modified: file.last_modified(),
                offset,
            },
        )
    };
    remember(&url, offset);
    let mut attempt = 0u32;
    let mut prepared: Option<Prepared> = None;
    loop {
        // A pause or cancel between requests has nothing in flight to abort: look.
        if !still_wanted(item, token) {
            return stopped_by_user(item, server, &url, &fingerprint).await;
        }
        // The whole-file hash follows the bytes: after a resume, hash the part the server
        // already has from the local file first (no network).
        while hasher.hashed() < offset {
            let (start, end) = chunk_range(hasher.hashed(), offset, chunk);
            let bytes = read_slice(file, start, end).await.ok_or_else(unreadable)?;
            hasher.update(start, &bytes.to_vec());
        }
        if offset >= item.size && item.size > 0 {
            // Every byte is there but the completing answer was lost.
            return Err(Stop::Failed(
                "the server has every byte but did not confirm the file; retry".into(),
            ));
        }
        let (start, end) = chunk_range(offset, item.size, chunk);
        let current = match prepared.take() {
            Some(ready) if ready.start == start && ready.end == end => ready,
            _ => prepare(file, start, end, &mut hasher).await?,
        };
        if !still_wanted(item, token) {
            return stopped_by_user(item, server, &url, &fingerprint).await;
        }
        let request = XhrRequest::new("POST", &url, server)
            .map_err(|_| Stop::Failed("the browser refused the request".into()))?
            .header(UPLOAD_OFFSET_HEADER, &start.to_string())
            .header(UPLOAD_CHECKSUM_HEADER, &current.checksum)
            .header("Content-Type", "application/offset+octet-stream");
        item.in_flight.set_value(Some(request.abort_handle()));
        let sending = request.send(Some(&current.bytes), move |loaded| {
            let sent = start + loaded as u64;
            item.sent.set(sent);
            item.speed
                .update(|meter| meter.sample(js_sys::Date::now(), sent));
        });
        // While the browser sends this chunk, read and hash the next one: the network and
        // the hashing overlap instead of taking turns.
        let (next_start, next_end) = chunk_range(end, item.size, chunk);
        let preparing = async {
            if next_start < next_end {
                prepare(file, next_start, next_end, &mut hasher).await.ok()
            } else {
                None
            }
        };
        let (answer, next) = futures::join!(sending, preparing);
        prepared = next;
        item.in_flight.set_value(None);
        let (status, body) = match answer {
            Err(XhrFailure::Aborted) => {
                return stopped_by_user(item, server, &url, &fingerprint).await
            }
            Err(XhrFailure::Network) => (None, String::new()),
            Ok(answer) => (Some(answer.status), answer.body),
        };
        if matches!(status, Some(200 | 201)) {
            if end >= item.size {
                return finish(item, &body, hasher, &fingerprint);
            }
            let session: UploadSession = serde_json::from_str(&body)
                .map_err(|_| Stop::Failed("the server's answer was not a session".into()))?;
            offset = session.offset;
            item.sent.set(offset);
            remember(&url, offset);
            attempt = 0;
            continue;
        }
        match recovery_for(status) {
            Recovery::Retry => {
                let why = status.map_or("connection lost".to_owned(), |s| format!("HTTP {s}"));
                wait_to_retry(item, attempt, why).await?;
                attempt += 1;
            }
            Recovery::Resync => {
                let session: UploadSession = serde_json::from_str(&body)
                    .map_err(|_| Stop::Failed("409 without the session's offset".into()))?;
                // The whole-file hash covers the local file, whatever the server has, so
                // it simply goes on.
                offset = session.offset;
                item.sent.set(offset);
            }
            Recovery::Restart => {
                persist::forget(&fingerprint);
                (url, offset) = create(item, token, server, endpoint).await?;
                remember(&url, offset);
            }
            Recovery::Fail => return Err(Stop::Failed(error_message(status, &body))),
        }
    }
}

/// A chunk read and hashed, ready to send.
struct Prepared {
    start: u64,
    end: u64,
    /// The bytes, in JS memory (sent without another copy).
    bytes: Uint8Array,
    /// `Upload-Checksum` for them.
    checksum: String,
}

/// Reads `[start, end)` of `file`, feeds it to the whole-file hash and computes its own
/// checksum. One copy into wasm memory, dropped before returning.
async fn prepare(
    file: &File,
    start: u64,
    end: u64,
    hasher: &mut FileHasher,
) -> Result<Prepared, Stop> {
    let bytes = read_slice(file, start, end).await.ok_or_else(unreadable)?;
    let copy = bytes.to_vec();
    hasher.update(start, &copy);
    let checksum = chunk_checksum_header(&copy);
    Ok(Prepared {
        start,
        end,
        bytes,
        checksum,
    })
}

/// The saved session for this file, if the server still has it: `(url, offset)`.
async fn resume(fingerprint: &str, server: &str) -> Option<(String, u64)> {
    let saved = persist::load(fingerprint)?;
    if saved.server != server {
        return None;
    }
    let answer = XhrRequest::new("GET", &saved.url, server)
        .ok()?
        .send(None, |_| {})
        .await
        .ok()?;
    if answer.status != 200 {
        persist::forget(fingerprint);
        return None;
    }
    let session: UploadSession = serde_json::from_str(&answer.body).ok()?;
    Some((saved.url, session.offset))
}

/// Creates a session: `(absolute session url, offset 0)`.
async fn create(
    item: UploadItem,
    token: u64,
    server: &str,
    endpoint: &str,
) -> Result<(String, u64), Stop> {
    let mut copy = 0u32;
    loop {
        match create_once(item, token, server, endpoint).await {
            Err(Stop::Conflict) => settle_conflict(item, &mut copy)?,
            other => return other,
        }
    }
}

/// After a 412 (the name exists): `Ok` to try again under the next numbered name (keep
/// both), else how the upload stops: skipped, or waiting for the user to choose.
pub(super) fn settle_conflict(item: UploadItem, copy: &mut u32) -> Result<(), Stop> {
    match item.on_conflict.get_value() {
        None => Err(Stop::Conflict),
        Some(ConflictChoice::Skip) => {
            item.status.set(UploadStatus::Skipped);
            Err(Stop::ByUser)
        }
        // Replace sends no `If-None-Match`, so it cannot conflict.
        Some(ConflictChoice::Replace) => Err(Stop::Failed("unexpected conflict".into())),
        Some(ConflictChoice::KeepBoth) => {
            *copy += 1;
            next_copy_name(item, *copy)
        }
    }
}

/// One create request; a 412 (the name exists, `If-None-Match: *`) is [`Stop::Conflict`].
async fn create_once(
    item: UploadItem,
    token: u64,
    server: &str,
    endpoint: &str,
) -> Result<(String, u64), Stop> {
    let key = item.target.with_value(|target| target.segments().join("/"));
    let body = UploadCreate {
        key,
        bucket: DEFAULT_BUCKET.to_owned(),
        mime_type: item
            .file
            .with_value(|file| file.as_ref().map(|f| f.type_()))
            .filter(|mime| !mime.is_empty())
            .unwrap_or_else(|| "application/octet-stream".to_owned()),
        size: item.size,
        sha256: None,
        part_size: None,
    };
    let json = serde_json::to_string(&body)
        .map_err(|_| Stop::Failed("cannot encode the request".into()))?;
    let mut attempt = 0;
    loop {
        if !still_wanted(item, token) {
            return Err(Stop::ByUser);
        }
        let mut request = XhrRequest::new("POST", endpoint, server)
            .map_err(|_| Stop::Failed("the browser refused the request".into()))?
            .header("Content-Type", "application/json");
        if item.on_conflict.get_value() != Some(ConflictChoice::Replace) {
            request = request.header("If-None-Match", "*");
        }
        item.in_flight.set_value(Some(request.abort_handle()));
        let bytes = Uint8Array::from(json.as_bytes());
        let answer = request.send(Some(&bytes), |_| {}).await;
        item.in_flight.set_value(None);
        let (status, body) = match answer {
            Err(XhrFailure::Aborted) => return Err(Stop::ByUser),
            Err(XhrFailure::Network) => (None, String::new()),
            Ok(answer) => (Some(answer.status), answer.body),
        };
        if status == Some(412) {
            return Err(Stop::Conflict);
        }
        if status == Some(201) {
            let session: UploadSession = serde_json::from_str(&body)
                .map_err(|_| Stop::Failed("the server's answer was not a session".into()))?;
            return Ok((absolute_url(server, endpoint, &session.url), session.offset));
        }
        match recovery_for(status) {
            Recovery::Retry => {
                let why = status.map_or("connection lost".to_owned(), |s| format!("HTTP {s}"));
                wait_to_retry(item, attempt, why).await?;
                attempt += 1;
            }
            _ => return Err(Stop::Failed(error_message(status, &body))),
        }
    }
}

/// The last chunk's answer is the file object: check the whole-file digest, then forget.
fn finish(item: UploadItem, body: &str, hasher: FileHasher, fingerprint: &str) -> Result<(), Stop> {
    persist::forget(fingerprint);
    let file: FileObject = serde_json::from_str(body)
        .map_err(|_| Stop::Failed("the server's answer was not a file".into()))?;
    if file.bytes != item.size {
        return Err(Stop::Failed(format!(
            "the server stored {} bytes, not {}",
            file.bytes, item.size
        )));
    }
    let ours = hasher.finish_hex();
    match file.sha256 {
        Some(theirs) if !theirs.eq_ignore_ascii_case(&ours) => Err(Stop::Failed(format!(
            "CHECKSUM MISMATCH: the server's SHA-256 is {theirs}, this file's is {ours}"
        ))),
        _ => Ok(()),
    }
}

/// Whether this engine run should go on: the user has not paused, cancelled or skipped,
/// and no newer run took over the item.
fn still_wanted(item: UploadItem, token: u64) -> bool {
    item.run.get_value() == token
        && matches!(
            item.status.get_untracked(),
            UploadStatus::Uploading | UploadStatus::Retrying(_)
        )
}

/// After an abort: a pause keeps the session, a cancel removes it.
async fn stopped_by_user(
    item: UploadItem,
    server: &str,
    url: &str,
    fingerprint: &str,
) -> Result<(), Stop> {
    if item.status.get_untracked() == UploadStatus::Cancelled {
        persist::forget(fingerprint);
        if let Ok(request) = XhrRequest::new("DELETE", url, server) {
            let _ = request.send(None, |_| {}).await;
        }
    }
    Err(Stop::ByUser)
}

/// Sleeps before retry `attempt`, only while the browser is online; a pause ends the wait.
async fn wait_to_retry(item: UploadItem, attempt: u32, why: String) -> Result<(), Stop> {
    item.status.set(UploadStatus::Retrying(why));
    item.speed.update(|meter| meter.reset());
    let mut remaining = backoff_ms(attempt, js_sys::Math::random());
    loop {
        sleep_ms(remaining.min(250.0)).await;
        remaining -= 250.0;
        if !matches!(item.status.get_untracked(), UploadStatus::Retrying(_)) {
            return Err(Stop::ByUser);
        }
        if remaining <= 0.0 && is_online() {
            item.status.set(UploadStatus::Uploading);
            return Ok(());
        }
    }
}

/// Points `item` at `name (copy).ext` in the same folder.
fn next_copy_name(item: UploadItem, copy: u32) -> Result<(), Stop> {
    let renamed = item.target.with_value(|target| {
        let name = target.name().unwrap_or_default();
        target
            .parent()
            .and_then(|parent| parent.child(&numbered_name(name, copy)).ok())
    });
    match renamed.filter(|_| copy < 1000) {
        Some(renamed) => {
            item.target.set_value(renamed);
            Ok(())
        }
        None => Err(Stop::Failed("no free name for a copy".into())),
    }
}

fn unreadable() -> Stop {
    Stop::Failed("the browser can no longer read this file (moved or changed?)".into())
}

/// The server's own message when it sent one, else the status.
pub(super) fn error_message(status: Option<u16>, body: &str) -> String {
    let detail = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.error.message);
    match (status, detail) {
        (_, Some(message)) => message,
        (Some(status), None) => format!("HTTP {status}"),
        (None, None) => "no answer from the server".to_owned(),
    }
}

/// Resolves a session `url` from the server against the uploads endpoint.
pub fn absolute_url(server: &str, endpoint: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else if url.starts_with('/') {
        format!("{server}{url}")
    } else {
        format!("{}/{url}", endpoint.trim_end_matches('/'))
    }
}
