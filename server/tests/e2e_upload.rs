//! End-to-end uploads: a person picks or drops files and folders in the Skiff app
//! (headless Chromium), and every byte lands on disk in the real skiff-server.

mod browser;

use browser::uploads::*;
use browser::{Browser, Server};

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
    browser.open(&format!("{}/inbox/", server.url)).await;
    browser
        .wait_until(
            "the empty inbox",
            "document.body.innerText.includes('This folder is empty')",
        )
        .await;
    wait_for_uploads_enabled(&browser).await;

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
    browser.open(&format!("{}/", server.url)).await;
    browser.wait_for_rows(&["target folder"]).await;
    wait_for_uploads_enabled(&browser).await;
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
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
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
async fn files_dropped_on_a_folder_row_or_tree_item_go_into_that_folder() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    for folder in ["photos", "papers"] {
        std::fs::create_dir(tree.path().join(folder)).expect("mkdir");
    }
    let to_row = write_source(sources.path(), "beach.jpg", 70_000, 3);
    let to_tree = write_source(sources.path(), "draft.pdf", 90_000, 4);
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    browser.wait_for_rows(&["papers", "photos"]).await;
    browser.element("[role=tree] [data-path=\"/papers\"]").await;

    browser
        .drop_paths("[role=row][data-name=\"photos\"]", &[&to_row])
        .await;
    wait_for_status(&browser, "beach.jpg", "Done").await;
    browser
        .drop_paths("[role=tree] [data-path=\"/papers\"]", &[&to_tree])
        .await;
    wait_for_status(&browser, "draft.pdf", "Done").await;

    for (source, landed) in [
        (&to_row, "photos/beach.jpg"),
        (&to_tree, "papers/draft.pdf"),
    ] {
        assert_eq!(
            std::fs::read(tree.path().join(landed)).expect(landed),
            std::fs::read(source).expect("the source"),
            "{landed}"
        );
    }
    // Nothing landed in the folder on screen.
    assert!(!tree.path().join("beach.jpg").exists() && !tree.path().join("draft.pdf").exists());

    // A whole folder dropped on a row goes into that folder too, walked and sent by the
    // upload worker (one line of counts for the folder, as for a drop on the listing).
    let trip = sources.path().join("trip");
    std::fs::create_dir(&trip).expect("mkdir");
    for i in 0..20 {
        std::fs::write(trip.join(format!("note {i}.txt")), format!("note {i}")).expect("write");
    }
    browser
        .drop_paths("[role=row][data-name=\"photos\"]", &[&trip])
        .await;
    browser
        .wait_until(
            "the folder's line done",
            "document.querySelector('[data-upload-folder=\"trip\"]')?.dataset.status === 'Done'",
        )
        .await;
    for i in 0..20 {
        assert_eq!(
            std::fs::read_to_string(tree.path().join(format!("photos/trip/note {i}.txt")))
                .unwrap_or_default(),
            format!("note {i}")
        );
    }
    assert!(!tree.path().join("trip").exists());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_big_dropped_folder_uploads_while_it_is_walked_and_stays_where_it_was_dropped() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::create_dir(tree.path().join("elsewhere")).expect("mkdir");
    let sources = tempfile::tempdir().expect("a source folder");
    // Walking a dropped folder asks the browser for every file, one request each: with
    // 3,000 files that takes long enough to watch.
    const COUNT: usize = 3000;
    let folder = sources.path().join("walked");
    std::fs::create_dir(&folder).expect("mkdir");
    for i in 0..COUNT {
        std::fs::write(folder.join(format!("w{i:04}.txt")), format!("{i:010}")).expect("write");
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    browser.wait_for_rows(&["elsewhere"]).await;
    browser.drop_paths("[role=grid]", &[&folder]).await;
    // Files are queued (and uploading) before the walk has found them all.
    browser
        .wait_until_within(
            "a first batch queued while the walk goes on",
            &format!(
                "(() => {{ const m = /Uploads: (\\d+) of (\\d+)/.exec(
                     document.querySelector('section[aria-label=Uploads] h2')?.textContent ?? '');
                   return m !== null && Number(m[2]) > 0 && Number(m[2]) < {COUNT}; }})()"
            ),
            std::time::Duration::from_secs(60),
        )
        .await;
    // Going to another folder meanwhile does not send the rest of the walk there.
    browser
        .client
        .execute(
            "document.querySelector('[role=tree] [data-path=\"/elsewhere\"] a').click()",
            vec![],
        )
        .await
        .expect("open another folder");
    browser
        .wait_until(
            "the other folder on screen",
            "location.pathname.startsWith('/elsewhere')",
        )
        .await;
    browser
        .wait_until_within(
            "every upload done",
            &format!(
                "document.querySelector('section[aria-label=Uploads] h2')?.textContent
                    .startsWith('Uploads: {COUNT} of {COUNT} done')"
            ),
            std::time::Duration::from_secs(240),
        )
        .await;
    for i in 0..COUNT {
        let name = format!("w{i:04}.txt");
        let landed = std::fs::read_to_string(tree.path().join("walked").join(&name))
            .unwrap_or_else(|e| panic!("{name} did not arrive: {e}"));
        assert_eq!(landed, format!("{i:010}"), "{name}");
    }
    let strays = std::fs::read_dir(tree.path().join("elsewhere"))
        .expect("list elsewhere")
        .count();
    assert_eq!(
        strays, 0,
        "nothing of the drop lands in the folder opened meanwhile"
    );
    browser.close().await;
}

/// Issue 9: a dropped folder of tiny files costs the page's main thread little: it is
/// walked through its File System Access handle (not the entries API, whose `file()`
/// per file costs the main thread) and the files' bytes are never read by the page (they go in batches as the
/// `File`s themselves, without a digest). Counted by wrapping those calls in the page.
#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_folder_of_tiny_files_is_walked_by_handle_and_never_read_by_the_page() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let folder = sources.path().join("tiny ones");
    std::fs::create_dir_all(folder.join("inner/deepest")).expect("mkdir");
    let mut expected = Vec::new();
    for i in 0..300usize {
        let relative = match i % 3 {
            0 => format!("t{i:03}.txt"),
            1 => format!("inner/t{i:03}.txt"),
            _ => format!("inner/deepest/t{i:03}.txt"),
        };
        // Empty files too, and up to the largest sent unread (64 KiB).
        let len = match i {
            0 => 0,
            1 => 64 * 1024,
            _ => 10 + i % 7,
        };
        let bytes = pattern(len, i as u64 + 9);
        std::fs::write(folder.join(&relative), &bytes).expect("write");
        expected.push((relative, bytes));
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    let wrapped = browser
        .client
        .execute(
            "const counts = window.__counts = { walk: 0, read: 0 };
             const wrap = (proto, name, key) => {
                 const original = proto && proto[name];
                 if (typeof original !== 'function') return false;
                 proto[name] = function (...args) { counts[key] += 1; return original.apply(this, args); };
                 return true;
             };
             // Entry classes are not globals in Chromium: a folder entry's own prototype
             // gets the counter (`createReader`, where an entries API walk starts).
             const getAsEntry = DataTransferItem.prototype.webkitGetAsEntry;
             DataTransferItem.prototype.webkitGetAsEntry = function () {
                 const entry = getAsEntry.call(this);
                 const proto = entry && entry.isDirectory && Object.getPrototypeOf(entry);
                 if (proto && !proto.__counted) {
                     proto.__counted = true;
                     wrap(proto, 'createReader', 'walk');
                 }
                 return entry;
             };
             return [
                 typeof getAsEntry === 'function',
                 wrap(Blob.prototype, 'stream', 'read'),
                 wrap(Blob.prototype, 'text', 'read'),
             ].every(Boolean);",
            vec![],
        )
        .await
        .expect("wrap the page's file calls");
    assert_eq!(
        wrapped,
        serde_json::json!(true),
        "every call was found to wrap"
    );
    browser.drop_paths("[role=grid]", &[&folder]).await;
    browser
        .wait_until_within(
            "300 uploads done",
            "document.querySelector('section[aria-label=Uploads] h2')?.textContent
                .startsWith('Uploads: 300 of 300 done')",
            std::time::Duration::from_secs(120),
        )
        .await;
    for (relative, bytes) in expected {
        let uploaded = std::fs::read(tree.path().join("tiny ones").join(&relative))
            .unwrap_or_else(|e| panic!("{relative} did not arrive: {e}"));
        assert_eq!(uploaded, bytes, "{relative}");
    }
    let counts = browser
        .client
        .execute("return window.__counts;", vec![])
        .await
        .expect("read the counts");
    assert_eq!(
        counts,
        serde_json::json!({ "walk": 0, "read": 0 }),
        "entries API walks and reads of file bytes on the page's main thread"
    );
    browser.close().await;
}
