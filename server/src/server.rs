//! Binding the socket and running the app until shutdown, over HTTP or (with
//! `--tls-cert/--tls-key`, `crate::tls`) HTTPS with HTTP/2.

use axum::serve::ListenerExt;
use std::future::Future;
use std::io::Write;

use crate::config::{Config, ConfigError};
use crate::http::app;
use crate::http::AppState;
use crate::tls::TlsListener;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration was refused before binding.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Binding or serving failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The accept loop failed.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Validates `config`, binds, prints `skiff-server listening on http://ADDR/` on
/// stdout (tests and tools parse it to learn the port), and serves until `shutdown`.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let state = match crate::s3_root::prepare(&config).await? {
        Some(root) => AppState::with_s3_root(&config, &root)?,
        None => AppState::new(&config)?,
    };
    let tls = match &config.tls {
        Some((cert, key)) => Some(crate::tls::server_config(cert, key).map_err(ConfigError::Tls)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(root = %state.root_label(), %addr, "serving");
    let scheme = if tls.is_some() { "https" } else { "http" };
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "skiff-server listening on {scheme}://{addr}/")?;
        stdout.flush()?;
    }
    match tls {
        Some(tls) => {
            axum::serve(TlsListener::new(listener, tls)?, app(state))
                .with_graceful_shutdown(shutdown)
                .await?
        }
        None => {
            axum::serve(listener.tap_io(no_delay), app(state))
                .with_graceful_shutdown(shutdown)
                .await?
        }
    }
    Ok(())
}

/// `TCP_NODELAY` on an accepted connection: a response made of many small writes (a ZIP
/// of small files: a header, a few bytes, a descriptor per file) must not wait out
/// Nagle's algorithm against the client's delayed ACKs, up to 40 ms per write (measured:
/// a ZIP of 1,000 small files took 15 s longer than the same archive without them).
pub(crate) fn no_delay(stream: &mut tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
}
