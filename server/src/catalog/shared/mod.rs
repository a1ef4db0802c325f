//! The catalog of an `s3://` ROOT, kept as records in the bucket
//! (`crate::bucket_state`) so every instance serving it gives the same id for
//! the same entry and reads the same metadata (PROTOCOL.md §3, §4, §5 last
//! paragraph; docs/design/scale-out.md step 3).
//!
//! - `tree.rs`: ids as nodes and per-folder children maps (like inodes)
//! - `metadata.rs`: `metadata/ID` records and `_format`
//! - `records.rs`: the record types and their conditional updates
//!
//! Nothing is cached but the root's id, which never changes: every lookup reads
//! the bucket, so what another instance wrote is seen at once.
//!
//! [`crate::catalog::ids::Ids`] is the one interface over both catalogs. Its
//! calls block (redb) and run on blocking threads (`crate::blocking`); on an
//! S3 root the same calls run these async ones to the end on that blocking
//! thread ([`run`]), so no tokio worker ever waits on the bucket.

mod metadata;
mod records;
mod tree;

use std::future::Future;
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::bucket_state::BucketState;
use crate::error::AppError;

pub use records::Child;

/// Ids and metadata of one S3 root, as records in its bucket; cheap to clone.
#[derive(Debug, Clone)]
pub struct SharedCatalog {
    state: BucketState,
    root: Arc<OnceCell<String>>,
}

impl SharedCatalog {
    /// The catalog in `state`'s bucket. Nothing is sent yet.
    pub fn new(state: BucketState) -> Self {
        Self {
            state,
            root: Arc::default(),
        }
    }
}

/// Runs `work` to its end on this (blocking) thread, through the runtime that
/// spawned it. Never call it on a tokio worker: `crate::blocking` first.
pub fn run<T>(work: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| {
        AppError::Store("the bucket's records were used outside the server's runtime".to_owned())
    })?;
    handle.block_on(work)
}
