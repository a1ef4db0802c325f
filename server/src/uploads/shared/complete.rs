//! Completing a shared parts session (`shared/mod.rs`): `open → completing` by
//! `If-Match` so exactly one request completes it, the recorded ETags named to
//! S3, then `completed`; a completion whose instance died is taken over once
//! stale, and an object S3 already joined (or forgot the upload of) is this
//! session's only if its content hash matches.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use skiff_protocol::{part_count, FileObject};

use super::super::body::hex;
use super::super::in_store::stored_digests;
use super::super::parts::PartSet;
use super::super::session::{now_ms, Uploads};
use super::{
    conflict, damaged, file_object, not_parts, object, part_key, Phase, Shared, SharedSession,
    Target, COMPLETING_STALE,
};
use crate::blocking::blocking;
use crate::disk::place::key_path;
use crate::error::AppError;
use crate::store::{PartTag, PutMode, StoreError};

/// `POST {url}/complete` on an `s3://` root.
pub async fn complete(
    uploads: &Arc<Uploads>,
    shared: &Shared,
    id: &str,
    body: &[u8],
) -> Result<FileObject, AppError> {
    let request = super::super::complete::complete_request(body)?;
    let (mut session, version) = shared.session(id).await?;
    if session.sequential.is_some() {
        return Err(not_parts(&session));
    }
    let takeover = match &session.phase {
        Phase::Open => false,
        Phase::Completed { .. } => return file_object(&session).ok_or_else(|| damaged(id)),
        Phase::Failed => {
            return Err(conflict(
                "session_closed",
                "the session failed; it can only be aborted",
                object(&session, &PartSet::default()),
            ))
        }
        Phase::Completing { since_ms } => {
            let stale = u64::try_from(COMPLETING_STALE.as_millis()).unwrap_or(u64::MAX);
            if now_ms().saturating_sub(*since_ms) < stale {
                return Err(completing(&session));
            }
            true
        }
    };
    let parts = shared.part_records(id).await?;
    let count = part_count(session.size, session.part_size);
    if parts.len() as u64 != count {
        let durable = PartSet::from_sorted(parts.iter().map(|(n, _)| *n));
        return Err(conflict(
            "parts_missing",
            &format!("{} of {count} parts are stored", parts.len()),
            object(&session, &durable),
        ));
    }
    let mut over_digests = Sha256::new();
    for (n, part) in &parts {
        let digest = super::super::body::unhex_sha256(&part.sha256)
            .ok_or_else(|| damaged(&part_key(id, *n)))?;
        over_digests.update(digest);
    }
    let content_hash = hex(&over_digests.finalize());
    let durable = PartSet::full(count);
    if request
        .content_hash
        .as_ref()
        .is_some_and(|h| *h != content_hash)
    {
        session.phase = Phase::Failed;
        shared.replace(&session, &version).await?;
        return Err(AppError::ChecksumMismatch {
            code: "content_hash_mismatch",
            message: "the file's content_hash does not match; abort the session".to_owned(),
        });
    }
    if request.sha256.is_some() {
        return Err(conflict(
            "sha256_unavailable",
            "the parts are in the bucket, which cannot read them back before they are \
             joined: complete with content_hash",
            object(&session, &durable),
        ));
    }
    // Nothing lands in a folder a job is moving or deleting (409 `job_running`).
    let Target { store, tree_key } = session.target(uploads)?;
    crate::jobs::refuse_busy(&shared.state, &[&tree_key]).await?;
    // The one conditional step that makes this request the completer.
    session.phase = Phase::Completing { since_ms: now_ms() };
    let completing_version = match shared.replace(&session, &version).await {
        Ok(version) => version,
        Err(StoreError::Precondition | StoreError::Exists) => {
            return Err(completing(&session));
        }
        Err(error) => return Err(error.into()),
    };
    let path = key_path(&session.key)?;
    let tags = parts
        .iter()
        .map(|(n, part)| PartTag {
            index: n - 1,
            tag: part.etag.clone(),
        })
        .collect();
    let mode = if session.create_only {
        PutMode::Create
    } else {
        PutMode::Overwrite
    };
    let placed = store
        .multipart_complete(&path, &session.upload, tags, mode)
        .await;
    if takeover {
        tracing::info!(
            session = id,
            "taking over a completion whose completer went silent"
        );
    }
    let placed = match placed {
        Ok(_) => Ok(()),
        // Joined already (a completer that died after S3 joined), or a file
        // that got there first: ours only if it holds these very parts.
        Err(StoreError::NotFound) if takeover => ours(&store, &path, &session, &content_hash).await,
        Err(StoreError::Exists) => ours(&store, &path, &session, &content_hash).await,
        Err(error) => Err(error.into()),
    };
    if let Err(error) = placed {
        session.phase = match error {
            AppError::AlreadyExists => Phase::Failed,
            _ => Phase::Open,
        };
        if let Err(undo) = shared.replace(&session, &completing_version).await {
            tracing::warn!(%undo, session = id, "cannot reopen a session whose completion failed");
        }
        return Err(error);
    }
    let ids = uploads.ids().clone();
    let file_id = blocking(move || ids.id_for(&tree_key)).await?;
    session.phase = Phase::Completed {
        created_at: i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX),
        content_hash: Some(content_hash),
        sha256: None,
        file_id,
    };
    if let Err(error) = shared.replace(&session, &completing_version).await {
        // The file is in place; a request that took over meanwhile finds it so.
        tracing::warn!(%error, session = id, "cannot record a completed session");
    }
    shared.drop_parts(id).await;
    file_object(&session).ok_or_else(|| damaged(id))
}

/// 409 `session_completing`: another request is completing the session.
pub(super) fn completing(session: &SharedSession) -> AppError {
    conflict(
        "session_completing",
        "another request is completing this session; ask for its status, or complete \
         again to learn the outcome",
        object(
            session,
            &PartSet::full(part_count(session.size, session.part_size)),
        ),
    )
}

/// Whether the file at `path` is this session's: its size and content hash.
async fn ours(
    store: &Arc<dyn crate::store::Store>,
    path: &skiff_protocol::TreePath,
    session: &SharedSession,
    content_hash: &str,
) -> Result<(), AppError> {
    let entry = match store.stat(path).await {
        Ok(entry) => entry,
        Err(StoreError::NotFound) => {
            return Err(AppError::Unavailable(
                "the bucket lost this upload's parts; abort it and upload again".to_owned(),
            ))
        }
        Err(error) => return Err(error.into()),
    };
    if entry.is_dir || entry.size != session.size {
        return Err(AppError::AlreadyExists);
    }
    tracing::info!(session = %session.id, "the object is there already: checking it is this upload's");
    let (_, stored) = stored_digests(store, path, session.part_size).await?;
    if stored == content_hash {
        Ok(())
    } else {
        Err(AppError::AlreadyExists)
    }
}
