//! Wire types of batch writes (a Skiff extension of PROTOCOL.md §2.2, recorded in
//! `docs/protocol-notes.md`): many small files in one request, each exactly a
//! `PUT P` with its own conditions and digest, for folders of thousands of tiny
//! files where one request per file is what limits a browser.
//!
//! The body of `POST {batch}` is a sequence of items, each one line of JSON (a
//! [`BatchItem`], ending in `\n`) followed by exactly `size` bytes of the file.
//! The answer is a [`BatchAnswer`]: one [`BatchResult`] per item, in order.

use serde::{Deserialize, Serialize};

use crate::{ErrorDetail, RawFileData};

/// Where skiff-server takes batches; discovery's `batch` points here.
pub const BATCH_PATH: &str = "/.skiff/v1/batch";
/// `Content-Type` of a batch body.
pub const BATCH_CONTENT_TYPE: &str = "application/vnd.skiff.batch";
/// Longest item header line the server reads, newline included.
pub const BATCH_HEADER_LIMIT: usize = 16 * 1024;
/// Most items one batch may hold; later items answer 413 (their bytes skipped).
pub const BATCH_MAX_ITEMS: usize = 1000;

/// One file of a batch: what `PUT path` would say in its request line and headers.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    /// The tree path as a URL path (percent-encoded, as in `PUT P`'s request line).
    pub path: String,
    /// How many bytes of the body follow the header line.
    pub size: u64,
    /// `Content-Digest` value (`sha-256=:<base64>:`), verified before the file is placed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `If-None-Match: *`: only if nothing is at `path` yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_only: bool,
    /// `If-Match`: only if the file at `path` has this entity-tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
}

/// What became of one item: the status `PUT path` would have answered, and its body.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BatchResult {
    /// The item's `path`, as sent.
    pub path: String,
    /// 201 created, 200 replaced, or the error status (412, 460, 403, 413, …).
    pub status: u16,
    /// The stored file's RFSAPI entry, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<RawFileData>,
    /// `Repr-Digest` of the stored bytes, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Why not, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// The answer to a batch (200 once every item's outcome is final and every stored
/// file durable).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BatchAnswer {
    /// One result per item, in the order the items came.
    pub results: Vec<BatchResult>,
}
