//! Wire types of metadata (PROTOCOL.md §3, CKAN FileStore style) and of the raw
//! file API (§4, CS3 Raw style).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where skiff-server serves metadata; discovery's `metadata` points here.
pub const METADATA_PATH: &str = "/.skiff/api/storage/metadata";
/// Where skiff-server serves the raw file API; discovery's `raw` points here.
pub const RAW_PATH: &str = "/.skiff/raw";
/// Largest metadata body a server must accept (larger → 413).
pub const METADATA_BODY_LIMIT: usize = 64 * 1024;
/// The one `_`-prefixed metadata key a client may write.
pub const FORMAT_KEY: &str = "_format";

/// A user metadata value: a JSON scalar (arrays and objects are refused).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
pub enum MetadataValue {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number that fits `i64`.
    Integer(i64),
    /// A whole number above `i64::MAX`.
    Unsigned(u64),
    /// Any other number.
    Float(f64),
    /// A string.
    Text(String),
    /// `null`.
    Null,
}

/// `GET {metadata}/{label}`: the server's read-only `_` fields and the user keys.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FileMetadata {
    /// Storage name.
    #[serde(rename = "_bucket")]
    pub bucket: String,
    /// Size in bytes (0 for folders).
    #[serde(rename = "_content_length")]
    pub content_length: u64,
    /// Content type: the one set through `_format`, else the guessed one.
    #[serde(rename = "_format")]
    pub format: String,
    /// The tree path, decoded, with a leading `/`.
    #[serde(rename = "_label")]
    pub label: String,
    /// HTTP date (RFC 7231).
    #[serde(rename = "_last_modified")]
    pub last_modified: String,
    /// URL (an absolute path on the same server) of the bytes.
    #[serde(rename = "_location")]
    pub location: String,
    /// Name of the token that first wrote this entry's metadata, or null.
    #[serde(rename = "_owner")]
    pub owner: Option<String>,
    /// Stable id (§4).
    #[serde(rename = "_id")]
    pub id: String,
    /// Quoted ETag.
    #[serde(rename = "_etag")]
    pub etag: String,
    /// Lowercase hex SHA-256 where the server knows it.
    #[serde(rename = "_sha256")]
    pub sha256: Option<String>,
    /// Every user key.
    #[serde(flatten)]
    pub user: BTreeMap<String, MetadataValue>,
}

/// `type` of a raw API entry.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Directory,
}

/// `GET {raw}/stat`, and the answer of writes, moves and copies.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RawStat {
    /// Stable id.
    pub id: String,
    /// Tree path, decoded, with a leading `/`.
    pub path: String,
    /// Last segment (empty for the root).
    pub name: String,
    /// File or folder.
    #[serde(rename = "type")]
    pub kind: EntryKind,
    /// Size in bytes; 0 for folders.
    pub size: u64,
    /// Quoted ETag.
    pub etag: String,
    /// Content type; `text/directory` for folders.
    pub mime_type: String,
    /// RFC 3339.
    pub last_modified: String,
}

/// `GET {raw}/list`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RawList {
    /// The folder's children, in no particular order.
    pub entries: Vec<RawListEntry>,
}

/// One child in [`RawList`].
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RawListEntry {
    /// The child's name.
    pub name: String,
    /// Size in bytes; 0 for folders.
    pub size: u64,
    /// Quoted ETag.
    pub etag: String,
    /// File or folder.
    #[serde(rename = "type")]
    pub kind: EntryKind,
    /// Stable id.
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_flattens_user_keys_beside_the_underscore_fields() {
        let value = json!({
            "_bucket": "default", "_content_length": 3, "_format": "text/plain",
            "_label": "/a b.txt", "_last_modified": "Sun, 06 Nov 1994 08:49:37 GMT",
            "_location": "/a%20b.txt", "_owner": null, "_id": "x", "_etag": "\"e\"",
            "_sha256": null, "author": "ann", "pages": 3, "ratio": 0.5, "ok": true, "none": null
        });
        let metadata: FileMetadata = serde_json::from_value(value.clone()).expect("parses");
        assert_eq!(metadata.user["author"], MetadataValue::Text("ann".into()));
        assert_eq!(metadata.user["pages"], MetadataValue::Integer(3));
        assert_eq!(metadata.user["ratio"], MetadataValue::Float(0.5));
        assert_eq!(metadata.user["none"], MetadataValue::Null);
        assert_eq!(metadata.user.len(), 5);
        assert_eq!(serde_json::to_value(&metadata).expect("serialises"), value);
    }

    #[test]
    fn raw_types_use_the_protocol_names() {
        let stat = RawStat {
            id: "i".into(),
            path: "/d".into(),
            name: "d".into(),
            kind: EntryKind::Directory,
            size: 0,
            etag: "\"e\"".into(),
            mime_type: "text/directory".into(),
            last_modified: "2020-04-13T19:12:22Z".into(),
        };
        assert_eq!(
            serde_json::to_value(&stat).expect("serialises"),
            json!({"id": "i", "path": "/d", "name": "d", "type": "directory", "size": 0,
                   "etag": "\"e\"", "mime_type": "text/directory",
                   "last_modified": "2020-04-13T19:12:22Z"})
        );
        let list: RawList = serde_json::from_value(json!({"entries": [
            {"name": "a", "size": 1, "etag": "\"x\"", "type": "file", "id": "u"}
        ]}))
        .expect("parses");
        assert_eq!(list.entries[0].kind, EntryKind::File);
    }
}
