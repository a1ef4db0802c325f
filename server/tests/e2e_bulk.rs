//! A bulk move of many files in the Skiff app (headless Chromium, real skiff-server): its
//! progress, Stop after the file in flight, and Undo of exactly what was moved, checked
//! file by file on disk.

mod browser;

use browser::files::{answer_dialog, click_button, press, wait_for_selected, wait_for_toast};
use browser::{Browser, Server};
use fantoccini::key::Key;

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_move_shows_progress_stops_and_undoes() {
    const FILES: usize = 1000;
    let tree = tempfile::tempdir().expect("a temp folder");
    let root = tree.path();
    std::fs::create_dir(root.join("dest")).expect("mkdir");
    for i in 0..FILES {
        std::fs::write(root.join(format!("f{i:04}.txt")), format!("{i}")).expect("write");
    }
    let server = Server::start(root, &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_until(
            "the rows",
            "document.querySelector('[role=row][data-name=\"f0000.txt\"]')",
        )
        .await;
    browser.element("[role=toolbar] button").await;

    // Select every file (click the first, Shift+End), then Move to… /dest.
    browser.click_row("f0000.txt", None).await;
    press(
        &browser,
        &format!("{}{}{}", Key::Shift, Key::End, Key::Shift),
    )
    .await;
    wait_for_selected(&browser, FILES).await;
    click_button(&browser, "Move to…").await;
    answer_dialog(&browser, "/dest").await;

    // Progress shows as it goes; Stop ends it after the file in flight.
    browser
        .wait_until(
            "progress past 10 files",
            "(p => p && p.value >= 10)(document.querySelector('[data-progress] progress'))",
        )
        .await;
    let label = wait_for_toast(&browser, &format!("Moving {FILES} items")).await;
    assert!(
        label.contains(&format!("of {FILES}")),
        "progress label {label:?}"
    );
    click_button(&browser, "Stop").await;
    let toast = wait_for_toast(&browser, "Stopped").await;
    let moved = std::fs::read_dir(root.join("dest")).expect("dest").count();
    assert!(
        (10..FILES).contains(&moved),
        "{moved} files moved before Stop"
    );
    assert!(
        toast.contains(&format!("Moved {moved} of {FILES} items")),
        "the toast {toast:?} does not match the {moved} files on disk"
    );
    // Beside the files: dest, and the server's .skiff state folder.
    let left = std::fs::read_dir(root).expect("root").count() - 2;
    assert_eq!(moved + left, FILES, "files lost or duplicated");

    // Undo brings back exactly what was moved.
    click_button(&browser, "Undo").await;
    wait_for_toast(&browser, "Undone").await;
    assert_eq!(
        std::fs::read_dir(root.join("dest")).expect("dest").count(),
        0
    );
    for i in 0..FILES {
        let name = format!("f{i:04}.txt");
        assert_eq!(
            std::fs::read_to_string(root.join(&name)).expect("back in place"),
            format!("{i}")
        );
    }
    browser.close().await;
}
