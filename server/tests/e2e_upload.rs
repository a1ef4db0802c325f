//! End-to-end uploads: a person picks or drops files in the Skiff app (headless Chromium),
//! pauses, resumes and reloads, and every byte lands on disk in the real skiff-server.

mod browser;

use std::path::{Path, PathBuf};

use browser::{Browser, Server};
use sha2::{Digest, Sha256};

/// Deterministic, incompressible-looking bytes (xorshift), so a misplaced chunk shows.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
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

fn write_source(dir: &Path, name: &str, len: usize, seed: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pattern(len, seed)).expect("write the source file");
    path
}

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    format!("{:x}", Sha256::digest(bytes))
}

/// Waits until the queue row for `name` has status `status` (`Done`, `Paused`, …).
async fn wait_for_status(browser: &Browser, name: &str, status: &str) {
    let script = format!(
        "[...document.querySelectorAll('[data-upload-name]')].some(row => \
            row.dataset.uploadName === {name:?} && row.dataset.status === {status:?})"
    );
    browser
        .wait_until(&format!("{name} to be {status}"), &script)
        .await;
}

/// Bytes the queue row for `name` says are sent (from its progress bar).
async fn progress_of(browser: &Browser, name: &str) -> f64 {
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

async fn pick_files(browser: &Browser, input: &str, path: &Path) {
    browser
        .element(&format!("input[data-upload={input}]"))
        .await
        .send_keys(&path.display().to_string())
        .await
        .expect("pick the file");
}

#[tokio::test(flavor = "multi_thread")]
async fn picked_file_and_folder_arrive_byte_for_byte() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    std::fs::create_dir(tree.path().join("inbox")).expect("mkdir");
    // 20 MiB plus a bit: three 8 MiB chunks, the last one short.
    let big = write_source(
        sources.path(),
        "big file ☀.bin",
        20 * 1024 * 1024 + 12_345,
        7,
    );
    let folder = sources.path().join("album");
    for (i, sub) in ["", "sub/", "sub/deeper/"].iter().enumerate() {
        std::fs::create_dir_all(folder.join(sub)).expect("mkdir");
        for j in 0..50 {
            let name = format!("{sub}photo {i}-{j:02}.raw");
            std::fs::write(
                folder.join(&name),
                pattern(1000 + j * 37, (i * 100 + j) as u64),
            )
            .expect("write");
        }
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/inbox/", server.url))
        .await
        .expect("open the app");
    browser
        .wait_until(
            "the empty inbox",
            "document.body.innerText.includes('This folder is empty')",
        )
        .await;
    browser
        .wait_until(
            "uploads to be enabled",
            "!document.querySelector('input[data-upload=files] ~ button').disabled",
        )
        .await;

    pick_files(&browser, "files", &big).await;
    let started = std::time::Instant::now();
    browser
        .wait_until_within(
            "the 200 MiB upload to finish",
            "document.querySelector('[data-upload-name]')?.dataset.status === 'Done'",
            std::time::Duration::from_secs(300),
        )
        .await;
    eprintln!("200 MiB uploaded in {:?}", started.elapsed());
    assert_eq!(
        sha256_of(&tree.path().join("inbox/big file ☀.bin")),
        sha256_of(&big)
    );
    // The listing refreshed by itself.
    browser.wait_for_rows(&["big file ☀.bin"]).await;

    pick_files(&browser, "folder", &folder).await;
    browser
        .wait_until(
            "150 uploads done",
            "document.querySelectorAll('[data-upload-name]').length > 0 && \
             document.querySelector('section[aria-label=Uploads] h2').textContent.startsWith('Uploads: 151 of 151 done')",
        )
        .await;
    for (i, sub) in ["", "sub/", "sub/deeper/"].iter().enumerate() {
        for j in 0..50 {
            let name = format!("{sub}photo {i}-{j:02}.raw");
            let uploaded = std::fs::read(tree.path().join("inbox/album").join(&name))
                .unwrap_or_else(|e| panic!("{name} was not uploaded: {e}"));
            assert_eq!(
                uploaded,
                pattern(1000 + j * 37, (i * 100 + j) as u64),
                "{name}"
            );
        }
    }
    // The listing refreshed to show the new folder: fresh rows, not stale ones.
    browser.wait_for_rows(&["album", "big file ☀.bin"]).await;
    browser.screenshot("upload-done").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_files_go_into_the_folder_they_are_dropped_on() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::create_dir(tree.path().join("target folder")).expect("mkdir");
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/", server.url))
        .await
        .expect("open the app");
    browser.wait_for_rows(&["target folder"]).await;
    browser
        .wait_until(
            "uploads to be enabled",
            "!document.querySelector('input[data-upload=files] ~ button').disabled",
        )
        .await;
    // A synthetic drop of two generated files onto the folder's row, as a person's drag would.
    browser
        .client
        .execute(
            "const transfer = new DataTransfer();
             const bytes = n => Uint8Array.from({length: n}, (_, i) => (i * 31 + n) % 251);
             transfer.items.add(new File([bytes(1000)], 'one.bin'));
             transfer.items.add(new File([bytes(70000)], 'two.bin'));
             const row = document.querySelector('[role=row][data-name=\"target folder\"]');
             for (const type of ['dragenter', 'dragover', 'drop']) {
                 row.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
             }",
            vec![],
        )
        .await
        .expect("drop the files");
    wait_for_status(&browser, "one.bin", "Done").await;
    wait_for_status(&browser, "two.bin", "Done").await;
    for n in [1000usize, 70000] {
        let expected: Vec<u8> = (0..n).map(|i| ((i * 31 + n) % 251) as u8).collect();
        let name = if n == 1000 { "one.bin" } else { "two.bin" };
        let uploaded =
            std::fs::read(tree.path().join("target folder").join(name)).expect("uploaded");
        assert_eq!(uploaded, expected, "{name}");
    }
    // Nothing landed in the folder on screen.
    assert!(!tree.path().join("one.bin").exists());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_resume_and_reload_mid_upload_lose_nothing() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    // Small chunks make the upload long enough to pause and reload in the middle.
    let file = write_source(sources.path(), "long.bin", 48 * 1024 * 1024, 11);
    let server = Server::start(tree.path(), &["--writable", "--max-chunk", "262144"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/", server.url))
        .await
        .expect("open the app");
    browser
        .wait_until(
            "uploads to be enabled",
            "!document.querySelector('input[data-upload=files] ~ button').disabled",
        )
        .await;
    pick_files(&browser, "files", &file).await;
    browser
        .wait_until(
            "some progress",
            "Number(document.querySelector('[data-upload-name] progress')?.value) > 0.05",
        )
        .await;

    // Pause: the bar stops.
    browser
        .element("[data-upload-name] button")
        .await
        .click()
        .await
        .expect("click Pause");
    wait_for_status(&browser, "long.bin", "Paused").await;
    let paused_at = progress_of(&browser, "long.bin").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(progress_of(&browser, "long.bin").await, paused_at);
    assert!(paused_at < 1.0, "paused at {paused_at}");

    // Resume, then reload in the middle.
    browser
        .element("[data-upload-name] button")
        .await
        .click()
        .await
        .expect("click Resume");
    browser
        .wait_until(
            "more progress",
            &format!(
                "Number(document.querySelector('[data-upload-name] progress')?.value) > {}",
                paused_at + 0.05
            ),
        )
        .await;
    browser.client.refresh().await.expect("reload");

    // After the reload the queue remembers the upload and its progress, and asks for the file.
    wait_for_status(&browser, "long.bin", "NeedsFile").await;
    let remembered = progress_of(&browser, "long.bin").await;
    assert!(
        remembered > paused_at,
        "remembered {remembered}, paused at {paused_at}"
    );
    pick_files(&browser, "files", &file).await;
    wait_for_status(&browser, "long.bin", "Done").await;
    assert_eq!(sha256_of(&tree.path().join("long.bin")), sha256_of(&file));
    // Completed uploads leave nothing behind in local storage.
    let leftovers = browser
        .client
        .execute(
            "return Object.keys(localStorage).filter(k => k.startsWith('skiff-upload:')).length",
            vec![],
        )
        .await
        .expect("read localStorage");
    assert_eq!(leftovers.as_u64(), Some(0));
    browser.close().await;
}

/// Drops generated files (`[(name, length)]`) on the listing, as a person's drag would.
async fn drop_generated(browser: &Browser, files: &[(&str, usize)]) {
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

fn generated(n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + n) % 251) as u8).collect()
}

/// Clicks the conflict button `label` in the row of `name`, ticking "Apply to all" first
/// when asked.
async fn answer_conflict(browser: &Browser, name: &str, label: &str, apply_to_all: bool) {
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

#[tokio::test(flavor = "multi_thread")]
async fn existing_names_ask_replace_keep_both_or_skip() {
    let tree = tempfile::tempdir().expect("a temp folder");
    for name in ["keep.txt", "replace.txt", "skip1.txt", "skip2.txt"] {
        std::fs::write(tree.path().join(name), format!("original {name}")).expect("write");
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/", server.url))
        .await
        .expect("open the app");
    browser
        .wait_for_rows(&["keep.txt", "replace.txt", "skip1.txt", "skip2.txt"])
        .await;
    browser
        .wait_until(
            "uploads to be enabled",
            "!document.querySelector('input[data-upload=files] ~ button').disabled",
        )
        .await;

    drop_generated(&browser, &[("keep.txt", 100), ("replace.txt", 200)]).await;
    answer_conflict(&browser, "keep.txt", "Keep both", false).await;
    answer_conflict(&browser, "replace.txt", "Replace", false).await;
    wait_for_status(&browser, "keep.txt", "Done").await;
    wait_for_status(&browser, "replace.txt", "Done").await;
    let read = |name: &str| std::fs::read(tree.path().join(name)).unwrap_or_default();
    assert_eq!(read("keep.txt"), b"original keep.txt");
    assert_eq!(read("keep (1).txt"), generated(100));
    assert_eq!(read("replace.txt"), generated(200));

    drop_generated(&browser, &[("skip1.txt", 300), ("skip2.txt", 400)]).await;
    answer_conflict(&browser, "skip1.txt", "Skip", true).await;
    wait_for_status(&browser, "skip1.txt", "Skipped").await;
    wait_for_status(&browser, "skip2.txt", "Skipped").await;
    assert_eq!(read("skip1.txt"), b"original skip1.txt");
    assert_eq!(read("skip2.txt"), b"original skip2.txt");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dragged_folder_of_150_files_arrives_whole() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    // 130 files in one folder: more than one `readEntries` batch (Chromium gives 100).
    let folder = sources.path().join("dropped folder");
    std::fs::create_dir_all(folder.join("nested/deeper")).expect("mkdir");
    let mut expected = Vec::new();
    for i in 0..150usize {
        let relative = match i {
            0..130 => format!("file {i:03}.dat"),
            130..140 => format!("nested/n{i}.dat"),
            _ => format!("nested/deeper/d{i}.dat"),
        };
        let bytes = pattern(500 + i * 13, i as u64 + 1);
        std::fs::write(folder.join(&relative), &bytes).expect("write");
        expected.push((relative, bytes));
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/", server.url))
        .await
        .expect("open the app");
    browser
        .wait_until(
            "uploads to be enabled",
            "!document.querySelector('input[data-upload=files] ~ button').disabled",
        )
        .await;
    browser.drop_paths("[role=grid]", &[&folder]).await;
    browser
        .wait_until_within(
            "150 uploads done",
            "document.querySelector('section[aria-label=Uploads] h2')?.textContent.startsWith('Uploads: 150 of 150 done')",
            std::time::Duration::from_secs(120),
        )
        .await;
    for (relative, bytes) in expected {
        let uploaded = std::fs::read(tree.path().join("dropped folder").join(&relative))
            .unwrap_or_else(|e| panic!("{relative} did not arrive: {e}"));
        assert_eq!(uploaded, bytes, "{relative}");
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_file_is_offered_for_resume_after_reload_from_its_kept_handle() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "dropped.bin", 32 * 1024 * 1024, 23);
    let server = Server::start(tree.path(), &["--writable", "--max-chunk", "262144"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/", server.url))
        .await
        .expect("open the app");
    browser
        .wait_until(
            "uploads to be enabled",
            "!document.querySelector('input[data-upload=files] ~ button').disabled",
        )
        .await;
    browser.drop_paths("[role=grid]", &[&file]).await;
    browser
        .wait_until(
            "some progress",
            "Number(document.querySelector('[data-upload-name] progress')?.value) > 0.1",
        )
        .await;
    browser.client.refresh().await.expect("reload");
    // The file handle kept in IndexedDB survived the reload: instead of "drop or pick it
    // again", the row offers Resume. (Its click asks the browser for read permission, a
    // prompt that headless Chromium cannot answer, so the test stops at the offer.)
    browser
        .wait_until(
            "the Resume offer from the kept file handle",
            "document.querySelector('[data-upload-name]')?.dataset.status === 'NeedsFile'
             && document.querySelector('[data-upload-name] button')?.textContent === 'Resume'
             && document.querySelector('[data-upload-name]').innerText.includes('press Resume')",
        )
        .await;
    // Dropping the same file again still works, and continues the same session.
    browser.drop_paths("[role=grid]", &[&file]).await;
    browser
        .wait_until_within(
            "the upload to finish",
            "document.querySelector('[data-upload-name]')?.dataset.status === 'Done'",
            std::time::Duration::from_secs(120),
        )
        .await;
    assert_eq!(
        sha256_of(&tree.path().join("dropped.bin")),
        sha256_of(&file)
    );
    browser.close().await;
}
