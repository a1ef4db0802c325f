//! [`BucketState`]: the server's own records kept in an S3 bucket beside the tree,
//! under `PREFIX/.skiff/state/`, so that several skiff-server instances serving one
//! bucket share them (PROTOCOL.md §5, last paragraph; issue 13's design is in
//! `docs/design/scale-out.md`).
//!
//! A record is one small object. Every write is conditional, so two instances
//! racing on one record never both win: [`BucketState::create`] is S3's
//! `If-None-Match: *`, [`BucketState::replace`] is `If-Match` on the version the
//! writer read, and [`BucketState::update`] is the read-modify-write loop built
//! on them (a merge retried on the latest record, never a lost update). The
//! loser hears [`StoreError::Exists`] or [`StoreError::Precondition`].
//!
//! - `probe.rs`: the startup check that the endpoint really enforces those
//!   conditions (some S3-compatible servers silently ignore `If-None-Match`)
//! - `lease.rs`: a lease in the bucket, so one instance at a time runs a job
//! - `claim.rs`: a claim in the bucket, so one instance at a time makes a thing
//!   whose own conditional write the S3 server does not reliably enforce

mod claim;
mod lease;
mod probe;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::aws::AmazonS3;
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};

use crate::store::s3::S3Store;
use crate::store::StoreError;

pub use claim::{Claim, ClaimRecord, ClaimState};
pub use lease::{Lease, LeaseRecord};
pub use probe::NoConditionalWrites;

/// Where the records live under the storage's prefix.
const STATE_DIR: &str = ".skiff/state";

/// How often [`BucketState::update`] retries after losing a race before it
/// gives up and reports the conflict (each retry reads the winner's record).
const UPDATE_ATTEMPTS: u32 = 64;

/// The records of one S3 storage (its bucket and prefix).
#[derive(Debug, Clone)]
pub struct BucketState {
    store: S3Store,
    client: Arc<AmazonS3>,
    /// `PREFIX/.skiff/state` (`.skiff/state` for a whole bucket).
    root: String,
}

/// Which write of a record a reader saw: the next conditional write must name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    e_tag: Option<String>,
    version: Option<String>,
}

impl Version {
    fn update(&self) -> UpdateVersion {
        UpdateVersion {
            e_tag: self.e_tag.clone(),
            version: self.version.clone(),
        }
    }
}

/// A record as read: its bytes and the version a conditional write names.
#[derive(Debug, Clone)]
pub struct Record {
    pub bytes: Bytes,
    pub version: Version,
}

/// What a conditional read found.
#[derive(Debug, Clone)]
pub enum Fresh {
    /// The record is still the version seen.
    Same,
    /// There is no record.
    Absent,
    /// The record as it is now.
    Changed(Record),
}

impl BucketState {
    /// The records of `store`'s bucket and prefix. Nothing is sent yet.
    pub fn open(store: &S3Store) -> BucketState {
        let prefix = &store.spec().prefix;
        let root = if prefix.is_empty() {
            STATE_DIR.to_owned()
        } else {
            format!("{prefix}/{STATE_DIR}")
        };
        BucketState {
            store: store.clone(),
            client: store.client(),
            root,
        }
    }

    /// The object of record `key` (`sessions/abc`: plain names joined by `/`).
    fn path(&self, key: &str) -> Result<Path, StoreError> {
        let plain = !key.is_empty()
            && key.split('/').all(|name| {
                !name.is_empty()
                    && name != "."
                    && name != ".."
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.=".contains(&b))
            });
        if !plain {
            return Err(StoreError::WrongKind("not a record key"));
        }
        Path::parse(format!("{}/{key}", self.root))
            .map_err(|_| StoreError::WrongKind("not a record key"))
    }

    fn error(&self, error: object_store::Error) -> StoreError {
        self.store.error_in_words(error)
    }

    /// Record `key`, or `None` if nobody wrote it (or it was removed).
    pub async fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        let path = self.path(key)?;
        let result = match self.client.get(&path).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(self.error(error)),
        };
        let version = Version {
            e_tag: result.meta.e_tag.clone(),
            version: result.meta.version.clone(),
        };
        let bytes = result.bytes().await.map_err(|error| self.error(error))?;
        Ok(Some(Record { bytes, version }))
    }

    /// Record `key` unless it is still at `seen` (a conditional `GET` with
    /// `If-None-Match` on the ETag read before: a 304 carries no bytes).
    pub async fn get_if_changed(
        &self,
        key: &str,
        seen: Option<&Version>,
    ) -> Result<Fresh, StoreError> {
        let Some(e_tag) = seen.and_then(|version| version.e_tag.clone()) else {
            return Ok(match self.get(key).await? {
                Some(record) => Fresh::Changed(record),
                None => Fresh::Absent,
            });
        };
        let path = self.path(key)?;
        let options = GetOptions {
            if_none_match: Some(e_tag),
            ..GetOptions::default()
        };
        let result = match self.client.get_opts(&path, options).await {
            Ok(result) => result,
            Err(object_store::Error::NotModified { .. }) => return Ok(Fresh::Same),
            Err(object_store::Error::NotFound { .. }) => return Ok(Fresh::Absent),
            Err(error) => return Err(self.error(error)),
        };
        let version = Version {
            e_tag: result.meta.e_tag.clone(),
            version: result.meta.version.clone(),
        };
        let bytes = result.bytes().await.map_err(|error| self.error(error))?;
        Ok(Fresh::Changed(Record { bytes, version }))
    }

    /// Writes record `key` if there is none: [`StoreError::Exists`] if another
    /// writer got there first (its record stays as it is).
    pub async fn create(&self, key: &str, bytes: Vec<u8>) -> Result<Version, StoreError> {
        self.put(key, bytes, PutMode::Create).await
    }

    /// Replaces record `key` if it is still at `version`: [`StoreError::Precondition`]
    /// if another writer changed (or removed) it since it was read.
    pub async fn replace(
        &self,
        key: &str,
        bytes: Vec<u8>,
        version: &Version,
    ) -> Result<Version, StoreError> {
        self.put(key, bytes, PutMode::Update(version.update()))
            .await
            .map_err(|error| match error {
                // A record removed since it was read: the reader's view is stale all the same.
                StoreError::NotFound => StoreError::Precondition,
                other => other,
            })
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, mode: PutMode) -> Result<Version, StoreError> {
        let path = self.path(key)?;
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        let result = self
            .client
            .put_opts(&path, PutPayload::from(bytes), options)
            .await
            .map_err(|error| self.error(error))?;
        Ok(Version {
            e_tag: result.e_tag,
            version: result.version,
        })
    }

    /// Record `key` changed by `change` (given the current bytes, or `None` if
    /// there is no record), written only if nobody wrote it meanwhile; on a lost
    /// race `change` runs again on the winner's record. `change` returns the new
    /// bytes, or `Ok(None)` to leave the record as it is; its error ends the update.
    /// Returns what was written (or left).
    pub async fn update<E>(
        &self,
        key: &str,
        mut change: impl FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>, E>,
    ) -> Result<Result<Option<Bytes>, E>, StoreError> {
        for attempt in 0..UPDATE_ATTEMPTS {
            let current = self.get(key).await?;
            let new = match change(current.as_ref().map(|record| record.bytes.as_ref())) {
                Ok(Some(new)) => new,
                Ok(None) => return Ok(Ok(current.map(|record| record.bytes))),
                Err(error) => return Ok(Err(error)),
            };
            let written = Bytes::from(new.clone());
            let outcome = match &current {
                Some(record) => self.replace(key, new, &record.version).await,
                None => self.create(key, new).await,
            };
            match outcome {
                Ok(_) => return Ok(Ok(Some(written))),
                Err(StoreError::Exists | StoreError::Precondition) => {
                    // Someone else wrote first: read theirs and merge again, after a
                    // short pause that grows, so a crowd of writers spreads out.
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(error) => return Err(error),
            }
        }
        Err(StoreError::Precondition)
    }

    /// Removes record `key` (no record is fine). Not conditional: S3 has no
    /// conditional delete everywhere, so records that race are replaced by a
    /// tombstone or a state instead, and removed only once nobody can race.
    pub async fn remove(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path(key)?;
        match self.client.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(self.error(error)),
        }
    }

    /// The keys of the records under `dir` (`sessions`), at any depth, in key order.
    pub async fn list(&self, dir: &str) -> Result<Vec<String>, StoreError> {
        use futures_util::TryStreamExt;
        let path = self.path(dir)?;
        let prefix = format!("{}/", self.root);
        let mut keys: Vec<String> = self
            .client
            .list(Some(&path))
            .map_ok(|meta| meta.location.as_ref().to_owned())
            .try_collect::<Vec<_>>()
            .await
            .map_err(|error| self.error(error))?
            .into_iter()
            .filter_map(|location| location.strip_prefix(&prefix).map(str::to_owned))
            .collect();
        keys.sort();
        Ok(keys)
    }
}

/// The pause after losing the `attempt`-th race: 1, 2, 4 … up to 64 ms, plus up to
/// as much again at random.
fn backoff(attempt: u32) -> Duration {
    let base = 1u64 << attempt.min(6);
    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % (base + 1);
    Duration::from_millis(base + jitter)
}
