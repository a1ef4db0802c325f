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

/// Clicks the conflict button `label` in the row of `name`, ticking "Apply to all" first
/// when asked.
pub async fn answer_conflict(browser: &Browser, name: &str, label: &str, apply_to_all: bool) {
    wait_for_status(browser, name, "Conflict").await;
    let script = format!(
        "const row = [...document.querySelectorAll('[data-upload-name]')]
            .find(row => row.dataset.uploadName === {name:?});
         if ({apply_to_all}) row.querySelector('input[type=checkbox]').click();
         [...row.querySelectorAll('button')].find(b => b.textContent === {label:?}).click();"
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
