//! The upload benchmark (`cargo xtask bench`), on loopback against the real `skiff-server`
//! (release build, `--writable`, default `--max-chunk`):
//!
//! 1. a 1 GiB file uploaded by the Skiff app in headless Chromium (picked in its file
//!    input, sent in the app's own chunks) against `curl -T` (one plain `PUT` on the tree)
//!    to the same server in the same run, both checked byte for byte (SHA-256) on disk;
//! 2. the page's JS heap (`performance.memory`, precise) and the renderer's resident memory
//!    before, during and after a 4 GiB upload (2 GiB when 4 would take over four minutes);
//! 3. 10,000 generated files dropped on the listing: the time until all are queued, the
//!    time until all are uploaded, and a count of them on disk.
//!
//! Prints one Markdown table (`| Measurement | Value |`) to stdout; progress and
//! diagnostics go to stderr. Generated files, the served folder, the server, chromedriver
//! and Chromium are owned by guards, so they go away on every exit path, panics included.
//!
//! Needs `SKIFF_APP_DIST`, `CHROMEDRIVER` and `SKIFF_CHROMIUM`, which `cargo xtask bench`
//! sets (the end-to-end harness in `tests/browser/mod.rs` is reused as is). The harness
//! has no way to add Chromium flags, so `SKIFF_CHROMIUM` is pointed at a small wrapper
//! script that adds `--enable-precise-memory-info` (without it Chromium rounds
//! `usedJSHeapSize` and refreshes it only every 20 minutes) and `--js-flags=--expose-gc`
//! (so the before/after heap readings follow a garbage collection).

// The end-to-end harness (it allows its own unused parts).
#[path = "../../tests/browser/mod.rs"]
mod browser;
#[path = "../support/mod.rs"]
mod support;

mod dropped;
mod memory;

use dropped::drop_many;
use memory::Renderers;

use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{median, thousands};

use browser::{Browser, Server};
use futures_util::FutureExt;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
/// The file uploaded by the browser and by curl.
const BIG: u64 = GIB;
/// Timed uploads of `BIG` per client (alternating browser and curl).
const BIG_RUNS: usize = 3;
/// The file uploaded while the heap is watched, unless that would take too long.
const HEAP_FILE: u64 = 4 * GIB;
/// The smaller file used instead when `HEAP_FILE` would take longer than `HEAP_BUDGET`.
const HEAP_FILE_FALLBACK: u64 = 2 * GIB;
/// How long the heap upload may take, estimated from the 1 GiB runs.
const HEAP_BUDGET: Duration = Duration::from_secs(240);
/// Files in the synthetic drop, and the size of each.
const DROPPED: usize = 10_000;
const DROPPED_SIZE: usize = 10;
/// Polling interval while waiting for an upload (and sampling the heap).
const POLL: Duration = Duration::from_millis(250);
/// Upper bound for any one upload or batch of uploads.
const LONG_WAIT: Duration = Duration::from_secs(600);
/// Upper bound for one WebDriver script call.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);
/// The app's chunk size (`src/upload/policy.rs`, `DEFAULT_CHUNK`), for the row label; the
/// server's default `--max-chunk` (16 MiB) does not lower it.
const APP_CHUNK_LABEL: &str = "8 MiB chunks";
/// The same, in bytes.
const APP_CHUNK: u64 = 8 * MIB;

fn main() {
    for name in ["SKIFF_APP_DIST", "CHROMEDRIVER", "SKIFF_CHROMIUM"] {
        if std::env::var_os(name).is_none() {
            panic!(
                "{name} is unset: run the upload benchmark through `cargo xtask bench`, \
                 or set SKIFF_APP_DIST (the built app), CHROMEDRIVER and SKIFF_CHROMIUM"
            );
        }
    }
    // Before any other thread exists: the harness reads SKIFF_CHROMIUM when it starts a browser.
    let wrapper = ChromiumWrapper::install();
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

/// A script that starts the real Chromium with the flags this benchmark needs, installed
/// as `SKIFF_CHROMIUM` for the harness; removed when dropped.
struct ChromiumWrapper {
    _dir: tempfile::TempDir,
}

impl ChromiumWrapper {
    fn install() -> ChromiumWrapper {
        let real = std::env::var("SKIFF_CHROMIUM").expect("SKIFF_CHROMIUM is set");
        let dir = tempfile::Builder::new()
            .prefix("skiff-bench-chromium-")
            .tempdir()
            .expect("a temp folder for the Chromium wrapper");
        let script = dir.path().join("chromium");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nexec {} --enable-precise-memory-info --js-flags=--expose-gc \"$@\"\n",
                shell_quote(&real)
            ),
        )
        .expect("write the Chromium wrapper");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("make the Chromium wrapper executable");
        std::env::set_var("SKIFF_CHROMIUM", &script);
        progress(&format!(
            "Chromium: {real} with --enable-precise-memory-info --js-flags=--expose-gc"
        ));
        ChromiumWrapper { _dir: dir }
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Runs every measurement; returns the table rows.
async fn run() -> Vec<(String, String)> {
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
    let baseline = Baseline::detect();
    progress(&format!("baseline: {}", baseline.label()));

    let browser = Browser::start().await;
    let outcome = AssertUnwindSafe(measure(
        &browser,
        &server.url,
        tree.path(),
        sources.path(),
        &baseline,
    ))
    .catch_unwind()
    .await;
    browser.close().await;
    let rows = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    drop(server);
    progress(&format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    rows
}

async fn measure(
    browser: &Browser,
    server: &str,
    tree: &Path,
    sources: &Path,
    baseline: &Baseline,
) -> Vec<(String, String)> {
    let mut rows = Vec::new();

    // 1. One large file: the app in the browser against curl.
    let big = sources.join("big.bin");
    let generated = Instant::now();
    let big_sha = generate(&big, BIG, 0x5eed_0001);
    progress(&format!(
        "generated {} ({}) in {:.1} s, SHA-256 {big_sha}",
        big.display(),
        size_label(BIG),
        generated.elapsed().as_secs_f64()
    ));
    let (mut by_browser, mut by_baseline) = (Vec::new(), Vec::new());
    let mut in_requests = Vec::new();
    let mut slices = None;
    for run in 1..=BIG_RUNS {
        let folder = format!("browser-{run}");
        std::fs::create_dir(tree.join(&folder)).expect("a folder for the browser's upload");
        let upload = upload_in_browser(browser, server, &folder, &big, false).await;
        if slices.is_none() {
            slices = read_slices(browser).await;
        }
        let landed = tree.join(&folder).join("big.bin");
        verify(&landed, BIG, &big_sha);
        std::fs::remove_dir_all(tree.join(&folder)).expect("remove the uploaded file");
        progress(&format!(
            "run {run}/{BIG_RUNS}: browser {} ({}), {} inside its {} HTTP requests, SHA-256 checked",
            seconds(upload.elapsed),
            throughput(BIG, upload.elapsed),
            seconds(upload.in_requests),
            upload.requests
        ));
        by_browser.push(upload.elapsed);
        in_requests.push(upload.in_requests);

        let name = format!("baseline-{run}.bin");
        let elapsed = baseline.put(&big, &format!("{server}/{name}")).await;
        verify(&tree.join(&name), BIG, &big_sha);
        std::fs::remove_file(tree.join(&name)).expect("remove the uploaded file");
        progress(&format!(
            "run {run}/{BIG_RUNS}: {} {} ({}), SHA-256 checked",
            baseline.short(),
            seconds(elapsed),
            throughput(BIG, elapsed)
        ));
        by_baseline.push(elapsed);
    }
    std::fs::remove_file(&big).expect("remove the generated file");
    let (browser_median, baseline_median) = (median(&by_browser), median(&by_baseline));
    let runs = if BIG_RUNS == 1 {
        "one run".to_owned()
    } else {
        format!("median of {BIG_RUNS}")
    };
    rows.push((
        format!(
            "upload {}: browser (app, {APP_CHUNK_LABEL}, {runs})",
            size_label(BIG)
        ),
        format!(
            "{} ({})",
            seconds(browser_median),
            throughput(BIG, browser_median)
        ),
    ));
    rows.push((
        format!("upload {}: {} ({runs})", size_label(BIG), baseline.label()),
        format!(
            "{} ({})",
            seconds(baseline_median),
            throughput(BIG, baseline_median)
        ),
    ));
    rows.push((
        format!("upload {}: browser / {}", size_label(BIG), baseline.short()),
        format!(
            "{:.1}×",
            browser_median.as_secs_f64() / baseline_median.as_secs_f64()
        ),
    ));
    // Where the browser's time goes: inside its HTTP requests (sending, and the server
    // appending, hashing and syncing each chunk) or between them (reading the slice,
    // copying it into wasm, two SHA-256 passes in wasm: whole file and chunk checksum).
    let gaps: Vec<Duration> = by_browser
        .iter()
        .zip(&in_requests)
        .map(|(total, inside)| total.saturating_sub(*inside))
        .collect();
    rows.push((
        format!(
            "upload {}: browser, inside its HTTP requests / between them, in the page ({runs})",
            size_label(BIG)
        ),
        format!(
            "{} / {}",
            seconds(median(&in_requests)),
            seconds(median(&gaps))
        ),
    ));
    if let Some((read, hashed)) = slices {
        rows.push((
            format!(
                "{}, no upload: the page reading it in {APP_CHUNK_LABEL} / reading and \
                 hashing each with WebCrypto SHA-256 (for comparison)",
                size_label(BIG)
            ),
            format!("{} / {}", seconds(read), seconds(hashed)),
        ));
    }

    // 2. Memory while a very large file goes up.
    let estimate = browser_median.mul_f64(HEAP_FILE as f64 / BIG as f64);
    let heap_size = if estimate > HEAP_BUDGET {
        progress(&format!(
            "a {} upload would take about {}: using {} instead",
            size_label(HEAP_FILE),
            seconds(estimate),
            size_label(HEAP_FILE_FALLBACK)
        ));
        HEAP_FILE_FALLBACK
    } else {
        HEAP_FILE
    };
    let huge = sources.join("huge.bin");
    let huge_sha = generate(&huge, heap_size, 0x5eed_0002);
    progress(&format!(
        "generated {} ({}), SHA-256 {huge_sha}",
        huge.display(),
        size_label(heap_size)
    ));
    std::fs::create_dir(tree.join("heap")).expect("a folder for the heap upload");
    let upload = upload_in_browser(browser, server, "heap", &huge, true).await;
    verify(&tree.join("heap/huge.bin"), heap_size, &huge_sha);
    std::fs::remove_dir_all(tree.join("heap")).expect("remove the uploaded file");
    std::fs::remove_file(&huge).expect("remove the generated file");
    let memory = upload.memory.expect("memory readings");
    progress(&format!(
        "{} upload: {} ({}), SHA-256 checked; JS heap after it without a GC: {}",
        size_label(heap_size),
        seconds(upload.elapsed),
        throughput(heap_size, upload.elapsed),
        mib(memory.heap_after_no_gc)
    ));
    let label = size_label(heap_size);
    rows.push((
        format!("upload {label}: browser (app, {APP_CHUNK_LABEL}, one run)"),
        format!(
            "{} ({})",
            seconds(upload.elapsed),
            throughput(heap_size, upload.elapsed)
        ),
    ));
    rows.push((
        format!(
            "JS heap during a {label} upload: before / peak / after \
             (usedJSHeapSize: counts array buffers, not wasm memory; GC before each \
             reading of before and after; peak sampled every 250 ms)"
        ),
        format!(
            "{} / {} / {} MiB",
            mib_number(memory.heap_before),
            mib_number(memory.heap_peak),
            mib_number(memory.heap_after)
        ),
    ));
    if let Some(rss) = memory.renderer {
        rows.push((
            format!(
                "page's renderer process, resident memory during a {label} upload: \
                 before / peak / after (JS heap, wasm memory, buffers)"
            ),
            format!(
                "{} / {} / {} MiB",
                mib_number(rss.before),
                mib_number(rss.peak),
                mib_number(rss.after)
            ),
        ));
    }

    // 3. Many small files dropped at once.
    let dropped = drop_many(browser, server, tree).await;
    rows.push((
        format!(
            "queue {} dropped files (drop → heading reads “of {DROPPED}”)",
            thousands(DROPPED)
        ),
        format!("{:.0} ms", dropped.queued_ms),
    ));
    rows.push((
        format!(
            "upload {} small files ({DROPPED_SIZE} B each, the app's default parallelism): \
             drop → all Done",
            thousands(DROPPED)
        ),
        format!(
            "{:.1} s ({:.0} files/s)",
            dropped.done_ms / 1000.0,
            DROPPED as f64 / (dropped.done_ms / 1000.0)
        ),
    ));
    rows.push((
        format!(
            "upload {} small files: page main thread idle / in tasks over 50 ms",
            thousands(DROPPED)
        ),
        format!(
            "{:.0}% / {:.0}%",
            dropped.idle_ms * 100.0 / dropped.done_ms,
            dropped.long_tasks_ms * 100.0 / dropped.done_ms
        ),
    ));
    rows.push((
        format!(
            "upload {} small files: listing refetches meanwhile",
            thousands(DROPPED)
        ),
        format!(
            "{} ({} of listings)",
            thousands(dropped.fetches as usize),
            mib(dropped.fetched_bytes)
        ),
    ));
    rows
}

/// Writes `len` deterministic, incompressible-looking bytes (xorshift) to `path`; returns
/// their SHA-256 in lowercase hex.
fn generate(path: &Path, len: u64, seed: u64) -> String {
    let mut file = std::fs::File::create(path)
        .unwrap_or_else(|error| panic!("create {}: {error}", path.display()));
    let mut hasher = Sha256::new();
    let mut state = seed | 1;
    let mut buffer = vec![0u8; 8 * MIB as usize];
    let mut left = len;
    while left > 0 {
        for word in buffer.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(buffer.len() as u64) as usize;
        hasher.update(&buffer[..n]);
        file.write_all(&buffer[..n])
            .unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
        left -= n as u64;
    }
    hex(&hasher.finalize())
}

/// Checks that `path` holds `len` bytes whose SHA-256 is `sha256`.
fn verify(path: &Path, len: u64, sha256: &str) {
    let mut file = std::fs::File::open(path)
        .unwrap_or_else(|error| panic!("the upload did not land at {}: {error}", path.display()));
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 8 * MIB as usize];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
    assert_eq!(total, len, "bytes in {}", path.display());
    assert_eq!(
        hex(&hasher.finalize()),
        sha256,
        "SHA-256 of {}",
        path.display()
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What the baseline client is: `curl -T` when curl is installed, else a streaming `PUT`
/// with reqwest.
enum Baseline {
    Curl,
    Reqwest(reqwest::Client),
}

impl Baseline {
    fn detect() -> Baseline {
        let curl = std::process::Command::new("curl")
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if curl {
            Baseline::Curl
        } else {
            let client = reqwest::Client::builder()
                .no_proxy()
                .timeout(LONG_WAIT)
                .build()
                .expect("an HTTP client");
            Baseline::Reqwest(client)
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Baseline::Curl => "curl -T (one PUT on the tree)",
            Baseline::Reqwest(_) => "reqwest streaming PUT (curl is not installed)",
        }
    }

    fn short(&self) -> &'static str {
        match self {
            Baseline::Curl => "curl",
            Baseline::Reqwest(_) => "reqwest PUT",
        }
    }

    /// `PUT`s `path` to `url`; returns the time the request took (curl's `time_total`).
    async fn put(&self, path: &Path, url: &str) -> Duration {
        match self {
            Baseline::Curl => {
                let mut command = tokio::process::Command::new("curl");
                command
                    .args(["--silent", "--show-error", "--fail", "--noproxy", "*"])
                    .arg("--upload-file")
                    .arg(path)
                    .args(["--output", "/dev/null"])
                    .args(["--write-out", "%{http_code} %{time_total}"])
                    .arg(url)
                    .kill_on_drop(true);
                let output = tokio::time::timeout(LONG_WAIT, command.output())
                    .await
                    .unwrap_or_else(|_| panic!("curl -T {url} took over {LONG_WAIT:?}"))
                    .expect("run curl");
                let stdout = String::from_utf8_lossy(&output.stdout);
                assert!(
                    output.status.success(),
                    "curl -T {url} failed ({}): {stdout} {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                );
                let (code, total) = stdout
                    .trim()
                    .split_once(' ')
                    .unwrap_or_else(|| panic!("unexpected curl --write-out: {stdout:?}"));
                assert_eq!(code, "201", "curl -T {url} answered {code}");
                let total: f64 = total
                    .parse()
                    .unwrap_or_else(|error| panic!("curl's time_total {total:?}: {error}"));
                Duration::from_secs_f64(total)
            }
            Baseline::Reqwest(client) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .unwrap_or_else(|error| panic!("open {}: {error}", path.display()));
                let len = file.metadata().await.expect("the file's size").len();
                let stream = tokio_util::io::ReaderStream::with_capacity(file, MIB as usize);
                let started = Instant::now();
                let response = client
                    .put(url)
                    .header(reqwest::header::CONTENT_LENGTH, len)
                    .body(reqwest::Body::wrap_stream(stream))
                    .send()
                    .await
                    .unwrap_or_else(|error| panic!("PUT {url}: {error}"));
                let status = response.status();
                let _ = response.bytes().await;
                let elapsed = started.elapsed();
                assert_eq!(status.as_u16(), 201, "PUT {url} answered {status}");
                elapsed
            }
        }
    }
}

/// One upload by the app.
struct BrowserUpload {
    /// From the file input's `change` event to the row's `data-status` turning `Done`,
    /// both by the page's own clock.
    elapsed: Duration,
    /// Of which inside the upload's HTTP requests (resource timing: request start to
    /// response end, summed): sending the chunks and the server's work on them.
    in_requests: Duration,
    /// The upload's HTTP requests (session create and chunks).
    requests: usize,
    /// Memory readings, when asked for.
    memory: Option<Memory>,
}

/// `usedJSHeapSize` readings in bytes, and the renderer's resident memory.
struct Memory {
    heap_before: f64,
    heap_peak: f64,
    heap_after: f64,
    heap_after_no_gc: f64,
    renderer: Option<Rss>,
}

/// Resident memory of one process in bytes.
struct Rss {
    before: f64,
    peak: f64,
    after: f64,
}

/// Runs `script` in the page, bounded by [`SCRIPT_TIMEOUT`].
async fn execute(browser: &Browser, what: &str, script: &str, args: Vec<Value>) -> Value {
    tokio::time::timeout(SCRIPT_TIMEOUT, browser.client.execute(script, args))
        .await
        .unwrap_or_else(|_| panic!("{what}: the page did not answer within {SCRIPT_TIMEOUT:?}"))
        .unwrap_or_else(|error| panic!("{what}: {error}"))
}

/// Opens the app on `folder` (a fresh document) and waits until it takes uploads.
async fn open_app(browser: &Browser, server: &str, folder: &str) {
    browser
        .client
        .goto("about:blank")
        .await
        .expect("open about:blank");
    let url = format!("{server}/{folder}/");
    browser
        .client
        .goto(&url)
        .await
        .unwrap_or_else(|error| panic!("open the app at {url}: {error}"));
    browser.element("[role=grid]").await;
    browser
        .wait_until(
            "uploads to be enabled",
            "!document.querySelector('input[data-upload=files] ~ button').disabled",
        )
        .await;
}

/// Watches the upload of the file named `arguments[0]`: the time of the file input's
/// `change` event, the time its row turns `Done` (or its text if it fails), and with
/// `arguments[1]` the largest `usedJSHeapSize` seen every 250 ms. Resource timing keeps
/// every request from now on (the default buffer holds 250).
const WATCH_UPLOAD: &str = r#"
    const [name, sampleHeap] = arguments;
    const bench = window.__skiffBench = { picked: null, done: null, failed: null, peak: 0 };
    const heap = () => performance.memory ? performance.memory.usedJSHeapSize : 0;
    performance.clearResourceTimings();
    performance.setResourceTimingBufferSize(100000);
    window.addEventListener('change', event => {
        if (bench.picked === null && event.target.matches('input[data-upload=files]')) {
            bench.picked = performance.now();
            // Kept for READ_SLICES: the app clears the input once it has the file.
            bench.file = event.target.files[0];
        }
    }, true);
    const observer = new MutationObserver(() => {
        const row = [...document.querySelectorAll('[data-upload-name]')]
            .find(row => row.dataset.uploadName === name);
        if (!row) return;
        if (row.dataset.status === 'Done') {
            bench.done = performance.now();
            observer.disconnect();
            clearInterval(bench.sampler);
        } else if (row.dataset.status === 'Failed') {
            bench.failed = row.innerText;
        }
    });
    observer.observe(document.body,
        { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
    if (sampleHeap) {
        bench.sampler = setInterval(() => { bench.peak = Math.max(bench.peak, heap()); }, 250);
    }
"#;

/// The state [`WATCH_UPLOAD`] keeps, plus the heap now and the panel's heading.
const READ_UPLOAD: &str = r#"
    const bench = window.__skiffBench;
    const heading = document.querySelector('section[aria-label=Uploads] h2');
    return {
        picked: bench.picked, done: bench.done, failed: bench.failed, peak: bench.peak,
        heap: performance.memory ? performance.memory.usedJSHeapSize : null,
        heading: heading ? heading.textContent : null,
    };
"#;

/// The XMLHttpRequests made between the pick and Done (the app's upload requests): how
/// many, and their summed time from request start to response end.
const READ_REQUESTS: &str = r#"
    const bench = window.__skiffBench;
    const requests = performance.getEntriesByType('resource').filter(entry =>
        entry.initiatorType === 'xmlhttprequest'
            && entry.startTime >= bench.picked && entry.responseEnd <= bench.done);
    return {
        count: requests.length,
        total: requests.reduce((sum, entry) => sum + (entry.responseEnd - entry.startTime), 0),
    };
"#;

/// Reads the last picked file (kept by [`WATCH_UPLOAD`]) in slices of `arguments[0]` bytes
/// as the app does, without uploading: once reading only, once also hashing each slice
/// with WebCrypto's SHA-256 (native code), for comparison with the app's time.
const READ_SLICES: &str = r#"
    const [chunk, done] = arguments;
    const file = window.__skiffBench.file;
    const pass = async hash => {
        const started = performance.now();
        for (let start = 0; start < file.size; start += chunk) {
            const slice = file.slice(start, Math.min(start + chunk, file.size));
            const buffer = await slice.arrayBuffer();
            if (hash) await crypto.subtle.digest('SHA-256', buffer);
        }
        return performance.now() - started;
    };
    (async () => {
        if (!file) return done({ error: 'no file was picked' });
        const read = await pass(false);
        const hashed = await pass(true);
        done({ read, hashed });
    })().catch(error => done({ error: String(error) }));
"#;

/// Forces a garbage collection (when `--expose-gc` took), then reads `usedJSHeapSize`.
const HEAP_AFTER_GC: &str = r#"
    if (typeof window.gc === 'function') { window.gc(); }
    return performance.memory ? performance.memory.usedJSHeapSize : null;
"#;

async fn heap_after_gc(browser: &Browser) -> f64 {
    execute(browser, "read the JS heap", HEAP_AFTER_GC, vec![])
        .await
        .as_f64()
        .expect("performance.memory.usedJSHeapSize (Chromium only)")
}

/// Runs [`READ_SLICES`] on the file just uploaded: `(reading, reading and hashing)`.
async fn read_slices(browser: &Browser) -> Option<(Duration, Duration)> {
    let value = tokio::time::timeout(
        SCRIPT_TIMEOUT,
        browser
            .client
            .execute_async(READ_SLICES, vec![json!(APP_CHUNK)]),
    )
    .await
    .unwrap_or_else(|_| panic!("reading the file in the page took over {SCRIPT_TIMEOUT:?}"))
    .expect("read the file in the page");
    if let Some(error) = value["error"].as_str() {
        progress(&format!("could not read the file in the page: {error}"));
        return None;
    }
    let millis = |key: &str| Duration::from_secs_f64(value[key].as_f64().unwrap_or(0.0) / 1000.0);
    let (read, hashed) = (millis("read"), millis("hashed"));
    progress(&format!(
        "the page reads the file in {APP_CHUNK_LABEL} in {}, and hashes them too (WebCrypto) in {}",
        seconds(read),
        seconds(hashed)
    ));
    Some((read, hashed))
}

/// Uploads `file` with the app into `folder` (picked in its file input) and waits until it
/// is `Done`. With `watch_memory`, also reads the page's JS heap and the renderers'
/// resident memory before, during and after.
async fn upload_in_browser(
    browser: &Browser,
    server: &str,
    folder: &str,
    file: &Path,
    watch_memory: bool,
) -> BrowserUpload {
    let name = file
        .file_name()
        .and_then(|name| name.to_str())
        .expect("a UTF-8 file name")
        .to_owned();
    open_app(browser, server, folder).await;
    let mut renderers = Renderers::default();
    let mut heap_before = 0.0;
    if watch_memory {
        // Let the page settle, then take the baseline.
        tokio::time::sleep(Duration::from_secs(1)).await;
        heap_before = heap_after_gc(browser).await;
        renderers.sample();
        renderers.reset_peaks();
    }
    execute(
        browser,
        "watch the upload",
        WATCH_UPLOAD,
        vec![json!(name), json!(watch_memory)],
    )
    .await;
    let started = Instant::now();
    browser
        .element("input[data-upload=files]")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("pick the file");

    let mut heap_peak = heap_before;
    let mut last_report = Instant::now();
    let what = format!("{name} to be uploaded into /{folder}/");
    let state = loop {
        let state = execute(browser, &what, READ_UPLOAD, vec![]).await;
        heap_peak = heap_peak
            .max(state["peak"].as_f64().unwrap_or(0.0))
            .max(state["heap"].as_f64().unwrap_or(0.0));
        if watch_memory {
            renderers.sample();
        }
        if let Some(failed) = state["failed"].as_str() {
            panic!("the upload of {name} failed: {failed}");
        }
        if state["done"].is_number() {
            break state;
        }
        assert!(
            started.elapsed() < LONG_WAIT,
            "timed out after {LONG_WAIT:?} waiting for {what}; last state {state}"
        );
        if last_report.elapsed() > Duration::from_secs(10) {
            progress(&format!(
                "{:.0} s: {}",
                started.elapsed().as_secs_f64(),
                state["heading"].as_str().unwrap_or("(no upload panel yet)")
            ));
            last_report = Instant::now();
        }
        tokio::time::sleep(POLL).await;
    };
    let wall = started.elapsed();
    let (picked, done) = (
        state["picked"]
            .as_f64()
            .expect("the file input fired its change event"),
        state["done"].as_f64().expect("the Done time"),
    );
    let elapsed = Duration::from_secs_f64((done - picked) / 1000.0);
    let requests = execute(browser, "read the resource timings", READ_REQUESTS, vec![]).await;
    let in_requests =
        Duration::from_secs_f64(requests["total"].as_f64().expect("a summed time") / 1000.0);
    let requests = requests["count"].as_u64().expect("a request count") as usize;
    progress(&format!(
        "{name}: {} by the page's clock (change event → Done), {} by the bench's \
         (pick → Done seen); {requests} requests took {} of it",
        seconds(elapsed),
        seconds(wall),
        seconds(in_requests)
    ));
    let memory = if watch_memory {
        let heap_after_no_gc = state["heap"].as_f64().unwrap_or(0.0);
        renderers.sample();
        let first_gc = heap_after_gc(browser).await;
        // Freed array buffers leave the count a little after the collection.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let heap_after = heap_after_gc(browser).await;
        progress(&format!(
            "JS heap after Done: {} without a GC, {} right after one, {} 2 s and another GC later",
            mib(heap_after_no_gc),
            mib(first_gc),
            mib(heap_after)
        ));
        Some(Memory {
            heap_before,
            heap_peak: heap_peak.max(heap_after_no_gc),
            heap_after,
            heap_after_no_gc,
            renderer: renderers.the_page(),
        })
    } else {
        None
    };
    BrowserUpload {
        elapsed,
        in_requests,
        requests,
        memory,
    }
}

fn progress(message: &str) {
    eprintln!("upload bench: {message}");
}

fn seconds(time: Duration) -> String {
    format!("{:.1} s", time.as_secs_f64())
}

fn throughput(bytes: u64, time: Duration) -> String {
    format!(
        "{:.0} MiB/s",
        bytes as f64 / MIB as f64 / time.as_secs_f64()
    )
}

fn size_label(bytes: u64) -> String {
    if bytes % GIB == 0 {
        format!("{} GiB", bytes / GIB)
    } else {
        format!("{} MiB", bytes / MIB)
    }
}

fn mib_number(bytes: f64) -> String {
    format!("{:.1}", bytes / MIB as f64)
}

fn mib(bytes: f64) -> String {
    format!("{} MiB", mib_number(bytes))
}
