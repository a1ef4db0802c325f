//! The listing service (PROTOCOL.md §1): a folder's RFSAPI listing as a stream
//! of JSON chunks, and a single entry's fileset, read from any storage through
//! its [`crate::store::Store`] (the default storage and mounted ones alike).
//! Listings show the stable ids entries already have (one read transaction per
//! page); `crate::http::tree` turns them into responses.
//!
//! - `folder.rs`: a folder's listing, fetched from the store a page at a time
//!   and streamed
//! - here: one entry's RFSAPI description, a file's own answer, and how a
//!   mounted storage appears in the root listing

mod folder;

pub use folder::Folder;

use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;
use skiff_protocol::{FilesetData, RawFileData, Storage, DIRECTORY_MIME};
use tokio::sync::mpsc;

use crate::catalog::ids::Known;
use crate::disk::entry::{mime_for_name, rfc3339};
use crate::error::AppError;
use crate::store::Entry;

/// A listing's body: the JSON of one [`FilesetData`], chunk by chunk. A listing
/// that fails half way ends with an error, so a response already under way is
/// broken off (the client sees a failed transfer, and retries), never a complete
/// body with half a folder.
pub type ListingChunks = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// The RFSAPI entry of `entry` (without its id).
fn describe(entry: Entry) -> RawFileData {
    let Entry {
        key,
        is_dir,
        size,
        modified,
        etag,
    } = entry;
    let name = key.name().unwrap_or_default().to_owned();
    RawFileData {
        mime_type: if is_dir {
            DIRECTORY_MIME.to_owned()
        } else {
            mime_for_name(&name)
        },
        name,
        last_modified: rfc3339(modified),
        size: if is_dir { 0 } else { size },
        is_file: !is_dir,
        id: None,
        etag: Some(etag),
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

/// File `entry`'s own RFSAPI answer, with its id and `_format` where `known`.
pub fn file(entry: &Entry, known: Option<Known>, writes_supported: bool) -> FilesetData {
    file_fileset(with_known(describe(entry.clone()), known), writes_supported)
}

/// A file's own RFSAPI answer: `is_file`, not root, exactly its own entry.
pub fn file_fileset(entry: RawFileData, writes_supported: bool) -> FilesetData {
    FilesetData {
        writes_supported,
        is_root: false,
        is_file: true,
        files: vec![entry],
    }
}

/// `entry` with its stable `id` and (for a file) its `_format`, where known.
pub fn with_known(mut entry: RawFileData, known: Option<Known>) -> RawFileData {
    if let Some(known) = known {
        entry.id = Some(known.id);
        if let Some(format) = known.format.filter(|_| entry.is_file) {
            entry.mime_type = format;
        }
    }
    entry
}

/// `{"writes_supported":..,"is_root":..,"is_file":false,"files":[` — produced by
/// serde from the protocol type itself so field names can never drift.
fn listing_prefix(head: &FilesetData) -> Result<Vec<u8>, AppError> {
    let mut json = serde_json::to_vec(head).map_err(|error| AppError::Io(error.into()))?;
    if !json.ends_with(b"[]}") {
        return Err(AppError::Io(std::io::Error::other(
            "FilesetData must end with `files`",
        )));
    }
    json.truncate(json.len() - 2);
    Ok(json)
}

/// The chunks a producer sends into `receiver`, as a body.
fn chunks_of(mut receiver: mpsc::Receiver<std::io::Result<Bytes>>) -> ListingChunks {
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        receiver.poll_recv(cx)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
