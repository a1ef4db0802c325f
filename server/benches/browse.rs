//! The browse benchmark (`cargo xtask bench`): a folder of 100,000 small files, served by
//! the real `skiff-server` (release build) and, side by side, by `python3 -m http.server`
//! as the baseline; then the Skiff app opening that folder in headless Chromium.
//!
//! Prints one Markdown table (`| Measurement | Value |`) to stdout; progress and
//! diagnostics go to stderr. Speed is only ever claimed as a ratio against the baseline
//! measured in the same run, never as an absolute timing.
//!
//! Needs `SKIFF_APP_DIST`, `CHROMEDRIVER` and `SKIFF_CHROMIUM`, which `cargo xtask bench`
//! sets (the end-to-end harness in `tests/browser/mod.rs` is reused as is).

// The end-to-end harness (it allows its own unused parts).
#[path = "../tests/browser/mod.rs"]
mod browser;
mod support;

use std::net::{TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{median, median_f64, ms_f64, thousands};

use browser::{Browser, Server};
use futures_util::FutureExt;
use skiff_protocol::FilesetData;

/// Files in the benchmark folder.
const ENTRIES: usize = 100_000;
/// Timed HTTP listings per server (after one warm-up each).
const HTTP_RUNS: usize = 7;
/// Timed page loads of the app (after one warm-up).
const PAGE_LOADS: usize = 5;
/// Upper bound for one listing request, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `python3 -m http.server` may take to listen.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// A virtualised listing renders a window of rows; anything near this many is not one.
const MAX_DOM_ROWS: usize = 1_000;

fn main() {
    for name in ["SKIFF_APP_DIST", "CHROMEDRIVER", "SKIFF_CHROMIUM"] {
        if std::env::var_os(name).is_none() {
            panic!(
                "{name} is unset: run the browse benchmark through `cargo xtask bench`, \
                 or set SKIFF_APP_DIST (the built app), CHROMEDRIVER and SKIFF_CHROMIUM"
            );
        }
    }
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

/// Runs every measurement; returns the table rows. Child processes and the folder are
/// owned by guards, so they go away on every exit path, panics included.
async fn run() -> Vec<(String, String)> {
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
    fill(folder.path());
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
    let app = measure_app(&server.url).await;
    drop(server);

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
    progress(&format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    rows
}

/// `file-000001.txt` … `file-100000.txt`, a few bytes each.
fn fill(folder: &Path) {
    for i in 1..=ENTRIES {
        let name = format!("file-{i:06}.txt");
        std::fs::write(folder.join(&name), format!("{i}\n"))
            .unwrap_or_else(|error| panic!("writing {name}: {error}"));
    }
}

/// A plain HTTP client for timing listings: no proxy, a fresh connection per request (the
/// baseline closes its connections; each side then pays the same loopback connect), and a
/// timeout on every request.
struct Http(reqwest::Client);

impl Http {
    fn new() -> Http {
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("an HTTP client");
        Http(client)
    }

    /// Time from sending the request to its body's last byte.
    async fn get(&self, url: &str, rfsapi: bool) -> (Duration, bytes::Bytes) {
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
    async fn skiff_listing(&self, url: &str) -> (Duration, usize) {
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
    async fn python_listing(&self, url: &str) -> (Duration, usize) {
        let (elapsed, body) = self.get(url, false).await;
        let html = std::str::from_utf8(&body).expect("python's listing is UTF-8");
        let links = html.matches("<li><a href=\"file-").count();
        assert_eq!(links, ENTRIES, "entries in python's HTML listing of {url}");
        (elapsed, body.len())
    }
}

/// `python3 -m http.server` on a free loopback port, killed when dropped.
struct Python {
    child: Child,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    url: String,
}

impl Python {
    fn start(folder: &Path) -> Python {
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

/// Opens the app on the folder `PAGE_LOADS` times (after a warm-up) and reads the marks it
/// sets; returns the app's table rows. The WebDriver session is closed on every exit path,
/// so chromedriver takes Chromium down with it.
async fn measure_app(server_url: &str) -> Vec<(String, String)> {
    let browser = Browser::start().await;
    let outcome = AssertUnwindSafe(page_loads(&browser, server_url))
        .catch_unwind()
        .await;
    browser.close().await;
    let loads = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));

    let since_received: Vec<f64> = loads.iter().map(|l| l.painted - l.received).collect();
    let download_and_parse: Vec<f64> = loads.iter().map(|l| l.parsed - l.received).collect();
    let model_and_render: Vec<f64> = loads.iter().map(|l| l.painted - l.parsed).collect();
    let since_navigation: Vec<f64> = loads.iter().map(|l| l.painted).collect();
    let dom_rows = loads.iter().map(|l| l.rows).max().expect("page loads");
    vec![
        (
            format!("app: listing received → rows painted (median of {PAGE_LOADS})"),
            ms_f64(median_f64(&since_received)),
        ),
        (
            format!("app: of which body download + JSON parse (median of {PAGE_LOADS})"),
            ms_f64(median_f64(&download_and_parse)),
        ),
        (
            format!("app: of which sort + first render (median of {PAGE_LOADS})"),
            ms_f64(median_f64(&model_and_render)),
        ),
        (
            format!("app: navigation → rows painted (median of {PAGE_LOADS})"),
            ms_f64(median_f64(&since_navigation)),
        ),
        (
            format!("app: rows in the DOM for {} entries", thousands(ENTRIES)),
            dom_rows.to_string(),
        ),
    ]
}

/// One page load's marks, in milliseconds since navigation start.
#[derive(serde::Deserialize, Debug)]
struct PageLoad {
    /// `skiff:listing-received`: the listing's response headers arrived.
    received: f64,
    /// `skiff:listing-parsed`: the body was downloaded and parsed into entries.
    parsed: f64,
    /// `skiff:rows-painted`: the first frame with rows was painted.
    painted: f64,
    /// The listing's body fully downloaded (resource timing), if the browser reported it.
    body_done: Option<f64>,
    /// `[role=row][data-name]` elements in the DOM.
    rows: usize,
}

/// Reads the marks of the current page once `skiff:rows-painted` is set: the
/// `listing-received` that preceded it (the folder's own listing), the row count and the
/// resource timing of the listing (whose URL is `arguments[0]`).
const READ_MARKS: &str = r#"
    const painted = performance.getEntriesByName('skiff:rows-painted')[0].startTime;
    const received = performance.getEntriesByName('skiff:listing-received')
        .map(entry => entry.startTime)
        .filter(time => time <= painted);
    const listing = performance.getEntriesByName(arguments[0], 'resource')
        .filter(entry => entry.initiatorType === 'fetch' && entry.responseEnd <= painted)
        .pop();
    const parsed = performance.getEntriesByName('skiff:listing-parsed')
        .map(entry => entry.startTime)
        .filter(time => time <= painted);
    return {
        received: received.length ? Math.max(...received) : -1,
        parsed: parsed.length ? Math.max(...parsed) : -1,
        painted,
        body_done: listing ? listing.responseEnd : null,
        rows: document.querySelectorAll('[role=row][data-name]').length,
    };
"#;

async fn page_loads(browser: &Browser, server_url: &str) -> Vec<PageLoad> {
    let url = format!("{server_url}/");
    let mut loads = Vec::new();
    for load in 0..=PAGE_LOADS {
        // A fresh document each time: marks and resource timings start over.
        browser
            .client
            .goto("about:blank")
            .await
            .expect("open about:blank");
        browser
            .client
            .goto(&url)
            .await
            .unwrap_or_else(|error| panic!("open the app at {url}: {error}"));
        browser
            .wait_until(
                "the skiff:rows-painted mark",
                "performance.getEntriesByName('skiff:rows-painted').length > 0",
            )
            .await;
        let value = browser
            .client
            .execute(READ_MARKS, vec![serde_json::json!(url)])
            .await
            .expect("read the performance marks");
        let page: PageLoad = serde_json::from_value(value.clone())
            .unwrap_or_else(|error| panic!("unexpected marks {value}: {error}"));
        assert!(
            page.received >= 0.0 && page.parsed >= page.received,
            "no skiff:listing-received and skiff:listing-parsed marks before skiff:rows-painted: {page:?}"
        );
        assert!(page.rows > 0, "rows painted, but none in the DOM: {page:?}");
        assert!(
            page.rows < MAX_DOM_ROWS,
            "{} rows in the DOM for {} entries: the listing is not virtualised",
            page.rows,
            thousands(ENTRIES)
        );
        let body = page.body_done.map_or_else(
            || "body download not reported".to_owned(),
            |done| {
                format!(
                    "body downloaded {}, then parse and render {}",
                    ms_f64(done - page.received),
                    ms_f64(page.painted - done)
                )
            },
        );
        let label = if load == 0 {
            "warm-up".to_owned()
        } else {
            format!("{load}/{PAGE_LOADS}")
        };
        progress(&format!(
            "page load {label}: listing received at {}, rows painted at {} ({body}); {} rows in the DOM",
            ms_f64(page.received),
            ms_f64(page.painted),
            page.rows
        ));
        if load > 0 {
            loads.push(page);
        }
    }
    loads
}

fn progress(message: &str) {
    eprintln!("browse bench: {message}");
}

fn min(times: &[Duration]) -> Duration {
    times.iter().copied().min().expect("at least one run")
}

fn ms(time: Duration) -> String {
    ms_f64(time.as_secs_f64() * 1000.0)
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// `baseline / ours` as "N× faster", or "N× slower" when ours took longer.
fn ratio(baseline: Duration, ours: Duration) -> String {
    let (baseline, ours) = (baseline.as_secs_f64(), ours.as_secs_f64());
    if baseline >= ours {
        format!("{:.1}× faster", baseline / ours)
    } else {
        format!("{:.1}× slower", ours / baseline)
    }
}
