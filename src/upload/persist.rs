//! Unfinished uploads remembered in `localStorage` (`fingerprint → session`), so a reload
//! costs nothing: the queue shows them again, and picking or dropping the same file
//! resumes from the server's offset. Entries go when the upload completes or is cancelled.

use crate::upload::digest::{digest_from_hex, hex, Sha256Digest};
use serde::{Deserialize, Serialize};

/// Every key this module writes starts with this (see `policy::fingerprint`).
const PREFIX: &str = "skiff-upload:v1:";

/// What is remembered of one unfinished upload.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SavedUpload {
    /// The server the session lives on (the app's `Config::server`, empty = same origin).
    pub server: String,
    /// The session's absolute URL.
    pub url: String,
    /// Target path on the server, `/a/b.txt`.
    pub target: String,
    /// The file's name.
    pub name: String,
    /// The file's size.
    pub size: u64,
    /// The file's `lastModified`, part of what makes it "the same file".
    pub last_modified: f64,
    /// Bytes the server had acknowledged when last saved (a hint; the server decides).
    pub offset: u64,
    /// Part size of a parts session (§2.1); absent for a sequential one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
    /// The SHA-256 of each part already sent, in part order, as [`PartDigests::encode`]
    /// writes them: a resumed upload then verifies the whole file without reading again
    /// the parts the server already has.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub part_digests: String,
}

/// The per-part digests of a parts upload, as kept in [`SavedUpload::part_digests`]:
/// 64 hex digits per part, `-` × 64 where the digest is not known.
pub struct PartDigests;

impl PartDigests {
    const UNKNOWN: &'static str =
        "----------------------------------------------------------------";

    /// Writes `digests` (index = part number − 1).
    pub fn encode(digests: &[Option<Sha256Digest>]) -> String {
        let mut out = String::with_capacity(digests.len() * 64);
        for digest in digests {
            match digest {
                Some(digest) => out.push_str(&hex(digest)),
                None => out.push_str(Self::UNKNOWN),
            }
        }
        out
    }

    /// Reads `count` digests back; anything unreadable is unknown.
    pub fn decode(text: &str, count: usize) -> Vec<Option<Sha256Digest>> {
        (0..count)
            .map(|i| text.get(i * 64..(i + 1) * 64).and_then(digest_from_hex))
            .collect()
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Remembers (or updates) the upload under `fingerprint`.
pub fn save(fingerprint: &str, upload: &SavedUpload) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(upload)) {
        // A full quota only costs resumability, never the upload itself.
        let _ = storage.set_item(fingerprint, &json);
    }
}

/// The upload saved under `fingerprint`, if any.
pub fn load(fingerprint: &str) -> Option<SavedUpload> {
    let json = storage()?.get_item(fingerprint).ok().flatten()?;
    serde_json::from_str(&json).ok()
}

/// Forgets the upload under `fingerprint` (and its file handle, if one was kept).
pub fn forget(fingerprint: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(fingerprint);
    }
    let key = fingerprint.to_owned();
    leptos::task::spawn_local(async move { crate::upload::handles::forget(&key).await });
}

/// Every remembered upload for `server`, with its fingerprint.
pub fn all_for(server: &str) -> Vec<(String, SavedUpload)> {
    let Some(storage) = storage() else {
        return Vec::new();
    };
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(PREFIX))
        .filter_map(|key| {
            let saved: SavedUpload = serde_json::from_str(&storage.get_item(&key).ok()??).ok()?;
            (saved.server == server).then_some((key, saved))
        })
        .collect()
}

/// Every key of a remembered folder upload starts with this.
const FOLDER_PREFIX: &str = "skiff-folder:v1:";

/// What is remembered of one folder the upload worker was sending (`folder_upload`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SavedFolder {
    /// The server (the app's `Config::server`, empty = same origin).
    pub server: String,
    /// The folder it was dropped into, `/a/b`.
    pub dir: String,
    /// The dropped folder's name.
    pub name: String,
    /// Files found that the worker sends, and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// Of those, stored.
    pub done: u64,
    pub done_bytes: u64,
    /// Whether the walk was still finding files.
    pub walking: bool,
}

/// The key a folder `name` dropped into `dir` on `server` is remembered under: dropping
/// the same folder into the same place again takes over its record.
pub fn folder_key(server: &str, dir: &str, name: &str) -> String {
    format!("{FOLDER_PREFIX}{server}\n{dir}\n{name}")
}

/// Remembers (or updates) a folder upload.
pub fn save_folder(key: &str, folder: &SavedFolder) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(folder)) {
        let _ = storage.set_item(key, &json);
    }
}

/// Forgets a folder upload and its kept handle.
pub fn forget_folder(key: &str) {
    forget(key);
}

/// Every remembered folder upload for `server`, with its key.
pub fn folders_for(server: &str) -> Vec<(String, SavedFolder)> {
    let Some(storage) = storage() else {
        return Vec::new();
    };
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(FOLDER_PREFIX))
        .filter_map(|key| {
            let saved: SavedFolder = serde_json::from_str(&storage.get_item(&key).ok()??).ok()?;
            (saved.server == server).then_some((key, saved))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::digest::sha256;

    #[test]
    fn part_digests_survive_a_round_trip_with_gaps() {
        let digests = vec![Some(sha256(b"a")), None, Some(sha256(b"c"))];
        let text = PartDigests::encode(&digests);
        assert_eq!(text.len(), 3 * 64);
        assert_eq!(PartDigests::decode(&text, 3), digests);
        // Fewer saved than parts (saved before the session grew? never; but a short or
        // damaged entry must only cost re-hashing).
        assert_eq!(PartDigests::decode(&text, 4)[3], None);
        assert_eq!(PartDigests::decode("garbage", 2), vec![None, None]);
    }
}
