//! [`StorageRegistry`]: every storage of the server (§5) with its [`Store`], and
//! the only code that adds, changes or forgets one.
//!
//! Three origins: the default storage (ROOT, the tree's `/`), storages of the
//! `--config` file (fixed: the API may not change them), and storages made
//! through the API (persisted in redb, back after a restart). Reads take a short
//! lock; changes are serialised by an async mutex held across the backend probe,
//! so two admins can never both take one name.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use redb::Database;
use skiff_protocol::{Storage, StorageKind, DEFAULT_BUCKET};

use super::backend;
use super::record::{self, MadeByApi, StorageRecord};
use super::spec::{check_name, BackendSpec, Location, StorageSpec};
use crate::error::AppError;
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
    root: PathBuf,
    writable: bool,
    /// Default first, then by name.
    entries: RwLock<Vec<Mounted>>,
    changes: tokio::sync::Mutex<()>,
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
    /// Brings up every storage: the canonical `root` as the default, then
    /// `configured` (their ids kept in `db`), then those made through the API.
    /// Blocking; runs at startup. A configured storage that cannot be opened is
    /// an error; an API one is listed without a store, with a warning.
    pub fn open(
        db: Arc<Database>,
        root: &Path,
        writable: bool,
        configured: &[StorageSpec],
    ) -> Result<Self, String> {
        let stored = record::load_all(&db).map_err(|e| e.to_string())?;
        let stored_record = |name: &str| {
            stored
                .iter()
                .find_map(|(stored, record)| (stored == name).then(|| record.clone()))
        };
        let default_backend = BackendSpec::parse(
            super::spec::BackendInput {
                url: root.display().to_string(),
                ..Default::default()
            },
            None,
        )?;
        let default_record = match stored_record(DEFAULT_BUCKET) {
            Some(record) => record,
            None => record::identity(&db, DEFAULT_BUCKET).map_err(|e| e.to_string())?,
        };
        let label = root.file_name().map_or_else(
            || "/".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        );
        let mut entries = vec![Mounted {
            storage: wire(
                DEFAULT_BUCKET,
                &label,
                "/",
                &default_record,
                &default_backend,
                None,
                writable,
            ),
            origin: Origin::Default,
            record: default_record,
            store: Ok(backend::open_local(root)?),
        }];
        for spec in configured {
            let record = match stored_record(&spec.name) {
                Some(record) => record,
                None => record::identity(&db, &spec.name).map_err(|e| e.to_string())?,
            };
            // An API storage now fixed by the file keeps its id and first URL.
            let default_url = record.made.as_ref().map(|made| made.default_url.clone());
            let store = backend::open(&spec.backend)
                .map_err(|why| format!("storage {:?}: {why}", spec.name))?;
            if std::fs::symlink_metadata(root.join(&spec.mount)).is_ok() {
                tracing::warn!(storage = %spec.name, mount = %spec.mount,
                    "the mount hides an entry of the same name at the top of the served folder");
            }
            entries.push(Mounted {
                storage: wire(
                    &spec.name,
                    &spec.label,
                    &spec.mount,
                    &record,
                    &spec.backend,
                    default_url,
                    writable,
                ),
                origin: Origin::Config,
                record,
                store: Ok(store),
            });
        }
        for (name, record) in stored {
            let Some(made) = record.made.clone() else {
                continue; // the default, or a config storage (present or removed from the file)
            };
            if entries.iter().any(|e| e.storage.name == name) {
                continue;
            }
            if entries.iter().any(|e| e.storage.mount == made.mount) {
                tracing::warn!(storage = %name, mount = %made.mount, "mount taken by a configured storage; not mounted");
                continue;
            }
            let store = backend::open(&made.backend);
            if let Err(why) = &store {
                tracing::warn!(storage = %name, %why, "storage listed but unusable");
            }
            entries.push(Mounted {
                storage: wire(
                    &name,
                    &made.label,
                    &made.mount,
                    &record,
                    &made.backend,
                    Some(made.default_url.clone()),
                    writable,
                ),
                origin: Origin::Api,
                record,
                store,
            });
        }
        entries[1..].sort_by(|a, b| a.storage.name.cmp(&b.storage.name));
        Ok(Self {
            db,
            root: root.to_path_buf(),
            writable,
            entries: RwLock::new(entries),
            changes: tokio::sync::Mutex::new(()),
        })
    }

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
        if let Some(label) = label {
            made.label = super::checked_label(&label)?;
        }
        let mut store = current.store.clone();
        if let Some(url) = url {
            let moved = made
                .backend
                .with_url(&url)
                .map_err(|message| bad("bad_storage", message))?;
            if moved != made.backend {
                self.check_no_overlap(&moved)?;
                store = Ok(backend::open_and_probe(&moved).await.map_err(unusable)?);
                // PATCH sets the URL the storage is defined with: both URLs follow.
                made.default_url = moved.url.clone();
                made.backend = moved;
            }
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
        let db = Arc::clone(&self.db);
        let owned = name.to_owned();
        crate::uploads::blocking(move || record::remove(&db, &owned)).await?;
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
        if std::fs::symlink_metadata(self.root.join(mount)).is_ok() {
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
        if path.starts_with(&self.root) || self.root.starts_with(&path) {
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
        crate::uploads::blocking(move || record::save(&db, &name, &record, old_name.as_deref()))
            .await
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

fn conflict(code: &'static str, message: String) -> AppError {
    AppError::Conflict { code, message }
}

fn bad(code: &'static str, message: String) -> AppError {
    AppError::BadRequest { code, message }
}

fn unusable(message: String) -> AppError {
    bad("storage_unusable", message)
}
