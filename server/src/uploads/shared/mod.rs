//! Upload sessions of an `s3://` root, shared by every instance serving the
//! bucket (docs/design/scale-out.md, step 4): the session and its parts are
//! records in the bucket (`crate::bucket_state`), its bytes an S3 multipart
//! upload, so a session created on one instance takes parts on another and
//! completes on a third, and any instance may die at any moment.
//!
//! - `sessions/ID`: [`SharedSession`] (key, size, part size, the S3 upload id,
//!   and the phase: `open`, `completing`, `completed`, `failed`).
//! - `parts/ID/N`: [`PartRecord`] (length, SHA-256, the S3 part's ETag). A part is
//!   acknowledged once S3 took it and its record is written. Two instances
//!   receiving the same part both send it to S3 (same bytes: same ETag); the
//!   record is created by whichever comes first, and the other finds it there
//!   with the same digest and answers as for any repeated part (§2.1: 200). A
//!   part sent again with other bytes replaces the record (`If-Match`).
//! - Completion takes the session `open → completing` with `If-Match` on the
//!   version it read, so exactly one request completes it; a racing one hears
//!   409 `session_completing`. The completer names the recorded ETags to S3, so
//!   a part replaced behind its back fails S3's completion instead of landing.
//!   Then `completing → completed` (kept, so a repeated complete answers the same
//!   file object). A completer that died leaves `completing`: after
//!   [`COMPLETING_STALE`] another request takes over; if S3 already joined the
//!   parts, the object's content hash is read back and must match.
//!
//! Each request is `requests.rs`; completion is `complete.rs`. Sequential
//! sessions (§2) are shared too: `sequential/`. A session into a mounted S3 storage is
//! shared the same way (its bytes an S3 multipart upload in that storage's bucket, its
//! records in the root's); one into a mounted local folder is refused with 501, as that
//! folder is each instance's own.
//!
//! Expiry ([`spawn_sweeper`]): one instance at a time (lease `uploads-sweep`)
//! removes sessions idle for the session TTL (since their creation, their last
//! part or their completion): the S3 upload aborted, the records removed.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use skiff_protocol::{
    part_count, part_range, FileObject, UploadCreate, UploadSession, SESSION_PREFIX, UPLOADS_PATH,
};

use super::body::hex;
use super::buckets::{bucket, under_mount, Bucket};
use super::in_store::{S3_MAX_OBJECT, S3_MAX_PARTS, S3_MIN_PART};
use super::in_store_parts::send_into;
use super::partial::{wrong_length, PartLimits};
use super::parts::{Part, PartSet};
use super::session::{is_session_id, now_ms, Uploads};
use crate::bucket_state::{BucketState, Version};
use crate::disk::place::{key_of, key_path};
use crate::error::AppError;
use crate::store::{MultipartId, StoreError};

mod complete;
mod requests;
mod sequential;
mod sweep;

pub use complete::complete;
use complete::completing;
pub use requests::{abort, append, create, put_part, status};
use requests::{not_parts, record_new};
pub use sweep::spawn_sweeper;

/// How long a `completing` session may stay so before another request takes
/// its completion over (the completer is taken to have died).
pub const COMPLETING_STALE: Duration = Duration::from_secs(60);

/// Part records read at once at completion.
const PART_READS: usize = 16;

/// The records an `s3://` root keeps its sessions in.
#[derive(Debug, Clone)]
pub struct Shared {
    state: BucketState,
}

impl Shared {
    /// Sessions as records in `state` (the root's bucket).
    pub fn new(state: BucketState) -> Self {
        Self { state }
    }
}

/// A session as its record in the bucket holds it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct SharedSession {
    pub id: String,
    pub key: String,
    pub mime_type: String,
    pub size: u64,
    pub part_size: u64,
    /// The S3 multipart upload holding the parts.
    pub upload: MultipartId,
    /// Created with `If-None-Match: *`: placed only if nothing is there.
    #[serde(default)]
    pub create_only: bool,
    /// The mounted storage its bytes go to (`None`: the default storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    pub created_ms: u64,
    #[serde(flatten)]
    pub phase: Phase,
    /// A sequential session (§2): its chunks regrouped into S3 parts of
    /// `part_size` (`sequential/`); `None` for a parts session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<sequential::Sequential>,
}

/// Where a shared session is in its life.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Phase {
    /// Taking parts.
    Open,
    /// One request is joining the parts (since `since_ms`).
    Completing { since_ms: u64 },
    /// Joined and in place.
    Completed {
        created_at: i64,
        /// §2.1's content hash (parts sessions).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_hash: Option<String>,
        /// The whole-file SHA-256 (sequential sessions).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
        file_id: String,
    },
    /// A digest did not match: it can only be aborted.
    Failed,
}

/// A part as its record holds it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct PartRecord {
    pub len: u64,
    /// Lowercase hex.
    pub sha256: String,
    /// The S3 part's ETag, named at completion.
    pub etag: String,
    /// When it was recorded, Unix milliseconds: the session's last activity.
    #[serde(default)]
    pub touched_ms: u64,
}

impl PartRecord {
    /// The same bytes, as S3 holds them (whenever they were sent).
    fn same_part(&self, other: &PartRecord) -> bool {
        (self.len, &self.sha256, &self.etag) == (other.len, &other.sha256, &other.etag)
    }
}

/// Where a session's bytes go: the store and the session key's tree key (ids and
/// the job checks are kept under it: mount + key in a mounted storage).
struct Target {
    store: Arc<dyn crate::store::Store>,
    tree_key: String,
}

impl SharedSession {
    /// Its storage, looked up again on every request (it may have been removed).
    fn target(&self, uploads: &Uploads) -> Result<Target, AppError> {
        let Some(name) = &self.bucket else {
            return Ok(Target {
                store: Arc::clone(uploads.default_store()),
                tree_key: self.key.clone(),
            });
        };
        match bucket(uploads.buckets(), name)? {
            Bucket::Default => Err(damaged(&session_key(&self.id))),
            Bucket::Mounted(mounted) => Ok(Target {
                store: Arc::clone(mounted.store()?),
                tree_key: mounted.tree_key(&self.key),
            }),
        }
    }
}

fn session_key(id: &str) -> String {
    format!("sessions/{id}")
}

fn parts_dir(id: &str) -> String {
    format!("parts/{id}")
}

fn part_key(id: &str, n: u64) -> String {
    format!("parts/{id}/{n}")
}

fn state_error(error: StoreError) -> AppError {
    AppError::from(error)
}

fn damaged(what: &str) -> AppError {
    AppError::Store(format!("a damaged upload record in the bucket: {what}"))
}

/// The session object clients see.
fn object(session: &SharedSession, parts: &PartSet) -> UploadSession {
    if let Some(sequential) = &session.sequential {
        return sequential::object(session, sequential);
    }
    let count = part_count(session.size, session.part_size);
    let full;
    let parts = if matches!(session.phase, Phase::Completed { .. }) {
        full = PartSet::full(count);
        &full
    } else {
        parts
    };
    let prefix = parts.prefix();
    UploadSession {
        id: session.id.clone(),
        url: format!("{UPLOADS_PATH}/{SESSION_PREFIX}{}", session.id),
        offset: if prefix >= count {
            session.size
        } else {
            prefix.saturating_mul(session.part_size).min(session.size)
        },
        size: session.size,
        part_size: Some(session.part_size),
        parts: Some(parts.ranges()),
        error: None,
    }
}

fn file_object(session: &SharedSession) -> Option<FileObject> {
    let Phase::Completed {
        created_at,
        content_hash,
        sha256,
        file_id,
    } = &session.phase
    else {
        return None;
    };
    let parts = session.sequential.is_none();
    Some(FileObject {
        key: session.key.clone(),
        bucket: session
            .bucket
            .clone()
            .unwrap_or_else(|| skiff_protocol::DEFAULT_BUCKET.to_owned()),
        mime_type: session.mime_type.clone(),
        bytes: session.size,
        created_at: *created_at,
        id: file_id.clone(),
        sha256: sha256.clone(),
        content_hash: content_hash.clone(),
        part_size: parts.then_some(session.part_size),
    })
}

fn not_shared(code: &'static str, message: &str) -> AppError {
    AppError::NotShared {
        code,
        message: message.to_owned(),
    }
}

fn conflict(code: &'static str, message: &str, session: UploadSession) -> AppError {
    AppError::SessionConflict {
        code,
        message: message.to_owned(),
        session: Box::new(session),
    }
}

impl Shared {
    /// The session `id` and the version of its record; 404 if there is none.
    async fn session(&self, id: &str) -> Result<(SharedSession, Version), AppError> {
        if !is_session_id(id) {
            return Err(AppError::UnknownSession);
        }
        let record = self
            .state
            .get(&session_key(id))
            .await
            .map_err(state_error)?
            .ok_or(AppError::UnknownSession)?;
        let session =
            serde_json::from_slice(&record.bytes).map_err(|_| damaged(&session_key(id)))?;
        Ok((session, record.version))
    }

    /// Replaces the session's record if it is still at `version`.
    async fn replace(
        &self,
        session: &SharedSession,
        version: &Version,
    ) -> Result<Version, StoreError> {
        let bytes = serde_json::to_vec(session)
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        self.state
            .replace(&session_key(&session.id), bytes, version)
            .await
    }

    /// The recorded part numbers of session `id`.
    async fn part_numbers(&self, id: &str) -> Result<Vec<u64>, AppError> {
        let keys = self.state.list(&parts_dir(id)).await.map_err(state_error)?;
        Ok(keys
            .iter()
            .filter_map(|key| key.rsplit('/').next()?.parse().ok())
            .collect())
    }

    async fn part_set(&self, id: &str) -> Result<PartSet, AppError> {
        Ok(PartSet::from_sorted(self.part_numbers(id).await?))
    }

    /// Every part record of session `id`, by part number.
    async fn part_records(&self, id: &str) -> Result<Vec<(u64, PartRecord)>, AppError> {
        let mut numbers = self.part_numbers(id).await?;
        numbers.sort_unstable();
        futures_util::stream::iter(numbers)
            .map(|n| async move {
                let key = part_key(id, n);
                let record = self
                    .state
                    .get(&key)
                    .await
                    .map_err(state_error)?
                    .ok_or_else(|| damaged(&key))?;
                let part: PartRecord =
                    serde_json::from_slice(&record.bytes).map_err(|_| damaged(&key))?;
                Ok::<_, AppError>((n, part))
            })
            .buffered(PART_READS)
            .try_collect()
            .await
    }

    /// Removes the part records of session `id` (best effort: a leftover is
    /// harmless, only its session's records name it).
    async fn drop_parts(&self, id: &str) {
        sequential::drop_tails(self, id).await;
        let Ok(numbers) = self.part_numbers(id).await else {
            return;
        };
        for n in numbers {
            if let Err(error) = self.state.remove(&part_key(id, n)).await {
                tracing::warn!(%error, session = id, part = n, "cannot remove a part record");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_records_read_back_as_written() {
        let session = SharedSession {
            id: "0".repeat(32),
            key: "a/b.bin".to_owned(),
            mime_type: "application/octet-stream".to_owned(),
            size: 12,
            part_size: 5 << 20,
            upload: MultipartId("up".to_owned()),
            create_only: false,
            bucket: None,
            created_ms: 1,
            phase: Phase::Completing { since_ms: 7 },
            sequential: None,
        };
        let bytes = serde_json::to_vec(&session).expect("json");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.contains(r#""state":"completing""#), "{text}");
        let back: SharedSession = serde_json::from_slice(&bytes).expect("read back");
        assert_eq!(back, session);
        let digest = [0xabu8; 32];
        assert_eq!(
            super::super::body::unhex_sha256(&hex(&digest)),
            Some(digest)
        );
        assert_eq!(super::super::body::unhex_sha256("zz"), None);
    }
}
