//! The admin calls' changes: create (probed first), patch, remove. Each holds
//! the registry's change lock, persists before the in-memory list changes, and
//! refuses with the protocol's statuses.

use std::path::PathBuf;
use std::sync::Arc;

use skiff_protocol::{Storage, DEFAULT_BUCKET};

use super::{find, wire, Mounted, Origin, StorageRegistry};
use crate::error::AppError;
use crate::storages::backend;
use crate::storages::record::{self, MadeByApi, StorageRecord};
use crate::storages::spec::{check_name, BackendSpec, Location, StorageSpec};

impl StorageRegistry {
    /// Makes a storage after proving its backend works; persisted before it shows.
    pub async fn create(&self, spec: StorageSpec) -> Result<Storage, AppError> {
        let _change = self.changes.lock().await;
        if spec.name == DEFAULT_BUCKET || self.get(&spec.name).is_some() {
            return Err(conflict(
                "storage_exists",
                format!("a storage named {:?} already exists", spec.name),
            ));
        }
        self.check_mount_free(&spec.mount)?;
        self.check_no_overlap(&spec.backend)?;
        let store = backend::open_and_probe(&spec.backend)
            .await
            .map_err(unusable)?;
        let record = StorageRecord::new(Some(MadeByApi {
            label: spec.label.clone(),
            mount: spec.mount.clone(),
            default_url: spec.backend.url.clone(),
            backend: spec.backend.clone(),
        }));
        if let Some(shared) = self.shared() {
            let storage = self.create_shared(shared, &spec, record, Ok(store)).await?;
            tracing::info!(storage = %spec.name, url = %spec.backend.url, "storage created");
            return Ok(storage);
        }
        self.persist(spec.name.clone(), record.clone(), None)
            .await?;
        let storage = wire(
            &spec.name,
            &spec.label,
            &spec.mount,
            &record,
            &spec.backend,
            None,
            self.writable,
        );
        tracing::info!(storage = %spec.name, url = %spec.backend.url, "storage created");
        self.write(|entries| {
            entries.push(Mounted {
                storage: storage.clone(),
                origin: Origin::Api,
                record,
                store: Ok(store),
            });
            entries[1..].sort_by(|a, b| a.storage.name.cmp(&b.storage.name));
        });
        Ok(storage)
    }

    /// Renames, relabels or moves (a new URL, probed first) an API storage.
    pub async fn patch(
        &self,
        name: &str,
        new_name: Option<String>,
        label: Option<String>,
        url: Option<String>,
    ) -> Result<Storage, AppError> {
        let _change = self.changes.lock().await;
        let current = self
            .read(|entries| find(entries, name).cloned())
            .ok_or_else(|| AppError::UnknownStorage(name.to_owned()))?;
        fixed(&current, "changed")?;
        let new_name = new_name.unwrap_or_else(|| name.to_owned());
        if new_name != name {
            check_name(&new_name).map_err(|message| bad("bad_storage", message))?;
            if new_name == DEFAULT_BUCKET || self.get(&new_name).is_some() {
                return Err(conflict(
                    "storage_exists",
                    format!("a storage named {new_name:?} already exists"),
                ));
            }
        }
        let mut made = current.record.made.clone().ok_or(AppError::NotFound)?;
        let label = label
            .map(|label| crate::storages::checked_label(&label))
            .transpose()?;
        let mut store = current.store.clone();
        let mut moved_to = None;
        if let Some(url) = url {
            let moved = made
                .backend
                .with_url(&url)
                .map_err(|message| bad("bad_storage", message))?;
            if moved != made.backend {
                self.check_no_overlap(&moved)?;
                store = Ok(backend::open_and_probe(&moved).await.map_err(unusable)?);
                moved_to = Some(moved);
            }
        }
        if let Some(shared) = self.shared() {
            return self
                .patch_shared(shared, name, &new_name, label, moved_to, store)
                .await;
        }
        if let Some(label) = label {
            made.label = label;
        }
        if let Some(moved) = moved_to {
            // PATCH sets the URL the storage is defined with: both URLs follow.
            made.default_url = moved.url.clone();
            made.backend = moved;
        }
        let record = StorageRecord {
            made: Some(made.clone()),
            ..current.record.clone()
        };
        self.persist(new_name.clone(), record.clone(), Some(name.to_owned()))
            .await?;
        let storage = wire(
            &new_name,
            &made.label,
            &made.mount,
            &record,
            &made.backend,
            None,
            self.writable,
        );
        self.write(|entries| {
            entries.retain(|e| e.storage.name != name);
            entries.push(Mounted {
                storage: storage.clone(),
                origin: Origin::Api,
                record,
                store,
            });
            entries[1..].sort_by(|a, b| a.storage.name.cmp(&b.storage.name));
        });
        Ok(storage)
    }

    /// Unmounts and forgets an API storage; its backend's bytes stay as they are.
    pub async fn remove(&self, name: &str) -> Result<(), AppError> {
        let _change = self.changes.lock().await;
        let current = self
            .read(|entries| find(entries, name).cloned())
            .ok_or_else(|| AppError::UnknownStorage(name.to_owned()))?;
        fixed(&current, "removed")?;
        if let Some(shared) = self.shared() {
            self.remove_shared(shared, name).await?;
            tracing::info!(storage = %name, "storage removed (its bytes stay in the backend)");
            return Ok(());
        }
        let db = Arc::clone(&self.db);
        let owned = name.to_owned();
        crate::blocking::blocking(move || record::remove(&db, &owned)).await?;
        self.write(|entries| entries.retain(|e| e.storage.name != name));
        tracing::info!(storage = %name, "storage removed (its bytes stay in the backend)");
        Ok(())
    }

    fn check_mount_free(&self, mount: &str) -> Result<(), AppError> {
        if self.is_mount(mount) {
            return Err(conflict(
                "mount_taken",
                format!("another storage is already mounted at {mount:?}"),
            ));
        }
        // Mounting over an existing top-level entry would hide it.
        let hides = |root: &PathBuf| std::fs::symlink_metadata(root.join(mount)).is_ok();
        if self.local_root.as_ref().is_some_and(hides) {
            return Err(conflict(
                "mount_taken",
                format!("the tree already has an entry named {mount:?} at its top level"),
            ));
        }
        Ok(())
    }

    /// A local storage must not show the served folder (and its `.skiff` state,
    /// credentials included) a second time, nor live inside it.
    fn check_no_overlap(&self, backend: &BackendSpec) -> Result<(), AppError> {
        let Ok(Location::Local(path)) = backend.location() else {
            return Ok(());
        };
        let Ok(path) = std::fs::canonicalize(&path) else {
            return Ok(()); // missing: the probe says so
        };
        let overlaps = |root: &PathBuf| path.starts_with(root) || root.starts_with(&path);
        if self.local_root.as_ref().is_some_and(overlaps) {
            return Err(bad(
                "storage_overlaps",
                format!(
                    "{} overlaps the served folder; a storage must be a folder outside it",
                    path.display()
                ),
            ));
        }
        Ok(())
    }

    async fn persist(
        &self,
        name: String,
        record: StorageRecord,
        old_name: Option<String>,
    ) -> Result<(), AppError> {
        let db = Arc::clone(&self.db);
        crate::blocking::blocking(move || record::save(&db, &name, &record, old_name.as_deref()))
            .await
    }
}

/// The default storage and `--config` storages are the operator's, not the API's.
fn fixed(entry: &Mounted, what: &str) -> Result<(), AppError> {
    let why = match entry.origin {
        Origin::Api => return Ok(()),
        Origin::Default => "it is the served folder (ROOT on the command line)",
        Origin::Config => "it is defined in the server's configuration file; change it there",
    };
    Err(conflict(
        "storage_fixed",
        format!(
            "the storage {:?} cannot be {what}: {why}",
            entry.storage.name
        ),
    ))
}

pub(super) fn conflict(code: &'static str, message: String) -> AppError {
    AppError::Conflict { code, message }
}

fn bad(code: &'static str, message: String) -> AppError {
    AppError::BadRequest { code, message }
}

fn unusable(message: String) -> AppError {
    bad("storage_unusable", message)
}
