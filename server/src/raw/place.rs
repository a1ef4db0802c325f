//! Where a raw API call acts (PROTOCOL.md §4, §5): the storage a tree path is
//! in (a mounted one when its first segment is a mount, else the default
//! storage, seen as the mount with the empty name), its [`Store`] and the key
//! inside it.
//!
//! The storage's reserved `.skiff` is refused here, on the key, for every
//! operation and both ends of a move or copy: 404 to read, 403 to write. The
//! default storage's own particulars also live here: its top-level names that
//! are mounts are never its own (a path under one is the mounted storage's), and
//! its root is 409 `is_root` where a mounted storage's top folder is 409
//! `storage_root`.

use std::sync::Arc;

use skiff_protocol::{TreePath, DEFAULT_BUCKET};

use crate::error::AppError;
use crate::services::Services;
use crate::storages::StoreSlot;
use crate::store::Store;
use crate::tree::{refuse_reserved, Mounted};

/// A path inside one storage.
pub struct Place {
    /// Its store, or why it could not be opened (asked only once the call is
    /// known to be one the storage serves).
    slot: StoreSlot,
    /// The storage's name: two places are in one storage when these match.
    pub storage: String,
    /// Its top-level folder in the tree; `""` for the default storage.
    pub mount: String,
    /// The key inside the storage (already refused if it is the reserved name).
    pub key: TreePath,
    pub writable: bool,
}

impl Place {
    /// The catalog's key of `key` in this place's storage.
    pub fn tree_key(&self, key: &TreePath) -> String {
        crate::catalog::tree_key(&self.mount, key)
    }

    /// Whether this is the default storage (the tree's root).
    pub fn is_default(&self) -> bool {
        self.mount.is_empty()
    }

    /// The storage's store: 503 if its backend could not be opened.
    pub fn store(&self) -> Result<&Arc<dyn Store>, AppError> {
        self.slot
            .as_ref()
            .map_err(|why| AppError::Unavailable(why.clone()))
    }

    /// The tree's view of this place's storage (for serving and writing bytes).
    pub fn mounted(&self, services: &Services) -> Result<Mounted, AppError> {
        Ok(Mounted {
            store: Arc::clone(self.store()?),
            mount: self.mount.clone(),
            ids: services.ids().clone(),
        })
    }

    /// The refusal for this storage's top folder as a move's or copy's end, or
    /// a delete's target: the default storage's is the tree's root.
    pub fn top_refused(&self) -> AppError {
        if self.is_default() {
            return AppError::Conflict {
                code: "is_root",
                message: "the root cannot be moved, copied onto, replaced or deleted".to_owned(),
            };
        }
        AppError::Conflict {
            code: "storage_root",
            message: "a storage's top folder cannot be moved, copied or deleted; \
                      manage the storage instead"
                .to_owned(),
        }
    }
}

/// Where tree path `path` is. The reserved `.skiff` of its storage is refused
/// here (404 when `is_read`, else 403).
fn place(services: &Services, path: &TreePath, is_read: bool) -> Result<Place, AppError> {
    let mounted = path
        .segments()
        .first()
        .and_then(|top| services.storages().mounted(top));
    let Some((storage, slot)) = mounted else {
        refuse_reserved(path, is_read)?;
        return Ok(Place {
            slot: Ok(Arc::clone(services.default_store())),
            storage: DEFAULT_BUCKET.to_owned(),
            mount: String::new(),
            key: path.clone(),
            writable: true,
        });
    };
    let key = TreePath::from_segments(path.segments().iter().skip(1))?;
    refuse_reserved(&key, is_read)?;
    Ok(Place {
        slot,
        storage: storage.name,
        mount: storage.mount,
        key,
        writable: storage.writable,
    })
}

/// The places a call is about: where it acts, and where a `move` or `copy` goes.
pub struct Places {
    pub from: Place,
    pub target: Option<Place>,
}

impl Places {
    /// The places of `path` and `to`, checked against each storage's reserved name.
    pub fn of(
        services: &Services,
        path: &TreePath,
        to: Option<&TreePath>,
        is_write: bool,
    ) -> Result<Self, AppError> {
        let from = place(services, path, !is_write)?;
        // A target is always written.
        let target = to.map(|to| place(services, to, false)).transpose()?;
        Ok(Places { from, target })
    }

    /// Whether a `move` or `copy` goes from one storage into another.
    pub fn across(&self) -> bool {
        self.target
            .as_ref()
            .is_some_and(|target| target.storage != self.from.storage)
    }
}
