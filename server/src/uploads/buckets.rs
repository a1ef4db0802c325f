//! [`Buckets`]: what the upload sessions need to know about the storages (§2:
//! a bucket is a storage's name, §5): which buckets exist, where a mounted one
//! keeps its bytes, and which top-level names of the default storage are mounts
//! (reserved there, like `.skiff`).
//!
//! A trait, implemented by the storage registry in `crate::services`, so the upload
//! engine does not depend on how storages are registered, changed or persisted.

use std::fmt::Debug;
use std::sync::Arc;

use skiff_protocol::{TreePath, DEFAULT_BUCKET};

use crate::error::AppError;
use crate::store::Store;

/// A mounted storage as a bucket.
#[derive(Debug, Clone)]
pub struct MountedBucket {
    /// Its store, or why it could not be opened.
    pub store: Result<Arc<dyn Store>, String>,
    /// Its top-level folder in the tree.
    pub mount: String,
    /// Whether the storage may be written.
    pub writable: bool,
}

impl MountedBucket {
    /// The store, or 503 `storage_unavailable` if it could not be opened.
    pub fn store(&self) -> Result<&Arc<dyn Store>, AppError> {
        self.store
            .as_ref()
            .map_err(|reason| AppError::Unavailable(reason.clone()))
    }

    /// The tree key (mount + `/` + key) of `key` inside this storage: ids and
    /// file records of mounted files are kept under it, so they never collide
    /// with the default storage's keys.
    pub fn tree_key(&self, key: &str) -> String {
        if self.mount.is_empty() {
            // The default storage seen as a mount: its keys are the tree keys.
            return key.to_owned();
        }
        format!("{}/{key}", self.mount)
    }
}

/// The storages, as upload buckets.
pub trait Buckets: Send + Sync + Debug {
    /// Every bucket's name, the default first.
    fn names(&self) -> Vec<String>;

    /// The mounted storage named `name`; `None` for the default bucket and for
    /// names no storage has.
    fn mounted(&self, name: &str) -> Option<MountedBucket>;

    /// Whether `top` is where a storage is mounted.
    fn is_mount(&self, top: &str) -> bool;
}

/// Which storage a session or a bucket request is about.
#[derive(Debug, Clone)]
pub enum Bucket {
    /// The served tree.
    Default,
    /// A mounted storage.
    Mounted(MountedBucket),
}

/// The bucket named `name`; 404 `unknown_bucket` for any other name.
pub fn bucket(buckets: &dyn Buckets, name: &str) -> Result<Bucket, AppError> {
    if name == DEFAULT_BUCKET {
        return Ok(Bucket::Default);
    }
    buckets
        .mounted(name)
        .map(Bucket::Mounted)
        .ok_or_else(|| AppError::UnknownBucket(name.to_owned()))
}

/// Whether `path` of the default storage lies under a mounted name (which the
/// default storage may not use: 403 `reserved` to write, 404 to read).
pub fn under_mount(buckets: &dyn Buckets, path: &TreePath) -> bool {
    path.segments()
        .first()
        .is_some_and(|top| buckets.is_mount(top))
}
