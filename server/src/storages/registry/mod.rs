//! [`StorageRegistry`]: every storage of the server (§5) with its [`Store`], and
//! the only code that adds, changes or forgets one.
//!
//! Three origins: the default storage (ROOT, the tree's `/`), storages of the
//! `--config` file (fixed: the API may not change them), and storages made
//! through the API (persisted in redb, back after a restart). Reads take a short
//! lock; changes are serialised by an async mutex held across the backend probe,
//! so two admins can never both take one name.
//!
//! - `startup.rs`: bringing every storage up when the server starts
//! - `changes.rs`: create, patch and remove, with their checks
//! - `shared.rs`: on an `s3://` root, the API's storages kept in the bucket's
//!   record (`crate::storages::shared`) instead of redb, checked by every request

mod changes;
mod shared;
mod startup;

pub use startup::DefaultStorage;

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use redb::Database;
use skiff_protocol::{Storage, StorageKind};

use super::record::StorageRecord;
use super::shared::SharedStorages;
use super::spec::BackendSpec;
use crate::store::Store;

/// Where a storage's definition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// ROOT on the command line.
    Default,
    /// A `[[storage]]` table of `--config`.
    Config,
    /// `POST {storages}`.
    Api,
}

/// A store, or why it could not be opened at startup (a storage made through the
/// API whose folder or bucket has gone stays listed, so an admin can fix or remove it).
pub type StoreSlot = Result<Arc<dyn Store>, String>;

#[derive(Clone)]
struct Mounted {
    storage: Storage,
    origin: Origin,
    /// For API storages: what the database holds.
    record: StorageRecord,
    store: StoreSlot,
}

/// The server's storages.
pub struct StorageRegistry {
    db: Arc<Database>,
    /// The served folder, for a local root: mounts must not hide its entries,
    /// local storages must not overlap it. `None` for an `s3://` root.
    local_root: Option<PathBuf>,
    writable: bool,
    /// Default first, then by name.
    entries: RwLock<Vec<Mounted>>,
    changes: tokio::sync::Mutex<()>,
    /// On an `s3://` root: the bucket's record, which holds the API's storages.
    shared: Option<Arc<SharedStorages>>,
}

impl std::fmt::Debug for StorageRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: backends carry credentials.
        f.debug_struct("StorageRegistry")
            .field(
                "names",
                &self.list().into_iter().map(|s| s.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl StorageRegistry {
    /// Every storage, the default first.
    pub fn list(&self) -> Vec<Storage> {
        self.read(|entries| entries.iter().map(|e| e.storage.clone()).collect())
    }

    /// The storage named `name`.
    pub fn get(&self, name: &str) -> Option<Storage> {
        self.read(|entries| find(entries, name).map(|e| e.storage.clone()))
    }

    /// Whether `top`, a top-level name of the tree, is where another storage is
    /// mounted (reserved in the default storage, like `.skiff`).
    pub fn is_mount(&self, top: &str) -> bool {
        self.read(|entries| {
            entries
                .iter()
                .any(|e| e.origin != Origin::Default && e.storage.mount == top)
        })
    }

    /// The storage mounted at `top` and its store.
    // The tree's mounts (issue 11's next step) are the callers.
    #[allow(dead_code)]
    pub fn mounted(&self, top: &str) -> Option<(Storage, StoreSlot)> {
        self.read(|entries| {
            entries
                .iter()
                .find(|e| e.origin != Origin::Default && e.storage.mount == top)
                .map(|e| (e.storage.clone(), e.store.clone()))
        })
    }

    /// The store of storage `name` (the default storage is `default`).
    #[allow(dead_code)]
    pub fn store(&self, name: &str) -> Option<StoreSlot> {
        self.read(|entries| find(entries, name).map(|e| e.store.clone()))
    }

    fn read<T>(&self, f: impl FnOnce(&Vec<Mounted>) -> T) -> T {
        f(&self.entries.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn write(&self, f: impl FnOnce(&mut Vec<Mounted>)) {
        f(&mut self.entries.write().unwrap_or_else(PoisonError::into_inner));
    }
}

fn find<'a>(entries: &'a [Mounted], name: &str) -> Option<&'a Mounted> {
    entries.iter().find(|e| e.storage.name == name)
}

/// The wire object.
fn wire(
    name: &str,
    label: &str,
    mount: &str,
    record: &StorageRecord,
    backend: &BackendSpec,
    default_url: Option<String>,
    writable: bool,
) -> Storage {
    Storage {
        id: record.id.clone(),
        name: name.to_owned(),
        label: label.to_owned(),
        kind: backend.kind,
        url: backend.url.clone(),
        default_url: default_url.unwrap_or_else(|| backend.url.clone()),
        mount: mount.to_owned(),
        created_at: record.created_at,
        region: (backend.kind == StorageKind::S3)
            .then(|| backend.region.clone())
            .flatten(),
        writable,
        endpoint: backend.endpoint.clone(),
    }
}
