//! The browse benchmark (`cargo xtask bench`): a folder of 100,000 small files, served by
//! the real `skiff-server` (release build) and, side by side, by `python3 -m http.server`
//! as the baseline; then the Skiff app opening that folder in headless Chromium; then the
//! bytes on the wire of the app's first load and of the listing, compressed or not; then,
//! on a link throttled by Chromium, the app's first load against dufs's page and its
//! opening of the big folder; then page memory during a 4 GiB download with a token;
//! then the server's memory while it zips a 4 GiB folder.
//!
//! `SKIFF_BENCH_BROWSE_ONLY=listing,throttled,download,zip` runs only those parts
//! (`listing` is the servers' listings, the app on the big folder and the bytes on the
//! wire, which share the folder); all of them by default.
//!
//! Prints one Markdown table (`| Measurement | Value |`) to stdout; progress and
//! diagnostics go to stderr. Speed is only ever claimed as a ratio against the baseline
//! measured in the same run, never as an absolute timing (bytes are bytes).
//!
//! Needs `SKIFF_APP_DIST`, `CHROMEDRIVER`, `SKIFF_CHROMIUM` and `SKIFF_BENCH_DUFS`, which
//! `cargo xtask bench` sets (the end-to-end harness in `tests/browser/mod.rs` is reused as
//! is; Chromium gets the upload bench's wrapper for precise memory readings).
//!
//! - here: the folder, the servers' listings side by side, the table
//! - `peers.rs`: the timing HTTP client and `python3 -m http.server`
//! - `app.rs`: the app opening the folder in Chromium, from its performance marks
//! - `wire.rs`: bytes on the wire: the app's first load and the listing, compressed or not
//! - `throttled.rs`: first rows on a throttled link, the app vs dufs; the big folder
//! - `big_download.rs`: page memory during a 4 GiB download with a token
//! - `zip_memory.rs`: the server's memory while it streams a 4 GiB folder as one ZIP

// The end-to-end harness (it allows its own unused parts).
mod app;
mod big_download;
#[path = "../../tests/browser/mod.rs"]
mod browser;
#[path = "../upload/chromium.rs"]
mod chromium;
mod peers;
#[path = "../support/mod.rs"]
mod support;
mod throttled;
mod wire;
mod zip_memory;

use std::path::Path;
use std::time::{Duration, Instant};
use support::{median, ms_f64, thousands};

use browser::Server;
use peers::{Http, Python};

/// Files in the benchmark folder.
const ENTRIES: usize = 100_000;
/// Timed HTTP listings per server (after one warm-up each).
const HTTP_RUNS: usize = 7;
/// Upper bound for one listing request, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

fn main() {
    for name in [
        "SKIFF_APP_DIST",
        "CHROMEDRIVER",
        "SKIFF_CHROMIUM",
        "SKIFF_BENCH_DUFS",
    ] {
        if std::env::var_os(name).is_none() {
            panic!(
                "{name} is unset: run the browse benchmark through `cargo xtask bench`, \
                 or set SKIFF_APP_DIST (the built app), CHROMEDRIVER, SKIFF_CHROMIUM and \
                 SKIFF_BENCH_DUFS"
            );
        }
    }
    // Before any other thread: it sets an environment variable.
    let _chromium = chromium::ChromiumWrapper::install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let rows = runtime.block_on(run());
    println!("| Measurement | Value |");
    println!("|---|---|");
    for (measurement, value) in rows {
        println!("| {measurement} | {value} |");
    }
}

/// The servers' listings of the big folder side by side, the app opening it, and the
/// bytes on the wire (they share the folder); returns their rows.
async fn listing() -> Vec<(String, String)> {
    let started = Instant::now();
    let folder = tempfile::Builder::new()
        .prefix("skiff-bench-")
        .tempdir()
        .expect("a temp folder for the benchmark");
    progress(&format!(
        "writing {} files to {}",
        thousands(ENTRIES),
        folder.path().display()
    ));
    fill_folder(folder.path(), ENTRIES);
    progress(&format!(
        "wrote them in {:.1} s",
        started.elapsed().as_secs_f64()
    ));

    let server = Server::start(folder.path(), &[]);
    let python = Python::start(folder.path());
    progress(&format!(
        "skiff-server at {}, python3 http.server at {}",
        server.url, python.url
    ));

    let http = Http::new();
    let skiff_url = format!("{}/", server.url);
    let python_url = format!("{}/", python.url);
    progress("warming up both servers");
    let (_, skiff_bytes) = http.skiff_listing(&skiff_url).await;
    let (_, python_bytes) = http.python_listing(&python_url).await;
    progress(&format!(
        "bodies: skiff-server RFSAPI JSON {}, python3 http.server HTML {}",
        mib(skiff_bytes),
        mib(python_bytes)
    ));
    // Alternate the two so that both see the same machine load (others may be compiling).
    let (mut skiff, mut python_times) = (Vec::new(), Vec::new());
    for run in 1..=HTTP_RUNS {
        let (a, _) = http.skiff_listing(&skiff_url).await;
        let (b, _) = http.python_listing(&python_url).await;
        progress(&format!(
            "run {run}/{HTTP_RUNS}: skiff-server {}, python3 http.server {}",
            ms(a),
            ms(b)
        ));
        skiff.push(a);
        python_times.push(b);
    }
    drop(python);
    let (skiff_median, python_median) = (median(&skiff), median(&python_times));

    progress("starting headless Chromium");
    let app = app::measure(&server.url).await;
    progress("measuring bytes on the wire");
    let wire = wire::rows(&server.url, ENTRIES).await;
    drop(server);
    drop(folder);
    let mut rows = vec![
        (
            format!(
                "skiff-server RFSAPI listing, {} entries (median of {HTTP_RUNS})",
                thousands(ENTRIES)
            ),
            ms(skiff_median),
        ),
        (
            format!(
                "skiff-server RFSAPI listing, {} entries (min of {HTTP_RUNS})",
                thousands(ENTRIES)
            ),
            ms(min(&skiff)),
        ),
        (
            format!("python3 http.server HTML listing, same folder (median of {HTTP_RUNS})"),
            ms(python_median),
        ),
        (
            format!("python3 http.server HTML listing, same folder (min of {HTTP_RUNS})"),
            ms(min(&python_times)),
        ),
        (
            "skiff-server vs python3 http.server".to_owned(),
            ratio(python_median, skiff_median),
        ),
    ];
    rows.extend(app);
    rows.extend(wire);
    rows
}

/// Runs every measurement; returns the table rows. Child processes and the folder are
/// owned by guards, so they go away on every exit path, panics included.
async fn run() -> Vec<(String, String)> {
    let started = Instant::now();
    let only = std::env::var("SKIFF_BENCH_BROWSE_ONLY").unwrap_or_default();
    let wanted = |part: &str| only.is_empty() || only.split(',').any(|want| want.trim() == part);
    let mut rows = Vec::new();
    if wanted("listing") {
        rows.extend(listing().await);
    }
    if wanted("throttled") {
        progress("throttled: first load and the big folder");
        rows.extend(throttled::measure().await);
    }
    if wanted("download") {
        progress("download: 4 GiB with a token, memory watched");
        rows.extend(big_download::measure().await);
    }
    if wanted("zip") {
        rows.extend(zip_memory::measure().await);
    }
    progress(&format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    rows
}

/// `file-000001.txt` … `file-100000.txt` (`count` of them), a few bytes each.
pub fn fill_folder(folder: &Path, count: usize) {
    for i in 1..=count {
        let name = format!("file-{i:06}.txt");
        std::fs::write(folder.join(&name), format!("{i}\n"))
            .unwrap_or_else(|error| panic!("writing {name}: {error}"));
    }
}

pub fn progress(message: &str) {
    eprintln!("browse bench: {message}");
}

pub fn min(times: &[Duration]) -> Duration {
    times.iter().copied().min().expect("at least one run")
}

pub fn ms(time: Duration) -> String {
    ms_f64(time.as_secs_f64() * 1000.0)
}

pub fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// `baseline / ours` as "N× faster", or "N× slower" when ours took longer.
pub fn ratio(baseline: Duration, ours: Duration) -> String {
    let (baseline, ours) = (baseline.as_secs_f64(), ours.as_secs_f64());
    if baseline >= ours {
        format!("{:.1}× faster", baseline / ours)
    } else {
        format!("{:.1}× slower", ours / baseline)
    }
}
