//! Shared, read-only state handed to every handler.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::HeaderValue;

use crate::app_shell::AppSource;
use crate::config::{Config, ConfigError};

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
        Ok(Self {
            inner: Arc::new(Inner {
                root,
                app,
                cors_origins,
                cors_any,
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

    /// Whether this client may write; always false until writes are implemented.
    pub(crate) fn writes_supported(&self) -> bool {
        false
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
