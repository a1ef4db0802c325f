//! The raw API (PROTOCOL.md §4) inside a mounted storage (§5), through its
//! [`Store`]: `stat`, `list`, `mkdir`, `move` and `copy` within the storage, and
//! `data` (`mounted_data.rs`), with ids kept under the tree key as in ROOT. A
//! move or copy whose ends are in two storages (the default one included) goes
//! to `across.rs`.
//!
//! Checks come in the default storage's order: the storage's reserved `.skiff`
//! on both ends (`crate::tree::refuse_reserved`, when the key is split off the
//! mount), the method (405), `read_only`, and only then the store.

use std::sync::Arc;

use skiff_protocol::{EntryKind, RawList, RawListEntry, RawStat, TreePath, DIRECTORY_MIME};

use super::{across, mounted_data, Answer, LazyWrite, Op};
use crate::blocking::blocking;
use crate::catalog::ids::Ids;
use crate::disk::entry::{mime_for_name, rfc3339};
use crate::error::AppError;
use crate::services::Services;
use crate::storages::StoreSlot;
use crate::store::{Entry, Store, StoreError};
use crate::tree::refuse_reserved;

/// A path inside a mounted storage.
pub struct Place {
    /// Its store, or why it could not be opened (asked only once the call is
    /// known to be one the storage serves).
    slot: StoreSlot,
    /// The storage's name: two places are in one storage when these match.
    pub storage: String,
    pub mount: String,
    /// The key inside the storage (already refused if it is the reserved name).
    pub key: TreePath,
    pub writable: bool,
}

impl Place {
    pub fn tree_key(&self, key: &TreePath) -> String {
        crate::catalog::tree_key(&self.mount, key)
    }

    /// The storage's store: 503 if its backend could not be opened.
    pub fn store(&self) -> Result<&Arc<dyn Store>, AppError> {
        self.slot
            .as_ref()
            .map_err(|why| AppError::Unavailable(why.clone()))
    }
}

/// Where `path` is, if it is inside a mounted storage (the mount itself
/// included). The storage's reserved `.skiff` is refused here, for every
/// operation and both ends of a move or copy: 404 to read, 403 to write.
fn place(services: &Services, path: &TreePath, is_read: bool) -> Result<Option<Place>, AppError> {
    let Some((storage, slot)) = path
        .segments()
        .first()
        .and_then(|top| services.storages().mounted(top))
    else {
        return Ok(None);
    };
    let key = TreePath::from_segments(path.segments().iter().skip(1))?;
    refuse_reserved(&key, is_read)?;
    Ok(Some(Place {
        slot,
        storage: storage.name,
        mount: storage.mount,
        key,
        writable: storage.writable,
    }))
}

/// The mounted storages a call is about: where it acts, and where a `move` or
/// `copy` goes (`None`: in the default storage), with the tree paths of both.
pub struct Places {
    pub from: Option<Place>,
    pub target: Option<Place>,
    pub path: TreePath,
    pub to: Option<TreePath>,
}

impl Places {
    /// The places of `path` and `to`, checked against each storage's reserved
    /// name; `None` when neither is in a mounted storage (the default storage's
    /// raw API serves the call).
    pub fn of(
        services: &Services,
        path: &TreePath,
        to: Option<&TreePath>,
        is_write: bool,
    ) -> Result<Option<Self>, AppError> {
        let from = place(services, path, !is_write)?;
        // A target is always written.
        let target = to
            .map(|to| place(services, to, false))
            .transpose()?
            .flatten();
        if from.is_none() && target.is_none() {
            return Ok(None);
        }
        Ok(Some(Places {
            from,
            target,
            path: path.clone(),
            to: to.cloned(),
        }))
    }

    /// Whether a `move` or `copy` goes from one storage into another.
    fn across(&self) -> bool {
        let storage = |place: &Option<Place>| place.as_ref().map(|place| place.storage.clone());
        self.to.is_some() && storage(&self.from) != storage(&self.target)
    }
}

/// What a mounted storage serves of an [`Op`].
pub enum Call {
    Stat,
    List,
    Mkdir,
    Delete {
        recursive: bool,
    },
    /// Where to is [`Places`]' target.
    Move {
        overwrite: bool,
    },
    Copy {
        overwrite: bool,
    },
    /// `GET data`.
    Data,
    /// `PUT data`.
    Put(LazyWrite),
}

impl Call {
    /// The mounted side of `op`; 405 for [`Op::Unsupported`], as in the
    /// default storage.
    pub fn of(op: Op) -> Result<Self, AppError> {
        Ok(match op {
            Op::Stat => Call::Stat,
            Op::List => Call::List,
            Op::Mkdir => Call::Mkdir,
            Op::Delete { recursive } => Call::Delete { recursive },
            Op::Move { overwrite, .. } => Call::Move { overwrite },
            Op::Copy { overwrite, .. } => Call::Copy { overwrite },
            Op::Data => Call::Data,
            Op::Put(write) => Call::Put(write),
            Op::Unsupported { allow, .. } => return Err(AppError::MethodNotAllowed { allow }),
        })
    }

    fn is_write(&self) -> bool {
        match self {
            Call::Stat | Call::List | Call::Data => false,
            Call::Put(_)
            | Call::Mkdir
            | Call::Delete { .. }
            | Call::Move { .. }
            | Call::Copy { .. } => true,
        }
    }
}

/// Serves `op` in the mounted storage(s) of `places`.
pub async fn serve(services: &Services, places: Places, op: Call) -> Result<Answer, AppError> {
    if let Call::Move { overwrite } | Call::Copy { overwrite } = op {
        if places.across() {
            let is_move = matches!(op, Call::Move { .. });
            return across::transfer(services, places, is_move, overwrite).await;
        }
    }
    let Places { from, target, .. } = places;
    // Only a move or copy has no mounted source, and one from the default storage is across.
    let Some(from) = from else {
        return Err(AppError::NotFound);
    };
    let ids = services.ids().clone();
    if op.is_write() && !(services.writable() && from.writable) {
        return Err(AppError::ReadOnly);
    }
    let store = Arc::clone(from.store()?);
    match op {
        Call::Stat => {
            let entry = store.stat(&from.key).await?;
            Ok(Answer::Stat(stat(&ids, &from, &entry).await?))
        }
        Call::List => Ok(Answer::List(list(&ids, &store, &from).await?)),
        Call::Mkdir => {
            match store.stat(&from.key).await {
                Ok(_) => return Err(exists()),
                Err(StoreError::NotFound) => {}
                Err(error) => return Err(error.into()),
            }
            store.mkdir(&from.key).await?;
            forget(&ids, from.tree_key(&from.key)).await?;
            let entry = store.stat(&from.key).await?;
            Ok(Answer::Created(stat(&ids, &from, &entry).await?))
        }
        Call::Delete { recursive } => {
            if from.key.is_root() {
                return Err(storage_root());
            }
            store.delete(&from.key, recursive).await?;
            forget(&ids, from.tree_key(&from.key)).await?;
            Ok(Answer::Deleted)
        }
        Call::Move { overwrite, .. } | Call::Copy { overwrite, .. } => {
            let is_move = matches!(op, Call::Move { .. });
            // Two storages went to `across` above.
            let Some(target) = target else {
                return Err(AppError::NotFound);
            };
            if from.key.is_root() || target.key.is_root() {
                return Err(storage_root());
            }
            let (from_key, to_key) = (from.tree_key(&from.key), target.tree_key(&target.key));
            if is_move {
                store.rename(&from.key, &target.key, overwrite).await?;
                let ids = ids.clone();
                blocking(move || ids.move_tree(&from_key, &to_key)).await?;
            } else {
                store.copy(&from.key, &target.key, overwrite).await?;
                // A copy is a new entry: whatever was recorded at the target is not its.
                forget(&ids, to_key).await?;
            }
            let entry = store.stat(&target.key).await?;
            let stat = stat(&ids, &target, &entry).await?;
            Ok(if is_move {
                Answer::Stat(stat)
            } else {
                Answer::Created(stat)
            })
        }
        Call::Data => mounted_data::data(&ids, &from).await,
        Call::Put(write) => mounted_data::put(services, &from, write).await,
    }
}

/// The stat object of `entry` in `place` (its id made now if it has none).
pub async fn stat(ids: &Ids, place: &Place, entry: &Entry) -> Result<RawStat, AppError> {
    let key = place.tree_key(&entry.key);
    let reader = ids.clone();
    let lookup = key.clone();
    let known = blocking(move || reader.known_or_new(&lookup)).await?;
    let name = entry.key.name().unwrap_or(place.mount.as_str()).to_owned();
    Ok(RawStat {
        id: known.id,
        path: format!("/{key}"),
        kind: if entry.is_dir {
            EntryKind::Directory
        } else {
            EntryKind::File
        },
        size: if entry.is_dir { 0 } else { entry.size },
        etag: entry.etag.clone(),
        mime_type: if entry.is_dir {
            DIRECTORY_MIME.to_owned()
        } else {
            known.format.unwrap_or_else(|| mime_for_name(&name))
        },
        last_modified: rfc3339(entry.modified),
        name,
    })
}

/// Every child of the folder at `place`, with ids (made for the whole folder in one
/// transaction, as in ROOT).
async fn list(ids: &Ids, store: &Arc<dyn Store>, place: &Place) -> Result<RawList, AppError> {
    let mut children = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(&place.key, after.as_deref(), 1000).await?;
        children.extend(page.entries.into_iter().filter(|entry| {
            !(place.key.is_root() && entry.key.name() == Some(skiff_protocol::RESERVED_NAME))
        }));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let keys: Vec<String> = children
        .iter()
        .map(|entry| place.tree_key(&entry.key))
        .collect();
    let reader = ids.clone();
    let found = blocking(move || reader.ids_for(&keys)).await?;
    let entries = children
        .into_iter()
        .zip(found)
        .map(|(entry, id)| RawListEntry {
            name: entry.key.name().unwrap_or_default().to_owned(),
            size: if entry.is_dir { 0 } else { entry.size },
            etag: entry.etag,
            kind: if entry.is_dir {
                EntryKind::Directory
            } else {
                EntryKind::File
            },
            id,
        })
        .collect();
    Ok(RawList { entries })
}

async fn forget(ids: &Ids, key: String) -> Result<(), AppError> {
    let ids = ids.clone();
    blocking(move || ids.forget_tree(&key)).await
}

fn exists() -> AppError {
    AppError::Conflict {
        code: "exists",
        message: "something already exists at that path".to_owned(),
    }
}

pub fn storage_root() -> AppError {
    AppError::Conflict {
        code: "storage_root",
        message: "a storage's top folder cannot be moved, copied or deleted; \
                  manage the storage instead"
            .to_owned(),
    }
}
