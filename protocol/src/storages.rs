//! Wire types of storages (PROTOCOL.md §5): the storage objects of `GET {storages}`
//! and the newline-delimited lines of a scrub, `GET {storages}/{name}/checksums`, and
//! the admin calls' bodies (`POST {storages}`, `PATCH {storages}/{name}`).

use serde::{Deserialize, Serialize};

use crate::ErrorDetail;

/// Where skiff-server lists its storages; discovery's `storages` points here.
pub const STORAGES_PATH: &str = "/.skiff/api/storages";
/// Last segment of a storage's scrub: `{storages}/{name}/checksums`.
pub const CHECKSUMS_SEGMENT: &str = "checksums";
/// `Content-Type` of a scrub: one JSON object per line (newline-delimited JSON).
pub const NDJSON_CONTENT_TYPE: &str = "application/x-ndjson";

/// One storage (backend) of a server (§5).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    /// Stable UUID of the storage.
    pub id: String,
    /// The name used in URLs and as the upload `bucket` (§2): 1–63 of `[a-z0-9-]`.
    pub name: String,
    /// A name for people.
    pub label: String,
    /// What kind of backend holds the files.
    #[serde(rename = "type")]
    pub kind: StorageKind,
    /// The backend in use: `file:///abs/path` or `s3://bucket[/prefix]`.
    pub url: String,
    /// The URL the storage was set up with; differs from `url` only when the
    /// server's configuration overrides it.
    #[serde(default)]
    pub default_url: String,
    /// The top-level folder of the tree it appears as; `/` for the default storage.
    #[serde(default)]
    pub mount: String,
    /// When the storage was first set up, integer Unix seconds.
    pub created_at: i64,
    /// The S3 region; `null` for local storages.
    #[serde(default)]
    pub region: Option<String>,
    /// Whether the server accepts writes to it.
    #[serde(default)]
    pub writable: bool,
    /// The S3 endpoint, when it is not AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// `POST {storages}`: a new storage (admin only). Credentials are write-only.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct StorageCreate {
    /// 1–63 of `[a-z0-9-]`, unique.
    pub name: String,
    /// A name for people; the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `local` or `s3`.
    #[serde(rename = "type")]
    pub kind: StorageKind,
    /// `file:///abs/path` (or an absolute path) for local, `s3://bucket[/prefix]` for S3.
    pub url: String,
    /// S3 endpoint when not AWS, e.g. `http://127.0.0.1:8333`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// S3 region (`us-east-1` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The top-level folder it appears as; its name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
    /// S3 access key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// S3 secret access key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for StorageCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials never reach a log, not even by accident through `{:?}`.
        f.debug_struct("StorageCreate")
            .field("name", &self.name)
            .field("label", &self.label)
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("mount", &self.mount)
            .field("access_key_id", &self.access_key_id.as_ref().map(|_| "…"))
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "…"),
            )
            .finish()
    }
}

/// `PATCH {storages}/{name}`: any of these (admin only).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct StoragePatch {
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A new backend URL of the same type (checked like a new storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Longest storage name.
pub const STORAGE_NAME_MAX: usize = 63;

/// Whether `name` is a valid storage name: 1–63 of `[a-z0-9-]`.
pub fn is_storage_name(name: &str) -> bool {
    (1..=STORAGE_NAME_MAX).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

/// The backend of a [`Storage`].
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// A folder on the server's own file system.
    #[default]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_names_are_short_lowercase_words() {
        for good in ["a", "photos-2024", &"x".repeat(63)] {
            assert!(is_storage_name(good), "{good}");
        }
        for bad in ["", "Photos", "a_b", "a b", "é", ".skiff", &"x".repeat(64)] {
            assert!(!is_storage_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_create_body_never_prints_its_credentials() {
        let body: StorageCreate = serde_json::from_str(
            r#"{"name": "b", "type": "s3", "url": "s3://b", "access_key_id": "AKIDSECRET",
                "secret_access_key": "very-secret"}"#,
        )
        .expect("parses");
        let printed = format!("{body:?}");
        assert!(!printed.contains("AKIDSECRET") && !printed.contains("very-secret"));
        assert!(serde_json::from_str::<StorageCreate>(
            r#"{"name": "b", "type": "ftp", "url": "x"}"#
        )
        .is_err());
        assert!(serde_json::from_str::<StoragePatch>(r#"{"colour": "red"}"#).is_err());
    }
}
