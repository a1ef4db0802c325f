//! Driving the Skiff app as a person would: open it on a folder, pick a file in its file
//! input, and follow the queue row until it reads `Done` (by the page's own clock), with
//! the page's memory watched on request.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::browser::Browser;
use crate::memory::{Memory, Renderers};
use crate::profile::Profile;
use crate::support::{mib_label, seconds};
use crate::{execute, progress, LONG_WAIT, POLL, SCRIPT_TIMEOUT};

/// One upload by the app.
pub struct AppUpload {
    /// From the file input's `change` event to the row's `data-status` turning `Done`,
    /// both by the page's own clock.
    pub elapsed: Duration,
    /// Memory readings, when asked for.
    pub memory: Option<Memory>,
}

/// Opens the app on `folder` (a fresh document) and waits until it takes uploads.
pub async fn open_app(browser: &Browser, server: &str, folder: &str) {
    browser.open("about:blank").await;
    browser.open(&format!("{server}/{folder}/")).await;
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

/// The XMLHttpRequests and fetches made between the pick and Done (the app's upload
/// requests, also those of its upload worker; listings are fetched too): how many, and their summed time from request start
/// to response end (over the upload's time when several are in flight at once).
const READ_REQUESTS: &str = r#"
    const bench = window.__skiffBench;
    // The app's upload worker's requests are measures named by their URL.
    const requests = [...performance.getEntriesByType('resource').filter(entry =>
        entry.initiatorType === 'xmlhttprequest' || entry.initiatorType === 'fetch'),
        ...performance.getEntriesByType('measure')].filter(entry =>
            entry.startTime >= bench.picked && entry.startTime + entry.duration <= bench.done);
    return {
        count: requests.length,
        total: requests.reduce((sum, entry) => sum + entry.duration, 0),
    };
"#;

/// Reads the last picked file (kept by [`WATCH_UPLOAD`]) in slices of `arguments[0]` bytes
/// without uploading: once reading only, once also hashing each slice with WebCrypto's
/// SHA-256, for comparison with the app's time.
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

/// Runs [`READ_SLICES`] on the file the app just uploaded, in `chunk`-byte slices:
/// `(reading, reading and hashing)`.
pub async fn read_slices(browser: &Browser, chunk: u64) -> Option<(Duration, Duration)> {
    let value = tokio::time::timeout(
        SCRIPT_TIMEOUT,
        browser
            .client
            .execute_async(READ_SLICES, vec![json!(chunk)]),
    )
    .await
    .unwrap_or_else(|_| panic!("reading the file in the page took over {SCRIPT_TIMEOUT:?}"))
    .expect("read the file in the page");
    if let Some(error) = value["error"].as_str() {
        progress(&format!("could not read the file in the page: {error}"));
        return None;
    }
    let millis = |key: &str| Duration::from_secs_f64(value[key].as_f64().unwrap_or(0.0) / 1000.0);
    Some((millis("read"), millis("hashed")))
}

/// Uploads `file` with the app into `folder` (picked in its file input) and waits until it
/// is `Done`. With `watch_memory`, also reads the page's JS heap and the renderers'
/// resident memory before, during and 2 s after.
pub async fn upload(
    browser: &Browser,
    server: &str,
    folder: &str,
    file: &Path,
    watch_memory: bool,
) -> AppUpload {
    let name = file
        .file_name()
        .and_then(|name| name.to_str())
        .expect("a UTF-8 file name")
        .to_owned();
    open_app(browser, server, folder).await;
    let mut renderers = Renderers::default();
    let mut heap_before = 0.0;
    if watch_memory {
        // Let the page settle, then take the idle baseline.
        tokio::time::sleep(Duration::from_secs(1)).await;
        heap_before = heap_after_gc(browser).await;
        renderers.sample();
        renderers.reset_peaks();
    }
    let watch = vec![json!(name), json!(watch_memory)];
    execute(browser, "watch the upload", WATCH_UPLOAD, watch).await;
    let profile = Profile::start(browser, folder).await;
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
            panic!("the app's upload of {name} failed: {failed}");
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
    profile.finish(browser).await;
    let (picked, done) = (
        state["picked"]
            .as_f64()
            .expect("the file input fired its change event"),
        state["done"].as_f64().expect("the Done time"),
    );
    let elapsed = Duration::from_secs_f64((done - picked) / 1000.0);
    let requests = execute(browser, "read the resource timings", READ_REQUESTS, vec![]).await;
    progress(&format!(
        "app: {name} in {} (change event → Done); {} requests, {} summed inside them",
        seconds(elapsed),
        requests["count"],
        seconds(Duration::from_secs_f64(
            requests["total"].as_f64().unwrap_or(0.0) / 1000.0
        ))
    ));
    let memory = if watch_memory {
        let heap_after_no_gc = state["heap"].as_f64().unwrap_or(0.0);
        renderers.sample();
        let first_gc = heap_after_gc(browser).await;
        // Freed array buffers leave the count a little after the collection.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let heap_after = heap_after_gc(browser).await;
        renderers.sample();
        progress(&format!(
            "JS heap after Done: {} without a GC, {} right after one, {} 2 s and another GC later",
            mib_label(heap_after_no_gc),
            mib_label(first_gc),
            mib_label(heap_after)
        ));
        Some(Memory {
            heap_before,
            heap_peak: heap_peak.max(heap_after_no_gc),
            heap_after,
            renderer: renderers.the_page(),
        })
    } else {
        None
    };
    AppUpload { elapsed, memory }
}
