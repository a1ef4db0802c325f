//! Shared state handed to every handler: the validated configuration, the
//! storages and, with `--writable`, the upload sessions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::HeaderValue;

use crate::catalog::ids::Ids;
use crate::config::{Config, ConfigError};
use crate::error::AppError;
use crate::http::app_shell::AppSource;
use crate::storages::StorageRegistry;
use crate::tokens::{load_tokens, Grant, Token};
use crate::uploads::buckets::{Buckets, MountedBucket};
use crate::uploads::{spawn_sweeper, Uploads};

/// Everything a request handler may need; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    app: AppSource,
    cors_origins: Vec<HeaderValue>,
    cors_any: bool,
    /// Present exactly when the server is writable.
    uploads: Option<Arc<Uploads>>,
    max_chunk: u64,
    /// Configured bearer tokens; empty means no authentication.
    tokens: Vec<Token>,
    /// Stable ids of entries (§4).
    ids: Ids,
    /// The storages (§5): the served tree as `default`, the config file's, the API's.
    storages: Arc<StorageRegistry>,
}

impl AppState {
    /// Validates `config`: canonicalises ROOT (and `--app`), parses CORS origins.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let root =
            std::fs::canonicalize(&config.root).map_err(|source| ConfigError::RootUnreadable {
                path: config.root.clone(),
                source,
            })?;
        if !root.is_dir() {
            return Err(ConfigError::RootNotDirectory(config.root.clone()));
        }
        let app = match &config.app_dir {
            Some(dir) => match std::fs::canonicalize(dir) {
                Ok(canonical) if canonical.is_dir() => AppSource::Dir(canonical),
                _ => return Err(ConfigError::AppDirUnusable { path: dir.clone() }),
            },
            None => AppSource::Embedded,
        };
        let cors_any = config.cors_origins.iter().any(|origin| origin == "*");
        let cors_origins = config
            .cors_origins
            .iter()
            .filter(|origin| *origin != "*")
            .map(|origin| {
                HeaderValue::from_str(origin)
                    .map_err(|_| ConfigError::BadCorsOrigin(origin.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if config.max_chunk == 0 {
            return Err(ConfigError::ZeroLimit("--max-chunk"));
        }
        if config.session_ttl.is_zero() {
            return Err(ConfigError::ZeroLimit("--session-ttl"));
        }
        let tokens = load_tokens(&config.tokens, config.token_file.as_deref())?;
        let state_error = |error: AppError| ConfigError::StateStore {
            path: root.join(skiff_protocol::RESERVED_NAME),
            reason: error.to_string(),
        };
        // A read-only server never writes to the disk, so `.skiff` is created only
        // when writable; its ids then live in memory (see `crate::catalog::ids`).
        let db = crate::database::open(&root, config.writable).map_err(state_error)?;
        let storages = StorageRegistry::open(db.clone(), &root, config.writable, &config.storages)
            .map_err(ConfigError::Storage)?;
        let storages = Arc::new(storages);
        let ids = Ids::new(db);
        let uploads = if config.writable {
            let buckets: Arc<dyn Buckets> = storages.clone();
            let uploads =
                Uploads::open(&root, config, ids.clone(), buckets).map_err(state_error)?;
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
                root,
                app,
                cors_origins,
                cors_any,
                uploads,
                max_chunk: config.max_chunk,
                tokens,
                ids,
                storages,
            }),
        })
    }

    /// The canonical served root: every resolved path must start with it.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Where the app's files come from.
    pub(crate) fn app_source(&self) -> &AppSource {
        &self.inner.app
    }

    /// Whether the server was started with `--writable`.
    pub(crate) fn writable(&self) -> bool {
        self.inner.uploads.is_some()
    }

    /// Whether this client may write: a writable server and credentials that may.
    pub(crate) fn writes_supported(&self, grant: &Grant) -> bool {
        self.writable() && grant.may_write()
    }

    /// The stable ids of entries.
    pub(crate) fn ids(&self) -> &Ids {
        &self.inner.ids
    }

    /// The storages (§5).
    pub(crate) fn storages(&self) -> &StorageRegistry {
        &self.inner.storages
    }

    /// The bearer tokens; empty when authentication is off.
    pub(crate) fn tokens(&self) -> &[Token] {
        &self.inner.tokens
    }

    /// The upload sessions; `None` on a read-only server.
    pub(crate) fn uploads(&self) -> Option<&Arc<Uploads>> {
        self.inner.uploads.as_ref()
    }

    /// Largest accepted upload chunk, for discovery.
    pub(crate) fn max_chunk(&self) -> u64 {
        self.inner.max_chunk
    }

    /// Explicitly allowed CORS origins (without `*`).
    pub(crate) fn cors_origins(&self) -> &[HeaderValue] {
        &self.inner.cors_origins
    }

    /// Whether `--cors-origin '*'` was given.
    pub(crate) fn cors_any(&self) -> bool {
        self.inner.cors_any
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
