//! Creating a session (`POST {uploads}`, PROTOCOL.md §2): the request checked
//! against the bucket and this server's limits, `If-None-Match: *` asked of the
//! bucket's store (the default storage's included: no disk of its own here),
//! then the record stored and the place its bytes will accumulate made.

use std::sync::Arc;

use skiff_protocol::{TreePath, UploadCreate, UploadSession};
use tokio::runtime::Handle;

use super::buckets::{bucket, under_mount, Bucket};
use super::partial::PartialBytes;
use super::parts::{PartSet, MIN_PART};
use super::session::{now_ms, session_object, Uploads};
use super::store::{SessionRecord, SessionState};
use super::{in_store, in_store_tail};
use crate::disk::place::{key_of, key_path};
use crate::error::AppError;
use crate::store::StoreError;

impl Uploads {
    /// Creates a session (blocking, on a thread of the runtime's blocking pool:
    /// the bucket's store is asked whether the key is taken): validates the
    /// request, stores the record, then the partial file (sparse, at full size
    /// for a parts session). A crash between the two leaves a record whose file
    /// is missing, which startup reconciliation recreates with nothing stored.
    pub fn create(
        &self,
        request: UploadCreate,
        if_none_match: bool,
    ) -> Result<UploadSession, AppError> {
        let target = bucket(&*self.buckets, &request.bucket)?;
        let path = key_path(&request.key)?;
        match &target {
            // A mount's name belongs to its storage (§5), like `.skiff`.
            Bucket::Default if under_mount(&*self.buckets, &path) => {
                return Err(AppError::Reserved)
            }
            Bucket::Mounted(mounted) if !mounted.writable => return Err(AppError::ReadOnly),
            _ => {}
        }
        if request.size > self.max_size {
            return Err(AppError::TooLarge {
                code: "file_too_large",
                message: format!("size {} is over this server's limit", request.size),
            });
        }
        if let Some(part_size) = request.part_size {
            if part_size < MIN_PART || part_size > self.max_chunk {
                return Err(AppError::BadRequest {
                    code: "bad_part_size",
                    message: format!(
                        "part_size must be from {MIN_PART} (min_part) to {} (max_chunk)",
                        self.max_chunk
                    ),
                });
            }
        }
        let expected_sha256 = request.sha256.as_deref().map(parse_sha256).transpose()?;
        let parts = request.part_size.is_some();
        let mut in_store = match &target {
            Bucket::Mounted(mounted) => in_store::plan(
                mounted,
                request.size,
                request.part_size,
                expected_sha256.is_some(),
            )?,
            Bucket::Default => None,
        };
        let room = match &target {
            Bucket::Mounted(mounted) => in_store::room_needed(
                mounted,
                in_store.as_ref(),
                request.size,
                self.max_chunk,
                parts,
            )?,
            Bucket::Default => request.size,
        };
        // A size no disk here can hold is refused now, not after gigabytes arrive.
        crate::disk::space::ensure_room(&self.partial_dir, room)?;
        // Always asked of the default storage: its store refuses (403) keys whose
        // existing parents lead out of the root.
        let asked = if_none_match || matches!(target, Bucket::Default);
        if asked && target_exists(self, &target, &path)? && if_none_match {
            return Err(AppError::AlreadyExists);
        }
        if let (Bucket::Mounted(mounted), Some(plan)) = (&target, in_store.as_mut()) {
            in_store::start(mounted, &path, plan, parts)?;
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let record = SessionRecord {
            id: id.clone(),
            bucket: request.bucket,
            key: key_of(&path),
            mime_type: request.mime_type,
            size: request.size,
            expected_sha256,
            offset: 0,
            digest: None,
            touched_ms: now_ms(),
            file_id: uuid::Uuid::new_v4().to_string(),
            state: SessionState::Open,
            part_size: request.part_size,
            content_hash: None,
            create_only: if_none_match,
            in_store,
        };
        self.store.put_session(&record)?;
        match (&record.in_store, parts) {
            (Some(_), true) => {}
            (Some(_), false) => in_store_tail::create(self, &id)?,
            (None, true) => self.partial.create(&id, record.size)?,
            (None, false) => self.partial.create(&id, 0)?,
        }
        Ok(session_object(&record, Some(&PartSet::default())))
    }
}

/// Whether something is at `path` in `target` (blocking, on a thread of the
/// runtime's blocking pool): its store is asked, so a storage that is down is
/// 503 and a key whose parents lead out of a local root is 403.
fn target_exists(uploads: &Uploads, target: &Bucket, path: &TreePath) -> Result<bool, AppError> {
    let store = match target {
        Bucket::Default => Arc::clone(uploads.default_store()),
        Bucket::Mounted(mounted) => Arc::clone(mounted.store()?),
    };
    match Handle::current().block_on(store.stat(path)) {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// A client's whole-file SHA-256: 64 hex digits, normalised to lowercase.
pub(super) fn parse_sha256(text: &str) -> Result<String, AppError> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(AppError::BadRequest {
            code: "bad_sha256",
            message: "sha256 must be 64 hexadecimal digits".to_owned(),
        })
    }
}
