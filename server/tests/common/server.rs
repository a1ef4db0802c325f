//! The real `skiff-server` binary on a free port, killed on drop, and a client
//! that shows what it answered.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{raw_request, RawResponse};

/// How long the binary may take to print its "listening" line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `skiff-server serve ROOT --listen 127.0.0.1:0`, killed on drop.
pub struct TestServer {
    child: Child,
    addr: SocketAddr,
}

impl TestServer {
    /// Starts the real binary on `root` and waits for its "listening" line.
    pub fn start(root: &Path) -> Self {
        Self::start_with(root, &[])
    }

    /// Like [`TestServer::start`], with extra command-line arguments after the defaults.
    pub fn start_with(root: &Path, extra_args: &[&str]) -> Self {
        Self::start_with_env(root, extra_args, &[])
    }

    /// Like [`TestServer::start_with`], with extra environment variables (e.g. the
    /// credentials a `--config` file names by variable).
    pub fn start_with_env(root: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_skiff-server"));
        command
            .envs(env.iter().copied())
            .arg("serve")
            .arg(root)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Warnings and errors (e.g. an `io_error` with its OS detail) show up
            // next to a failing test; per-request debug noise does not.
            .stderr(Stdio::inherit());
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "warn");
        }
        let mut child = command.spawn().expect("spawn the skiff-server binary");
        let stdout = child.stdout.take().expect("skiff-server stdout is piped");

        // Read stdout on a thread: the line may never come, and the pipe must keep
        // draining afterwards so the server never blocks on a full pipe.
        let (sender, receiver) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && line.starts_with("skiff-server listening on ") {
                    sent = sender.send(line).is_ok();
                }
            }
        });
        let line = match receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(error) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("skiff-server did not print its listening line ({error}); exit: {status:?}");
            }
        };
        let addr = line
            .strip_prefix("skiff-server listening on http://")
            .or_else(|| line.strip_prefix("skiff-server listening on https://"))
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected listening line {line:?}"))
            .parse::<SocketAddr>()
            .unwrap_or_else(|error| panic!("bad address in {line:?}: {error}"));
        Self { child, addr }
    }

    /// `kill -9`s the server and waits until it is gone (as drop does, but keeping
    /// the value, e.g. to be replaced by a restarted server).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The address the server bound.
    /// The server process's id (to sample its memory in `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` followed by `path` (which must start with `/` and be encoded).
    pub fn url(&self, path: &str) -> String {
        assert!(path.starts_with('/'), "url path must be absolute: {path:?}");
        format!("http://{}{}", self.addr, path)
    }

    /// A GET of `path` over raw TCP with `headers`; see [`raw_request`].
    pub fn raw_get(&self, target: &str, headers: &[(&str, &str)]) -> RawResponse {
        raw_request(self.addr, "GET", target.as_bytes(), headers)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's discovery document (`GET /.well-known/skiff` without a token).
pub async fn discovery(server: &TestServer) -> skiff_protocol::Discovery {
    client()
        .get(server.url(skiff_protocol::DISCOVERY_PATH))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("discovery")
}

/// A reqwest client that never follows redirects (a redirect would hide what the
/// server answered) and never decompresses (none of the features are on anyway).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("build the reqwest client")
}
