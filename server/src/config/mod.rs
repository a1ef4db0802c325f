//! What the server was asked to do, checked once at startup.
//!
//! Every flag is a field here; handlers only ever see the
//! validated [`crate::AppState`].
//!
//! - `file.rs`: `--config FILE` (TOML), merged under the flags by `crate::cli`

pub mod file;
pub mod tokens;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::storages::spec::StorageSpec;

/// Where to listen in `127.0.0.1:8080` form when `--listen` is not given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Largest upload chunk accepted when `--max-chunk` is not given: 16 MiB.
pub const DEFAULT_MAX_CHUNK: u64 = 16 << 20;
/// Idle time after which an upload session expires when `--session-ttl` is not given.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Settings for one `serve` run, as given on the command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory served as the tree (must exist and be a directory).
    pub root: PathBuf,
    /// Address to bind; port 0 asks the OS for a free port.
    pub listen: SocketAddr,
    /// Serve the app from this Trunk `dist` directory instead of the embedded copy.
    pub app_dir: Option<PathBuf>,
    /// Origins allowed to call the server cross-origin (`*` for any); empty = no CORS.
    pub cors_origins: Vec<String>,
    /// Whether clients may write (uploads, `PUT`, `DELETE`); read-only without it.
    pub writable: bool,
    /// Largest accepted upload chunk in bytes (larger → 413).
    pub max_chunk: u64,
    /// Largest accepted file in bytes (larger → 413); `u64::MAX` means unlimited.
    pub max_size: u64,
    /// Idle time after which an upload session expires and its bytes are reclaimed.
    pub session_ttl: Duration,
    /// `--token NAME:TOKEN:ro|rw|admin` values; any token turns bearer auth on.
    pub tokens: Vec<String>,
    /// `--token-file`: one `NAME:TOKEN:ro|rw|admin` per line, `#` comments.
    pub token_file: Option<PathBuf>,
    /// Whether signed URLs (§6) are made and honoured where tokens are on;
    /// `--no-signed-urls` turns them off.
    pub signed_urls: bool,
    /// `[[storage]]` tables of `--config`: fixed storages besides the default.
    pub storages: Vec<StorageSpec>,
    /// `--tls-cert` and `--tls-key`: HTTPS with HTTP/2 instead of plain HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Config {
    /// A configuration serving `root` on the default address, with no extras.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            app_dir: None,
            cors_origins: Vec::new(),
            writable: false,
            max_chunk: DEFAULT_MAX_CHUNK,
            max_size: u64::MAX,
            session_ttl: DEFAULT_SESSION_TTL,
            tokens: Vec::new(),
            token_file: None,
            signed_urls: true,
            storages: Vec::new(),
            tls: None,
        }
    }
}

/// A configuration the server refuses to start with (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// ROOT is missing or unreadable.
    #[error("ROOT {path:?} cannot be opened: {source}")]
    RootUnreadable {
        /// The path as given.
        path: PathBuf,
        /// Why it could not be resolved.
        source: std::io::Error,
    },
    /// ROOT exists but is a file or something else.
    #[error("ROOT {0:?} is not a directory")]
    RootNotDirectory(PathBuf),
    /// `--app DIR` is missing or not a directory.
    #[error("--app {path:?} is not a readable directory")]
    AppDirUnusable {
        /// The path as given.
        path: PathBuf,
    },
    /// A `--cors-origin` value that cannot be an `Origin` header.
    #[error("--cors-origin {0:?} is not a valid origin")]
    BadCorsOrigin(String),
    /// `--max-chunk 0` or `--session-ttl 0`: uploads could never make progress.
    #[error("{0} must be greater than 0")]
    ZeroLimit(&'static str),
    /// Only one of `--tls-cert` and `--tls-key` (or `tls_cert`/`tls_key` in the file).
    #[error("HTTPS needs both --tls-cert and --tls-key")]
    TlsPair,
    /// The certificate or key cannot be used.
    #[error("{0}")]
    Tls(String),
    /// A `--token` (or token file line) that is not `NAME:TOKEN:ro|rw|admin`; only the name is shown.
    #[error(
        "token {0:?} is not NAME:TOKEN:ro|rw|admin (the token must not be empty or hold spaces)"
    )]
    BadToken(String),
    /// `--token-file` cannot be read.
    #[error("--token-file {path:?} cannot be read: {source}")]
    TokenFileUnreadable {
        /// The path as given.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `--config FILE` cannot be read.
    #[error("--config {path:?} cannot be read: {source}")]
    ConfigUnreadable {
        /// The path as given.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A mistake in the `--config` file.
    #[error("{}:{line}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line of the mistake.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A storage cannot be brought up (a configured folder or bucket unusable).
    #[error("{0}")]
    Storage(String),
    /// An `s3://` ROOT that cannot be served, and why.
    #[error("{0}")]
    S3Root(String),
    /// The upload state store under ROOT/.skiff cannot be opened or recovered.
    #[error("cannot open the upload state under {path:?}: {reason}")]
    StateStore {
        /// The `.skiff` folder.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}
