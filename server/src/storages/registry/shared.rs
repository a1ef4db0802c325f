//! The registry on an `s3://` root: the API's storages live in the bucket's
//! record (`crate::storages::shared`), so every instance lists the same ones.
//! [`StorageRegistry::refresh`] runs before every request is answered and
//! rebuilds the list only when the record changed; a change is written to the
//! record first (conditionally, so one of two racing instances wins) and then
//! applied here. Stores of unchanged storages are kept; a storage learnt of from
//! the record is opened as at startup (and listed without a store if that fails).

use std::sync::Arc;

use redb::Database;
use skiff_protocol::Storage;

use super::{wire, Mounted, Origin, StorageRegistry, StoreSlot};
use crate::error::AppError;
use crate::storages::backend;
use crate::storages::record::{self, StorageRecord};
use crate::storages::shared::{Records, SharedStorages};
use crate::storages::spec::{BackendSpec, StorageSpec};

use super::startup::DefaultStorage;

impl StorageRegistry {
    /// The registry of an `s3://` root: `records` (the bucket's, read at
    /// startup) go into the instance's in-memory `db` first, so the startup
    /// rules are the local root's (a `--config` storage wins its name and mount).
    pub fn open_shared(
        db: Arc<Database>,
        default: DefaultStorage,
        writable: bool,
        configured: &[StorageSpec],
        (shared, records): (Arc<SharedStorages>, Records),
    ) -> Result<Self, String> {
        for (name, stored) in &records {
            record::save(&db, name, stored, None).map_err(|error| error.to_string())?;
        }
        let mut registry = Self::open(db, default, writable, configured)?;
        registry.shared = Some(shared);
        Ok(registry)
    }

    /// Brings the list up to date with the bucket (an `s3://` root; nothing to
    /// do on a local root): one conditional `GET`, a rebuild only if it changed.
    pub async fn refresh(&self) -> Result<(), AppError> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        shared
            .check(|records| self.apply(&records, None))
            .await
            .map_err(AppError::from)
    }

    /// The bucket's record, if this registry keeps its storages there.
    pub(super) fn shared(&self) -> Option<&Arc<SharedStorages>> {
        self.shared.as_ref()
    }

    /// Adds `record` as `name` unless another instance took the name (409
    /// `storage_exists`) or the mount (409 `mount_taken`) meanwhile.
    pub(super) async fn create_shared(
        &self,
        shared: &SharedStorages,
        spec: &StorageSpec,
        stored: StorageRecord,
        store: StoreSlot,
    ) -> Result<Storage, AppError> {
        let records = shared
            .change(|records| {
                if records.get(&spec.name).is_some_and(|r| r.made.is_some()) {
                    return Err(super::changes::conflict(
                        "storage_exists",
                        format!("a storage named {:?} already exists", spec.name),
                    ));
                }
                let taken = records
                    .values()
                    .filter_map(|r| r.made.as_ref())
                    .any(|made| made.mount == spec.mount);
                if taken {
                    return Err(super::changes::conflict(
                        "mount_taken",
                        format!("another storage is already mounted at {:?}", spec.mount),
                    ));
                }
                records.insert(spec.name.clone(), stored.clone());
                Ok(())
            })
            .await?;
        self.apply(&records, Some((&spec.name, store)));
        Ok(wire(
            &spec.name,
            &spec.label,
            &spec.mount,
            &stored,
            &spec.backend,
            None,
            self.writable,
        ))
    }

    /// Renames `name` to `new_name`, sets `label`, moves to `moved`: each onto
    /// the record as it is in the bucket now, so a patch racing another on a
    /// second instance keeps both.
    pub(super) async fn patch_shared(
        &self,
        shared: &SharedStorages,
        name: &str,
        new_name: &str,
        label: Option<String>,
        moved: Option<BackendSpec>,
        store: StoreSlot,
    ) -> Result<Storage, AppError> {
        let records = shared
            .change(|records| {
                let mut stored = records
                    .get(name)
                    .filter(|r| r.made.is_some())
                    .cloned()
                    .ok_or_else(|| AppError::UnknownStorage(name.to_owned()))?;
                if let Some(made) = stored.made.as_mut() {
                    if let Some(label) = &label {
                        made.label.clone_from(label);
                    }
                    if let Some(moved) = &moved {
                        made.default_url.clone_from(&moved.url);
                        made.backend = moved.clone();
                    }
                }
                if new_name != name {
                    if records.get(new_name).is_some_and(|r| r.made.is_some()) {
                        return Err(super::changes::conflict(
                            "storage_exists",
                            format!("a storage named {new_name:?} already exists"),
                        ));
                    }
                    records.remove(name);
                }
                records.insert(new_name.to_owned(), stored);
                Ok(())
            })
            .await?;
        self.apply(&records, Some((new_name, store)));
        self.get(new_name)
            .ok_or_else(|| AppError::UnknownStorage(new_name.to_owned()))
    }

    /// Forgets `name` in the bucket (404 if another instance already did).
    pub(super) async fn remove_shared(
        &self,
        shared: &SharedStorages,
        name: &str,
    ) -> Result<(), AppError> {
        let records = shared
            .change(|records| match records.get(name) {
                Some(stored) if stored.made.is_some() => {
                    records.remove(name);
                    Ok(())
                }
                _ => Err(AppError::UnknownStorage(name.to_owned())),
            })
            .await?;
        self.apply(&records, None);
        Ok(())
    }

    /// Rebuilds the API's storages from `records`; the default and `--config`
    /// ones stay. `fresh` is a store just opened (and probed) for one name.
    fn apply(&self, records: &Records, fresh: Option<(&str, StoreSlot)>) {
        let old = self.read(Clone::clone);
        let mut entries: Vec<Mounted> = old
            .iter()
            .filter(|e| e.origin != Origin::Api)
            .cloned()
            .collect();
        for (name, stored) in records {
            let Some(made) = &stored.made else {
                continue; // the identity of the default or a --config storage
            };
            if entries.iter().any(|e| e.storage.name == *name) {
                continue; // a --config storage wins its name, as at startup
            }
            if entries.iter().any(|e| e.storage.mount == made.mount) {
                tracing::warn!(storage = %name, mount = %made.mount, "mount taken by a configured storage; not mounted");
                continue;
            }
            let kept = old.iter().find(|e| {
                e.origin == Origin::Api
                    && e.record.id == stored.id
                    && e.record.made.as_ref().map(|m| &m.backend) == Some(&made.backend)
            });
            let store = match (&fresh, kept) {
                (Some((fresh_name, slot)), _) if fresh_name == name => slot.clone(),
                (_, Some(kept)) => kept.store.clone(),
                _ => {
                    let store = backend::open(&made.backend);
                    if let Err(why) = &store {
                        tracing::warn!(storage = %name, %why, "storage listed but unusable");
                    }
                    store
                }
            };
            entries.push(Mounted {
                storage: wire(
                    name,
                    &made.label,
                    &made.mount,
                    stored,
                    &made.backend,
                    Some(made.default_url.clone()),
                    self.writable,
                ),
                origin: Origin::Api,
                record: stored.clone(),
                store,
            });
        }
        entries[1..].sort_by(|a, b| a.storage.name.cmp(&b.storage.name));
        self.write(|current| *current = entries);
    }
}
