//! File actions as a person meets them, end to end in headless Chromium against a real
//! skiff-server: Move/Copy to… pick their destination in a folder tree (by keyboard and by
//! mouse, with "New folder" inside it); a typed folder that does not exist is an error and
//! nothing is created; a copy into its own folder becomes "name (copy)"; a failed rename
//! leaves the undo history intact; a hovered toast stays past its time. The picker works by
//! keys, mouse and touch. Results are checked on disk.

mod browser;

use std::path::Path;
use std::time::Duration;

use browser::files::{click_button, press, wait_for_path, wait_for_toast};
use browser::{Browser, Server};
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::key::Key;

/// A served tree holding `files` (`path`, `content`) and `folders`, and a browser at `/`.
async fn start(files: &[(&str, &str)], folders: &[&str]) -> (tempfile::TempDir, Server, Browser) {
    let tree = tempfile::tempdir().expect("a temp folder");
    for folder in folders {
        std::fs::create_dir_all(tree.path().join(folder)).expect("mkdir");
    }
    for (path, content) in files {
        std::fs::write(tree.path().join(path), content).expect("write");
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.element("[role=toolbar] button").await;
    (tree, server, browser)
}

/// Opens Move to… (or Copy to…) for the selected row and waits for the picker's focus.
async fn open_picker(browser: &Browser, label: &str) {
    click_button(browser, label).await;
    browser
        .wait_until(
            "the folder picker focused",
            "document.activeElement?.id === 'folder-picker'",
        )
        .await;
}

/// Waits until the picker's chosen folder is `path`.
async fn wait_chosen(browser: &Browser, path: &str) {
    let script = format!(
        "document.querySelector('#folder-picker [aria-selected=true]')?.dataset.path === {}",
        serde_json::json!(path)
    );
    browser.wait_until(&format!("{path} chosen"), &script).await;
}

/// The picker's row for `path`, once shown.
fn picker_row(path: &str) -> String {
    format!("#folder-picker [data-path={}]", serde_json::json!(path))
}

/// Types `name` over the rename field's text and presses Enter, as a person does (WebDriver's
/// clear would take the focus away, and leaving the field ends the rename). The field is
/// drawn again when the listing refreshes, so a stale one is looked up anew.
async fn rename_to(browser: &Browser, name: &str) {
    for attempt in 1..=5 {
        let field = browser.element("input[aria-label^='New name']").await;
        let keys = format!("{}a{}{name}{}", Key::Control, Key::Control, Key::Enter);
        match field.send_keys(&keys).await {
            Ok(()) => return,
            Err(error) if attempt == 5 => panic!("rename to {name}: {error}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn read(root: &Path, relative: &str) -> String {
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn move_with_the_keyboard_through_the_folder_picker() {
    let (tree, _server, browser) = start(&[("a.txt", "A")], &["dest", "docs/inner"]).await;
    let root = tree.path();
    browser.click_row("a.txt", None).await;
    open_picker(&browser, "Move to…").await;
    // It starts at the folder shown; letters jump, Right opens, Down walks, Enter moves.
    wait_chosen(&browser, "/").await;
    press(&browser, "do").await;
    wait_chosen(&browser, "/docs").await;
    press(&browser, &Key::Right.to_string()).await;
    browser.element(&picker_row("/docs/inner")).await;
    press(&browser, &Key::Down.to_string()).await;
    wait_chosen(&browser, "/docs/inner").await;
    press(&browser, &Key::Enter.to_string()).await;
    wait_for_path(root, "docs/inner/a.txt", true).await;
    assert!(!root.join("a.txt").exists());
    assert_eq!(read(root, "docs/inner/a.txt"), "A");
    wait_for_toast(&browser, "Moved “a.txt” to /docs/inner").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn move_with_the_mouse_and_make_a_folder_inside_the_picker() {
    let (tree, _server, browser) =
        start(&[("b.txt", "B"), ("c.txt", "C")], &["dest", "docs/inner"]).await;
    let root = tree.path();

    // Open /docs with its arrow, choose /docs/inner with a click, then "Move here".
    browser.click_row("b.txt", None).await;
    open_picker(&browser, "Move to…").await;
    browser
        .element(&format!("{} span", picker_row("/docs")))
        .await
        .click()
        .await
        .expect("open /docs");
    browser
        .element(&picker_row("/docs/inner"))
        .await
        .click()
        .await
        .expect("choose /docs/inner");
    wait_chosen(&browser, "/docs/inner").await;
    click_button(&browser, "Move here").await;
    wait_for_path(root, "docs/inner/b.txt", true).await;
    assert_eq!(read(root, "docs/inner/b.txt"), "B");

    // A new folder inside /dest, made in the picker, chosen, and moved into.
    browser.click_row("c.txt", None).await;
    open_picker(&browser, "Move to…").await;
    browser
        .element(&picker_row("/dest"))
        .await
        .click()
        .await
        .expect("choose /dest");
    wait_chosen(&browser, "/dest").await;
    click_button(&browser, "New folder").await;
    let name = browser
        .element("dialog[open] label input[spellcheck]")
        .await;
    name.send_keys("made").await.expect("type the name");
    click_button(&browser, "Create").await;
    wait_for_path(root, "dest/made", true).await;
    wait_chosen(&browser, "/dest/made").await;
    assert!(root.join("dest/made").is_dir());
    click_button(&browser, "Move here").await;
    wait_for_path(root, "dest/made/c.txt", true).await;
    assert_eq!(read(root, "dest/made/c.txt"), "C");

    // Undo takes back the move, then the new (empty again) folder.
    wait_for_toast(&browser, "Moved “c.txt” to /dest/made").await;
    press(&browser, &format!("{}z{}", Key::Control, Key::Control)).await;
    wait_for_path(root, "c.txt", true).await;
    press(&browser, &format!("{}z{}", Key::Control, Key::Control)).await;
    wait_for_path(root, "dest/made", false).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_typed_folder_that_does_not_exist_is_an_error_and_nothing_is_made() {
    let (tree, server, browser) = start(&[("docs/report.txt", "R")], &["dest", "docs"]).await;
    let root = tree.path();
    browser.open(&format!("{}/docs/", server.url)).await;
    browser.wait_for_rows(&["report.txt"]).await;
    browser.click_row("report.txt", None).await;
    open_picker(&browser, "Move to…").await;
    // "dest" from /docs means /docs/dest, which is not there: said in words, not made.
    let field = browser.element("dialog[open] input[type=text]").await;
    field.clear().await.expect("clear");
    field
        .send_keys(&format!("dest{}", Key::Enter))
        .await
        .expect("type");
    browser
        .wait_until(
            "the error",
            "document.querySelector('dialog[open] [role=alert]')?.textContent
                .includes('There is no folder “/docs/dest”')",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!root.join("docs/dest").exists() && !root.join("docs/docs").exists());
    assert_eq!(read(root, "docs/report.txt"), "R");
    // A file is not a folder either.
    field.clear().await.expect("clear");
    field
        .send_keys(&format!("/docs/report.txt{}", Key::Enter))
        .await
        .expect("type");
    browser
        .wait_until(
            "the file error",
            "document.querySelector('dialog[open] [role=alert]')?.textContent
                .includes('is a file, not a folder')",
        )
        .await;
    // The folder from the top works.
    field.clear().await.expect("clear");
    field
        .send_keys(&format!("/dest{}", Key::Enter))
        .await
        .expect("type");
    wait_for_path(root, "dest/report.txt", true).await;
    assert_eq!(read(root, "dest/report.txt"), "R");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_into_its_own_folder_is_named_copy() {
    let (tree, _server, browser) = start(&[("a.txt", "same bytes")], &["sub"]).await;
    let root = tree.path();
    for expected in ["a (copy).txt", "a (copy 2).txt"] {
        browser.click_row("a.txt", None).await;
        open_picker(&browser, "Copy to…").await;
        wait_chosen(&browser, "/").await;
        press(&browser, &Key::Enter.to_string()).await;
        wait_for_path(root, expected, true).await;
        assert_eq!(read(root, expected), "same bytes");
        wait_for_toast(&browser, &format!("as “{expected}”")).await;
    }
    assert_eq!(read(root, "a.txt"), "same bytes");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_rename_leaves_the_earlier_undo() {
    let (tree, _server, browser) = start(&[("a.txt", "A"), ("c.txt", "C")], &[]).await;
    let root = tree.path();
    // Rename a.txt → b.txt (undoable).
    browser.click_row("a.txt", None).await;
    press(&browser, &Key::F2.to_string()).await;
    rename_to(&browser, "b.txt").await;
    wait_for_path(root, "b.txt", true).await;
    browser.wait_for_rows(&["b.txt", "c.txt"]).await;
    // Rename c.txt → b.txt: refused (the name is taken), nothing changes.
    browser.click_row("c.txt", None).await;
    press(&browser, &Key::F2.to_string()).await;
    rename_to(&browser, "b.txt").await;
    wait_for_toast(&browser, "Could not rename “c.txt”").await;
    press(&browser, &Key::Escape.to_string()).await;
    // Ctrl+Z still takes back the first rename.
    press(&browser, &format!("{}z{}", Key::Control, Key::Control)).await;
    wait_for_path(root, "a.txt", true).await;
    assert!(!root.join("b.txt").exists());
    assert_eq!(read(root, "c.txt"), "C");
    wait_for_toast(&browser, "Undone").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hovered_toast_stays_and_errors_wait_to_be_dismissed() {
    let (tree, _server, browser) = start(&[("a.txt", "A")], &[]).await;
    click_button(&browser, "New folder").await;
    browser
        .element("dialog[open] input[type=text]")
        .await
        .send_keys(&format!("Fresh{}", Key::Enter))
        .await
        .expect("type");
    wait_for_path(tree.path(), "Fresh", true).await;
    wait_for_toast(&browser, "Created “Fresh”").await;
    // The pointer rests on the toast past its 12 s: it stays.
    let toast = browser.element("[data-toast]").await;
    let hover = MouseActions::new("mouse".to_owned()).then(PointerAction::MoveToElement {
        element: toast,
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    browser
        .client
        .perform_actions(hover)
        .await
        .expect("hover the toast");
    tokio::time::sleep(Duration::from_secs(15)).await;
    wait_for_toast(&browser, "Created “Fresh”").await;
    // Once the pointer leaves, it goes in its own time.
    let away = MouseActions::new("mouse".to_owned()).then(PointerAction::MoveTo {
        duration: None,
        x: 5.0,
        y: 5.0,
    });
    browser
        .client
        .perform_actions(away)
        .await
        .expect("move away");
    browser
        .wait_until_within(
            "the toast gone",
            "!document.querySelector('[data-toast]')",
            Duration::from_secs(20),
        )
        .await;

    // A failure stays until dismissed, announced as an alert.
    click_button(&browser, "New folder").await;
    browser
        .element("dialog[open] input[type=text]")
        .await
        .send_keys(&format!("Fresh{}", Key::Enter))
        .await
        .expect("type");
    browser
        .wait_until(
            "the refusal in the dialog",
            "document.querySelector('dialog[open] [role=alert]')",
        )
        .await;
    click_button(&browser, "Cancel").await;
    browser.click_row("a.txt", None).await;
    press(&browser, &Key::F2.to_string()).await;
    rename_to(&browser, "Fresh").await;
    wait_for_toast(&browser, "Could not rename").await;
    press(&browser, &Key::Escape.to_string()).await;
    tokio::time::sleep(Duration::from_secs(14)).await;
    browser
        .wait_until(
            "the error still shown",
            "document.querySelector('[role=alert] [data-toast]')",
        )
        .await;
    browser
        .element("[data-toast] button[aria-label=Dismiss]")
        .await
        .click()
        .await
        .expect("dismiss");
    browser
        .wait_until("the error gone", "!document.querySelector('[data-toast]')")
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_folder_picker_works_by_touch() {
    let (tree, _server, browser) = start(&[("t.txt", "T")], &["dest", "docs/inner"]).await;
    let root = tree.path();
    browser.emulate_device(1024, 768, false, true).await;
    browser.tap("[role=row][data-name=\"t.txt\"]").await;
    browser
        .wait_until(
            "t.txt selected",
            "new URLSearchParams(location.search).get('sel') === 't.txt'",
        )
        .await;
    // Where the bar has no room, the actions are behind "More actions".
    if browser.is_shown("[data-action=more-actions]").await {
        browser.tap("[data-action=more-actions]").await;
    }
    click_button(&browser, "Move to…").await;
    browser.element("#folder-picker").await;
    // A tap on the arrow opens /docs, a tap on a folder chooses it, a tap on the button moves.
    browser.tap(&format!("{} span", picker_row("/docs"))).await;
    browser.tap(&picker_row("/docs/inner")).await;
    wait_chosen(&browser, "/docs/inner").await;
    browser.tap("dialog[open] button[type=submit]").await;
    wait_for_path(root, "docs/inner/t.txt", true).await;
    assert_eq!(read(root, "docs/inner/t.txt"), "T");
    browser.close().await;
}
