//! [`AppState`], handed to every handler: the [`Services`] plus what only the
//! HTTP layer needs (the app's files, CORS origins, bearer tokens, limits shown
//! in discovery).

use std::ops::Deref;
use std::sync::Arc;

use axum::http::HeaderValue;

use crate::config::tokens::{load_tokens, Grant, Token};
use crate::config::{Config, ConfigError};
use crate::http::app_shell::AppSource;
use crate::services::Services;

/// Everything a request handler may need; cheap to clone. Derefs to the
/// [`Services`], which the handlers hand on to the services they call.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    services: Services,
    app: AppSource,
    cors_origins: Vec<HeaderValue>,
    cors_any: bool,
    max_chunk: u64,
    /// Configured bearer tokens; empty means no authentication.
    tokens: Vec<Token>,
    /// The key that signs URLs (`crate::http::signed`).
    signing_key: [u8; 32],
    /// Whether URLs are signed at all (`--no-signed-urls` says no).
    signs_urls: bool,
}

impl AppState {
    /// Validates `config`: canonicalises ROOT (and `--app`), parses CORS origins,
    /// then opens the [`Services`].
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let root =
            std::fs::canonicalize(&config.root).map_err(|source| ConfigError::RootUnreadable {
                path: config.root.clone(),
                source,
            })?;
        if !root.is_dir() {
            return Err(ConfigError::RootNotDirectory(config.root.clone()));
        }
        let settings = Settings::check(config)?;
        let services = Services::open(config, root.clone())?;
        let signing_key =
            crate::catalog::secrets::signing_key(services.ids().database()).map_err(|error| {
                ConfigError::StateStore {
                    path: root.join(skiff_protocol::RESERVED_NAME),
                    reason: error.to_string(),
                }
            })?;
        Ok(settings.with(config, services, signing_key))
    }

    /// Validates `config` for an `s3://` ROOT that `crate::s3_root::prepare` checked.
    pub fn with_s3_root(
        config: &Config,
        root: &crate::s3_root::S3Root,
    ) -> Result<Self, ConfigError> {
        let settings = Settings::check(config)?;
        let services = Services::open_s3(config, root)?;
        Ok(settings.with(config, services, root.signing_key))
    }
}

/// What the HTTP layer checks in the configuration besides ROOT.
struct Settings {
    app: AppSource,
    cors_origins: Vec<HeaderValue>,
    cors_any: bool,
    tokens: Vec<Token>,
}

impl Settings {
    fn check(config: &Config) -> Result<Self, ConfigError> {
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
        Ok(Self {
            app,
            cors_origins,
            cors_any,
            tokens,
        })
    }

    fn with(self, config: &Config, services: Services, signing_key: [u8; 32]) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                services,
                app: self.app,
                cors_origins: self.cors_origins,
                cors_any: self.cors_any,
                max_chunk: config.max_chunk,
                tokens: self.tokens,
                signing_key,
                signs_urls: config.signed_urls,
            }),
        }
    }
}

impl AppState {
    /// The services, to hand on to a service call.
    pub(crate) fn services(&self) -> &Services {
        &self.inner.services
    }

    /// Where the app's files come from.
    pub(crate) fn app_source(&self) -> &AppSource {
        &self.inner.app
    }

    /// Whether this client may write: a writable server and credentials that may.
    pub(crate) fn writes_supported(&self, grant: &Grant) -> bool {
        self.writable() && grant.may_write()
    }

    /// The bearer tokens; empty when authentication is off.
    pub(crate) fn tokens(&self) -> &[Token] {
        &self.inner.tokens
    }

    /// The key that signs URLs.
    pub(crate) fn signing_key(&self) -> &[u8; 32] {
        &self.inner.signing_key
    }

    /// Whether signed URLs are made and honoured: tokens on, and not `--no-signed-urls`.
    pub(crate) fn signs_urls(&self) -> bool {
        self.inner.signs_urls && !self.inner.tokens.is_empty()
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

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        self.services()
    }
}
