//! Writing objects: a put reads its body into memory only up to one part
//! (small files go up in one conditional PUT); a bigger body streams through
//! `object_store`'s `WriteMultipart`, a few parts in flight, never the whole.
//! Multipart writes are S3 multipart uploads (part number = index + 1).
//!
//! S3 has no conditional CompleteMultipartUpload that `object_store` exposes, so
//! [`PutMode::Create`] and [`PutMode::Update`] of multipart writes are checked
//! just before completing (a race with another writer in that moment is
//! possible; single PUTs are conditional on the server itself).

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::multipart::{MultipartStore, PartId};
use object_store::{
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, UpdateVersion, WriteMultipart,
};
use skiff_protocol::TreePath;

use super::S3Store;
use crate::store::{ByteStream, Entry, MultipartId, PartTag, PutMode, StoreError};

/// Bodies up to this size go up in one PUT; bigger ones in parts of this size
/// (S3's minimum part is 5 MiB).
pub(super) const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts of one streamed put in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

impl S3Store {
    /// Writes `body` as the object at `key` under `mode`.
    pub(super) async fn put_streamed(
        &self,
        key: &TreePath,
        mode: PutMode,
        mut body: ByteStream,
    ) -> Result<Entry, StoreError> {
        if key.is_root() {
            return Err(StoreError::WrongKind("the root is a folder"));
        }
        let path = self.path(key)?;
        let mut head = Vec::new();
        let mut buffered = 0;
        while buffered <= PART_SIZE {
            match body.next().await {
                Some(chunk) => {
                    let chunk = chunk?;
                    buffered += chunk.len();
                    head.push(chunk);
                }
                None => {
                    let options = PutOptions::from(object_mode(&mode));
                    let put = self
                        .inner
                        .put_opts(&path, PutPayload::from_iter(head), options)
                        .await;
                    return match put.map_err(|error| self.error(error)) {
                        Ok(_) => self.stat_file(key).await,
                        // A refused `If-None-Match: *` (412) reaches us as `Exists`
                        // through object_store; any other precondition answer to a
                        // create-only write means the same.
                        Err(StoreError::Precondition) if mode == PutMode::Create => {
                            Err(StoreError::Exists)
                        }
                        Err(error) => Err(error),
                    };
                }
            }
        }
        self.check_mode(key, &mode).await?;
        let upload = self
            .inner
            .put_multipart_opts(&path, PutMultipartOptions::default())
            .await
            .map_err(|error| self.error(error))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        for chunk in head {
            writer.put(chunk);
        }
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(error);
                }
            };
            if let Err(error) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(self.error(error));
            }
            writer.put(chunk);
        }
        writer.finish().await.map_err(|error| self.error(error))?;
        self.stat_file(key).await
    }

    /// [`PutMode`] checked against what is at `key` now (for writes S3 cannot
    /// make conditional themselves).
    async fn check_mode(&self, key: &TreePath, mode: &PutMode) -> Result<(), StoreError> {
        match mode {
            PutMode::Overwrite => Ok(()),
            PutMode::Create => match self.head(key).await? {
                Some(_) => Err(StoreError::Exists),
                None => Ok(()),
            },
            PutMode::Update(expected) => match self.head(key).await? {
                Some(meta)
                    if super::quoted(meta.e_tag.as_deref().unwrap_or_default()) == *expected =>
                {
                    Ok(())
                }
                _ => Err(StoreError::Precondition),
            },
        }
    }

    pub(super) async fn start_multipart(&self, key: &TreePath) -> Result<MultipartId, StoreError> {
        if key.is_root() {
            return Err(StoreError::WrongKind("the root is a folder"));
        }
        let id = self
            .inner
            .create_multipart(&self.path(key)?)
            .await
            .map_err(|error| self.error(error))?;
        Ok(MultipartId(id))
    }

    /// Uploads part `index` (exactly `len` bytes, held in memory: S3 needs its
    /// length up front, and a part is at most the session's part size).
    pub(super) async fn put_part(
        &self,
        key: &TreePath,
        id: &MultipartId,
        index: u64,
        len: u64,
        mut body: ByteStream,
    ) -> Result<PartTag, StoreError> {
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut total: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            total = total.saturating_add(chunk.len() as u64);
            if total > len {
                return Err(StoreError::Body(format!(
                    "the part is longer than {len} bytes"
                )));
            }
            chunks.push(chunk);
        }
        if total != len {
            return Err(StoreError::Body(format!(
                "the part ended after {total} of its {len} bytes"
            )));
        }
        let index_usize = usize::try_from(index)
            .map_err(|_| StoreError::Body("the part index is too large".to_owned()))?;
        let part = self
            .inner
            .put_part(
                &self.path(key)?,
                &id.0,
                index_usize,
                PutPayload::from_iter(chunks),
            )
            .await
            .map_err(|error| self.error(error))?;
        Ok(PartTag {
            index,
            tag: part.content_id,
        })
    }

    pub(super) async fn complete_multipart(
        &self,
        key: &TreePath,
        id: &MultipartId,
        parts: Vec<PartTag>,
        mode: PutMode,
    ) -> Result<Entry, StoreError> {
        for (position, part) in parts.iter().enumerate() {
            if part.index != position as u64 {
                return Err(StoreError::Body(format!(
                    "part {} is out of order or missing",
                    part.index
                )));
            }
        }
        self.check_mode(key, &mode).await?;
        let parts = parts
            .into_iter()
            .map(|part| PartId {
                content_id: part.tag,
            })
            .collect();
        self.inner
            .complete_multipart(&self.path(key)?, &id.0, parts)
            .await
            .map_err(|error| self.error(error))?;
        self.stat_file(key).await
    }

    pub(super) async fn abort_multipart(
        &self,
        key: &TreePath,
        id: &MultipartId,
    ) -> Result<(), StoreError> {
        match self.inner.abort_multipart(&self.path(key)?, &id.0).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(self.error(error)),
        }
    }
}

/// Our [`PutMode`] as `object_store`'s (S3 `If-None-Match: *` / `If-Match`).
fn object_mode(mode: &PutMode) -> object_store::PutMode {
    match mode {
        PutMode::Overwrite => object_store::PutMode::Overwrite,
        PutMode::Create => object_store::PutMode::Create,
        PutMode::Update(etag) => object_store::PutMode::Update(UpdateVersion {
            e_tag: Some(etag.clone()),
            version: None,
        }),
    }
}
