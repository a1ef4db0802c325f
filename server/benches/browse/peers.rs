//! The browse benchmark's peers: a plain HTTP client that times listings, and
//! `python3 -m http.server`, the baseline.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use skiff_protocol::FilesetData;

use crate::{ENTRIES, REQUEST_TIMEOUT};

/// How long `python3 -m http.server` may take to listen.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A plain HTTP client for timing listings: no proxy, a fresh connection per request (the
/// baseline closes its connections; each side then pays the same loopback connect), and a
/// timeout on every request.
pub struct Http(pub reqwest::Client);

impl Http {
    pub fn new() -> Http {
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("an HTTP client");
        Http(client)
    }

    /// Time from sending the request to its body's last byte.
    pub async fn get(&self, url: &str, rfsapi: bool) -> (Duration, bytes::Bytes) {
        let mut request = self.0.get(url);
        if rfsapi {
            request = request.header("X-Raw-Filesystem-API", "1");
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {url}: {error}"));
        let status = response.status();
        assert!(status.is_success(), "GET {url} answered {status}");
        let body = response
            .bytes()
            .await
            .unwrap_or_else(|error| panic!("reading the body of {url}: {error}"));
        (started.elapsed(), body)
    }

    /// Times the RFSAPI listing, then checks it is JSON holding every entry; returns the
    /// time and the body's size.
    pub async fn skiff_listing(&self, url: &str) -> (Duration, usize) {
        let (elapsed, body) = self.get(url, true).await;
        let listing: FilesetData = serde_json::from_slice(&body)
            .unwrap_or_else(|error| panic!("the RFSAPI listing of {url} is not JSON: {error}"));
        assert!(!listing.is_file, "{url} was listed as a file");
        assert_eq!(
            listing.files.len(),
            ENTRIES,
            "entries in the RFSAPI listing of {url}"
        );
        (elapsed, body.len())
    }

    /// Times the HTML listing, then checks it links every entry; returns the time and the
    /// body's size.
    pub async fn python_listing(&self, url: &str) -> (Duration, usize) {
        let (elapsed, body) = self.get(url, false).await;
        let html = std::str::from_utf8(&body).expect("python's listing is UTF-8");
        let links = html.matches("<li><a href=\"file-").count();
        assert_eq!(links, ENTRIES, "entries in python's HTML listing of {url}");
        (elapsed, body.len())
    }
}

/// `python3 -m http.server` on a free loopback port, killed when dropped.
pub struct Python {
    child: Child,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
}

impl Python {
    pub fn start(folder: &Path) -> Python {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free loopback port");
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(folder)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("starting `python3 -m http.server`: {error}"));
        let mut python = Python {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = python.child.try_wait() {
                panic!("`python3 -m http.server {port}` exited early ({status})");
            }
            assert!(
                started.elapsed() < STARTUP_TIMEOUT,
                "`python3 -m http.server` did not listen on port {port} within {STARTUP_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        python
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
