//! Moves one file's bytes, by the method `plan` picks for its size and the server:
//! - `small`: one `PUT` on the tree with `Content-Digest` (§2.2), or without a digest for
//!   a large file on a plain RFSAPI server;
//! - `batch`: many small files in one request, each as its own `PUT` would be;
//! - `parts`: a §2.1 session, several parts in flight, verified by `content_hash`;
//! - `sequential`: a §2 session chunk after chunk (servers without parts).
//!
//! Bytes always leave as `Blob` slices of the file (the browser streams them from disk);
//! a slice is read into memory only to be hashed by WebCrypto, then dropped. The engine
//! advances on request and promise completions only, never on timers (hidden tabs
//! throttle those), except to wait before a retry.

pub mod batch;
mod part;
mod parts;
mod sequential;
mod session;
mod small;

use crate::upload::browser_io::{is_online, sleep_ms};
use crate::upload::item::{UploadItem, UploadStatus};
use crate::upload::persist;
use crate::upload::plan::Method;
pub use crate::upload::plan::Route;
use crate::upload::policy::{backoff_ms, numbered_name, ConflictChoice};
use crate::upload::xhr::{XhrAnswer, XhrFailure, XhrRequest};
use leptos::prelude::*;
use skiff_protocol::ErrorBody;

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
    let outcome = match (&route, route.method_for(item.size)) {
        (_, Method::Small) => small::upload(item, token, &file, &server, true).await,
        (_, Method::WholePut) => small::upload(item, token, &file, &server, false).await,
        (Route::Sessions { endpoint, .. }, Method::Parts { part_size }) => {
            parts::upload(item, token, &file, &server, endpoint, part_size).await
        }
        (Route::Sessions { endpoint, .. }, Method::Sequential { chunk }) => {
            sequential::upload(item, token, &file, &server, endpoint, chunk).await
        }
        (Route::Put, _) => Err(Stop::Failed("this server takes whole files only".into())),
    };
    finish(item, outcome);
}

/// What the server holds of an interrupted upload (its saved session's durable bytes),
/// for the progress a restored row shows; `None` if it cannot say.
pub async fn durable_on_server(fingerprint: &str, server: &str) -> Option<u64> {
    session::durable_on_server(fingerprint, server).await
}

/// Records how an upload ended in its status.
fn finish(item: UploadItem, outcome: Result<(), Stop>) {
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

/// What became of one request.
pub(super) enum Reply {
    /// The server answered.
    Answer(XhrAnswer),
    /// No answer: the network failed.
    Lost,
}

impl Reply {
    fn from(result: Result<XhrAnswer, XhrFailure>) -> Result<Self, Stop> {
        match result {
            Ok(answer) => Ok(Self::Answer(answer)),
            Err(XhrFailure::Network) => Ok(Self::Lost),
            Err(XhrFailure::Aborted) => Err(Stop::ByUser),
        }
    }

    /// The status, `None` when no answer came.
    pub(super) fn status(&self) -> Option<u16> {
        match self {
            Self::Answer(answer) => Some(answer.status),
            Self::Lost => None,
        }
    }

    /// The body (empty when no answer came).
    pub(super) fn body(&self) -> &str {
        match self {
            Self::Answer(answer) => &answer.body,
            Self::Lost => "",
        }
    }

    /// Why it failed, for the "Retrying: …" status.
    pub(super) fn why(&self) -> String {
        self.status()
            .map_or("connection lost".to_owned(), |s| format!("HTTP {s}"))
    }
}

/// Opens a request or says the browser refused it.
pub(super) fn open(method: &str, url: &str, server: &str) -> Result<XhrRequest, Stop> {
    XhrRequest::new(method, url, server)
        .map_err(|_| Stop::Failed("the browser refused the request".into()))
}

/// Sends a small body (JSON, or none) with the request tracked for pause and cancel.
pub(super) async fn exchange(
    item: UploadItem,
    request: XhrRequest,
    json: Option<&str>,
) -> Result<Reply, Stop> {
    let number = item.track(request.abort_handle());
    let bytes = json.map(|json| js_sys::Uint8Array::from(json.as_bytes()));
    let result = request.send(bytes.as_ref(), |_| {}).await;
    item.untrack(number);
    Reply::from(result)
}

/// Whether this engine run should go on: the user has not paused, cancelled or skipped,
/// and no newer run took over the item.
pub(super) fn still_wanted(item: UploadItem, token: u64) -> bool {
    item.run.get_value() == token
        && matches!(
            item.status.get_untracked(),
            UploadStatus::Uploading | UploadStatus::Retrying(_)
        )
}

/// After an abort: a pause keeps the session, a cancel removes it.
pub(super) async fn stopped_by_user(
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
pub(super) async fn wait_to_retry(item: UploadItem, attempt: u32, why: String) -> Result<(), Stop> {
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

/// Whether the file now at `item`'s target holds exactly the bytes whose `Content-Digest`
/// is `digest` (its `Repr-Digest` says so). A conflict with our own bytes is no conflict:
/// a batch or a `PUT` whose answer was lost did store them, or the user dropped a file
/// that is already there; either way the upload is done.
pub(super) async fn already_there(item: UploadItem, server: &str, digest: &str) -> bool {
    let url = format!("{server}{}", item.target.with_value(|t| t.to_url_path()));
    let Ok(request) = open("HEAD", &url, server) else {
        return false;
    };
    let number = item.track(request.abort_handle());
    let answer = request
        .header_of_answer(skiff_protocol::REPR_DIGEST_HEADER)
        .await;
    item.untrack(number);
    matches!(answer, Ok((200, Some(value))) if value.trim() == digest)
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

/// Whether requests should say `If-None-Match: *` (everything but a chosen Replace).
pub(super) fn refuses_existing(item: UploadItem) -> bool {
    item.on_conflict.get_value() != Some(ConflictChoice::Replace)
}

pub(super) fn unreadable() -> Stop {
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

/// The machine-readable error code of an error body, if any.
pub(super) fn error_code(body: &str) -> Option<String> {
    serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.error.code)
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
