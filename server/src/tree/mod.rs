//! The tree service for mounted storages (PROTOCOL.md §1, §2.2, §5): whole-file
//! writes and deletes through a storage's [`Store`], with ids kept under the
//! tree key. Listings are `crate::listing`; reads are served by
//! `crate::http::tree` from the store's bytes.
//!
//! - `write.rs`: `PUT P` (digest-verified, conditional) and `DELETE P`
//! - [`refuse_reserved`]: the storage's own `.skiff`, refused for every call that
//!   names a key inside a storage (the tree here, the raw API in `crate::raw`)

pub mod write;

use std::sync::Arc;

use skiff_protocol::{TreePath, RESERVED_NAME};

use crate::catalog::ids::Ids;
use crate::catalog::tree_key;
use crate::disk::paths::is_reserved;
use crate::error::AppError;
use crate::storages::StorageRegistry;
use crate::store::Store;

/// A storage mounted as a top-level folder of the tree.
#[derive(Debug, Clone)]
pub struct Mounted {
    /// Its bytes.
    pub store: Arc<dyn Store>,
    /// The folder it is mounted as: ids live under the full tree key (mount + key).
    pub mount: String,
    /// The server's ids (§4).
    pub ids: Ids,
}

impl Mounted {
    /// The tree key of `key` inside this storage.
    pub fn tree_key(&self, key: &TreePath) -> String {
        tree_key(&self.mount, key)
    }
}

/// The one check of a key inside a storage (mounted or not) against the
/// storage's own `.skiff` folder, which every storage reserves (protocol notes,
/// "Mounted storages in the tree"): 404 to read, 403 `reserved` to write. Made on
/// the key alone, before any store is asked, so every backend refuses alike.
pub fn refuse_reserved(key: &TreePath, is_read: bool) -> Result<(), AppError> {
    if !is_reserved(key) {
        return Ok(());
    }
    Err(if is_read {
        AppError::NotFound
    } else {
        AppError::Reserved
    })
}

/// Whether an entry a store's walk met at `key` is part of the tree: not the
/// storage's own `.skiff`, nor, in the default storage (`in_default`), under a
/// top-level name that a mount hides. The scrub and the ZIP both walk by this.
pub fn walked_into_tree(storages: &StorageRegistry, in_default: bool, key: &TreePath) -> bool {
    let Some(top) = key.segments().first() else {
        return true;
    };
    top != RESERVED_NAME && !(in_default && storages.is_mount(top))
}
