//! The upload benchmark (`cargo xtask bench`), on loopback, side by side in one run with
//! named peers, checking every upload's bytes on disk (issue 9's goals table):
//!
//! 1. `big.rs`: a 1 GiB file uploaded by the Skiff app (picked in its file input) to the
//!    real `skiff-server` (release build, `--writable`), by tus-js-client in a page to
//!    @tus/server (one `PATCH`, and 8 MiB chunks), by dufs's own page, and by `curl -T`;
//!    three interleaved rounds, medians, and the app's throughput ratios to curl and tus;
//! 2. `memory.rs`: the page's JS heap and its renderer's resident memory during a 4 GiB
//!    upload by the app (2 GiB when 4 would take over four minutes);
//! 3. `dropped.rs`: 10,000 files of 10 B dropped as a folder: files/s and how idle the
//!    page's main thread stays;
//! 4. `small_files.rs`: 1,000 files of 1 MiB dropped as a folder against `curl -T` of the
//!    same bytes as one file.
//!
//! Every page (the app's and the peers') runs in the same headless Chromium, driven as a
//! person would (a real file input, a real drop) through the end-to-end harness
//! (`tests/browser/mod.rs`); nothing records request bodies. Prints one Markdown table
//! (`| Measurement | Value |`) to stdout; progress goes to stderr. Generated files, served
//! folders, servers, chromedriver and Chromium are owned by guards, so they go away on
//! every exit path, panics included.
//!
//! Needs `SKIFF_APP_DIST`, `CHROMEDRIVER`, `SKIFF_CHROMIUM`, `SKIFF_BENCH_NODE_MODULES`
//! and `SKIFF_BENCH_DUFS`, which `cargo xtask bench` sets after installing the peers.

// The end-to-end harness (it allows its own unused parts).
#[path = "../../tests/browser/mod.rs"]
mod browser;
#[path = "../support/mod.rs"]
mod support;

mod app;
mod big;
mod chromium;
mod cpu;
mod dropped;
mod files;
mod memlab;
mod memory;
mod peers;
mod profile;
mod small_files;

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::{Duration, Instant};

use browser::{Browser, Server};
use futures_util::FutureExt;
use serde_json::Value;

/// One table row: what was measured, and the value.
pub type Row = (String, String);

/// Polling interval while waiting for an upload (and sampling memory).
const POLL: Duration = Duration::from_millis(250);
/// Upper bound for any one upload or batch of uploads.
const LONG_WAIT: Duration = Duration::from_secs(600);
/// Upper bound for one WebDriver script call.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

fn main() {
    for name in [
        "SKIFF_APP_DIST",
        "CHROMEDRIVER",
        "SKIFF_CHROMIUM",
        "SKIFF_BENCH_NODE_MODULES",
        "SKIFF_BENCH_DUFS",
    ] {
        if std::env::var_os(name).is_none() {
            panic!(
                "{name} is unset: run the upload benchmark through `cargo xtask bench`, \
                 which installs the peers and sets it"
            );
        }
    }
    // Before any other thread exists: the harness reads SKIFF_CHROMIUM when it starts a browser.
    let wrapper = chromium::ChromiumWrapper::install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let rows = runtime.block_on(run());
    drop(runtime);
    drop(wrapper);
    println!("| Measurement | Value |");
    println!("|---|---|");
    for (measurement, value) in rows {
        println!("| {measurement} | {value} |");
    }
}

/// Runs every measurement; returns the table rows.
async fn run() -> Vec<Row> {
    let started = Instant::now();
    let tree = tempfile::Builder::new()
        .prefix("skiff-bench-upload-tree-")
        .tempdir()
        .expect("a temp folder to serve");
    let sources = tempfile::Builder::new()
        .prefix("skiff-bench-upload-src-")
        .tempdir()
        .expect("a temp folder for the generated files");
    let server = Server::start(tree.path(), &["--writable"]);
    progress(&format!(
        "skiff-server --writable at {}, serving {}",
        server.url,
        tree.path().display()
    ));
    let browser = Browser::start().await;
    let outcome = AssertUnwindSafe(measure(&browser, &server.url, tree.path(), sources.path()))
        .catch_unwind()
        .await;
    browser.close().await;
    let rows = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    drop(server);
    progress(&format!("done in {:.0} s", started.elapsed().as_secs_f64()));
    rows
}

/// Which parts run: all by default; `SKIFF_BENCH_UPLOAD_ONLY=big,memory,tiny,mib` picks
/// some (for working on one of them).
fn wanted(part: &str) -> bool {
    std::env::var("SKIFF_BENCH_UPLOAD_ONLY")
        .map(|only| only.split(',').any(|name| name.trim() == part))
        .unwrap_or(true)
}

async fn measure(browser: &Browser, server: &str, tree: &Path, sources: &Path) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut app_per_gib = None;
    if wanted("big") {
        let step = Instant::now();
        let big = big::measure(browser, server, tree, sources).await;
        progress(&format!(
            "1 GiB comparison took {:.0} s",
            step.elapsed().as_secs_f64()
        ));
        rows.extend(big.rows);
        app_per_gib = Some(big.app_per_gib);
    }
    if wanted("memory") {
        let step = Instant::now();
        // Without the 1 GiB runs, assume the measured 15 s per GiB.
        let per_gib = app_per_gib.unwrap_or(Duration::from_secs(15));
        rows.extend(memory::measure(browser, server, tree, sources, per_gib).await);
        progress(&format!(
            "memory run took {:.0} s",
            step.elapsed().as_secs_f64()
        ));
    }
    if std::env::var("SKIFF_BENCH_UPLOAD_ONLY").is_ok_and(|only| only.contains("memlab")) {
        rows.extend(memlab::measure(browser, server, sources).await);
    }
    if wanted("tiny") {
        let step = Instant::now();
        rows.extend(dropped::measure(browser, server, tree, sources).await);
        progress(&format!(
            "10,000-file drop took {:.0} s",
            step.elapsed().as_secs_f64()
        ));
    }
    if wanted("mib") {
        let step = Instant::now();
        rows.extend(small_files::measure(browser, server, tree, sources).await);
        progress(&format!(
            "1,000 × 1 MiB took {:.0} s",
            step.elapsed().as_secs_f64()
        ));
    }
    rows
}

/// Runs `script` in the page, bounded by [`SCRIPT_TIMEOUT`].
async fn execute(browser: &Browser, what: &str, script: &str, args: Vec<Value>) -> Value {
    tokio::time::timeout(SCRIPT_TIMEOUT, browser.client.execute(script, args))
        .await
        .unwrap_or_else(|_| panic!("{what}: the page did not answer within {SCRIPT_TIMEOUT:?}"))
        .unwrap_or_else(|error| panic!("{what}: {error}"))
}

fn progress(message: &str) {
    eprintln!("upload bench: {message}");
}
