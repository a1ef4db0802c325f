//! Does the endpoint enforce conditional writes? Some S3-compatible servers
//! accept `If-None-Match: *` and `If-Match` and then write anyway; on such an
//! endpoint two instances would both "win" a race and one of them would lose
//! its record without knowing. So an S3 root checks, before it serves anything,
//! with a throwaway record: a second create must be refused and must leave the
//! first record's bytes; a replace naming a stale version must be refused too.

use super::BucketState;
use crate::store::StoreError;

/// Why this endpoint cannot hold the shared state, in words for the admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoConditionalWrites(pub String);

impl BucketState {
    /// Proves that `If-None-Match: *` and `If-Match` are enforced, with a record
    /// under `probe/` that is removed again (also when the check fails).
    pub async fn check_conditional_writes(&self) -> Result<(), NoConditionalWrites> {
        let key = format!("probe/{}", uuid::Uuid::new_v4().simple());
        let outcome = self.check_with(&key).await;
        if let Err(error) = self.remove(&key).await {
            tracing::warn!(%error, key, "cannot remove the conditional-write probe");
        }
        outcome
    }

    async fn check_with(&self, key: &str) -> Result<(), NoConditionalWrites> {
        let endpoint = self.store.spec().endpoint_label();
        let bucket = &self.store.spec().bucket;
        let ignores = |what: &str| {
            NoConditionalWrites(format!(
                "{endpoint} does not enforce conditional writes ({what}): several \
                 skiff-server instances on bucket {bucket:?} could overwrite each other's \
                 records without knowing. Use an S3 server that enforces If-None-Match \
                 and If-Match on PUT (AWS S3, SeaweedFS and MinIO do)."
            ))
        };
        let failed = |error: StoreError| {
            NoConditionalWrites(format!(
                "cannot check that {endpoint} enforces conditional writes: {error}"
            ))
        };
        let first = self.create(key, b"first".to_vec()).await.map_err(failed)?;
        match self.create(key, b"second".to_vec()).await {
            Err(StoreError::Exists | StoreError::Precondition) => {}
            Ok(_) => return Err(ignores("a second If-None-Match: * PUT was accepted")),
            Err(error) => return Err(failed(error)),
        }
        let kept = self.get(key).await.map_err(failed)?;
        if kept.as_ref().map(|record| record.bytes.as_ref()) != Some(b"first".as_slice()) {
            return Err(ignores("an If-None-Match: * PUT overwrote an object"));
        }
        let now = self
            .replace(key, b"third".to_vec(), &first)
            .await
            .map_err(failed)?;
        match self.replace(key, b"fourth".to_vec(), &first).await {
            Err(StoreError::Precondition) => {}
            Ok(_) => return Err(ignores("an If-Match PUT with a stale ETag was accepted")),
            Err(error) => return Err(failed(error)),
        }
        let kept = self.get(key).await.map_err(failed)?;
        match kept {
            Some(record) if record.bytes.as_ref() == b"third" && record.version == now => Ok(()),
            _ => Err(ignores(
                "an If-Match PUT with a stale ETag overwrote an object",
            )),
        }
    }
}
