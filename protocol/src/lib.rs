//! Wire types of the Skiff protocol (`PROTOCOL.md`), shared by the Skiff app and
//! skiff-server so the two can never disagree about a field name.
//!
//! Only `serde` is a dependency: this crate compiles unchanged for wasm32 and native.

mod batch;
mod display;
mod files;
mod path;
mod storages;
mod uploads;

pub use batch::{
    BatchAnswer, BatchItem, BatchResult, BATCH_CONTENT_TYPE, BATCH_HEADER_LIMIT, BATCH_MAX_ITEMS,
    BATCH_PATH,
};
pub use display::{display_cmp, human_size, natural_cmp};
pub use files::{
    EntryKind, FileMetadata, MetadataValue, RawList, RawListEntry, RawStat, FORMAT_KEY,
    METADATA_BODY_LIMIT, METADATA_PATH, RAW_PATH,
};
pub use path::{decode_segment, encode_segment, encode_tree_path, PathError, TreePath};
use serde::{Deserialize, Serialize};
pub use storages::{
    is_storage_name, ChecksumLine, Storage, StorageCreate, StorageKind, StoragePatch,
    CHECKSUMS_SEGMENT, NDJSON_CONTENT_TYPE, STORAGES_PATH, STORAGE_NAME_MAX,
};
pub use uploads::{
    part_count, part_range, part_ranges, Bucket, BucketList, FileList, FileObject, UploadComplete,
    UploadCreate, UploadSession, CHECKSUM_MISMATCH_STATUS, COMPLETE_SEGMENT, CONTENT_DIGEST_HEADER,
    DEFAULT_BUCKET, PARTS_SEGMENT, REPR_DIGEST_HEADER, SESSION_PREFIX, UPLOADS_PATH,
    UPLOAD_CHECKSUM_HEADER, UPLOAD_OFFSET_HEADER,
};

/// Request and response header of the RFSAPI protocol (PROTOCOL.md §1).
pub const RFSAPI_HEADER: &str = "X-Raw-Filesystem-API";
/// Where a Skiff-aware server describes itself (PROTOCOL.md §0).
pub const DISCOVERY_PATH: &str = "/.well-known/skiff";
/// Top-level name reserved by skiff-server; never listed, never writable.
pub const RESERVED_NAME: &str = ".skiff";
/// `mime_type` of a directory entry in RFSAPI listings.
pub const DIRECTORY_MIME: &str = "text/directory";

/// `GET /.well-known/skiff`: which features a server offers and where.
///
/// Every field but `version` and `tree` may be absent; an absent feature is off.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// Protocol version; this crate speaks 1.
    pub version: u32,
    /// Path prefix under which the tree is served with RFSAPI, normally `/`.
    pub tree: String,
    /// Upload sessions endpoint (§2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploads: Option<String>,
    /// Metadata endpoint (§3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// Raw file API endpoint (§4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// Storages endpoint (§5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storages: Option<String>,
    /// Authentication scheme the server requires (§6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthScheme>,
    /// Largest accepted upload chunk in bytes; larger chunks get 413.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chunk: Option<u64>,
    /// Smallest part size of parallel parts (§2.1); absent when parts are off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_part: Option<u64>,
    /// Batch writes of many small files in one request (a Skiff extension,
    /// `docs/protocol-notes.md`); absent when off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    /// `GET {raw}/zip` streams files and folders as one ZIP (§4, v1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<bool>,
    /// `POST /.skiff/api/sign` makes signed URLs (§6, v1.1): on servers with tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<bool>,
    /// What the request's credentials may do here (v1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
}

/// One thing a client may do (discovery's `roles`, PROTOCOL.md §0/§6).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Browse and read.
    Read,
    /// Upload, change and delete.
    Write,
    /// Manage storages (§5).
    Admin,
}

/// How a server authenticates requests (PROTOCOL.md §6).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    /// Anyone may read.
    None,
    /// `Authorization: Bearer <token>` on every request but discovery and the app shell.
    Bearer,
}

/// Body of an RFSAPI response: a directory listing, or one file's entry.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FilesetData {
    /// Whether this client may write (PUT/DELETE) on this server.
    pub writes_supported: bool,
    /// Whether the requested directory is the topmost one; false for files.
    pub is_root: bool,
    /// Whether the requested path is a file.
    pub is_file: bool,
    /// A directory's children (in no particular order), or the file's own entry.
    pub files: Vec<RawFileData>,
}

/// One entry of an RFSAPI listing.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RawFileData {
    /// MIME type; `text/directory` for folders.
    pub mime_type: String,
    /// The entry's name, without any path.
    pub name: String,
    /// Last modification time, RFC 3339 (kept as the server sent it).
    pub last_modified: String,
    /// Size in bytes; 0 for folders.
    pub size: u64,
    /// Whether the entry is a file.
    pub is_file: bool,
    /// skiff-server extension: the entry's stable UUID (§4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// skiff-server extension: the entry's quoted ETag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

impl RawFileData {
    /// An entry with a name and a size only (no MIME type, time, id or ETag):
    /// what a listing's order, counts and sizes go by; tests build theirs with it.
    pub fn named(name: &str, is_file: bool, size: u64) -> Self {
        RawFileData {
            mime_type: String::new(),
            name: name.to_owned(),
            last_modified: String::new(),
            size,
            is_file,
            id: None,
            etag: None,
        }
    }

    /// Whether the entry is a directory (RFSAPI says so through `is_file`).
    pub fn is_dir(&self) -> bool {
        !self.is_file
    }
}

/// Every error body: `{"error": {"code", "message"}}`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// Machine-readable code plus a sentence for people.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Stable, machine-readable code such as `not_found`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ErrorBody {
    /// Builds an error body from a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests;
