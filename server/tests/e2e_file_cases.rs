//! File-action cases beyond the main path, end to end in headless Chromium against a real
//! skiff-server: undoing a new folder (Ctrl+Z) and a copy, copies refused into themselves
//! (and made beside themselves when copied into their own folder),
//! a rename in place surviving a listing refresh, downloading selected files to disk (a
//! folder or several entries as one ZIP), and
//! dragging a selection of several rows, and refusals (a taken name, a reserved one)
//! explained while nothing changes.

mod browser;

use browser::files::{
    answer_dialog, click_button, press, wait_for_path, wait_for_selected, wait_for_toast,
};
use browser::uploads::write_source;
use browser::{Browser, Server};
use fantoccini::key::Key;

#[tokio::test(flavor = "multi_thread")]
async fn undo_takes_back_a_new_folder_and_a_copy() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let root = tree.path();
    std::fs::create_dir(root.join("old")).expect("mkdir");
    std::fs::write(root.join("old/keep.txt"), "keep").expect("write");
    let server = Server::start(root, &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.wait_for_rows(&["old"]).await;

    // A new folder, undone with Ctrl+Z: it goes while still empty.
    browser.element("[role=toolbar] button").await;
    click_button(&browser, "New folder").await;
    answer_dialog(&browser, "Fresh").await;
    wait_for_path(root, "Fresh", true).await;
    wait_for_toast(&browser, "Created “Fresh”").await;
    press(&browser, &format!("{}z", Key::Control)).await;
    wait_for_path(root, "Fresh", false).await;
    browser.wait_for_rows(&["old"]).await;

    // A copy of a folder, undone: the copy goes, the original stays whole.
    browser.click_row("old", None).await;
    click_button(&browser, "Copy to…").await;
    answer_dialog(&browser, "/old").await;
    // Into itself: refused, nothing copied.
    wait_for_toast(&browser, "cannot go inside itself").await;
    // Into its own folder: a copy beside it, "old (copy)", with the same content.
    click_button(&browser, "Copy to…").await;
    answer_dialog(&browser, "/").await;
    wait_for_path(root, "old (copy)/keep.txt", true).await;
    wait_for_toast(&browser, "Copied “old” as “old (copy)”").await;
    std::fs::create_dir(root.join("shelf")).expect("mkdir");
    browser.click_row("old", None).await;
    click_button(&browser, "Copy to…").await;
    answer_dialog(&browser, "/shelf").await;
    wait_for_path(root, "shelf/old/keep.txt", true).await;
    wait_for_toast(&browser, "Copied “old” to /shelf").await;
    click_button(&browser, "Undo").await;
    wait_for_path(root, "shelf/old", false).await;
    assert_eq!(
        std::fs::read(root.join("old/keep.txt")).expect("the original"),
        b"keep"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rename_in_progress_survives_a_listing_refresh() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let root = tree.path();
    std::fs::write(root.join("draft.txt"), "words").expect("write");
    let outside = tempfile::tempdir().expect("a source folder");
    // Big enough to be still uploading while the name is typed.
    let big = write_source(outside.path(), "big.bin", 256 << 20, 7);
    let server = Server::start(root, &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.wait_for_rows(&["draft.txt"]).await;
    browser.element("[role=toolbar] button").await;
    browser.drop_paths("[role=grid]", &[&big]).await;
    browser
        .wait_until(
            "the upload under way",
            "document.body.innerText.includes('Uploads: 0 of 1')",
        )
        .await;
    browser.click_row("draft.txt", None).await;
    press(&browser, &Key::F2.to_string()).await;
    browser
        .wait_until(
            "the rename field",
            "document.activeElement?.matches('[role=row] input')",
        )
        .await;
    press(&browser, "final").await;
    let still_uploading = browser
        .client
        .execute(
            "return document.body.innerText.includes('Uploads: 0 of 1')",
            vec![],
        )
        .await
        .expect("read the queue");
    assert_eq!(
        still_uploading,
        serde_json::json!(true),
        "the upload finished before the name was typed: the test proves nothing"
    );
    // The upload lands, and the listing is fetched and drawn again.
    browser.wait_for_rows(&["big.bin", "draft.txt"]).await;
    browser
        .wait_until(
            "the field back, with what was typed, focused",
            "(e => e?.matches('[role=row] input') && e.value === 'final.txt')(document.activeElement)",
        )
        .await;
    assert!(root.join("draft.txt").exists(), "renamed before Enter");
    press(&browser, &format!("-v2{}", Key::Enter)).await;
    wait_for_path(root, "final-v2.txt", true).await;
    assert_eq!(
        std::fs::read(root.join("final-v2.txt")).expect("read"),
        b"words"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn download_the_selected_files_to_disk() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let root = tree.path();
    std::fs::write(root.join("one.txt"), "first file").expect("write");
    std::fs::write(root.join("two.bin"), [0u8, 1, 2, 255]).expect("write");
    std::fs::create_dir_all(root.join("folder/sub")).expect("mkdir");
    std::fs::write(root.join("folder/inner.txt"), "inner").expect("write");
    std::fs::write(root.join("folder/sub/deep.txt"), "deep").expect("write");
    let downloads = tempfile::tempdir().expect("a download folder");
    let server = Server::start(root, &["--writable"]);
    let browser = Browser::start().await;
    browser.allow_downloads(downloads.path()).await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["folder", "one.txt", "two.bin"])
        .await;
    browser.element("[role=toolbar] button").await;

    // A folder, alone or with a file: one ZIP of everything picked (PROTOCOL.md §4).
    browser.click_row("folder", None).await;
    click_button(&browser, "Download").await;
    let folder_zip = zip_entries(&wait_for_download(downloads.path(), "folder.zip").await);
    assert_eq!(
        folder_zip,
        [
            "folder/",
            "folder/inner.txt=inner",
            "folder/sub/",
            "folder/sub/deep.txt=deep"
        ]
    );
    browser.click_row("one.txt", Some("ctrlKey")).await;
    click_button(&browser, "Download").await;
    let both = zip_entries(&wait_for_download(downloads.path(), "download.zip").await);
    assert!(
        both.contains(&"one.txt=first file".to_owned())
            && both.contains(&"folder/sub/deep.txt=deep".to_owned()),
        "{both:?}"
    );

    // Two files: one ZIP of both, byte for byte.
    std::fs::remove_file(downloads.path().join("download.zip")).expect("clear");
    browser.click_row("one.txt", None).await;
    browser.click_row("two.bin", Some("ctrlKey")).await;
    click_button(&browser, "Download").await;
    let files = zip_entries(&wait_for_download(downloads.path(), "download.zip").await);
    assert_eq!(
        files,
        ["one.txt=first file", "two.bin=\\x00\\x01\\x02\\xff"]
    );

    // One file: the file itself.
    browser.click_row("two.bin", None).await;
    click_button(&browser, "Download").await;
    wait_for_path(downloads.path(), "two.bin", true).await;
    let started = std::time::Instant::now();
    while std::fs::read(downloads.path().join("two.bin"))
        .ok()
        .as_deref()
        != Some(&[0u8, 1, 2, 255][..])
    {
        assert!(started.elapsed().as_secs() < 20, "two.bin incomplete");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.close().await;
}

/// Waits until the browser has finished downloading the ZIP `name` into `folder`.
async fn wait_for_download(folder: &std::path::Path, name: &str) -> std::path::PathBuf {
    let path = folder.join(name);
    let started = std::time::Instant::now();
    // Chromium reserves the name with an empty file first: wait for the archive's end.
    loop {
        let bytes = std::fs::read(&path).unwrap_or_default();
        if bytes.len() >= 22 && bytes[bytes.len() - 22..].starts_with(b"PK\x05\x06") {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "{name} never arrived whole"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    path
}

/// A ZIP's entries as Python's zipfile reads them (every CRC checked): `name=text` for
/// files (other bytes escaped, `\xff`), `name/` for folders, in archive order.
fn zip_entries(path: &std::path::Path) -> Vec<String> {
    let script = "import sys, zipfile\n\
        z = zipfile.ZipFile(sys.argv[1])\n\
        assert z.testzip() is None\n\
        for i in z.infolist(): print(i.filename if i.is_dir() else i.filename + '=' + z.read(i).decode('latin-1').encode('unicode_escape').decode())";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn dragging_one_of_the_selected_rows_moves_the_whole_selection() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let root = tree.path();
    std::fs::create_dir(root.join("box")).expect("mkdir");
    for name in ["a.txt", "b.txt", "c.txt"] {
        std::fs::write(root.join(name), name).expect("write");
    }
    let server = Server::start(root, &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["box", "a.txt", "b.txt", "c.txt"])
        .await;
    browser.element("[role=toolbar] button").await;
    browser.click_row("a.txt", None).await;
    browser.click_row("c.txt", Some("ctrlKey")).await;
    wait_for_selected(&browser, 2).await;
    browser
        .drag(
            "[role=row][data-name=\"c.txt\"]",
            "[role=row][data-name=\"box\"]",
        )
        .await;
    wait_for_path(root, "box/a.txt", true).await;
    wait_for_path(root, "box/c.txt", true).await;
    wait_for_toast(&browser, "Moved 2 items to /box").await;
    assert!(root.join("b.txt").exists(), "an unselected file moved");
    // Dropping a folder onto itself does nothing but say why.
    browser.click_row("box", None).await;
    browser
        .drag(
            "[role=row][data-name=\"box\"]",
            "[role=tree] [data-path=\"/box\"]",
        )
        .await;
    wait_for_toast(&browser, "cannot be moved into itself").await;
    assert!(root.join("box/a.txt").exists());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_are_explained_and_change_nothing() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let root = tree.path();
    for name in ["a.txt", "b.txt"] {
        std::fs::write(root.join(name), name).expect("write");
    }
    let server = Server::start(root, &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.wait_for_rows(&["a.txt", "b.txt"]).await;
    browser.element("[role=toolbar] button").await;

    // A name that is taken (412): said in plain words; the field stays for another try.
    browser.click_row("a.txt", None).await;
    press(&browser, &Key::F2.to_string()).await;
    browser
        .wait_until(
            "the rename field",
            "document.activeElement?.matches('[role=row] input')",
        )
        .await;
    press(&browser, &format!("b{}", Key::Enter)).await;
    let toast = wait_for_toast(&browser, "Could not rename “a.txt”").await;
    assert!(toast.contains("already there"), "{toast:?}");
    browser
        .wait_until(
            "the field still open and focused",
            "document.activeElement?.matches('[role=row] input')",
        )
        .await;
    // A reserved name (403): the server's reason is shown.
    press(&browser, &format!("{}a{}", Key::Control, Key::Control)).await;
    press(&browser, &format!(".skiff{}", Key::Enter)).await;
    let toast = wait_for_toast(&browser, "Not allowed").await;
    assert!(toast.contains("reserved"), "{toast:?}");
    // Esc gives up; nothing changed.
    press(&browser, &Key::Escape.to_string()).await;
    browser
        .wait_until(
            "the field gone, focus in the listing",
            "!document.querySelector('[role=row] input')
                && document.activeElement?.getAttribute('role') === 'grid'",
        )
        .await;
    assert_eq!(std::fs::read(root.join("a.txt")).expect("a.txt"), b"a.txt");
    assert_eq!(std::fs::read(root.join("b.txt")).expect("b.txt"), b"b.txt");
    browser.close().await;
}
