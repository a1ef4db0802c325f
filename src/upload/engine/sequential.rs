//! A §2 session chunk after chunk, for servers without parallel parts. Each chunk is a
//! `Blob` slice sent as it is, with its WebCrypto SHA-256 as `Upload-Checksum`; the next
//! chunk is hashed while the current one is on the wire.

use super::session::{self, Opened};
use super::{
    error_message, open, still_wanted, stopped_by_user, unreadable, wait_to_retry, Reply, Stop,
};
use crate::upload::browser_io::{sha256_of, slice};
use crate::upload::digest::upload_checksum;
use crate::upload::item::UploadItem;
use crate::upload::persist;
use crate::upload::policy::{chunk_range, recovery_for, Recovery};
use leptos::prelude::*;
use skiff_protocol::{FileObject, UploadSession, UPLOAD_CHECKSUM_HEADER, UPLOAD_OFFSET_HEADER};
use web_sys::{Blob, File};

/// Uploads `file` through a sequential session at `endpoint` in chunks of `chunk` bytes.
pub(super) async fn upload(
    item: UploadItem,
    token: u64,
    file: &File,
    server: &str,
    endpoint: &str,
    chunk: u64,
) -> Result<(), Stop> {
    let fingerprint = item.fingerprint.get_value();
    let Opened { mut url, session } = match session::resume(&fingerprint, server, false).await {
        Some(opened) => opened,
        None => session::create(item, token, server, endpoint, None).await?,
    };
    let mut offset = session.offset;
    let remember = |url: &str, offset: u64| {
        session::remember(item, file, server, url, offset, None, String::new());
    };
    remember(&url, offset);
    item.sent.set(offset);
    let mut attempt = 0u32;
    let mut prepared: Option<Prepared> = None;
    loop {
        // A pause or cancel between requests has nothing in flight to abort: look.
        if !still_wanted(item, token) {
            return stopped_by_user(item, server, &url, &fingerprint).await;
        }
        if offset >= item.size {
            // Every byte is there but the completing answer was lost.
            return Err(Stop::Failed(
                "the server has every byte but did not confirm the file; retry".into(),
            ));
        }
        let (start, end) = chunk_range(offset, item.size, chunk);
        let current = match prepared.take() {
            Some(ready) if ready.start == start && ready.end == end => ready,
            _ => prepare(file, start, end).await?,
        };
        if !still_wanted(item, token) {
            return stopped_by_user(item, server, &url, &fingerprint).await;
        }
        let request = open("POST", &url, server)?
            .header(UPLOAD_OFFSET_HEADER, &start.to_string())
            .header(UPLOAD_CHECKSUM_HEADER, &current.checksum)
            .header("Content-Type", "application/offset+octet-stream");
        let number = item.track(request.abort_handle());
        let sending = request.send_blob(&current.blob, move |loaded| {
            let sent = start + loaded as u64;
            item.sent.set(sent);
            item.speed
                .update(|meter| meter.sample(js_sys::Date::now(), sent));
        });
        // While the browser sends this chunk, hash the next one.
        let (next_start, next_end) = chunk_range(end, item.size, chunk);
        let preparing = async {
            if next_start < next_end {
                prepare(file, next_start, next_end).await.ok()
            } else {
                None
            }
        };
        let (answer, next) = futures::join!(sending, preparing);
        item.untrack(number);
        prepared = next;
        let reply = match Reply::from(answer) {
            Ok(reply) => reply,
            Err(_) => return stopped_by_user(item, server, &url, &fingerprint).await,
        };
        let status = reply.status();
        if matches!(status, Some(200 | 201)) {
            if end >= item.size {
                return finish(item, reply.body(), &fingerprint);
            }
            let session: UploadSession = serde_json::from_str(reply.body())
                .map_err(|_| Stop::Failed("the server's answer was not a session".into()))?;
            offset = session.offset;
            item.sent.set(offset);
            remember(&url, offset);
            attempt = 0;
            continue;
        }
        match recovery_for(status) {
            Recovery::Retry => {
                wait_to_retry(item, attempt, reply.why()).await?;
                attempt += 1;
            }
            Recovery::Resync => {
                let session: UploadSession = serde_json::from_str(reply.body())
                    .map_err(|_| Stop::Failed("409 without the session's offset".into()))?;
                offset = session.offset;
                item.sent.set(offset);
            }
            Recovery::Restart => {
                persist::forget(&fingerprint);
                let opened = session::create(item, token, server, endpoint, None).await?;
                url = opened.url;
                offset = opened.session.offset;
                remember(&url, offset);
            }
            Recovery::Fail => return Err(Stop::Failed(error_message(status, reply.body()))),
        }
    }
}

/// A chunk hashed and ready to send: a slice of the file, no bytes kept.
struct Prepared {
    start: u64,
    end: u64,
    blob: Blob,
    /// `Upload-Checksum` for it.
    checksum: String,
}

async fn prepare(file: &File, start: u64, end: u64) -> Result<Prepared, Stop> {
    let blob = slice(file, start, end).ok_or_else(unreadable)?;
    let digest = sha256_of(&blob).await.ok_or_else(unreadable)?;
    Ok(Prepared {
        start,
        end,
        blob,
        checksum: upload_checksum(&digest),
    })
}

/// The last chunk's answer is the file object: check its size, then forget the session.
fn finish(item: UploadItem, body: &str, fingerprint: &str) -> Result<(), Stop> {
    persist::forget(fingerprint);
    let file: FileObject = serde_json::from_str(body)
        .map_err(|_| Stop::Failed("the server's answer was not a file".into()))?;
    if file.bytes != item.size {
        return Err(Stop::Failed(format!(
            "the server stored {} bytes, not {}",
            file.bytes, item.size
        )));
    }
    Ok(())
}
