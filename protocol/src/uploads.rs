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
/// RFC 9530 request header `sha-256=:<base64>:`, verified by the server (§2.1, §2.2).
pub const CONTENT_DIGEST_HEADER: &str = "Content-Digest";
/// RFC 9530 response header `sha-256=:<base64>:` on file bytes whose SHA-256 is known.
pub const REPR_DIGEST_HEADER: &str = "Repr-Digest";
/// Path below a session's url where parts are sent: `{url}/parts/{n}` (§2.1).
pub const PARTS_SEGMENT: &str = "parts";
/// Path below a session's url that completes a parts session: `{url}/complete` (§2.1).
pub const COMPLETE_SEGMENT: &str = "complete";

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
    /// Parallel parts of this many bytes (§2.1); absent for a sequential session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
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
    /// Part size of a parts session (§2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
    /// Durable part numbers of a parts session as sorted, merged, inclusive ranges
    /// (`[[1,5],[7,7]]`); absent for a sequential session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<[u64; 2]>>,
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
    /// §2.1 content hash (SHA-256 over the parts' SHA-256s, lowercase hex) of a file
    /// uploaded in parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// The part size `content_hash` was computed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
}

/// Body of `POST {url}/complete` (§2.1): digests to check before the file is placed.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadComplete {
    /// Lowercase hex SHA-256 of the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Lowercase hex content hash (§2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
}

/// The number of parts of a `size`-byte file in parts of `part_size` (one empty
/// part for an empty file).
pub fn part_count(size: u64, part_size: u64) -> u64 {
    size.div_ceil(part_size.max(1)).max(1)
}

/// Byte range `[start, end)` of part `n` (1-based), or `None` when `n` is out of range.
pub fn part_range(size: u64, part_size: u64, n: u64) -> Option<(u64, u64)> {
    if n == 0 || n > part_count(size, part_size) {
        return None;
    }
    let start = (n - 1).saturating_mul(part_size);
    Some((start, start.saturating_add(part_size).min(size)))
}

/// Merges sorted part numbers into inclusive ranges: `[1,2,3,5]` → `[[1,3],[5,5]]`.
pub fn part_ranges(sorted: impl IntoIterator<Item = u64>) -> Vec<[u64; 2]> {
    let mut ranges: Vec<[u64; 2]> = Vec::new();
    for n in sorted {
        match ranges.last_mut() {
            Some(last) if n <= last[1] => {}
            Some(last) if n == last[1] + 1 => last[1] = n,
            _ => ranges.push([n, n]),
        }
    }
    ranges
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
