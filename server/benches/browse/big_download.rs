//! Page memory during a 4 GiB download with a token (issue 12's goal: ≤ 50 MiB growth):
//! the app, signed in, downloads a sparse 4 GiB file by its toolbar's Download, which asks
//! the server for a signed URL and hands it to Chromium's download manager. Meanwhile the
//! page's JS heap (`usedJSHeapSize`, precise: see `chromium.rs`) and its renderer's
//! resident memory (`/proc`) are sampled every 250 ms; the landed file's size and bytes
//! (all zeros, as the sparse source reads) are checked.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::browser::renderers::{renderer_pids, status_field};
use crate::browser::{Browser, Server};
use crate::progress;
use crate::support::{mib_label, mib_number, time_and_rate, GIB, MIB};

/// The file downloaded.
const SIZE: u64 = 4 * GIB;
const TOKEN: &str = "bench-download-token";
/// Upper bound for the download.
const PATIENCE: Duration = Duration::from_secs(600);

/// Downloads the file while watching memory; returns the rows.
pub async fn measure() -> Vec<(String, String)> {
    let tree = tempfile::Builder::new()
        .prefix("skiff-bench-download-")
        .tempdir()
        .expect("a temp folder for the download benchmark");
    std::fs::File::create(tree.path().join("huge.bin"))
        .and_then(|file| file.set_len(SIZE))
        .expect("a sparse 4 GiB file");
    let downloads = tempfile::Builder::new()
        .prefix("skiff-bench-downloads-")
        .tempdir()
        .expect("a download folder");
    let token = format!("bench:{TOKEN}:ro");
    let server = Server::start(tree.path(), &["--token", &token]);
    let browser = Browser::start().await;
    browser.allow_downloads(downloads.path()).await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .element("[data-screen=sign-in] input[name=token]")
        .await
        .send_keys(TOKEN)
        .await
        .expect("type the token");
    browser
        .element("form:has(input[name=token]) button[type=submit]")
        .await
        .click()
        .await
        .expect("click Sign in");
    browser.wait_for_rows(&["huge.bin"]).await;
    browser.click_row("huge.bin", None).await;
    browser.element("[role=toolbar] button").await;
    // Let the page settle, then read idle after a GC.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let heap_before = heap(&browser, true).await;
    let mut rss = Rss::default();
    rss.sample();

    let started = Instant::now();
    browser
        .client
        .execute(
            "[...document.querySelectorAll('[role=toolbar] button')]
                .find(b => b.textContent === 'Download').click()",
            vec![],
        )
        .await
        .expect("click Download");
    let (landed, partial) = (
        downloads.path().join("huge.bin"),
        downloads.path().join("huge.bin.crdownload"),
    );
    let mut heap_peak = heap_before;
    loop {
        heap_peak = heap_peak.max(heap(&browser, false).await);
        rss.sample();
        let size = std::fs::metadata(&landed).map(|m| m.len()).ok();
        if size == Some(SIZE) && !partial.exists() {
            break;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "huge.bin did not land within {PATIENCE:?} ({size:?} bytes)"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let elapsed = started.elapsed();
    let fetched = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource')
                .filter(e => e.initiatorType === 'fetch' && new URL(e.name).pathname === '/huge.bin')
                .length",
            vec![],
        )
        .await
        .expect("resource timing");
    assert_eq!(fetched, serde_json::json!(0), "the page fetched the bytes");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let heap_after = heap(&browser, true).await;
    rss.sample();
    browser.close().await;
    drop(server);
    progress(&format!(
        "download: 4 GiB landed in {}; checking its bytes",
        time_and_rate(SIZE, elapsed)
    ));
    all_zeros(&landed);

    let peak_growth = (heap_peak - heap_before).max(0.0);
    let mut rows = vec![
        (
            "download 4 GiB with a token: app → signed URL → Chromium's download manager (one run, size and bytes checked)".to_owned(),
            time_and_rate(SIZE, elapsed),
        ),
        (
            "JS heap growth during a 4 GiB download with a token (goal ≤ 50 MiB)".to_owned(),
            format!(
                "+{} (idle {} → peak {} MiB, {} MiB 2 s after; usedJSHeapSize every 250 ms)",
                mib_label(peak_growth),
                mib_number(heap_before),
                mib_number(heap_peak),
                mib_number(heap_after)
            ),
        ),
    ];
    if let Some((before, peak, after)) = rss.the_page() {
        rows.push((
            "renderer RSS growth during a 4 GiB download with a token (goal ≤ 50 MiB)".to_owned(),
            format!(
                "+{} (idle {} → peak {} → {} MiB 2 s after)",
                mib_label(peak - before),
                mib_number(before),
                mib_number(peak),
                mib_number(after)
            ),
        ));
    }
    rows
}

/// `usedJSHeapSize` in bytes, after a garbage collection if `gc` (`--expose-gc`).
async fn heap(browser: &Browser, gc: bool) -> f64 {
    let script = if gc {
        "if (window.gc) { gc(); } return performance.memory.usedJSHeapSize;"
    } else {
        "return performance.memory.usedJSHeapSize;"
    };
    browser
        .client
        .execute(script, vec![])
        .await
        .expect("read the JS heap")
        .as_f64()
        .expect("a number")
}

/// Resident memory of each renderer: at its first sample, the largest since, the latest.
#[derive(Default)]
struct Rss(Vec<(u32, f64, f64, f64)>);

impl Rss {
    fn sample(&mut self) {
        for pid in renderer_pids() {
            let Some(rss) = status_field(pid, "VmRSS:") else {
                continue;
            };
            match self.0.iter_mut().find(|(known, ..)| *known == pid) {
                Some((_, _, peak, last)) => {
                    *peak = peak.max(rss);
                    *last = rss;
                }
                None => self.0.push((pid, rss, rss, rss)),
            }
        }
    }

    /// The renderer that grew most (the page's): before, peak, latest.
    fn the_page(&self) -> Option<(f64, f64, f64)> {
        self.0
            .iter()
            .max_by(|a, b| (a.2 - a.1).total_cmp(&(b.2 - b.1)))
            .map(|(_, before, peak, last)| (*before, *peak, *last))
    }
}

/// Panics unless `path` holds only zero bytes (what the sparse source reads as).
fn all_zeros(path: &Path) {
    let mut file = std::fs::File::open(path).expect("open the downloaded file");
    let mut buffer = vec![0u8; 8 * MIB as usize];
    let mut offset = 0u64;
    loop {
        let read = file.read(&mut buffer).expect("read the downloaded file");
        if read == 0 {
            return;
        }
        if let Some(at) = buffer[..read].iter().position(|byte| *byte != 0) {
            panic!("byte {} of the download is not zero", offset + at as u64);
        }
        offset += read as u64;
    }
}
