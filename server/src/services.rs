//! [`Services`]: what the services share, built once from the validated
//! configuration: the served root (and its [`Store`], for what crosses
//! storages), the catalog's ids, the storages and, with `--writable`, the upload
//! sessions. No HTTP here; `crate::http::AppState`
//! holds one beside what only the HTTP layer needs.

use std::path::PathBuf;
use std::sync::Arc;

use crate::catalog::ids::Ids;
use crate::config::{Config, ConfigError};
use crate::error::AppError;
use crate::storages::{DefaultStorage, StorageRegistry};
use crate::store::local::LocalStore;
use crate::store::Store;
use crate::uploads::buckets::{Buckets, MountedBucket};
use crate::uploads::{spawn_sweeper, Uploads};

/// The services' shared state; cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// What ROOT names, for the log: the canonical folder or `s3://bucket/prefix`.
    root_label: String,
    /// ROOT is an `s3://` bucket whose state other instances share.
    shares_state: bool,
    /// The default storage behind the storage seam, so a move or copy between
    /// it and a mounted storage reads and writes both alike. Its `.skiff` is
    /// the services' to refuse (`crate::tree::refuse_reserved`), as in every store.
    default_store: Arc<dyn Store>,
    /// Present exactly when the server is writable.
    uploads: Option<Arc<Uploads>>,
    /// Stable ids of entries (§4).
    ids: Ids,
    /// The storages (§5): the served tree as `default`, the config file's, the API's.
    storages: Arc<StorageRegistry>,
    /// A writable `s3://` ROOT's journaled folder moves and deletes.
    jobs: Option<crate::jobs::Jobs>,
}

impl Services {
    /// Opens the database, the storages and (with `--writable`) the upload
    /// sessions for the canonical `root`.
    pub fn open(config: &Config, root: PathBuf) -> Result<Self, ConfigError> {
        let state_error = |error: AppError| ConfigError::StateStore {
            path: root.join(skiff_protocol::RESERVED_NAME),
            reason: error.to_string(),
        };
        // A read-only server never writes to the disk, so `.skiff` is created only
        // when writable; its ids then live in memory (see `crate::catalog::ids`).
        let db = crate::database::open(&root, config.writable).map_err(state_error)?;
        let default = DefaultStorage::local(&root).map_err(ConfigError::Storage)?;
        let storages =
            StorageRegistry::open(db.clone(), default, config.writable, &config.storages)
                .map_err(ConfigError::Storage)?;
        let storages = Arc::new(storages);
        let ids = Ids::new(db);
        let default_store = LocalStore::open(&root).map_err(|error| ConfigError::StateStore {
            path: root.clone(),
            reason: error.to_string(),
        })?;
        if config.writable {
            // Its writes and copies are staged in `.skiff/store`; a crash leaves one behind.
            if let Err(error) = default_store.sweep_staged() {
                tracing::warn!(%error, "cannot clear interrupted writes");
            }
        }
        let default_store: Arc<dyn Store> = Arc::new(default_store);
        let uploads = if config.writable {
            let buckets: Arc<dyn Buckets> = storages.clone();
            let uploads = Uploads::open(&root, config, ids.clone(), buckets, default_store.clone())
                .map_err(state_error)?;
            let uploads = Arc::new(uploads);
            // Outside a runtime (a plain unit test) there is nothing to sweep with.
            if tokio::runtime::Handle::try_current().is_ok() {
                spawn_sweeper(&uploads);
            }
            Some(uploads)
        } else {
            None
        };
        Ok(Self {
            inner: Arc::new(Inner {
                root_label: root.display().to_string(),
                shares_state: false,
                default_store,
                uploads,
                ids,
                storages,
                jobs: None,
            }),
        })
    }

    /// An `s3://bucket[/prefix]` ROOT (`crate::s3_root` checked it): the bucket
    /// is the default storage. With `--writable` the upload sessions are records
    /// in the bucket (`crate::uploads` on `Uploads::open_s3`), shared by every
    /// instance, and so are ids and metadata (`crate::catalog::shared`); the
    /// in-memory database keeps only this instance's own records.
    pub fn open_s3(config: &Config, root: &crate::s3_root::S3Root) -> Result<Self, ConfigError> {
        let db = crate::database::in_memory().map_err(|error| {
            ConfigError::S3Root(format!("cannot open the in-memory records: {error}"))
        })?;
        let store: Arc<dyn Store> = Arc::new(root.store.clone());
        let default = DefaultStorage {
            backend: root.backend.clone(),
            store: Arc::clone(&store),
            label: root.label(),
            local_root: None,
        };
        let storages = StorageRegistry::open_shared(
            db.clone(),
            default,
            config.writable,
            &config.storages,
            root.storages.clone(),
        )
        .map_err(ConfigError::Storage)?;
        let storages = Arc::new(storages);
        let catalog = crate::catalog::shared::SharedCatalog::new(root.state.clone());
        let ids = Ids::shared(db, catalog);
        let uploads = if config.writable {
            let buckets: Arc<dyn Buckets> = storages.clone();
            let uploads = Uploads::open_s3(
                config,
                ids.clone(),
                buckets,
                Arc::clone(&store),
                root.state.clone(),
            )
            .map_err(|error| ConfigError::S3Root(format!("cannot open the uploads: {error}")))?;
            let uploads = Arc::new(uploads);
            if tokio::runtime::Handle::try_current().is_ok() {
                crate::uploads::spawn_shared_sweeper(&uploads);
            }
            Some(uploads)
        } else {
            None
        };
        let jobs = config.writable.then(|| {
            let jobs = crate::jobs::Jobs::new(root.state.clone(), root.store.clone());
            crate::jobs::spawn_takeover(&jobs);
            crate::scrub::spawn_shared_scrub(&root.state);
            jobs
        });
        Ok(Self {
            inner: Arc::new(Inner {
                jobs,
                root_label: root.backend.url.clone(),
                shares_state: true,
                default_store: store,
                uploads,
                ids,
                storages,
            }),
        })
    }

    /// Whether ROOT is an `s3://` bucket whose state other instances share
    /// (then every request first checks the bucket's storages record).
    pub fn shares_state(&self) -> bool {
        self.inner.shares_state
    }

    /// What ROOT names: the canonical folder, or `s3://bucket/prefix`.
    pub fn root_label(&self) -> &str {
        &self.inner.root_label
    }

    /// The default storage (the served root) as a [`Store`].
    pub fn default_store(&self) -> &Arc<dyn Store> {
        &self.inner.default_store
    }

    /// The default storage seen as a mount with the empty name, so the code that
    /// serves mounted storages serves it alike (its tree keys are the keys).
    /// What only the default storage has (the mounts among its top-level names,
    /// its own `.skiff` holding the server's state) stays the caller's business.
    pub fn root_mounted(&self) -> crate::tree::Mounted {
        crate::tree::Mounted {
            store: Arc::clone(&self.inner.default_store),
            mount: String::new(),
            ids: self.inner.ids.clone(),
        }
    }

    /// Whether the server was started with `--writable`.
    pub fn writable(&self) -> bool {
        self.inner.uploads.is_some()
    }

    /// The stable ids of entries.
    pub fn ids(&self) -> &Ids {
        &self.inner.ids
    }

    /// The storages (§5).
    pub fn storages(&self) -> &StorageRegistry {
        &self.inner.storages
    }

    /// The journaled folder jobs: a writable `s3://` ROOT only.
    pub fn jobs(&self) -> Option<&crate::jobs::Jobs> {
        self.inner.jobs.as_ref()
    }

    /// The upload sessions; `None` on a read-only server.
    pub fn uploads(&self) -> Option<&Arc<Uploads>> {
        self.inner.uploads.as_ref()
    }

    /// The upload sessions, which every write needs; 403 `read_only` without them.
    pub fn writer(&self) -> Result<&Arc<Uploads>, AppError> {
        self.uploads().ok_or(AppError::ReadOnly)
    }
}

/// The storages are the upload buckets (§2): implemented here, where both are
/// known, so neither module depends on the other for it.
impl Buckets for StorageRegistry {
    fn names(&self) -> Vec<String> {
        self.list()
            .into_iter()
            .map(|storage| storage.name)
            .collect()
    }

    fn mounted(&self, name: &str) -> Option<MountedBucket> {
        if name == skiff_protocol::DEFAULT_BUCKET {
            return None;
        }
        let storage = self.get(name)?;
        let store = self.store(name)?;
        Some(MountedBucket {
            store,
            mount: storage.mount,
            writable: storage.writable,
        })
    }

    fn is_mount(&self, top: &str) -> bool {
        StorageRegistry::is_mount(self, top)
    }
}
