//! The `skiff-server` command line: argument parsing, logging, signals, exit codes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::config::file::FileSettings;
use crate::config::{Config, ConfigError};
use crate::server::{serve, ServeError};

/// Serves a folder over the Skiff protocol, with the Skiff app.
#[derive(Debug, Parser)]
#[command(name = "skiff-server", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands of `skiff-server`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve ROOT over HTTP.
    Serve(ServeArgs),
}

/// Arguments of `skiff-server serve`. Options without a value here fall back to
/// `--config FILE`, then to the defaults: flags win over the file.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The directory to serve.
    pub root: PathBuf,
    /// Read settings and `[[storage]]` tables from this TOML file (flags win over it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080); port 0 picks a free port (printed on stdout).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Serve the app from this directory (a Trunk `dist`) instead of the embedded one.
    #[arg(long, value_name = "DIR")]
    pub app: Option<PathBuf>,
    /// Allow this origin to call the server from a browser (repeatable; `*` for any).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// Allow writes: upload sessions, `PUT` and `DELETE` on the tree.
    #[arg(long)]
    pub writable: bool,
    /// Largest accepted upload chunk, in bytes (16 MiB by default).
    #[arg(long, value_name = "BYTES")]
    pub max_chunk: Option<u64>,
    /// Largest accepted file, in bytes (unlimited by default).
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,
    /// Idle seconds after which an upload session expires (24 h by default).
    #[arg(long, value_name = "SECONDS")]
    pub session_ttl: Option<u64>,
    /// Require `Authorization: Bearer TOKEN`; `ro` tokens only read, `admin` ones
    /// also manage storages (repeatable).
    #[arg(long = "token", value_name = "NAME:TOKEN:ro|rw|admin")]
    pub tokens: Vec<String>,
    /// Make no signed URLs (PROTOCOL.md §6): every read then needs the token itself, so
    /// the app cannot hand big files to the browser's download manager while signed in.
    #[arg(long)]
    pub no_signed_urls: bool,
    /// Read more tokens from a file: one `NAME:TOKEN:ro|rw|admin` per line, `#` comments.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Speak HTTPS (with HTTP/2) with this PEM certificate chain; needs `--tls-key`.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl ServeArgs {
    /// The configuration: each flag given, else the `--config` file's value, else the default.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => crate::config::file::load(path)?,
            None => FileSettings::default(),
        };
        let defaults = Config::new(&self.root);
        let non_empty = |flags: Vec<String>, file: Option<Vec<String>>| {
            if flags.is_empty() {
                file.unwrap_or_default()
            } else {
                flags
            }
        };
        Ok(Config {
            root: self.root,
            listen: self.listen.or(file.listen).unwrap_or(defaults.listen),
            app_dir: self.app.or(file.app),
            cors_origins: non_empty(self.cors_origins, file.cors_origins),
            writable: self.writable || file.writable.unwrap_or(false),
            max_chunk: self
                .max_chunk
                .or(file.max_chunk)
                .unwrap_or(defaults.max_chunk),
            max_size: self.max_size.or(file.max_size).unwrap_or(u64::MAX),
            session_ttl: self
                .session_ttl
                .or(file.session_ttl)
                .map_or(defaults.session_ttl, Duration::from_secs),
            tokens: non_empty(self.tokens, file.tokens),
            token_file: self.token_file.or(file.token_file),
            signed_urls: !self.no_signed_urls,
            tls: match (
                self.tls_cert.or(file.tls_cert),
                self.tls_key.or(file.tls_key),
            ) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => return Err(ConfigError::TlsPair),
            },
            storages: file.storages,
        })
    }
}

/// Parses the command line, runs the server until Ctrl-C or SIGTERM, and maps
/// failures to exit codes: 2 for a bad configuration (like clap's usage errors), 1 otherwise.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("skiff-server: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Command::Serve(args) = cli.command;
    let config = match args.into_config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("skiff-server: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(serve(config, shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServeError::Config(error)) => {
            eprintln!("skiff-server: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("skiff-server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr so stdout carries only the "listening on" line tools parse.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Resolves on the first Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
