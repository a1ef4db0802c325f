//! The peers the app is measured against, in the same run and the same Chromium: curl (the
//! practical limit), tus-js-client in a page uploading to @tus/server, and dufs's own page.
//! Both pages are driven the way the app is: the file is picked in their file input.

mod curl;
mod dufs;
mod tus;

pub use curl::{put as curl_put, version as curl_version};
pub use dufs::Dufs;
pub use tus::Tus;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStdout};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::browser::Browser;
use crate::memory::{Renderers, Rss};
use crate::{execute, LONG_WAIT};

/// One upload by a peer's page.
pub struct PageUpload {
    /// From the file input's `change` event to done, by the page's clock.
    pub elapsed: Duration,
    /// The page's renderer process: idle before the pick, peak, and at done.
    pub renderer: Option<Rss>,
}

/// A peer's server process, killed when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `stdout` prints a line starting with `prefix`; returns the rest of it.
/// The rest of the output is drained in the background so the process never blocks on it.
fn wait_for_line(stdout: ChildStdout, prefix: &'static str, what: &str) -> String {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix(prefix) {
                let _ = sender.send(rest.trim().to_owned());
            }
        }
    });
    receiver
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{what} did not print {prefix:?} within 30 s"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

/// The `version` of an installed npm package (`node_modules/NAME/package.json`).
fn npm_version(modules: &Path, name: &str) -> String {
    let manifest = modules.join(name).join("package.json");
    std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no version in {}", manifest.display()))
}

/// The state a peer's page keeps (set by the page itself or by a watcher script):
/// `window.uploadPicked`, `uploadDone` (page clock), `uploadFailed`, `uploadUrl`.
const READ_PAGE_UPLOAD: &str = r#"
    return {
        picked: window.uploadPicked ?? null, done: window.uploadDone ?? null,
        failed: window.uploadFailed ?? null, url: window.uploadUrl ?? null,
    };
"#;

/// Opens `url` (a fresh document), runs `watcher` (if the page does not record its own
/// times), picks `file` in the input matching `input`, and waits until the page reports
/// the upload done, sampling its renderer's resident memory meanwhile. Returns the upload
/// and the page's `uploadUrl`.
async fn upload_in_page(
    browser: &Browser,
    url: &str,
    input: &str,
    watcher: Option<&str>,
    file: &Path,
) -> (PageUpload, Option<String>) {
    browser.open("about:blank").await;
    browser.open(url).await;
    let input_element = browser.element(input).await;
    if let Some(watcher) = watcher {
        execute(browser, "watch the peer's upload", watcher, vec![]).await;
    }
    // Let the page settle, then take the idle baseline (as for the app).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut renderers = Renderers::default();
    renderers.sample();
    renderers.reset_peaks();
    let started = Instant::now();
    input_element
        .send_keys(&file.display().to_string())
        .await
        .unwrap_or_else(|error| panic!("pick the file in {url}: {error}"));
    loop {
        let state = execute(browser, "read the peer's upload", READ_PAGE_UPLOAD, vec![]).await;
        renderers.sample();
        if let Some(failed) = state["failed"].as_str() {
            panic!("the upload in {url} failed: {failed}");
        }
        if let (Some(picked), Some(done)) = (state["picked"].as_f64(), state["done"].as_f64()) {
            let elapsed = Duration::from_secs_f64((done - picked) / 1000.0);
            let renderer = renderers.the_page();
            let upload = PageUpload { elapsed, renderer };
            return (upload, state["url"].as_str().map(str::to_owned));
        }
        assert!(
            started.elapsed() < LONG_WAIT,
            "timed out after {LONG_WAIT:?} waiting for the upload in {url}; last state {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
