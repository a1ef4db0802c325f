//! 10,000 generated files dropped on the app: how long until all are queued, and until
//! all are uploaded (and whether the page stayed responsive meanwhile).

use super::*;

/// Result of the 10,000-file drop, by the page's clock.
pub(crate) struct Dropped {
    /// From just before the drop to the first animation frame whose heading reads
    /// `of 10000`.
    pub(crate) queued_ms: f64,
    /// From just before the drop to the first animation frame whose heading reads
    /// `10000 of 10000 done`.
    pub(crate) done_ms: f64,
    /// Main-thread time in tasks over 50 ms until then.
    pub(crate) long_tasks_ms: f64,
    /// Main-thread idle time until then (the idle periods `requestIdleCallback` saw).
    pub(crate) idle_ms: f64,
    /// Listing fetches until then: how many, and their bodies' total size.
    pub(crate) fetches: u64,
    pub(crate) fetched_bytes: f64,
}

/// Builds `arguments[0]` files of `arguments[1]` bytes, drops them on the listing, and
/// follows the panel's heading in every animation frame.
const DROP_MANY: &str = r#"
    const [count, size] = arguments;
    const transfer = new DataTransfer();
    for (let i = 1; i <= count; i++) {
        const name = 'small-' + String(i).padStart(5, '0') + '.txt';
        transfer.items.add(new File([String(i).padStart(size - 1, '0') + '\n'], name));
    }
    const bench = window.__skiffDrop =
        { started: 0, queued: null, done: null, heading: null, longTasks: 0, idle: 0 };
    // Main-thread tasks over 50 ms: a lower bound on the page's own work while uploading.
    const longTasks = new PerformanceObserver(list => {
        for (const task of list.getEntries()) {
            if (bench.done === null) bench.longTasks += task.duration;
        }
    });
    longTasks.observe({ type: 'longtask' });
    // Idle periods the browser hands out: roughly the main thread's idle time.
    const idle = deadline => {
        if (bench.done === null) {
            bench.idle += deadline.timeRemaining();
            requestIdleCallback(idle);
        }
    };
    requestIdleCallback(idle);
    // Every request from now on is kept (the default buffer holds 250).
    performance.clearResourceTimings();
    performance.setResourceTimingBufferSize(1000000);
    const heading = () => {
        const h2 = document.querySelector('section[aria-label=Uploads] h2');
        return h2 ? h2.textContent : '';
    };
    const frame = () => {
        const text = heading();
        const now = performance.now();
        bench.heading = text;
        if (bench.queued === null && text.includes(` of ${count} done`)) {
            bench.queued = now - bench.started;
        }
        if (text.startsWith(`Uploads: ${count} of ${count} done`)) {
            bench.done = now - bench.started;
        } else {
            requestAnimationFrame(frame);
        }
    };
    const grid = document.querySelector('[role=grid]');
    bench.started = performance.now();
    for (const type of ['dragenter', 'dragover', 'drop']) {
        grid.dispatchEvent(new DragEvent(type,
            { bubbles: true, cancelable: true, dataTransfer: transfer }));
    }
    requestAnimationFrame(frame);
"#;

pub(crate) async fn drop_many(browser: &Browser, server: &str, tree: &Path) -> Dropped {
    let folder = tree.join("many");
    std::fs::create_dir(&folder).expect("a folder for the dropped files");
    open_app(browser, server, "many").await;
    progress(&format!(
        "dropping {} generated files on /many/",
        thousands(DROPPED)
    ));
    let started = Instant::now();
    execute(
        browser,
        "drop the files",
        DROP_MANY,
        vec![json!(DROPPED), json!(DROPPED_SIZE)],
    )
    .await;
    let mut last_report = Instant::now();
    let mut queued_seen = false;
    let state = loop {
        let state = execute(
            browser,
            "read the drop's progress",
            "return window.__skiffDrop;",
            vec![],
        )
        .await;
        if !queued_seen {
            if let Some(queued) = state["queued"].as_f64() {
                progress(&format!("all queued after {queued:.0} ms"));
                queued_seen = true;
            }
        }
        if state["done"].is_number() {
            break state;
        }
        assert!(
            started.elapsed() < LONG_WAIT,
            "timed out after {LONG_WAIT:?} waiting for {DROPPED} uploads; last state {state}"
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
    let queued_ms = state["queued"].as_f64().expect("the queued time");
    let done_ms = state["done"].as_f64().expect("the done time");
    let long_tasks_ms = state["longTasks"].as_f64().unwrap_or(0.0);
    let idle_ms = state["idle"].as_f64().unwrap_or(0.0);
    progress(&format!(
        "all {} done after {:.1} s; main thread: {:.1} s idle, {:.1} s in tasks over 50 ms",
        thousands(DROPPED),
        done_ms / 1000.0,
        idle_ms / 1000.0,
        long_tasks_ms / 1000.0
    ));
    let requests = execute(
        browser,
        "read the resource timings",
        READ_DROP_REQUESTS,
        vec![],
    )
    .await;
    let (xhr, fetch) = (&requests["xhr"], &requests["fetch"]);
    progress(&format!(
        "requests meanwhile: {} upload requests ({:.1} s summed), {} listing fetches \
         ({:.1} s summed, {} of bodies)",
        xhr["count"],
        xhr["ms"].as_f64().unwrap_or(0.0) / 1000.0,
        fetch["count"],
        fetch["ms"].as_f64().unwrap_or(0.0) / 1000.0,
        mib(fetch["bytes"].as_f64().unwrap_or(0.0))
    ));
    let on_disk = count_dropped(&folder);
    assert_eq!(
        on_disk,
        DROPPED,
        "files with the right bytes in {}",
        folder.display()
    );
    progress(&format!(
        "{} files with the right bytes on disk",
        thousands(on_disk)
    ));
    std::fs::remove_dir_all(&folder).expect("remove the dropped files");
    Dropped {
        queued_ms,
        done_ms,
        long_tasks_ms,
        idle_ms,
        fetches: fetch["count"].as_u64().unwrap_or(0),
        fetched_bytes: fetch["bytes"].as_f64().unwrap_or(0.0),
    }
}

/// The requests made between the drop and the last Done: the app's upload requests
/// (XMLHttpRequest) and its listing fetches, with their summed durations and body sizes.
const READ_DROP_REQUESTS: &str = r#"
    const bench = window.__skiffDrop;
    const entries = performance.getEntriesByType('resource').filter(entry =>
        entry.startTime >= bench.started && entry.responseEnd <= bench.started + bench.done);
    const summary = kind => {
        const list = entries.filter(entry => entry.initiatorType === kind);
        return {
            count: list.length,
            ms: list.reduce((sum, entry) => sum + (entry.responseEnd - entry.startTime), 0),
            bytes: list.reduce((sum, entry) => sum + entry.encodedBodySize, 0),
        };
    };
    return { xhr: summary('xmlhttprequest'), fetch: summary('fetch') };
"#;

/// Files in `folder` holding what [`DROP_MANY`] put in them.
fn count_dropped(folder: &Path) -> usize {
    let mut count = 0;
    for i in 1..=DROPPED {
        let path: PathBuf = folder.join(format!("small-{i:05}.txt"));
        let expected = format!("{i:0>width$}\n", width = DROPPED_SIZE - 1);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == expected.as_bytes() => count += 1,
            Ok(bytes) => progress(&format!(
                "{} holds {:?}, not {expected:?}",
                path.display(),
                String::from_utf8_lossy(&bytes)
            )),
            Err(error) => progress(&format!("{}: {error}", path.display())),
        }
    }
    let all = std::fs::read_dir(folder)
        .expect("list the dropped files")
        .count();
    if all != count {
        progress(&format!(
            "{} entries in {}, {count} of them as expected",
            thousands(all),
            folder.display()
        ));
    }
    count
}
