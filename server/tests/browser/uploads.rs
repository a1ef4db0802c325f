//! Upload helpers for the end-to-end tests: generated files, and reading or driving the
//! queue panel the way a person would.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Browser;

/// Deterministic, incompressible-looking bytes (xorshift), so a misplaced chunk shows.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn write_source(dir: &Path, name: &str, len: usize, seed: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pattern(len, seed)).expect("write the source file");
    path
}

pub fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    format!("{:x}", Sha256::digest(bytes))
}

/// Waits until the queue row for `name` has status `status` (`Done`, `Paused`, …).
pub async fn wait_for_status(browser: &Browser, name: &str, status: &str) {
    let script = format!(
        "[...document.querySelectorAll('[data-upload-name]')].some(row => \
            row.dataset.uploadName === {name:?} && row.dataset.status === {status:?})"
    );
    browser
        .wait_until(&format!("{name} to be {status}"), &script)
        .await;
}

/// Bytes the queue row for `name` says are sent (from its progress bar).
pub async fn progress_of(browser: &Browser, name: &str) -> f64 {
    let script = format!(
        "const row = [...document.querySelectorAll('[data-upload-name]')]
            .find(row => row.dataset.uploadName === {name:?});
         return row ? Number(row.querySelector('progress').value) : -1;"
    );
    let value = browser
        .client
        .execute(&script, vec![])
        .await
        .expect("read progress");
    value.as_f64().expect("a number")
}

pub async fn pick_files(browser: &Browser, input: &str, path: &Path) {
    browser
        .element(&format!("input[data-upload={input}]"))
        .await
        .send_keys(&path.display().to_string())
        .await
        .expect("pick the file");
}

/// Drops generated files (`[(name, length)]`) on the listing, as a person's drag would.
pub async fn drop_generated(browser: &Browser, files: &[(&str, usize)]) {
    let files = serde_json::to_string(files).expect("files as JSON");
    browser
        .client
        .execute(
            &format!(
                "const transfer = new DataTransfer();
                 for (const [name, n] of {files}) {{
                     const bytes = Uint8Array.from({{length: n}}, (_, i) => (i * 31 + n) % 251);
                     transfer.items.add(new File([bytes], name));
                 }}
                 const grid = document.querySelector('[role=grid]');
                 for (const type of ['dragenter', 'dragover', 'drop']) {{
                     grid.dispatchEvent(new DragEvent(type, {{bubbles: true, cancelable: true, dataTransfer: transfer}}));
                 }}"
            ),
            vec![],
        )
        .await
        .expect("drop the files");
}

pub fn generated(n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + n) % 251) as u8).collect()
}

/// Clicks the conflict button `label` offered for `name`, ticking "Apply to all" first
/// when asked. The question may be asked apart from the queue row (both carry the name),
/// and may appear a moment after the row says Conflict.
pub async fn answer_conflict(browser: &Browser, name: &str, label: &str, apply_to_all: bool) {
    wait_for_status(browser, name, "Conflict").await;
    let find = format!(
        "[...document.querySelectorAll('[data-upload-name]')]
            .filter(row => row.dataset.uploadName === {name:?})
            .map(row => [row, [...row.querySelectorAll('button')]
                .find(b => b.textContent === {label:?})])
            .find(([_, button]) => button)"
    );
    browser
        .wait_until(&format!("the {label:?} button for {name}"), &find)
        .await;
    let script = format!(
        "const [row, button] = {find};
         if ({apply_to_all}) row.querySelector('input[type=checkbox]').click();
         button.click();"
    );
    browser
        .client
        .execute(&script, vec![])
        .await
        .expect("answer the conflict");
}

/// Waits until uploads are enabled (discovery or the listing said the server is writable).
pub async fn wait_for_uploads_enabled(browser: &Browser) {
    browser
        .wait_until(
            "uploads to be enabled",
            "!document.querySelector('input[data-upload=files] ~ button').disabled",
        )
        .await;
}

/// Waits until the first queue row's progress bar is past `fraction` (0.0–1.0).
pub async fn wait_for_progress(browser: &Browser, fraction: f64) {
    let script = format!(
        "Number(document.querySelector('[data-upload-name] progress')?.value) > {fraction}"
    );
    browser
        .wait_until(&format!("progress past {fraction}"), &script)
        .await;
}

/// The session URL the app remembered for its (first) unfinished upload, if any: what it
/// resumes from after a reload.
pub async fn remembered_session(browser: &Browser) -> Option<String> {
    let value = browser
        .client
        .execute(
            "const key = Object.keys(localStorage).find(k => k.startsWith('skiff-upload:'));
             return key ? JSON.parse(localStorage.getItem(key)).url : null;",
            vec![],
        )
        .await
        .expect("read localStorage");
    value.as_str().map(str::to_owned)
}

/// Waits for [`remembered_session`].
pub async fn wait_for_session(browser: &Browser) -> String {
    browser
        .wait_until(
            "the app to remember an upload session",
            "Object.keys(localStorage).some(k => k.startsWith('skiff-upload:'))",
        )
        .await;
    remembered_session(browser)
        .await
        .expect("a remembered session")
}

/// The server's own view of a session (`GET {url}`, `url` resolved against `base`, the
/// server the page talks to): asked by the test, not the page.
pub async fn server_session(base: &str, url: &str) -> serde_json::Value {
    let url = if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        url.to_owned()
    };
    let answer = reqwest::get(&url).await.expect("GET the session");
    assert_eq!(answer.status(), 200, "GET {url}");
    answer.json().await.expect("a session object")
}

/// Part numbers in a session object's `parts` ranges.
pub fn durable_parts(session: &serde_json::Value) -> Vec<u64> {
    let ranges: Vec<[u64; 2]> =
        serde_json::from_value(session["parts"].clone()).expect("a parts session");
    ranges
        .into_iter()
        .flat_map(|[first, last]| first..=last)
        .collect()
}

/// Makes the page keep a timing entry for every request (the default keeps 250).
pub async fn record_requests(browser: &Browser) {
    browser
        .client
        .execute("performance.setResourceTimingBufferSize(100000)", vec![])
        .await
        .expect("grow the resource timing buffer");
}

/// Every part request the page finished (from Resource Timing, which knows URLs and
/// times, never bodies; and the measures the app records, named by URL, for requests its
/// upload worker made): `(part number, start ms, end ms)`.
pub async fn part_requests(browser: &Browser) -> Vec<(u64, f64, f64)> {
    let value = browser
        .client
        .execute(
            "return [...performance.getEntriesByType('resource'),
                     ...performance.getEntriesByType('measure')]
                .filter(e => /\\/parts\\/\\d+$/.test(e.name))
                .map(e => [Number(e.name.split('/').pop()), e.startTime, e.startTime + e.duration]);",
            vec![],
        )
        .await
        .expect("read resource timing");
    serde_json::from_value(value).expect("a list of requests")
}

/// The most requests that were in flight at the same moment.
pub fn most_at_once(requests: &[(u64, f64, f64)]) -> usize {
    let mut events: Vec<(f64, i32)> = requests
        .iter()
        .flat_map(|(_, start, end)| [(*start, 1), (*end, -1)])
        .collect();
    // Ends before starts at the same instant: touching requests did not overlap.
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, change) in events {
        now += change;
        most = most.max(now);
    }
    most as usize
}

/// Polls (bounded) until the first upload row says Done, failing with its text on timeout
/// or as soon as it says Failed.
pub async fn wait_done(browser: &Browser, limit: std::time::Duration) {
    let started = std::time::Instant::now();
    loop {
        let status = browser
            .client
            .execute(
                "const row = document.querySelector('[data-upload-name]');
                 return row ? row.dataset.status + ': ' + row.innerText : 'no row';",
                vec![],
            )
            .await
            .expect("read the row");
        let status = status.as_str().unwrap_or_default().to_owned();
        if status.starts_with("Done") {
            return;
        }
        assert!(
            !status.starts_with("Failed"),
            "the upload gave up: {status}"
        );
        assert!(
            started.elapsed() < limit,
            "not done after {limit:?}: {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
