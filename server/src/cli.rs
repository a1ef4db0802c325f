//! The `skiff-server` command line: argument parsing, logging, signals, exit codes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, DEFAULT_LISTEN};
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

/// Arguments of `skiff-server serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The directory to serve.
    pub root: PathBuf,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Serve the app from this directory (a Trunk `dist`) instead of the embedded one.
    #[arg(long, value_name = "DIR")]
    pub app: Option<PathBuf>,
    /// Allow this origin to call the server from a browser (repeatable; `*` for any).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
}

impl From<ServeArgs> for Config {
    fn from(args: ServeArgs) -> Self {
        Self {
            root: args.root,
            listen: args.listen,
            app_dir: args.app,
            cors_origins: args.cors_origins,
        }
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
    match runtime.block_on(serve(args.into(), shutdown_signal())) {
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
