//! A sequential session's bytes into S3: a whole part sent as an S3 part, the
//! bytes after it kept as tail records (`tails/ID/NAME`) until a part is whole,
//! and the last chunk's finish (the parts joined, the file checked and placed).

use super::super::Target;
use super::*;

/// Joins the parts of a session whose every byte is in, and records it completed.
pub(super) async fn finish(
    uploads: &Arc<Uploads>,
    shared: &Shared,
    mut session: SharedSession,
    version: Version,
    sequential: Sequential,
) -> Result<Appended, AppError> {
    let path = crate::disk::place::key_path(&session.key)?;
    let tags = sequential
        .etags
        .iter()
        .enumerate()
        .map(|(index, tag)| PartTag {
            index: index as u64,
            tag: tag.clone(),
        })
        .collect();
    let mode = if session.create_only {
        PutMode::Create
    } else {
        PutMode::Overwrite
    };
    let Target { store, tree_key } = session.target(uploads)?;
    let placed = match store
        .multipart_complete(&path, &session.upload, tags, mode)
        .await
    {
        Ok(_) => Ok(()),
        // S3 forgot the upload (joined by a completer that died, long ago), or
        // a file got there first: ours only if it holds these very bytes.
        Err(StoreError::NotFound | StoreError::Exists) => {
            placed_before(&store, &path, &session, &sequential).await
        }
        Err(error) => Err(error.into()),
    };
    if let Err(error) = placed {
        session.phase = match error {
            AppError::AlreadyExists => Phase::Failed,
            _ => Phase::Open,
        };
        if let Err(undo) = shared.replace(&session, &version).await {
            tracing::warn!(%undo, "cannot reopen a session whose completion failed");
        }
        return Err(error);
    }
    let ids = uploads.ids().clone();
    let file_id = blocking(move || ids.id_for(&tree_key)).await?;
    session.phase = Phase::Completed {
        created_at: i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX),
        content_hash: None,
        sha256: sequential.sha256.clone(),
        file_id,
    };
    if let Err(error) = shared.replace(&session, &version).await {
        tracing::warn!(%error, session = %session.id, "cannot record a completed session");
    }
    let file = file_object(&session).ok_or_else(|| damaged(&session.id))?;
    Ok(Appended::File(Box::new(file)))
}

/// Whether the object at `path` is this session's file: its size and SHA-256.
pub(super) async fn placed_before(
    store: &Arc<dyn crate::store::Store>,
    path: &TreePath,
    session: &SharedSession,
    sequential: &Sequential,
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
    let part_size = session.part_size.max(1);
    let (sha256, _) = super::super::super::in_store::stored_digests(store, path, part_size).await?;
    if Some(&sha256) == sequential.sha256.as_ref() {
        Ok(())
    } else {
        Err(AppError::AlreadyExists)
    }
}

/// Sends part `index` (0-based) to S3: its ETag.
pub(super) async fn send(
    store: &dyn crate::store::Store,
    path: &TreePath,
    session: &SharedSession,
    index: usize,
    bytes: &[u8],
) -> Result<String, AppError> {
    let body: crate::store::ByteStream = Box::pin(futures_util::stream::once({
        let bytes = bytes::Bytes::copy_from_slice(bytes);
        async move { Ok(bytes) }
    }));
    let tag = store
        .multipart_put(
            path,
            &session.upload,
            index as u64,
            bytes.len() as u64,
            body,
        )
        .await?;
    Ok(tag.tag)
}

/// Writes `bytes` as a new tail record (a name no other append uses): its name.
pub(super) async fn write_tail(
    shared: &Shared,
    id: &str,
    end: u64,
    bytes: &[u8],
) -> Result<String, AppError> {
    let name = format!("{end:020}-{}", uuid::Uuid::new_v4().simple());
    shared
        .state
        .create(&tail_key(id, &name), bytes.to_vec())
        .await
        .map_err(state_error)?;
    Ok(name)
}

/// The tail records `names` of session `id`, concatenated.
pub(super) async fn read_tail(
    shared: &Shared,
    id: &str,
    names: &[String],
) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    for name in names {
        let key = tail_key(id, name);
        let record = shared
            .state
            .get(&key)
            .await
            .map_err(state_error)?
            .ok_or_else(|| damaged(&key))?;
        bytes.extend_from_slice(&record.bytes);
    }
    Ok(bytes)
}

/// Removes every tail record of session `id` (best effort).
pub(in super::super) async fn drop_tails(shared: &Shared, id: &str) {
    let Ok(keys) = shared.state.list(&tails_dir(id)).await else {
        return;
    };
    for key in keys {
        if let Err(error) = shared.state.remove(&key).await {
            tracing::warn!(%error, "cannot remove a tail record");
        }
    }
}
