//! RFSAPI responses (PROTOCOL.md §1): directory listings and single-file entries.
//!
//! A listing streams: a blocking task walks `read_dir`, stats each entry, adds
//! the stable ids entries already have (one read transaction), and sends
//! serialised JSON in chunks through a bounded channel into the response body, so
//! a 100,000-entry folder never blocks an async worker, and a client that hangs
//! up stops the work.

use std::convert::Infallible;
use std::fs::{DirEntry, Metadata, ReadDir};
use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use skiff_protocol::{FilesetData, RawFileData};
use tokio::sync::mpsc;

use crate::catalog::ids::{Ids, Known};
use crate::disk::entry::describe;
use crate::disk::walk::{child_key, visible};
use crate::error::AppError;
use crate::http::json::{json_response, JSON_CONTENT_TYPE};

/// `X-Raw-Filesystem-API` as a header name (`skiff_protocol::RFSAPI_HEADER`, lowercased).
pub const RFSAPI: HeaderName = HeaderName::from_static("x-raw-filesystem-api");

/// Bytes gathered before a chunk is handed to the body.
const CHUNK_BYTES: usize = 32 * 1024;
/// Chunks buffered ahead of a slow client.
const CHUNKS_IN_FLIGHT: usize = 8;

/// The RFSAPI answer for a file: `is_file`, not root, and exactly its own entry
/// (with its stable `id` and `_format` when known).
pub fn file_entry(
    name: &str,
    metadata: &Metadata,
    known: Option<Known>,
    writes_supported: bool,
) -> Response {
    let mut entry = describe(name, metadata);
    if let Some(known) = known {
        entry.id = Some(known.id);
        if let Some(format) = known.format {
            entry.mime_type = format;
        }
    }
    let fileset = FilesetData {
        writes_supported,
        is_root: false,
        is_file: true,
        files: vec![entry],
    };
    let mut response = json_response(StatusCode::OK, &fileset);
    add_rfsapi_headers(&mut response);
    response
}

/// Streams the RFSAPI listing of the directory at canonical path `dir`, whose
/// key (tree path without the leading `/`) is `dir_key` (only the headers without
/// `with_body`, for HEAD). Fails before any byte is sent if the directory cannot
/// be opened.
///
/// `mounts` are the root's mounted storages (§5): listed as folders, and a local
/// entry of the same name stays hidden behind them.
#[allow(clippy::too_many_arguments)]
pub async fn directory(
    root: &Path,
    ids: &Ids,
    dir_key: String,
    dir: PathBuf,
    is_root: bool,
    mounts: Vec<RawFileData>,
    writes_supported: bool,
    with_body: bool,
) -> Result<Response, AppError> {
    let head = FilesetData {
        writes_supported,
        is_root,
        is_file: false,
        files: Vec::new(),
    };
    let prefix = listing_prefix(&head)?;
    let root = root.to_path_buf();
    let opened = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || std::fs::read_dir(dir))
    };
    let read_dir = opened
        .await
        .map_err(join_error)?
        .map_err(AppError::from_fs)?;
    if !with_body {
        let mut response = Response::new(Body::empty());
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, JSON_CONTENT_TYPE);
        add_rfsapi_headers(&mut response);
        return Ok(response);
    }

    let (sender, mut receiver) = mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
    let walk = Walk {
        root_hides_reserved: dir == root,
        root,
        ids: ids.clone(),
        dir_key,
        mounts,
        sender,
    };
    tokio::task::spawn_blocking(move || walk.run(read_dir, prefix));

    let chunks = futures_util::stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, Infallible>))
    });
    let mut response = Response::new(Body::from_stream(chunks));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, JSON_CONTENT_TYPE);
    add_rfsapi_headers(&mut response);
    Ok(response)
}

/// `{"writes_supported":..,"is_root":..,"is_file":false,"files":[` — produced by
/// serde from the protocol type itself so field names can never drift.
pub(crate) fn listing_prefix(head: &FilesetData) -> Result<Vec<u8>, AppError> {
    let mut json = serde_json::to_vec(head).map_err(|error| AppError::Io(error.into()))?;
    if !json.ends_with(b"[]}") {
        return Err(AppError::Io(std::io::Error::other(
            "FilesetData must end with `files`",
        )));
    }
    json.truncate(json.len() - 2);
    Ok(json)
}

/// `X-Raw-Filesystem-API: 1` and `no-cache` on an RFSAPI answer.
pub(crate) fn add_rfsapi_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(RFSAPI, HeaderValue::from_static("1"));
    // Listings change under the client's feet; always revalidate.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

fn join_error(error: tokio::task::JoinError) -> AppError {
    AppError::Io(std::io::Error::other(error))
}

/// One directory walk, run on a blocking thread.
struct Walk {
    root: PathBuf,
    /// Whether this is the root folder, whose `.skiff` is never listed.
    root_hides_reserved: bool,
    ids: Ids,
    /// Key of the listed folder: its children's keys are `dir_key/name`.
    dir_key: String,
    /// Mounted storages shown in this folder (the root only).
    mounts: Vec<RawFileData>,
    sender: mpsc::Sender<Bytes>,
}

impl Walk {
    fn run(mut self, read_dir: ReadDir, prefix: Vec<u8>) {
        // Gather first, so every id is looked up in one read transaction for the
        // whole folder. Listings show only ids that exist (see `crate::catalog::ids`).
        let mut entries = Vec::new();
        for entry in read_dir {
            match entry {
                Ok(entry) => entries.extend(
                    self.describe(&entry)
                        .filter(|data| !self.mounts.iter().any(|m| m.name == data.name)),
                ),
                Err(error) => tracing::warn!(%error, "skipping an unreadable directory entry"),
            }
        }
        let keys: Vec<String> = entries
            .iter()
            .map(|data| child_key(&self.dir_key, &data.name))
            .collect();
        match self.ids.known(&keys) {
            Ok(known) => {
                for (data, known) in entries.iter_mut().zip(known) {
                    if let Some(known) = known {
                        data.id = Some(known.id);
                        if let Some(format) = known.format.filter(|_| data.is_file) {
                            data.mime_type = format;
                        }
                    }
                }
            }
            // Still list: a listing without ids beats no listing.
            Err(error) => tracing::error!(%error, "cannot assign ids to a listing"),
        }
        drop(keys);
        entries.extend(std::mem::take(&mut self.mounts));
        let mut buffer = prefix;
        let mut first = true;
        for data in entries {
            if !first {
                buffer.push(b',');
            }
            first = false;
            if let Err(error) = serde_json::to_writer(&mut buffer, &data) {
                tracing::error!(%error, "cannot serialise a listing entry");
                return;
            }
            if buffer.len() >= CHUNK_BYTES && !self.send(std::mem::take(&mut buffer)) {
                return;
            }
        }
        buffer.extend_from_slice(b"]}");
        self.send(buffer);
    }

    /// Hands a chunk to the body; false once the client has gone away.
    fn send(&self, chunk: Vec<u8>) -> bool {
        self.sender.blocking_send(Bytes::from(chunk)).is_ok()
    }

    /// The entry as listed, or `None` for what must stay invisible.
    fn describe(&self, entry: &DirEntry) -> Option<RawFileData> {
        let (name, metadata) = visible(&self.root, self.root_hides_reserved, entry)?;
        Some(describe(&name, &metadata))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_name_is_the_protocol_constant() {
        assert!(RFSAPI
            .as_str()
            .eq_ignore_ascii_case(skiff_protocol::RFSAPI_HEADER));
    }

    #[test]
    fn prefix_opens_the_files_array() {
        let head = FilesetData {
            writes_supported: false,
            is_root: true,
            is_file: false,
            files: vec![],
        };
        let prefix = listing_prefix(&head).expect("prefix");
        assert_eq!(
            String::from_utf8(prefix).expect("utf-8"),
            r#"{"writes_supported":false,"is_root":true,"is_file":false,"files":["#
        );
    }
}
