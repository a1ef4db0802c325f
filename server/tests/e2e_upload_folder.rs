//! End-to-end: a dropped folder uploaded by the app's upload worker (issue 9). The page
//! hands the folder's handle to the worker, which walks it and sends its tiny files in
//! batches; the panel shows the folder as one line of counts, and only the files that need
//! attention (bigger ones, conflicts) as rows of their own.

mod browser;

use browser::uploads::*;
use browser::{Browser, Server};
use std::time::Duration;

/// The panel's heading.
const HEADING: &str =
    "(document.querySelector('section[aria-label=Uploads] h2')?.textContent ?? '')";

/// Rows of files in the upload list (the folder's line is not one).
const FILE_ROWS: &str =
    "document.querySelectorAll('[aria-label=\"Upload list\"] [data-upload-path]').length";

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_folder_of_2000_files_lands_byte_for_byte_with_its_conflicts_asked_per_file() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let folder = sources.path().join("many files");
    std::fs::create_dir_all(folder.join("sub folder")).expect("mkdir");
    let mut expected = Vec::new();
    for i in 0..2000usize {
        let relative = match i {
            // Two files over the worker's 64 KiB: the page sends them as files of their own.
            0 | 1 => format!("big {i}.bin"),
            2..1500 => format!("t{i:04} ☀.txt"),
            _ => format!("sub folder/t{i:04}.txt"),
        };
        let len = if i < 2 { 100_000 + i } else { 10 + i % 13 };
        let bytes = pattern(len, i as u64 + 77);
        std::fs::write(folder.join(&relative), &bytes).expect("write");
        expected.push((relative, bytes));
    }
    // Three names that exist on the server already: asked about one by one.
    std::fs::create_dir_all(tree.path().join("many files/sub folder")).expect("mkdir");
    for relative in ["t0002 ☀.txt", "t0003 ☀.txt", "sub folder/t1999.txt"] {
        std::fs::write(tree.path().join("many files").join(relative), b"older").expect("write");
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    browser.drop_paths("[role=grid]", &[&folder]).await;
    browser
        .wait_until_within(
            "all but the three conflicts done",
            &format!("{HEADING}.startsWith('Uploads: 1997 of 2000 done') && {HEADING}.includes('3 waiting for you')"),
            Duration::from_secs(180),
        )
        .await;
    let seen = browser
        .client
        .execute(
            &format!(
                "return [{FILE_ROWS},
                    document.querySelector('[data-upload-folder=\"many files\"]')?.textContent ?? ''];"
            ),
            vec![],
        )
        .await
        .expect("read the panel");
    assert_eq!(
        seen[0],
        serde_json::json!(2),
        "rows: the two big files only"
    );
    let line = seen[1].as_str().unwrap_or_default();
    assert!(
        line.contains("Folder many files") && line.contains("1995 of 1995 files"),
        "the folder's line: {line}"
    );
    answer_conflict(&browser, "t0002 ☀.txt", "Replace", true).await;
    browser
        .wait_until_within(
            "every file done",
            &format!("{HEADING}.startsWith('Uploads: 2000 of 2000 done')"),
            Duration::from_secs(120),
        )
        .await;
    for (relative, bytes) in expected {
        let uploaded = std::fs::read(tree.path().join("many files").join(&relative))
            .unwrap_or_else(|e| panic!("{relative} did not arrive: {e}"));
        assert_eq!(uploaded, bytes, "{relative}");
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_folder_can_be_cancelled_as_a_whole() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    const COUNT: usize = 6000;
    let folder = sources.path().join("to cancel");
    std::fs::create_dir(&folder).expect("mkdir");
    for i in 0..COUNT {
        std::fs::write(folder.join(format!("c{i:04}.txt")), format!("{i:010}")).expect("write");
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    browser.drop_paths("[role=grid]", &[&folder]).await;
    // Cancelled once some files are stored, while more are on their way.
    browser
        .wait_until_within(
            "some files done",
            &format!("/Uploads: [1-9][0-9]* of/.test({HEADING})"),
            Duration::from_secs(120),
        )
        .await;
    let cancel = "[...document.querySelectorAll('[data-upload-folder=\"to cancel\"] button')]
        .find(button => button.textContent === 'Cancel')";
    browser
        .wait_until("the folder's Cancel button", cancel)
        .await;
    browser
        .client
        .execute(&format!("{cancel}.click()"), vec![])
        .await
        .expect("cancel the folder");
    browser
        .wait_until_within(
            "the folder cancelled",
            "document.querySelector('[data-upload-folder=\"to cancel\"]')?.dataset.status === 'Cancelled'",
            Duration::from_secs(60),
        )
        .await;
    let heading = browser
        .client
        .execute(&format!("return {HEADING};"), vec![])
        .await
        .expect("read the heading");
    let heading = heading.as_str().unwrap_or_default().to_owned();
    assert!(heading.contains("cancelled"), "the heading: {heading}");
    // The batches in flight are aborted, but the server still stores the files of a batch
    // it had received whole (at most 4 batches of 1,000): then nothing more arrives.
    let count = || {
        std::fs::read_dir(tree.path().join("to cancel"))
            .map(|entries| entries.count())
            .unwrap_or(0)
    };
    let mut landed = count();
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let now = count();
        if now == landed {
            break;
        }
        landed = now;
    }
    assert!(landed < COUNT, "{landed} files landed after the cancel");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(), landed, "files kept arriving after the cancel");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_cut_off_by_a_reload_says_so_and_finishes_when_dropped_again() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    const COUNT: usize = 6000;
    let folder = sources.path().join("reloaded");
    std::fs::create_dir(&folder).expect("mkdir");
    for i in 0..COUNT {
        std::fs::write(folder.join(format!("r{i:04}.txt")), format!("{i:012}")).expect("write");
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    browser.drop_paths("[role=grid]", &[&folder]).await;
    browser
        .wait_until_within(
            "some files done",
            &format!("/Uploads: [1-9][0-9]* of/.test({HEADING})"),
            Duration::from_secs(120),
        )
        .await;
    browser.client.refresh().await.expect("reload");
    let landed = std::fs::read_dir(tree.path().join("reloaded")).map_or(0, |d| d.count());
    // The reloaded page says what happened (the kept handle needs the user's permission
    // again, which headless Chromium cannot give, so the row waits).
    let row = "document.querySelector('[data-upload-folder=\"reloaded\"]')";
    browser
        .wait_until_within(
            "the interrupted folder's row",
            &format!(
                "{row}?.dataset.status === 'Interrupted'
                 && {row}.innerText.includes('Stopped when the page was closed or reloaded')
                 && {row}.innerText.includes('drop the folder here again')"
            ),
            Duration::from_secs(30),
        )
        .await;
    if landed == COUNT {
        panic!("every file had landed before the reload: the test proves nothing");
    }
    // Dropped again: the files already there count as stored (same bytes), the rest go.
    wait_for_uploads_enabled(&browser).await;
    browser.drop_paths("[role=grid]", &[&folder]).await;
    browser
        .wait_until_within(
            "every file done, none asked about",
            &format!("{HEADING}.startsWith('Uploads: {COUNT} of {COUNT} done')"),
            Duration::from_secs(180),
        )
        .await;
    let names = std::fs::read_dir(tree.path().join("reloaded"))
        .expect("the folder")
        .count();
    assert_eq!(names, COUNT, "no copies, nothing missing");
    for i in 0..COUNT {
        let bytes =
            std::fs::read(tree.path().join(format!("reloaded/r{i:04}.txt"))).unwrap_or_default();
        assert_eq!(bytes, format!("{i:012}").into_bytes(), "r{i:04}.txt");
    }
    // Finished: nothing is remembered for the next reload.
    let remembered = browser
        .client
        .execute(
            "return Object.keys(localStorage).filter(key => key.startsWith('skiff-folder:')).length;",
            vec![],
        )
        .await
        .expect("read localStorage");
    assert_eq!(remembered.as_u64(), Some(0));
    browser.close().await;
}
