//! Folders of many files dropped on the app the way a hand drops them (a real folder from
//! "the desktop", through Chromium's own drag and drop), followed by the page's clock:
//! until all are queued, until all are done, and how idle the main thread stayed. Here the
//! 10,000 files of 10 B (issue 9: ≥ 1,000 files/s, main thread ≥ 80 % idle); the 1,000
//! files of 1 MiB are in `small_files.rs`.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::app::open_app;
use crate::browser::Browser;
use crate::profile::Profile;
use crate::support::{mib_label, thousands};
use crate::{execute, progress, Row, LONG_WAIT, POLL};

/// Files in the 10 B drop, and the size of each.
const TINY_COUNT: usize = 10_000;
const TINY_SIZE: usize = 10;

/// One folder drop, by the page's clock.
pub struct FolderDrop {
    /// From the drop event to the first animation frame whose heading reads `of COUNT`.
    pub queued_ms: f64,
    /// From the drop event to the first animation frame whose heading reads
    /// `COUNT of COUNT done`.
    pub done_ms: f64,
    /// Main-thread time in tasks over 50 ms until then.
    pub long_tasks_ms: f64,
    /// Main-thread idle time until then (the idle periods `requestIdleCallback` saw).
    pub idle_ms: f64,
    /// XMLHttpRequests until then.
    pub xhrs: u64,
    /// Fetches until then (listings, and uploads if sent with fetch).
    pub fetches: u64,
}

/// Starts the clock at the drop event (`arguments[0]` files expected) and follows the
/// panel's heading (`N of COUNT done`) in every animation frame; counts long tasks and idle periods meanwhile.
const WATCH_DROP: &str = r#"
    const [count] = arguments;
    const bench = window.__skiffDrop = { started: null, queued: null, done: null,
        heading: null, longTasks: 0, idle: 0 };
    const running = () => bench.started !== null && bench.done === null;
    window.addEventListener('drop', () => {
        if (bench.started === null) bench.started = performance.now();
    }, true);
    // Main-thread tasks over 50 ms: a lower bound on the page's own work while uploading.
    new PerformanceObserver(list => {
        for (const task of list.getEntries()) {
            if (running() && task.startTime >= bench.started) bench.longTasks += task.duration;
        }
    }).observe({ type: 'longtask' });
    // Idle periods the browser hands out: roughly the main thread's idle time.
    const idle = deadline => {
        if (running()) bench.idle += deadline.timeRemaining();
        if (bench.done === null) requestIdleCallback(idle);
    };
    requestIdleCallback(idle);
    // Every request from now on is kept (the default buffer holds 250).
    performance.clearResourceTimings();
    performance.setResourceTimingBufferSize(1000000);
    const frame = () => {
        const h2 = document.querySelector('section[aria-label=Uploads] h2');
        const text = h2 ? h2.textContent : '';
        const now = performance.now();
        bench.heading = text || null;
        // `Uploads: 12 of 10000 done · 0%`, digit grouping allowed.
        const match = text.match(/(\d[\d,.\u00a0\u202f]*) of (\d[\d,.\u00a0\u202f]*) done/);
        const [done, total] = match
            ? [match[1], match[2]].map(n => Number(n.replace(/\D/g, ''))) : [-1, -1];
        if (bench.started !== null && bench.queued === null && total === count) {
            bench.queued = now - bench.started;
        }
        if (bench.started !== null && done === count && total === count) {
            bench.done = now - bench.started;
        } else {
            requestAnimationFrame(frame);
        }
    };
    requestAnimationFrame(frame);
"#;

/// The requests made between the drop and the last Done: the app's XMLHttpRequests and its
/// fetches (listings, and uploads if it sends them with fetch), with their summed durations
/// and body sizes.
const READ_DROP_REQUESTS: &str = r#"
    const bench = window.__skiffDrop;
    const entries = performance.getEntriesByType('resource').filter(entry =>
        entry.startTime >= bench.started && entry.responseEnd <= bench.started + bench.done);
    // The app's upload worker's requests: measures named by their URL.
    const measures = performance.getEntriesByType('measure').filter(entry =>
        entry.startTime >= bench.started
            && entry.startTime + entry.duration <= bench.started + bench.done);
    const summary = kind => {
        const list = kind === 'xmlhttprequest'
            ? [...entries.filter(entry => entry.initiatorType === kind), ...measures]
            : entries.filter(entry => entry.initiatorType === kind);
        return {
            count: list.length,
            ms: list.reduce((sum, entry) => sum + entry.duration, 0),
            bytes: list.reduce((sum, entry) => sum + (entry.encodedBodySize || 0), 0),
        };
    };
    return { xhr: summary('xmlhttprequest'), fetch: summary('fetch') };
"#;

/// Opens the app on `/into/` and drops the real folder `source` (holding `count` files) on
/// its listing; waits until the panel reads all `count` done.
pub async fn drop_folder(
    browser: &Browser,
    server: &str,
    into: &str,
    source: &Path,
    count: usize,
) -> FolderDrop {
    open_app(browser, server, into).await;
    execute(browser, "watch the drop", WATCH_DROP, vec![json!(count)]).await;
    progress(&format!(
        "dropping the folder {} ({} files) on /{into}/",
        source.display(),
        thousands(count)
    ));
    let profile = Profile::start(browser, into).await;
    let started = Instant::now();
    browser.drop_paths("[role=grid]", &[source]).await;
    let mut last_report = Instant::now();
    let mut queued_seen = false;
    let state = loop {
        let state = execute(
            browser,
            "read the drop",
            "return window.__skiffDrop;",
            vec![],
        )
        .await;
        if let (false, Some(queued)) = (queued_seen, state["queued"].as_f64()) {
            progress(&format!("all queued after {queued:.0} ms"));
            queued_seen = true;
        }
        if state["done"].is_number() {
            break state;
        }
        assert!(
            started.elapsed() < LONG_WAIT,
            "timed out after {LONG_WAIT:?} waiting for {count} uploads; last state {state}"
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
    let number = |key: &str| state[key].as_f64().unwrap_or(0.0);
    let dropped = FolderDrop {
        queued_ms: number("queued"),
        done_ms: number("done"),
        long_tasks_ms: number("longTasks"),
        idle_ms: number("idle"),
        xhrs: 0,
        fetches: 0,
    };
    progress(&format!(
        "all {} done after {:.1} s; main thread: {:.1} s idle, {:.1} s in tasks over 50 ms",
        thousands(count),
        dropped.done_ms / 1000.0,
        dropped.idle_ms / 1000.0,
        dropped.long_tasks_ms / 1000.0
    ));
    let requests = execute(browser, "read the requests", READ_DROP_REQUESTS, vec![]).await;
    let (xhr, fetch) = (&requests["xhr"], &requests["fetch"]);
    progress(&format!(
        "requests meanwhile: {} XMLHttpRequests ({:.1} s summed), {} fetches ({:.1} s \
         summed, {} of response bodies)",
        xhr["count"],
        xhr["ms"].as_f64().unwrap_or(0.0) / 1000.0,
        fetch["count"],
        fetch["ms"].as_f64().unwrap_or(0.0) / 1000.0,
        mib_label(fetch["bytes"].as_f64().unwrap_or(0.0))
    ));
    FolderDrop {
        xhrs: xhr["count"].as_u64().unwrap_or(0),
        fetches: fetch["count"].as_u64().unwrap_or(0),
        ..dropped
    }
}

/// The contents of tiny file number `i` (`0000000042\n`-like, `TINY_SIZE` bytes).
fn tiny_contents(i: usize) -> String {
    format!("{i:0>width$}\n", width = TINY_SIZE - 1)
}

/// 10,000 files of 10 B in one folder, dropped on the app; every file checked on disk.
pub async fn measure(browser: &Browser, server: &str, tree: &Path, sources: &Path) -> Vec<Row> {
    let source = sources.join("tiny");
    std::fs::create_dir(&source).expect("a folder of tiny files");
    for i in 1..=TINY_COUNT {
        std::fs::write(source.join(format!("tiny-{i:05}.txt")), tiny_contents(i))
            .expect("write a tiny file");
    }
    std::fs::create_dir(tree.join("tiny-drop")).expect("a folder to drop into");
    let dropped = drop_folder(browser, server, "tiny-drop", &source, TINY_COUNT).await;
    let landed = tree.join("tiny-drop/tiny");
    let mut right = 0;
    for i in 1..=TINY_COUNT {
        let path = landed.join(format!("tiny-{i:05}.txt"));
        match std::fs::read(&path) {
            Ok(bytes) if bytes == tiny_contents(i).as_bytes() => right += 1,
            Ok(bytes) => progress(&format!("{} holds {bytes:?}", path.display())),
            Err(error) => progress(&format!("{}: {error}", path.display())),
        }
    }
    let entries = std::fs::read_dir(&landed)
        .expect("list the dropped files")
        .count();
    assert_eq!(
        (right, entries),
        (TINY_COUNT, TINY_COUNT),
        "files with the right bytes, and entries, in {}",
        landed.display()
    );
    progress(&format!(
        "{} files with the right bytes on disk",
        thousands(right)
    ));
    std::fs::remove_dir_all(tree.join("tiny-drop")).expect("remove the dropped files");
    std::fs::remove_dir_all(&source).expect("remove the tiny files");

    let what = format!(
        "{} files of {TINY_SIZE} B dropped as a folder",
        thousands(TINY_COUNT)
    );
    let seconds = dropped.done_ms / 1000.0;
    vec![
        (
            format!("{what}: drop → all done (goal ≥ 1,000 files/s)"),
            format!(
                "{:.0} files/s ({seconds:.1} s; all queued after {:.0} ms)",
                TINY_COUNT as f64 / seconds,
                dropped.queued_ms
            ),
        ),
        (
            format!("{what}: page main thread idle meanwhile (goal ≥ 80 %)"),
            format!(
                "{:.0} % ({:.0} % in tasks over 50 ms)",
                dropped.idle_ms * 100.0 / dropped.done_ms,
                dropped.long_tasks_ms * 100.0 / dropped.done_ms
            ),
        ),
        (
            format!("{what}: requests meanwhile, XMLHttpRequest / fetch (listings and more)"),
            format!(
                "{} / {}",
                thousands(dropped.xhrs as usize),
                thousands(dropped.fetches as usize)
            ),
        ),
    ]
}
