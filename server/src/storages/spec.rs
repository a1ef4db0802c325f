//! What defines a storage (PROTOCOL.md §5), checked once wherever it comes from:
//! a `POST {storages}` body, a `PATCH`, or a `[[storage]]` table of `--config`.
//!
//! Every check answers in a sentence an admin can act on; the callers turn it into
//! a 400 (API) or an exit with the file's line (`--config`).

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use skiff_protocol::{is_storage_name, StorageKind, RESERVED_NAME, STORAGE_NAME_MAX};

/// The region S3 clients assume when none is given.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Longest mount name, the usual file name limit.
const MOUNT_MAX: usize = 255;

/// A storage as its creator defined it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageSpec {
    /// URL and bucket name (§2).
    pub name: String,
    /// For people.
    pub label: String,
    /// The top-level folder of the tree it appears as.
    pub mount: String,
    /// Where its bytes live.
    pub backend: BackendSpec,
}

/// Where a storage's bytes live and how to reach them. Persisted (credentials
/// included: they must survive restarts) but never returned or logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendSpec {
    /// Local folder or S3 bucket.
    pub kind: StorageKind,
    /// Normalised: `file:///abs/path` or `s3://bucket[/prefix]`.
    pub url: String,
    /// S3 endpoint when not AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// S3 region (always set for S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// S3 access key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// S3 secret access key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for BackendSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials never reach a log through `{:?}`.
        f.debug_struct("BackendSpec")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("credentials", &self.access_key_id.as_ref().map(|_| "…"))
            .finish()
    }
}

/// A backend's place, parsed from its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An absolute folder on this machine.
    Local(PathBuf),
    /// A bucket and a key prefix (`""` or `a/b`).
    S3 {
        /// The bucket.
        bucket: String,
        /// Keys start with this (no leading or trailing `/`).
        prefix: String,
    },
}

/// The backend fields of a request or a config table, before checking.
#[derive(Debug, Clone, Default)]
pub struct BackendInput {
    /// `local` or `s3`.
    pub kind: StorageKind,
    /// As given.
    pub url: String,
    /// S3 only.
    pub endpoint: Option<String>,
    /// S3 only.
    pub region: Option<String>,
    /// S3 only.
    pub access_key_id: Option<String>,
    /// S3 only.
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("…")
    }
}

/// A borrowed key pair, only ever printed as `…`.
pub struct Credentials<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret.
    pub secret_access_key: &'a str,
}

impl BackendSpec {
    /// Checks `input`; relative local paths are taken from `base` (the config
    /// file's folder) or refused when there is none (the API).
    pub fn parse(input: BackendInput, base: Option<&Path>) -> Result<Self, String> {
        match input.kind {
            StorageKind::Local => {
                for (field, given) in [
                    ("endpoint", input.endpoint.is_some()),
                    ("region", input.region.is_some()),
                    ("access_key_id", input.access_key_id.is_some()),
                    ("secret_access_key", input.secret_access_key.is_some()),
                ] {
                    if given {
                        return Err(format!("{field} is only for S3 storages"));
                    }
                }
                let path = local_path(&input.url, base)?;
                Ok(Self {
                    kind: StorageKind::Local,
                    url: file_url(&path)?,
                    endpoint: None,
                    region: None,
                    access_key_id: None,
                    secret_access_key: None,
                })
            }
            StorageKind::S3 => {
                let (bucket, prefix) = s3_location(&input.url)?;
                let endpoint = input.endpoint.map(|e| checked_endpoint(&e)).transpose()?;
                let region = match input.region {
                    Some(region) if region.trim().is_empty() => {
                        return Err("region must not be empty".to_owned())
                    }
                    Some(region) => region.trim().to_owned(),
                    None => DEFAULT_REGION.to_owned(),
                };
                let (access_key_id, secret_access_key) =
                    match (input.access_key_id, input.secret_access_key) {
                        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
                            (Some(id), Some(secret))
                        }
                        (None, None) => (None, None),
                        _ => {
                            return Err("give both access_key_id and secret_access_key \
                                        (neither empty), or neither"
                                .to_owned())
                        }
                    };
                let url = if prefix.is_empty() {
                    format!("s3://{bucket}")
                } else {
                    format!("s3://{bucket}/{prefix}")
                };
                Ok(Self {
                    kind: StorageKind::S3,
                    url,
                    endpoint,
                    region: Some(region),
                    access_key_id,
                    secret_access_key,
                })
            }
        }
    }

    /// The same backend at another URL of the same type (a `PATCH`).
    pub fn with_url(&self, url: &str) -> Result<Self, String> {
        Self::parse(
            BackendInput {
                kind: self.kind,
                url: url.to_owned(),
                endpoint: self.endpoint.clone(),
                region: self.region.clone(),
                access_key_id: self.access_key_id.clone(),
                secret_access_key: self.secret_access_key.clone(),
            },
            None,
        )
    }

    /// Where the bytes are.
    pub fn location(&self) -> Result<Location, String> {
        match self.kind {
            StorageKind::Local => Ok(Location::Local(local_path(&self.url, None)?)),
            StorageKind::S3 => {
                let (bucket, prefix) = s3_location(&self.url)?;
                Ok(Location::S3 { bucket, prefix })
            }
        }
    }

    /// The key pair, if one was given.
    pub fn credentials(&self) -> Option<Credentials<'_>> {
        Some(Credentials {
            access_key_id: self.access_key_id.as_deref()?,
            secret_access_key: self.secret_access_key.as_deref()?,
        })
    }
}

/// Storage names: 1–63 of `[a-z0-9-]`.
pub fn check_name(name: &str) -> Result<(), String> {
    if is_storage_name(name) {
        Ok(())
    } else {
        Err(format!(
            "the name {name:?} must be 1 to {STORAGE_NAME_MAX} lowercase letters, digits or '-'"
        ))
    }
}

/// Mounts are top-level folder names: one path segment a URL can carry, never `.skiff`.
pub fn check_mount(mount: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("the mount {mount:?} {why}"));
    if mount.is_empty() || mount.len() > MOUNT_MAX {
        return bad(&format!("must be 1 to {MOUNT_MAX} bytes long"));
    }
    if mount == "." || mount == ".." {
        return bad("is not a folder name");
    }
    if mount
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return bad("must not hold '/', '\\' or control characters");
    }
    if mount == RESERVED_NAME {
        return bad("is reserved by skiff-server");
    }
    Ok(())
}

/// A local URL or path as an absolute, lexically clean path.
fn local_path(url: &str, base: Option<&Path>) -> Result<PathBuf, String> {
    let path = if url.starts_with("file:") {
        let parsed =
            url::Url::parse(url).map_err(|e| format!("the URL {url:?} is not valid: {e}"))?;
        if parsed
            .host_str()
            .is_some_and(|host| !host.is_empty() && host != "localhost")
        {
            return Err(format!("the URL {url:?} names another machine"));
        }
        parsed
            .to_file_path()
            .map_err(|()| format!("the URL {url:?} is not a file:///absolute/path"))?
    } else if url.contains("://") {
        return Err(format!(
            "a local storage's url is file:///absolute/path, not {url:?}"
        ));
    } else {
        let path = PathBuf::from(url);
        match base {
            _ if path.is_absolute() => path,
            Some(base) if !url.is_empty() => base.join(path),
            _ => {
                return Err(format!(
                    "a local storage's url is file:///absolute/path, not {url:?}"
                ))
            }
        }
    };
    let clean = path
        .components()
        .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
    if !clean || !path.is_absolute() {
        return Err(format!(
            "the path {} must be absolute, without '.' or '..'",
            path.display()
        ));
    }
    Ok(path)
}

/// `file:///…` for an absolute path, percent-encoded.
fn file_url(path: &Path) -> Result<String, String> {
    url::Url::from_file_path(path)
        .map(String::from)
        .map_err(|()| format!("the path {} cannot be a file URL", path.display()))
}

/// `s3://bucket[/prefix]` as bucket and prefix.
fn s3_location(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("an S3 storage's url is s3://bucket[/prefix], not {url:?}"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !bucket_ok {
        return Err(format!(
            "{bucket:?} is not a bucket name (3 to 63 lowercase letters, digits, '.' or '-')"
        ));
    }
    let prefix = prefix.trim_end_matches('/');
    let prefix_ok = prefix.is_empty()
        || prefix.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && !segment.chars().any(char::is_control)
        });
    if !prefix_ok {
        return Err(format!("the prefix {prefix:?} is not a clean key prefix"));
    }
    Ok((bucket.to_owned(), prefix.to_owned()))
}

/// An `http(s)://host[:port]` endpoint, without a trailing `/`.
fn checked_endpoint(endpoint: &str) -> Result<String, String> {
    let parsed = url::Url::parse(endpoint)
        .map_err(|e| format!("the endpoint {endpoint:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!(
            "the endpoint {endpoint:?} must be an http:// or https:// URL"
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("put credentials in access_key_id and secret_access_key, \
                    not in the endpoint"
            .to_owned());
    }
    Ok(endpoint.trim_end_matches('/').to_owned())
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
