//! The raw API (PROTOCOL.md §4) within one storage, the default one included,
//! through its [`Store`]: `stat`, `list`, `mkdir`, `DELETE data`, and `move`
//! and `copy` whose ends are both in it, with ids, metadata and checksum
//! records kept under the tree key (the catalog moves or forgets them). `data`
//! is `data.rs`; a move or copy between two storages goes to `across.rs`.
//!
//! Checks come in one order in every storage: the reserved `.skiff` on both
//! ends (`place.rs`), the method (405), `read_only`, and only then the store.
//! What only the default storage has: its `list` of `/` shows the mounted
//! storages (and not the local entries their names hide).

use std::sync::Arc;

use skiff_protocol::{EntryKind, RawList, RawListEntry, RawStat, TreePath, DIRECTORY_MIME};

use super::place::{Place, Places};
use super::{across, data, Answer, LazyWrite, Op};
use crate::blocking::blocking;
use crate::catalog::ids::Ids;
use crate::disk::entry::{mime_for_name, rfc3339};
use crate::error::AppError;
use crate::services::Services;
use crate::store::{Entry, Store, StoreError};

/// What a storage serves of an [`Op`] (where to, for a move or copy, is
/// [`Places`]' target).
pub enum Call {
    Stat,
    List,
    Mkdir,
    Delete {
        recursive: bool,
    },
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
    /// The call `op` makes; 405 for [`Op::Unsupported`].
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
        !matches!(self, Call::Stat | Call::List | Call::Data)
    }
}

/// Serves `call` at `places`.
pub async fn serve(services: &Services, places: Places, call: Call) -> Result<Answer, AppError> {
    if let Call::Move { overwrite } | Call::Copy { overwrite } = call {
        if places.across() {
            let is_move = matches!(call, Call::Move { .. });
            return across::transfer(services, places, is_move, overwrite).await;
        }
    }
    let Places { from, target, .. } = places;
    let ids = services.ids().clone();
    if call.is_write() && !(services.writable() && from.writable) {
        return Err(AppError::ReadOnly);
    }
    let store = Arc::clone(from.store()?);
    if let Some(jobs) = services
        .jobs()
        .filter(|_| from.is_default() && call.is_write())
    {
        let what = super::journaled::What::of(&call);
        let served = super::journaled::serve(jobs, &ids, &store, &from, target.as_ref(), what);
        if let Some(answer) = served.await? {
            return Ok(answer);
        }
    }
    match call {
        Call::Stat => {
            let entry = store.stat(&from.key).await?;
            Ok(Answer::Stat(stat(&ids, &from, &entry).await?))
        }
        Call::List => Ok(Answer::List(list(services, &store, &from).await?)),
        Call::Mkdir => {
            match store.stat(&from.key).await {
                Ok(_) => return Err(exists()),
                Err(StoreError::NotFound) => {}
                Err(error) => return Err(error.into()),
            }
            match store.mkdir_new(&from.key).await {
                Err(StoreError::Exists) => return Err(exists()),
                other => other?,
            }
            // Whatever an earlier entry at this path left in the catalog is not ours.
            forget(&ids, from.tree_key(&from.key)).await?;
            let entry = store.stat(&from.key).await?;
            Ok(Answer::Created(stat(&ids, &from, &entry).await?))
        }
        Call::Delete { recursive } => {
            if from.key.is_root() {
                return Err(from.top_refused());
            }
            store.delete(&from.key, recursive).await?;
            forget(&ids, from.tree_key(&from.key)).await?;
            Ok(Answer::Deleted)
        }
        Call::Move { overwrite } | Call::Copy { overwrite } => {
            let is_move = matches!(call, Call::Move { .. });
            // Two storages went to `across` above.
            let target = target.ok_or(AppError::NotFound)?;
            check_ends(&from, &target)?;
            claim(&ids, &store, &from, &target, overwrite).await?;
            let (from_key, to_key) = (from.tree_key(&from.key), target.tree_key(&target.key));
            if is_move {
                // A symlink moves as a link.
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
        Call::Data => data::data(services, &from).await,
        Call::Put(write) => data::put(services, &from, write).await,
    }
}

/// Refuses the storage's top folder at either end, and a folder into (or onto)
/// itself: 409.
pub(super) fn check_ends(from: &Place, target: &Place) -> Result<(), AppError> {
    if from.key.is_root() || target.key.is_root() {
        return Err(from.top_refused());
    }
    if target.key.starts_with(&from.key) {
        return Err(AppError::Conflict {
            code: "into_itself",
            message: "an entry cannot be moved or copied into itself".to_owned(),
        });
    }
    Ok(())
}

/// Makes room at the target of a move or copy: 404 if the source is missing,
/// then 412 if something is at the target and not `overwrite`; with
/// `overwrite`, a file onto a file is left to the store's atomic replace, and
/// anything else there (even a folder with children) is removed now. What was
/// recorded at a taken target is forgotten either way.
pub(super) async fn claim(
    ids: &Ids,
    store: &Arc<dyn Store>,
    from: &Place,
    target: &Place,
    overwrite: bool,
) -> Result<(), AppError> {
    let existing = match store.stat(&target.key).await {
        Ok(existing) => existing,
        Err(StoreError::NotFound) => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let source = store.stat(&from.key).await?;
    if !overwrite {
        return Err(AppError::AlreadyExists);
    }
    if existing.is_dir || source.is_dir {
        store.delete(&target.key, true).await?;
    }
    forget(ids, target.tree_key(&target.key)).await
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
        kind: kind(entry),
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

/// Every child of the folder at `place`, with ids (made for the whole folder in
/// one transaction). The default storage's root also shows the mounted storages.
async fn list(
    services: &Services,
    store: &Arc<dyn Store>,
    place: &Place,
) -> Result<RawList, AppError> {
    let at_root = place.key.is_root();
    let mounts = if at_root && place.is_default() {
        mounts(services).await
    } else {
        Vec::new()
    };
    let mut children = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(&place.key, after.as_deref(), 1000).await?;
        children.extend(page.entries.into_iter().filter(|entry| {
            let name = entry.key.name().unwrap_or_default();
            // The storage's own state, and local entries a mount's name hides.
            !(at_root
                && (name == skiff_protocol::RESERVED_NAME
                    || mounts.iter().any(|(mount, _)| mount == name)))
        }));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut keys: Vec<String> = children
        .iter()
        .map(|entry| place.tree_key(&entry.key))
        .collect();
    keys.extend(mounts.iter().map(|(mount, _)| mount.clone()));
    let reader = services.ids().clone();
    let found = blocking(move || reader.ids_for(&keys)).await?;
    let listed = children.into_iter().map(|entry| RawListEntry {
        name: entry.key.name().unwrap_or_default().to_owned(),
        size: if entry.is_dir { 0 } else { entry.size },
        kind: kind(&entry),
        etag: entry.etag,
        id: String::new(),
    });
    let mounted = mounts.into_iter().map(|(name, etag)| RawListEntry {
        name,
        size: 0,
        etag,
        kind: EntryKind::Directory,
        id: String::new(),
    });
    let entries = listed
        .chain(mounted)
        .zip(found)
        .map(|(entry, id)| RawListEntry { id, ..entry })
        .collect();
    Ok(RawList { entries })
}

/// The mounted storages as folders of the root: each mount's name, and its top
/// folder's ETag (empty when its backend cannot be reached now; it is still listed).
async fn mounts(services: &Services) -> Vec<(String, String)> {
    let mut mounts = Vec::new();
    for storage in services.storages().list() {
        if storage.name == skiff_protocol::DEFAULT_BUCKET {
            continue;
        }
        let etag = match services.storages().store(&storage.name) {
            Some(Ok(store)) => store
                .stat(&TreePath::root())
                .await
                .map(|entry| entry.etag)
                .unwrap_or_default(),
            _ => String::new(),
        };
        mounts.push((storage.mount, etag));
    }
    mounts
}

fn kind(entry: &Entry) -> EntryKind {
    if entry.is_dir {
        EntryKind::Directory
    } else {
        EntryKind::File
    }
}

pub(super) async fn forget(ids: &Ids, key: String) -> Result<(), AppError> {
    let ids = ids.clone();
    blocking(move || ids.forget_tree(&key)).await
}

pub(super) fn exists() -> AppError {
    AppError::Conflict {
        code: "exists",
        message: "something already exists at that path".to_owned(),
    }
}
