//! The pane a small screen shows is part of the address (`pane=`), end to end in headless
//! Chromium driven by touch: on a phone the browser's back gesture goes details → files →
//! folders, the app's own back button agrees with it (history does not grow), and a reload
//! keeps the pane. Where the details fit beside the files (a phone on its side, a desktop)
//! a tap or click on a file adds no history entry, and a phone's link opens there too.
//! Rename, chosen from a phone's details, brings the files back to edit the name in place;
//! a file deleted from its details leaves its folder's files on screen.

mod browser;

use std::path::Path;
use std::time::Duration;

use browser::files::{press, wait_for_path};
use browser::{Browser, Server};
use fantoccini::key::Key;

const LISTING: &str = "section[aria-label=Files]";
const TREE: &str = "nav[aria-label=Folders]";
const DETAILS_TITLE: &str = "aside[aria-label=Details] h2";
const BACK: &str = "[data-action=back-to-files]";
const FOLDERS: &str = "[data-action=show-folders]";

/// Longer than Chromium's double-tap timeout (300 ms): the pause of a person between taps.
const A_LOOK: Duration = Duration::from_millis(400);

fn fixture(root: &Path) {
    for (path, contents) in [
        ("docs/guide.md", "# Guide\n"),
        ("docs/notes.txt", "notes\n"),
        ("readme.txt", "hello\n"),
        ("zeta.txt", "last\n"),
    ] {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
}

/// Waits until the address bar reads `expected` (path and query).
async fn wait_for_address(browser: &Browser, expected: &str) {
    let script = format!("location.pathname + location.search === {expected:?}");
    browser
        .wait_until(&format!("the address {expected}"), &script)
        .await;
}

/// Waits until `css` is the one pane on screen (the others have no box).
async fn wait_for_pane(browser: &Browser, css: &str) {
    let script = format!(
        "[{LISTING:?}, {TREE:?}, 'aside[aria-label=Details]']
            .filter(css => document.querySelector(css)?.getClientRects().length)
            .join() === {css:?}"
    );
    browser
        .wait_until(&format!("{css} alone on screen"), &script)
        .await;
}

/// Waits until the details pane is about `name`, and visible.
async fn wait_for_details_of(browser: &Browser, name: &str) {
    let script = format!(
        "[...document.querySelectorAll({DETAILS_TITLE:?})]
            .some(h => h.textContent.includes({name:?}) && h.getClientRects().length)"
    );
    browser
        .wait_until(&format!("the details of {name}"), &script)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_phone_back_goes_details_files_folders_and_reload_keeps_the_pane() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    browser.emulate_device(390, 844, true, true).await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["docs", "readme.txt", "zeta.txt"])
        .await;

    // Folders, then a folder in the tree, then a file: each a place of its own.
    browser.tap(FOLDERS).await;
    wait_for_pane(&browser, TREE).await;
    wait_for_address(&browser, "/?pane=folders").await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=treeitem][data-path='/docs'] a").await;
    browser.wait_for_rows(&["guide.md", "notes.txt"]).await;
    wait_for_pane(&browser, LISTING).await;
    wait_for_address(&browser, "/docs/").await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=row][data-name=\"guide.md\"]").await;
    wait_for_details_of(&browser, "guide.md").await;
    wait_for_pane(&browser, "aside[aria-label=Details]").await;
    wait_for_address(&browser, "/docs/?sel=guide.md&pane=details").await;

    // A reload keeps the details on screen.
    browser.client.refresh().await.expect("reload");
    wait_for_details_of(&browser, "guide.md").await;
    wait_for_pane(&browser, "aside[aria-label=Details]").await;

    // The app's back button is the browser's back: it leaves the details for the files
    // without a new history entry, so tapping the file again and going back twice with
    // the browser (a back gesture) goes files → folders, not back into the details.
    tokio::time::sleep(A_LOOK).await;
    browser.tap(BACK).await;
    wait_for_pane(&browser, LISTING).await;
    wait_for_address(&browser, "/docs/?sel=guide.md").await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=row][data-name=\"guide.md\"]").await;
    wait_for_details_of(&browser, "guide.md").await;
    wait_for_address(&browser, "/docs/?sel=guide.md&pane=details").await;

    browser.client.back().await.expect("back");
    wait_for_pane(&browser, LISTING).await;
    wait_for_address(&browser, "/docs/?sel=guide.md").await;
    browser.wait_for_rows(&["guide.md", "notes.txt"]).await;
    assert!(
        browser.height_of(&format!("{LISTING} [role=grid]")).await > 100.0,
        "the listing is back at full height"
    );

    browser.client.back().await.expect("back");
    wait_for_pane(&browser, TREE).await;
    wait_for_address(&browser, "/?pane=folders").await;

    browser.client.back().await.expect("back");
    wait_for_pane(&browser, LISTING).await;
    wait_for_address(&browser, "/").await;
    browser
        .wait_for_rows(&["docs", "readme.txt", "zeta.txt"])
        .await;

    // Forward comes back through the same places.
    browser.client.forward().await.expect("forward");
    wait_for_pane(&browser, TREE).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn details_beside_the_files_add_no_history_and_phone_links_open_anywhere() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;

    // A phone on its side shows the details beside the files: a tap on a file selects it
    // (no pane of its own, no history entry), a tap on a folder opens it.
    browser.emulate_device(844, 390, true, true).await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["docs", "readme.txt", "zeta.txt"])
        .await;
    browser.tap("[role=row][data-name=\"readme.txt\"]").await;
    wait_for_details_of(&browser, "readme.txt").await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=row][data-name=\"zeta.txt\"]").await;
    wait_for_details_of(&browser, "zeta.txt").await;
    wait_for_address(&browser, "/?sel=zeta.txt").await;
    assert!(browser.is_shown(LISTING).await, "the files stay on screen");
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=row][data-name=docs]").await;
    browser.wait_for_rows(&["guide.md", "notes.txt"]).await;
    browser.client.back().await.expect("back");
    wait_for_address(&browser, "/?sel=zeta.txt").await;
    browser
        .wait_for_rows(&["docs", "readme.txt", "zeta.txt"])
        .await;

    // A desktop opens a phone's link to a file's details with all three panes.
    browser.emulate_device(1400, 900, false, false).await;
    browser
        .open(&format!("{}/docs/?sel=notes.txt&pane=details", server.url))
        .await;
    wait_for_details_of(&browser, "notes.txt").await;
    browser.wait_for_rows(&["guide.md", "notes.txt"]).await;
    for pane in [LISTING, TREE] {
        assert!(browser.is_shown(pane).await, "{pane} hidden on a desktop");
    }
    // A click on a file there is a selection, not a place: back leaves the folder.
    browser.click_row("guide.md", None).await;
    wait_for_details_of(&browser, "guide.md").await;
    browser.client.back().await.expect("back");
    wait_for_address(&browser, "/?sel=zeta.txt").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rename_from_a_phones_details_edits_the_name_in_view() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.emulate_device(390, 844, true, true).await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["docs", "readme.txt", "zeta.txt"])
        .await;
    browser.element("[role=toolbar]").await;
    browser.tap("[role=row][data-name=\"readme.txt\"]").await;
    wait_for_details_of(&browser, "readme.txt").await;

    // The actions menu of the details offers Rename: the name is edited in its row, so
    // the files come back on screen with the field focused (it used to be drawn hidden).
    browser.tap("[data-action=more-actions]").await;
    browser
        .wait_until("the actions menu", "document.querySelector('[role=menu]')")
        .await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=menu] [role=menuitem]:first-child").await;
    let field = "input[aria-label^='New name']";
    browser
        .wait_until(
            "the rename field in view and focused",
            &format!(
                "document.activeElement === document.querySelector({field:?})
                    && document.activeElement.getClientRects().length"
            ),
        )
        .await;
    wait_for_pane(&browser, LISTING).await;
    press(
        &browser,
        &format!("{}a{}read-me.txt{}", Key::Control, Key::Control, Key::Enter),
    )
    .await;
    wait_for_path(tree.path(), "read-me.txt", true).await;
    assert!(!tree.path().join("readme.txt").exists());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_from_a_phones_details_shows_the_files() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.emulate_device(390, 844, true, true).await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["docs", "readme.txt", "zeta.txt"])
        .await;
    browser.element("[role=toolbar]").await;
    browser.tap("[role=row][data-name=\"zeta.txt\"]").await;
    wait_for_details_of(&browser, "zeta.txt").await;
    wait_for_address(&browser, "/?sel=zeta.txt&pane=details").await;

    // Delete from the details' menu: with the file gone, its folder's files come back
    // (the details of nothing used to stay on screen).
    browser.tap("[data-action=more-actions]").await;
    browser
        .wait_until("the actions menu", "document.querySelector('[role=menu]')")
        .await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=menu] [role=menuitem]:last-child").await;
    browser.element("dialog[open]").await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("dialog[open] button[type=submit]").await;
    wait_for_path(tree.path(), "zeta.txt", false).await;
    browser.wait_for_rows(&["docs", "readme.txt"]).await;
    wait_for_pane(&browser, LISTING).await;
    wait_for_address(&browser, "/?sel=zeta.txt").await;
    browser.close().await;
}
