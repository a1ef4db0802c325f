//! Opening a session (§2): creating one (settling name conflicts on the way) or finding
//! the one a reload or pause left, for the sequential and the parts engines alike.

use super::{
    absolute_url, error_message, exchange, open, refuses_existing, settle_conflict, still_wanted,
    wait_to_retry, Stop,
};
use crate::upload::item::UploadItem;
use crate::upload::persist::{self, SavedUpload};
use crate::upload::policy::{recovery_for, Recovery};
use crate::upload::xhr::XhrRequest;
use leptos::prelude::*;
use skiff_protocol::{UploadCreate, UploadSession};
use web_sys::File;

/// A session to upload into: its absolute URL and the server's view of it.
pub(super) struct Opened {
    /// The session's absolute URL.
    pub url: String,
    /// The session object (offset, and the durable parts of a parts session).
    pub session: UploadSession,
}

/// The saved session for this file, if the server still has it and it is of the kind
/// wanted (`parts`: a parts session, else a sequential one). One of the other kind (saved
/// before the server learned parts, say) is aborted and forgotten.
pub(super) async fn resume(fingerprint: &str, server: &str, parts: bool) -> Option<Opened> {
    let saved = persist::load(fingerprint)?;
    if saved.server != server {
        return None;
    }
    let answer = XhrRequest::new("GET", &saved.url, server)
        .ok()?
        .send(None, |_| {})
        .await
        .ok()?;
    let session = (answer.status == 200)
        .then(|| serde_json::from_str::<UploadSession>(&answer.body).ok())
        .flatten();
    match session {
        Some(session) if session.part_size.is_some() == parts => Some(Opened {
            url: saved.url,
            session,
        }),
        other => {
            persist::forget(fingerprint);
            if other.is_some() {
                if let Ok(request) = XhrRequest::new("DELETE", &saved.url, server) {
                    let _ = request.send(None, |_| {}).await;
                }
            }
            None
        }
    }
}

/// Bytes the server holds of the upload saved under `fingerprint` (to show a restored
/// row's progress before its file is back); `None` if it cannot say.
pub(super) async fn durable_on_server(fingerprint: &str, server: &str) -> Option<u64> {
    let saved = persist::load(fingerprint)?;
    if saved.server != server {
        return None;
    }
    let answer = XhrRequest::new("GET", &saved.url, server)
        .ok()?
        .send(None, |_| {})
        .await
        .ok()?;
    let session = (answer.status == 200)
        .then(|| serde_json::from_str::<UploadSession>(&answer.body).ok())
        .flatten()?;
    Some(crate::upload::plan::durable_bytes(saved.size, &session))
}

/// Remembers the session for a resume after a reload.
pub(super) fn remember(
    item: UploadItem,
    file: &File,
    server: &str,
    url: &str,
    offset: u64,
    part_size: Option<u64>,
    part_digests: String,
) {
    persist::save(
        &item.fingerprint.get_value(),
        &SavedUpload {
            server: server.to_owned(),
            url: url.to_owned(),
            target: item.target.with_value(ToString::to_string),
            name: item.name.get_value(),
            size: item.size,
            last_modified: file.last_modified(),
            offset,
            part_size,
            part_digests,
        },
    );
}

/// Creates a session (with parts of `part_size` if given), settling a 412 the way the
/// user chose.
pub(super) async fn create(
    item: UploadItem,
    token: u64,
    server: &str,
    endpoint: &str,
    part_size: Option<u64>,
) -> Result<Opened, Stop> {
    let mut copy = 0u32;
    loop {
        match create_once(item, token, server, endpoint, part_size).await {
            Err(Stop::Conflict) => settle_conflict(item, &mut copy)?,
            other => return other,
        }
    }
}

/// One create request; a 412 (the name exists, `If-None-Match: *`) is [`Stop::Conflict`].
async fn create_once(
    item: UploadItem,
    token: u64,
    server: &str,
    endpoint: &str,
    part_size: Option<u64>,
) -> Result<Opened, Stop> {
    // A mounted storage is its own bucket (§5); its name is reserved in the default one.
    let (bucket, key) = item
        .target
        .with_value(crate::upload::buckets::bucket_and_key);
    let body = UploadCreate {
        key,
        bucket,
        mime_type: item
            .file
            .with_value(|file| file.as_ref().map(|f| f.type_()))
            .filter(|mime| !mime.is_empty())
            .unwrap_or_else(|| "application/octet-stream".to_owned()),
        size: item.size,
        sha256: None,
        part_size,
    };
    let json = serde_json::to_string(&body)
        .map_err(|_| Stop::Failed("cannot encode the request".into()))?;
    let mut attempt = 0;
    loop {
        if !still_wanted(item, token) {
            return Err(Stop::ByUser);
        }
        let mut request =
            open("POST", endpoint, server)?.header("Content-Type", "application/json");
        if refuses_existing(item) {
            request = request.header("If-None-Match", "*");
        }
        let reply = exchange(item, request, Some(&json)).await?;
        match reply.status() {
            Some(412) => return Err(Stop::Conflict),
            Some(201) => {
                let session: UploadSession = serde_json::from_str(reply.body())
                    .map_err(|_| Stop::Failed("the server's answer was not a session".into()))?;
                let url = absolute_url(server, endpoint, &session.url);
                return Ok(Opened { url, session });
            }
            status => match recovery_for(status) {
                Recovery::Retry => {
                    wait_to_retry(item, attempt, reply.why()).await?;
                    attempt += 1;
                }
                _ => return Err(Stop::Failed(error_message(status, reply.body()))),
            },
        }
    }
}
