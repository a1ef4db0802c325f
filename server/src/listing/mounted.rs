//! RFSAPI answers for a mounted storage: a folder's listing, fetched from the
//! store a page at a time and streamed, so a folder of any size starts arriving
//! at once and a client that hangs up stops the paging; and a file's own entry.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use skiff_protocol::{FilesetData, RawFileData, Storage, TreePath, DIRECTORY_MIME, RESERVED_NAME};
use tokio::sync::mpsc;

use super::mounted::Mounted;
use crate::catalog::ids::Known;
use crate::disk::entry::{mime_for_name, rfc3339};
use crate::error::AppError;
use crate::http::json::{json_response, JSON_CONTENT_TYPE};
use crate::http::tree::listing::{add_rfsapi_headers, listing_prefix};
use crate::store::{Entry, Page};

/// Children asked of the store at once.
const PAGE: usize = 1000;
/// Pages buffered ahead of a slow client.
const PAGES_IN_FLIGHT: usize = 2;

/// The RFSAPI entry of `entry`.
fn describe(entry: &Entry) -> RawFileData {
    let name = entry.key.name().unwrap_or_default().to_owned();
    RawFileData {
        mime_type: if entry.is_dir {
            DIRECTORY_MIME.to_owned()
        } else {
            mime_for_name(&name)
        },
        name,
        last_modified: rfc3339(entry.modified),
        size: if entry.is_dir { 0 } else { entry.size },
        is_file: !entry.is_dir,
        id: None,
        etag: Some(entry.etag.clone()),
    }
}

/// How a mounted storage appears in the root listing: a folder named by its
/// `mount`, dated when the storage was added.
pub fn mount_entry(storage: &Storage) -> RawFileData {
    RawFileData {
        mime_type: DIRECTORY_MIME.to_owned(),
        name: storage.mount.clone(),
        last_modified: rfc3339(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(u64::try_from(storage.created_at).unwrap_or(0)),
        ),
        size: 0,
        is_file: false,
        id: None,
        etag: None,
    }
}

/// The entry as listed, with its id and `_format` where known.
fn described(entry: &Entry, known: Option<Known>) -> RawFileData {
    let mut data = describe(entry);
    if let Some(known) = known {
        data.id = Some(known.id);
        if let Some(format) = known.format.filter(|_| data.is_file) {
            data.mime_type = format;
        }
    }
    data
}

/// A file's own RFSAPI answer.
pub fn file(
    entry: &Entry,
    known: Option<Known>,
    writes_supported: bool,
) -> Result<Response, AppError> {
    let fileset = FilesetData {
        writes_supported,
        is_root: false,
        is_file: true,
        files: vec![described(entry, known)],
    };
    let mut response = json_response(StatusCode::OK, &fileset);
    add_rfsapi_headers(&mut response);
    Ok(response)
}

/// Streams folder `key`'s listing. The first page is fetched before answering,
/// so a folder that cannot be listed gets its error status, not a cut body.
pub async fn folder(
    mounted: &Mounted,
    key: &TreePath,
    writes_supported: bool,
    with_body: bool,
) -> Result<Response, AppError> {
    let first = mounted.store.list(key, None, PAGE).await?;
    let mut response = Response::new(Body::empty());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, JSON_CONTENT_TYPE);
    add_rfsapi_headers(&mut response);
    if !with_body {
        return Ok(response);
    }
    let head = FilesetData {
        writes_supported,
        is_root: false,
        is_file: false,
        files: Vec::new(),
    };
    let prefix = listing_prefix(&head)?;

    let (sender, mut receiver) = mpsc::channel::<Bytes>(PAGES_IN_FLIGHT);
    let store = mounted.store.clone();
    let ids = mounted.ids.clone();
    let dir_key = mounted.tree_key(key);
    let key = key.clone();
    let hide_reserved = key.is_root();
    tokio::spawn(async move {
        let mut chunk = prefix;
        let mut first_entry = true;
        let mut page = first;
        loop {
            page.entries
                .retain(|entry| !(hide_reserved && entry.key.name() == Some(RESERVED_NAME)));
            // Listings show the ids that exist (as in the default storage), one read
            // transaction per page; a listing without ids beats no listing.
            let keys: Vec<String> = page
                .entries
                .iter()
                .map(|entry| format!("{dir_key}/{}", entry.key.name().unwrap_or_default()))
                .collect();
            let reader = ids.clone();
            let known = crate::blocking::blocking(move || reader.known(&keys))
                .await
                .unwrap_or_else(|error| {
                    tracing::error!(%error, "cannot look up the ids of a listing");
                    Vec::new()
                });
            let mut known = known.into_iter();
            for entry in &page.entries {
                if !first_entry {
                    chunk.push(b',');
                }
                first_entry = false;
                let data = described(entry, known.next().flatten());
                if let Err(error) = serde_json::to_writer(&mut chunk, &data) {
                    tracing::error!(%error, "cannot serialise a listing entry");
                    return;
                }
            }
            let Page { next, .. } = page;
            let Some(after) = next else { break };
            if sender
                .send(Bytes::from(std::mem::take(&mut chunk)))
                .await
                .is_err()
            {
                return; // The client went away.
            }
            page = match store.list(&key, Some(&after), PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    // The status is sent: all we can do is end the body short, so the
                    // client's JSON parser fails instead of showing half a folder.
                    tracing::error!(%error, "a storage failed in the middle of a listing");
                    return;
                }
            };
        }
        chunk.extend_from_slice(b"]}");
        // Nobody to tell if the client has gone.
        let _ = sender.send(Bytes::from(chunk)).await;
    });
    let chunks = futures_util::stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, Infallible>))
    });
    *response.body_mut() = Body::from_stream(chunks);
    Ok(response)
}
