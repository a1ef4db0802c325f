//! The listing service (PROTOCOL.md §1): a folder's RFSAPI listing as a stream
//! of JSON chunks, and a single entry's fileset, for the default storage
//! (`local.rs`, from the disk) and a mounted one (`mounted.rs`, from its store).
//! Listings show the stable ids entries already have (one read transaction per
//! folder or page); `crate::http::tree` turns them into responses.

pub mod local;
pub mod mounted;

use std::convert::Infallible;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;
use skiff_protocol::{FilesetData, RawFileData};
use tokio::sync::mpsc;

use crate::catalog::ids::Known;
use crate::error::AppError;

/// A listing's body: the JSON of one [`FilesetData`], chunk by chunk. It ends
/// short (invalid JSON) if the listing fails half way, never with half a folder.
pub type ListingChunks = Pin<Box<dyn Stream<Item = Result<Bytes, Infallible>> + Send>>;

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
fn chunks_of(mut receiver: mpsc::Receiver<Bytes>) -> ListingChunks {
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, Infallible>))
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
