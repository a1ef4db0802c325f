//! Bringing every storage up at startup: the default (ROOT), the `--config`
//! storages (ids kept in redb), then the storages made through the API.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use redb::Database;
use skiff_protocol::DEFAULT_BUCKET;

use super::{wire, Mounted, Origin, StorageRegistry};
use crate::storages::backend;
use crate::storages::record;
use crate::storages::spec::{BackendInput, BackendSpec, StorageSpec};
use crate::store::Store;

/// The default storage: what ROOT on the command line names.
pub struct DefaultStorage {
    /// Its backend as the storages API shows it.
    pub backend: BackendSpec,
    /// Its store.
    pub store: Arc<dyn Store>,
    /// Its label: the folder's or the prefix's last name.
    pub label: String,
    /// The canonical folder of a local root; `None` for an `s3://` root.
    pub local_root: Option<PathBuf>,
}

impl DefaultStorage {
    /// The canonical folder `root` as the default storage.
    pub fn local(root: &Path) -> Result<Self, String> {
        let backend = BackendSpec::parse(
            BackendInput {
                url: root.display().to_string(),
                ..Default::default()
            },
            None,
        )?;
        let label = root.file_name().map_or_else(
            || "/".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        );
        Ok(Self {
            backend,
            store: backend::open_local(root)?,
            label,
            local_root: Some(root.to_path_buf()),
        })
    }
}

impl StorageRegistry {
    /// Brings up every storage: `default`, then `configured` (their ids kept
    /// in `db`), then those made through the API.
    /// Blocking; runs at startup. A configured storage that cannot be opened is
    /// an error; an API one is listed without a store, with a warning.
    pub fn open(
        db: Arc<Database>,
        default: DefaultStorage,
        writable: bool,
        configured: &[StorageSpec],
    ) -> Result<Self, String> {
        let stored = record::load_all(&db).map_err(|e| e.to_string())?;
        let stored_record = |name: &str| {
            stored
                .iter()
                .find_map(|(stored, record)| (stored == name).then(|| record.clone()))
        };
        let default_record = match stored_record(DEFAULT_BUCKET) {
            Some(record) => record,
            None => record::identity(&db, DEFAULT_BUCKET).map_err(|e| e.to_string())?,
        };
        let mut entries = vec![Mounted {
            storage: wire(
                DEFAULT_BUCKET,
                &default.label,
                "/",
                &default_record,
                &default.backend,
                None,
                writable,
            ),
            origin: Origin::Default,
            record: default_record,
            store: Ok(default.store),
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
            let hides = |root: &PathBuf| std::fs::symlink_metadata(root.join(&spec.mount)).is_ok();
            if default.local_root.as_ref().is_some_and(hides) {
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
            local_root: default.local_root,
            writable,
            entries: RwLock::new(entries),
            changes: tokio::sync::Mutex::new(()),
            shared: None,
        })
    }
}
