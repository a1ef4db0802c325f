//! Each §2 request on a shared session (create, status, a chunk, a part,
//! abort); completion is `complete.rs`, sequential chunks `sequential.rs`.

use skiff_protocol::StorageKind;

use super::*;

/// `POST {uploads}` on an `s3://` root.
pub async fn create(
    uploads: &Arc<Uploads>,
    shared: &Shared,
    request: UploadCreate,
    if_none_match: bool,
) -> Result<UploadSession, AppError> {
    let path = key_path(&request.key)?;
    let (bucket_name, target) = match bucket(uploads.buckets(), &request.bucket)? {
        Bucket::Default if under_mount(uploads.buckets(), &path) => {
            return Err(AppError::Reserved);
        }
        Bucket::Default => (
            None,
            Target {
                store: Arc::clone(uploads.default_store()),
                tree_key: key_of(&path),
            },
        ),
        Bucket::Mounted(mounted) if !mounted.writable => return Err(AppError::ReadOnly),
        Bucket::Mounted(mounted) => {
            let store = Arc::clone(mounted.store()?);
            if store.kind() != StorageKind::S3 {
                return Err(not_shared(
                    "mounted_sessions_not_shared",
                    "on an s3:// root a mounted local folder is each instance's own, so \
                     upload sessions cannot go into it; write to it with a whole-file PUT",
                ));
            }
            let tree_key = mounted.tree_key(&key_of(&path));
            (Some(request.bucket.clone()), Target { store, tree_key })
        }
    };
    // A folder a job is moving or deleting takes no new files meanwhile.
    crate::jobs::refuse_busy(&shared.state, &[&target.tree_key]).await?;
    if request.size > uploads.max_size().min(S3_MAX_OBJECT) {
        return Err(AppError::TooLarge {
            code: "file_too_large",
            message: format!("size {} is over this server's limit", request.size),
        });
    }
    let Some(part_size) = request.part_size else {
        let into = sequential::Destination {
            path,
            bucket: bucket_name,
            store: target.store,
        };
        return sequential::create(shared, request, into, if_none_match).await;
    };
    if part_size < S3_MIN_PART || part_size > uploads.max_chunk {
        return Err(AppError::BadRequest {
            code: "bad_part_size",
            message: format!(
                "on an s3:// root part_size must be from {S3_MIN_PART} (min_part) to {} (max_chunk)",
                uploads.max_chunk
            ),
        });
    }
    if part_count(request.size, part_size) > S3_MAX_PARTS {
        return Err(AppError::BadRequest {
            code: "bad_part_size",
            message: format!(
                "S3 takes at most {S3_MAX_PARTS} parts: part_size must be at least {}",
                request.size.div_ceil(S3_MAX_PARTS)
            ),
        });
    }
    if request.sha256.is_some() {
        return Err(AppError::BadRequest {
            code: "sha256_unavailable",
            message: "on an s3:// root the parts go straight into the bucket, which cannot \
                      read them back before they are joined: leave sha256 out and complete \
                      with content_hash"
                .to_owned(),
        });
    }
    let store = target.store;
    if if_none_match {
        match store.stat(&path).await {
            Ok(_) => return Err(AppError::AlreadyExists),
            Err(StoreError::NotFound) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let upload = store.multipart_create(&path, part_size).await?;
    let session = SharedSession {
        id: uuid::Uuid::new_v4().simple().to_string(),
        key: key_of(&path),
        mime_type: request.mime_type,
        size: request.size,
        part_size,
        upload,
        create_only: if_none_match,
        bucket: bucket_name,
        created_ms: now_ms(),
        phase: Phase::Open,
        sequential: None,
    };
    record_new(shared, &*store, &path, &session).await?;
    Ok(object(&session, &PartSet::default()))
}

/// Writes a new session's record; if that fails, drops its S3 upload.
pub(super) async fn record_new(
    shared: &Shared,
    store: &dyn crate::store::Store,
    path: &skiff_protocol::TreePath,
    session: &SharedSession,
) -> Result<(), AppError> {
    let bytes = serde_json::to_vec(session).map_err(crate::error::store_error)?;
    if let Err(error) = shared.state.create(&session_key(&session.id), bytes).await {
        // Nothing names the upload: drop it rather than leave its parts behind.
        if let Err(abort) = store.multipart_abort(path, &session.upload).await {
            tracing::warn!(%abort, "cannot abort an unrecorded multipart upload");
        }
        return Err(error.into());
    }
    Ok(())
}

/// `GET {url}` on an `s3://` root.
pub async fn status(shared: &Shared, id: &str) -> Result<UploadSession, AppError> {
    let (session, _) = shared.session(id).await?;
    let parts = shared.part_set(id).await?;
    Ok(object(&session, &parts))
}

/// `POST {url}` (a sequential chunk) on an `s3://` root: a parts session
/// answers 409 as §2.1 says (404 if unknown).
pub async fn append(
    uploads: &Arc<Uploads>,
    shared: &Shared,
    id: &str,
    chunk: super::super::append::Chunk,
) -> Result<super::super::append::Appended, AppError> {
    let (session, version) = shared.session(id).await?;
    if session.sequential.is_some() {
        return sequential::append(uploads, shared, session, version, chunk).await;
    }
    let parts = shared.part_set(id).await?;
    Err(conflict(
        "not_sequential",
        "this session takes parts (PUT {url}/parts/{n}), not sequential chunks",
        object(&session, &parts),
    ))
}

/// 409 `not_parts`: a sequential session takes no parts and completes with
/// its last chunk.
pub(super) fn not_parts(session: &SharedSession) -> AppError {
    conflict(
        "not_parts",
        "this session takes sequential chunks (POST with Upload-Offset) and completes with \
         its last chunk",
        object(session, &PartSet::default()),
    )
}

/// `PUT {url}/parts/{n}` on an `s3://` root: the session once S3 took the part
/// and its record is written.
pub async fn put_part(
    uploads: &Arc<Uploads>,
    shared: &Shared,
    id: &str,
    n: u64,
    part: Part<'_>,
) -> Result<UploadSession, AppError> {
    let (session, _) = shared.session(id).await?;
    if session.sequential.is_some() {
        return Err(not_parts(&session));
    }
    if session.phase != Phase::Open {
        let parts = shared.part_set(id).await?;
        return Err(conflict(
            "session_closed",
            "the session is completed, failed or being completed; it takes no more parts",
            object(&session, &parts),
        ));
    }
    let (start, end) =
        part_range(session.size, session.part_size, n).ok_or_else(|| AppError::BadRequest {
            code: "bad_part",
            message: format!("{:?} is not a part number of this session", part.number),
        })?;
    let len = end - start;
    if part.announced.is_some_and(|length| length != len) {
        return Err(wrong_length(len));
    }
    let limits = PartLimits {
        len,
        max_chunk: uploads.max_chunk,
    };
    let path = key_path(&session.key)?;
    let store = session.target(uploads)?.store;
    let (digest, etag) = send_into(
        &*store,
        &path,
        &session.upload,
        n,
        limits,
        part.checksums,
        part.body,
    )
    .await?;
    let record = PartRecord {
        len,
        sha256: hex(&digest),
        etag,
        touched_ms: now_ms(),
    };
    let bytes = serde_json::to_vec(&record).map_err(crate::error::store_error)?;
    // Written conditionally on the record read: other bytes replace it, and the
    // same bytes again (a repeated part) refresh its time, which keeps the session
    // alive (the sweep goes by the newest part); a newer time already there stays.
    let written = shared
        .state
        .update(&part_key(id, n), |current| {
            let newer = current
                .and_then(|bytes| serde_json::from_slice::<PartRecord>(bytes).ok())
                .is_some_and(|current| {
                    current.same_part(&record) && current.touched_ms >= record.touched_ms
                });
            Ok::<_, AppError>((!newer).then(|| bytes.clone()))
        })
        .await
        .map_err(state_error)?;
    written?;
    let parts = shared.part_set(id).await?;
    Ok(object(&session, &parts))
}

/// `DELETE {url}` on an `s3://` root: the multipart upload and the records gone.
pub async fn abort(uploads: &Arc<Uploads>, shared: &Shared, id: &str) -> Result<(), AppError> {
    let (session, _) = shared.session(id).await?;
    match session.phase {
        Phase::Completing { since_ms }
            if now_ms().saturating_sub(since_ms)
                < u64::try_from(COMPLETING_STALE.as_millis()).unwrap_or(u64::MAX) =>
        {
            return Err(completing(&session));
        }
        Phase::Completed { .. } => {}
        _ => {
            let path = key_path(&session.key)?;
            session
                .target(uploads)?
                .store
                .multipart_abort(&path, &session.upload)
                .await?;
        }
    }
    shared.drop_parts(id).await;
    shared
        .state
        .remove(&session_key(id))
        .await
        .map_err(state_error)
}
