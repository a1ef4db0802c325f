//! First rows on a throttled link (issue 12's goals), Chromium's network shaped by the
//! DevTools protocol (`Network.emulateNetworkConditions`: the latency is added to every
//! request until its headers arrive, the throughputs cap each direction), HTTP cache off:
//!
//! - first load → first rows painted at 20 Mbit/s, 40 ms: the Skiff app (shell, js, wasm,
//!   css, discovery, listing) vs dufs's own page on the same folder, side by side;
//! - the app already loaded, a double-click into a 100,000-entry folder → its first rows
//!   painted, at 100 Mbit/s, 20 ms.
//!
//! Both pages are timed the same way: a script added to every new document
//! (`Page.addScriptToEvaluateOnNewDocument`) watches for the first listing row and marks
//! `bench:rows-painted` after the next frame, by the page's clock from navigation start.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::browser::{Browser, Process, Server};
use crate::support::{median_f64, ms_f64, thousands};
use crate::{fill_folder, progress};

/// Timed loads per page (after one warm-up each).
const RUNS: usize = 5;
/// Files in the folder first loaded (a typical one; the big one is measured on its own).
const SMALL_FOLDER: usize = 40;
/// Entries in the big folder.
const BIG_FOLDER: usize = 100_000;

/// A link: throughput each way in bits per second, and latency.
struct Link {
    label: &'static str,
    bits_per_second: f64,
    latency_ms: f64,
}

const FIRST_LOAD_LINK: Link = Link {
    label: "20 Mbit/s, 40 ms RTT",
    bits_per_second: 20e6,
    latency_ms: 40.0,
};
const BIG_FOLDER_LINK: Link = Link {
    label: "100 Mbit/s, 20 ms RTT",
    bits_per_second: 100e6,
    latency_ms: 20.0,
};

/// Marks `bench:rows-painted` once a listing row exists (the app's rows, or the first
/// screen skiff-server puts into its page before the app has loaded; dufs's table
/// rows), after the frame that shows it; and `bench:app-rows-painted` once the app's
/// own rows are there (the app running, the first screen gone).
const WATCH_ROWS: &str = r#"
    (() => {
        const rows = '[role=row][data-name], #skiff-first-screen tr[data-name], .paths-table tbody tr[id^=addPath]';
        const mark = name => requestAnimationFrame(() => setTimeout(() => performance.mark(name), 0));
        const check = () => {
            if (!window.benchRowsSeen && document.querySelector(rows)) {
                window.benchRowsSeen = true;
                mark('bench:rows-painted');
            }
            if (!window.benchAppRowsSeen && document.querySelector('[role=row][data-name]')) {
                window.benchAppRowsSeen = true;
                mark('bench:app-rows-painted');
                observer.disconnect();
            }
        };
        const observer = new MutationObserver(check);
        observer.observe(document, { subtree: true, childList: true });
    })();
"#;

/// Measures both goals; returns their rows.
pub async fn measure() -> Vec<(String, String)> {
    let tree = tempfile::Builder::new()
        .prefix("skiff-bench-throttled-")
        .tempdir()
        .expect("a temp folder for the throttled benchmark");
    let docs = tree.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir docs");
    for i in 1..=SMALL_FOLDER {
        std::fs::write(docs.join(format!("note-{i:02}.txt")), format!("note {i}\n"))
            .expect("write a note");
    }
    let many = tree.path().join("many");
    std::fs::create_dir(&many).expect("mkdir many");
    fill_folder(&many, BIG_FOLDER);

    let server = Server::start(tree.path(), &[]);
    let (dufs, dufs_url, dufs_label) = start_dufs(tree.path());
    progress(&format!(
        "throttled: skiff-server at {}, {dufs_label} at {dufs_url}",
        server.url
    ));
    let browser = Browser::start().await;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": WATCH_ROWS }),
        )
        .await;
    browser.cdp("Network.enable", json!({})).await;
    browser
        .cdp("Network.setCacheDisabled", json!({ "cacheDisabled": true }))
        .await;

    throttle(&browser, &FIRST_LOAD_LINK).await;
    let (mut app, mut peer, mut running) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..=RUNS {
        let a = first_rows(&browser, &format!("{}/docs/", server.url)).await;
        let marked = "performance.getEntriesByName('bench:app-rows-painted').length > 0";
        browser
            .wait_until_within("the app's own rows", marked, WAIT)
            .await;
        let a_running = read_number(
            &browser,
            "return performance.getEntriesByName('bench:app-rows-painted')[0].startTime",
        )
        .await;
        let b = first_rows(&browser, &format!("{dufs_url}/docs/")).await;
        let label = if run == 0 {
            "warm-up".to_owned()
        } else {
            format!("{run}/{RUNS}")
        };
        progress(&format!(
            "first load, {}, {label}: Skiff {} (the app's own rows {}), dufs {}",
            FIRST_LOAD_LINK.label,
            ms_f64(a),
            ms_f64(a_running),
            ms_f64(b)
        ));
        if run > 0 {
            app.push(a);
            running.push(a_running);
            peer.push(b);
        }
    }
    drop(dufs);

    throttle(&browser, &BIG_FOLDER_LINK).await;
    let mut big = Vec::new();
    for run in 0..=RUNS {
        let opening = into_big_folder(&browser, &server.url).await;
        progress(&format!(
            "into {} entries, {}, run {run}/{RUNS}: first rows painted at {} (headers at {}; \
             whole body read at {}, the whole folder painted at {})",
            thousands(BIG_FOLDER),
            BIG_FOLDER_LINK.label,
            ms_f64(opening.first),
            ms_f64(opening.received),
            ms_f64(opening.parsed),
            ms_f64(opening.painted)
        ));
        if run > 0 {
            big.push(opening);
        }
    }
    browser.close().await;
    drop(server);

    let median_of =
        |part: fn(&Opening) -> f64| median_f64(&big.iter().map(part).collect::<Vec<_>>());
    let headers = median_of(|o| o.received);
    let parsed = median_of(|o| o.parsed);
    let whole = median_of(|o| o.painted);
    let big = median_of(|o| o.first);
    let (app, peer, running) = (median_f64(&app), median_f64(&peer), median_f64(&running));
    let link = FIRST_LOAD_LINK.label;
    vec![
        (
            format!(
                "first load → first rows painted, {link}, cold cache: Skiff (skiff-server's first screen, then the app; median of {RUNS}; goal ≤ 1.0 s and ≤ dufs)"
            ),
            ms_f64(app),
        ),
        (
            format!(
                "first load → the app's own rows painted (running, the first screen gone), {link}, cold cache (median of {RUNS})"
            ),
            ms_f64(running),
        ),
        (
            format!(
                "first load → first rows painted, {link}, cold cache: {dufs_label}'s page, same folder (median of {RUNS})"
            ),
            ms_f64(peer),
        ),
        (
            "first load, Skiff app vs dufs's page".to_owned(),
            if app <= peer {
                format!("{:.2}× faster", peer / app)
            } else {
                format!("{:.2}× slower", app / peer)
            },
        ),
        (
            format!(
                "app loaded → {}-entry folder's first rows painted, {}, cold cache (median of {RUNS}; goal ≤ 0.6 s)",
                thousands(BIG_FOLDER),
                BIG_FOLDER_LINK.label
            ),
            ms_f64(big),
        ),
        (
            format!(
                "the same: double-click → listing headers / whole body read / whole folder painted (medians of {RUNS})"
            ),
            format!("{} / {} / {}", ms_f64(headers), ms_f64(parsed), ms_f64(whole)),
        ),
    ]
}

/// Shapes the page's network to `link` (the same both ways).
async fn throttle(browser: &Browser, link: &Link) {
    let bytes_per_second = link.bits_per_second / 8.0;
    browser
        .cdp(
            "Network.emulateNetworkConditions",
            json!({
                "offline": false,
                "latency": link.latency_ms,
                "downloadThroughput": bytes_per_second,
                "uploadThroughput": bytes_per_second,
            }),
        )
        .await;
}

/// Opens `url` in a fresh document; milliseconds from navigation start to its first rows.
async fn first_rows(browser: &Browser, url: &str) -> f64 {
    browser.open("about:blank").await;
    browser.open(url).await;
    let marked = "performance.getEntriesByName('bench:rows-painted').length > 0";
    browser
        .wait_until_within(&format!("rows painted at {url}"), marked, WAIT)
        .await;
    read_number(
        browser,
        "return performance.getEntriesByName('bench:rows-painted')[0].startTime",
    )
    .await
}

/// Upper bound for one throttled page load or folder opening.
const WAIT: Duration = Duration::from_secs(60);

/// Opening the big folder, in milliseconds from the double-click.
#[derive(serde::Deserialize)]
struct Opening {
    /// The listing's response headers arrived (`skiff:listing-received`).
    received: f64,
    /// Its first rows were painted, while the rest still came
    /// (`skiff:first-rows-painted`), or with the whole folder if it came at once.
    first: f64,
    /// Its whole body was read and parsed (`skiff:listing-parsed`).
    parsed: f64,
    /// The whole folder was painted (`skiff:rows-painted`).
    painted: f64,
}

/// Reads the app's marks for the listing opened after `window.benchClickedAt`: the last
/// `received` and `parsed` before the first `painted`, the first rows before it.
const READ_OPENING: &str = r#"
    const since = window.benchClickedAt;
    const after = name => performance.getEntriesByName(name)
        .map(mark => mark.startTime).filter(time => time > since);
    const painted = after('skiff:rows-painted')[0];
    const last = name => Math.max(...after(name).filter(time => time <= painted));
    const first = Math.min(painted, ...after('skiff:first-rows-painted'));
    return {
        received: last('skiff:listing-received') - since,
        first: first - since,
        parsed: last('skiff:listing-parsed') - since,
        painted: painted - since,
    };
"#;

/// Opens the app at the root, then double-clicks the big folder; when its listing's
/// headers arrived, it was parsed, its rows were painted.
async fn into_big_folder(browser: &Browser, server_url: &str) -> Opening {
    first_rows(browser, &format!("{server_url}/")).await;
    // The first rows may be the server's first screen: the app's own come after.
    browser
        .wait_until_within(
            "the app's row of the big folder",
            "document.querySelector('[role=row][data-name=\"many\"]')",
            WAIT,
        )
        .await;
    read_number(
        browser,
        "const row = document.querySelector('[role=row][data-name=\"many\"]');
         const at = performance.now();
         row.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
         window.benchClickedAt = at;
         return at;",
    )
    .await;
    let painted = "performance.getEntriesByName('skiff:rows-painted')
            .some(mark => mark.startTime > window.benchClickedAt)
        && document.querySelector('[role=row][data-name=\"file-000001.txt\"]')";
    browser
        .wait_until_within("the big folder's rows", painted, WAIT)
        .await;
    let value = browser
        .client
        .execute(READ_OPENING, vec![])
        .await
        .expect("read the app's marks");
    serde_json::from_value(value.clone())
        .unwrap_or_else(|error| panic!("unexpected marks {value}: {error}"))
}

async fn read_number(browser: &Browser, script: &str) -> f64 {
    let value = browser
        .client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|error| panic!("run {script}: {error}"));
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{script} gave {value}, not a number"))
}

/// dufs (`SKIFF_BENCH_DUFS`, which `cargo xtask bench` installs) serving `folder`
/// read-only: the process, its URL and its version.
fn start_dufs(folder: &Path) -> (Process, String, String) {
    let binary = std::env::var_os("SKIFF_BENCH_DUFS").expect(
        "SKIFF_BENCH_DUFS is unset: run the browse benchmark through `cargo xtask bench`, \
         which installs dufs",
    );
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .expect("dufs --version");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port");
    let child = Command::new(&binary)
        .arg(folder)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dufs");
    let process = Process(child);
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "dufs did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (process, format!("http://127.0.0.1:{port}"), version)
}
