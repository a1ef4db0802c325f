//! Wire types of storages (PROTOCOL.md §5): the storage objects of `GET {storages}`
//! and the newline-delimited lines of a scrub, `GET {storages}/{name}/checksums`.

use serde::{Deserialize, Serialize};

use crate::ErrorDetail;

/// Where skiff-server lists its storages; discovery's `storages` points here.
pub const STORAGES_PATH: &str = "/.skiff/api/storages";
/// Last segment of a storage's scrub: `{storages}/{name}/checksums`.
pub const CHECKSUMS_SEGMENT: &str = "checksums";
/// `Content-Type` of a scrub: one JSON object per line (newline-delimited JSON).
pub const NDJSON_CONTENT_TYPE: &str = "application/x-ndjson";

/// One storage (backend) of a server.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    /// Stable UUID of the storage.
    pub id: String,
    /// The name used in URLs and as the upload `bucket` (§2).
    pub name: String,
    /// A name for people.
    pub label: String,
    /// What kind of backend holds the files.
    #[serde(rename = "type")]
    pub kind: StorageKind,
    /// Where the storage's files are browsed (an absolute path or URL).
    pub url: String,
    /// When the storage was first set up, integer Unix seconds.
    pub created_at: i64,
}

/// The backend of a [`Storage`].
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// A folder on the server's own file system.
    Local,
    /// An S3-compatible object store.
    S3,
}

/// One line of a scrub: a stored file, the checksum the server recorded for it
/// and the one just recomputed from its bytes. Checksums are lowercase hex SHA-256.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ChecksumLine {
    /// The entry's stable id (§4).
    pub upload_id: String,
    /// What the server recorded when it wrote the file; `null` if it knows none.
    pub checksum: Option<String>,
    /// Recomputed from the bytes now; `null` when `error` says why it could not be.
    pub checksum_on_disk: Option<String>,
    /// skiff-server extension: the decoded tree path, with a leading `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Present when this entry could not be checked (gone, unreadable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}
