//! Wire types of resumable chunked uploads (PROTOCOL.md §2): creating a session,
//! the session object, the file object, and the bucket listings.

use serde::{Deserialize, Serialize};

use crate::ErrorDetail;

/// Where skiff-server serves upload sessions; discovery's `uploads` points here.
pub const UPLOADS_PATH: &str = "/.skiff/v1/files";
/// The bucket that is the served tree when no storages are configured (§5).
pub const DEFAULT_BUCKET: &str = "default";
/// Prefix of a session's segment in its URL: `{uploads}/session:{id}`.
pub const SESSION_PREFIX: &str = "session:";
/// Request header carrying the offset a chunk starts at.
pub const UPLOAD_OFFSET_HEADER: &str = "Upload-Offset";
/// Optional request header `sha256 <base64 of the chunk's digest>`.
pub const UPLOAD_CHECKSUM_HEADER: &str = "Upload-Checksum";
/// Status of a chunk or whole-file checksum mismatch (tus' "Checksum Mismatch").
pub const CHECKSUM_MISMATCH_STATUS: u16 = 460;

/// Body of `POST {uploads}`: what the session will upload, and where.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct UploadCreate {
    /// Tree path of the new file, without the leading `/` (not percent-encoded).
    pub key: String,
    /// Storage name; `default` for the served tree.
    pub bucket: String,
    /// Content type the uploader declares.
    pub mime_type: String,
    /// Total size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the whole file, checked on completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A session as the server reports it (create, append while incomplete, status, 409).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct UploadSession {
    /// Opaque session id.
    pub id: String,
    /// Where to append, ask for status and abort; resolve against `{uploads}`.
    pub url: String,
    /// Bytes durably stored so far: the next chunk must start here.
    pub offset: u64,
    /// Total size announced at creation.
    pub size: u64,
    /// Present when the object answers a refused request (409: re-sync to `offset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// A stored file, as returned by a completed upload and the bucket listings.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FileObject {
    /// Tree path without the leading `/`.
    pub key: String,
    /// Storage name.
    pub bucket: String,
    /// Content type.
    pub mime_type: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Integer Unix seconds.
    pub created_at: i64,
    /// The entry's id (§4).
    pub id: String,
    /// Lowercase hex SHA-256, only where the server knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// `GET {uploads}`: the buckets.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BucketList {
    /// One entry per bucket.
    pub data: Vec<Bucket>,
}

/// One bucket of [`BucketList`].
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The bucket's name, as used in URLs and `UploadCreate::bucket`.
    pub name: String,
}

/// `GET {uploads}/{bucket}`: one page of files sorted by key (byte order).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FileList {
    /// The files of this page.
    pub data: Vec<FileObject>,
    /// Key to pass as `after=` for the next page; `null` on the last page.
    pub next: Option<String>,
}
