//! End-to-end file operations in the Skiff app (headless Chromium, real skiff-server with
//! the raw API): new folder, rename in place with F2 (the id survives) and undo,
//! multi-select and move with undo, delete with confirmation, a read-only server, the
//! context menu by keyboard; checked on disk each time. More cases in e2e_file_cases.rs.

mod browser;

use std::path::Path;

use browser::files::{
    answer_dialog, click_button, press, wait_for_path, wait_for_selected, wait_for_toast,
};
use browser::{Browser, Server};
use fantoccini::key::Key;

/// The stable id the server gives `path` (raw API `stat`).
async fn id_of(server: &Server, path: &str) -> String {
    let url = format!("{}/.skiff/raw/stat?ref=path:{path}", server.url);
    let stat: serde_json::Value = reqwest::get(url)
        .await
        .expect("stat")
        .json()
        .await
        .expect("stat JSON");
    stat["id"].as_str().expect("an id").to_owned()
}

fn exists(root: &Path, path: &str) -> bool {
    root.join(path).exists()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_rename_undo_move_and_delete() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let root = tree.path();
    for name in ["a.txt", "b.txt", "c.txt"] {
        std::fs::write(root.join(name), name).expect("write");
    }
    let server = Server::start(root, &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.wait_for_rows(&["a.txt", "b.txt", "c.txt"]).await;

    // New folder.
    browser.element("[role=toolbar] button").await;
    click_button(&browser, "New folder").await;
    answer_dialog(&browser, "Projects").await;
    browser
        .wait_for_rows(&["Projects", "a.txt", "b.txt", "c.txt"])
        .await;
    assert!(root.join("Projects").is_dir());

    // Rename with F2; the entry keeps its id.
    browser.click_row("a.txt", None).await;
    let id_before = id_of(&server, "/a.txt").await;
    browser
        .element("[role=grid]")
        .await
        .send_keys(&Key::F2.to_string())
        .await
        .expect("F2");
    // The name turns into a field with the part before the extension selected.
    browser
        .wait_until(
            "the rename field, the stem selected",
            "(e => e?.matches('[role=row] input') && e.value === 'a.txt'
                && e.selectionStart === 0 && e.selectionEnd === 1)(document.activeElement)",
        )
        .await;
    press(&browser, &format!("alpha{}", Key::Enter)).await;
    browser
        .wait_for_rows(&["Projects", "alpha.txt", "b.txt", "c.txt"])
        .await;
    assert!(exists(root, "alpha.txt") && !exists(root, "a.txt"));
    browser
        .wait_until(
            "alpha.txt selected",
            "document.querySelector('[data-field=name]')?.textContent === 'alpha.txt'",
        )
        .await;
    assert_eq!(
        id_of(&server, "/alpha.txt").await,
        id_before,
        "the id changed with the rename"
    );

    // Undo puts the name back.
    wait_for_toast(&browser, "Renamed “a.txt” to “alpha.txt”").await;
    click_button(&browser, "Undo").await;
    browser
        .wait_for_rows(&["Projects", "a.txt", "b.txt", "c.txt"])
        .await;
    assert!(exists(root, "a.txt") && !exists(root, "alpha.txt"));

    // Multi-select (click, Ctrl-click) and move into the folder, then undo.
    browser.click_row("b.txt", None).await;
    browser.click_row("c.txt", Some("ctrlKey")).await;
    wait_for_selected(&browser, 2).await;
    click_button(&browser, "Move to…").await;
    answer_dialog(&browser, "/Projects").await;
    browser.wait_for_rows(&["Projects", "a.txt"]).await;
    assert!(exists(root, "Projects/b.txt") && exists(root, "Projects/c.txt"));
    click_button(&browser, "Undo").await;
    browser
        .wait_for_rows(&["Projects", "a.txt", "b.txt", "c.txt"])
        .await;
    assert!(exists(root, "b.txt") && !exists(root, "Projects/b.txt"));

    // Shift-click a range and delete it with the Delete key, after the confirmation.
    browser.click_row("a.txt", None).await;
    browser.click_row("c.txt", Some("shiftKey")).await;
    wait_for_selected(&browser, 3).await;
    browser
        .element("[role=grid]")
        .await
        .send_keys(&Key::Delete.to_string())
        .await
        .expect("Delete");
    browser
        .wait_until(
            "the confirmation listing what goes",
            "[...document.querySelectorAll('dialog[open] li')].map(li => li.textContent).join() === 'a.txt,b.txt,c.txt'",
        )
        .await;
    // Nothing is gone before the confirmation.
    assert!(exists(root, "a.txt"));
    click_button(&browser, "Delete").await;
    browser.wait_for_rows(&["Projects"]).await;
    for name in ["a.txt", "b.txt", "c.txt"] {
        assert!(!exists(root, name), "{name} was not deleted");
    }
    browser.screenshot("files").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_server_offers_only_downloads() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("keep.txt"), "x").expect("write");
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.wait_for_rows(&["keep.txt"]).await;
    browser.click_row("keep.txt", None).await;
    browser
        .element("[role=grid]")
        .await
        .send_keys(&Key::Delete.to_string())
        .await
        .expect("Delete");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    browser.element("[role=toolbar]").await;
    let state = browser
        .client
        .execute(
            "return [[...document.querySelectorAll('[role=toolbar] button')].map(b => b.textContent),
                     !!document.querySelector('dialog[open]')]",
            vec![],
        )
        .await
        .expect("read the page");
    // Only downloading is offered.
    assert_eq!(state, serde_json::json!([["Download"], false]));
    assert!(tree.path().join("keep.txt").exists());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keyboard_only_copy_through_the_context_menu() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let root = tree.path();
    std::fs::create_dir(root.join("backup")).expect("mkdir");
    std::fs::write(root.join("report.txt"), "quarterly").expect("write");
    let server = Server::start(root, &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.wait_for_rows(&["backup", "report.txt"]).await;
    browser.element("[role=toolbar]").await;
    let grid = browser.element("[role=grid]").await;
    // Keys only: select report.txt, open the menu (Shift+F10), walk to "Copy to…".
    grid.send_keys(&format!("{}{}", Key::Down, Key::Down))
        .await
        .expect("arrows");
    browser
        .wait_until(
            "report.txt selected",
            "document.querySelector('[role=row][aria-selected=true]')?.dataset.name === 'report.txt'",
        )
        .await;
    grid.send_keys(&format!("{}{}", Key::Shift, Key::F10))
        .await
        .expect("Shift+F10");
    browser
        .wait_until(
            "the menu, focused",
            "document.activeElement?.getAttribute('role') === 'menuitem'",
        )
        .await;
    browser
        .client
        .active_element()
        .await
        .expect("the focused item")
        .send_keys(&format!("{}{}", Key::Down, Key::Down))
        .await
        .expect("down to Copy to…");
    let focused = browser
        .client
        .execute("return document.activeElement.textContent", vec![])
        .await
        .expect("focused item");
    assert_eq!(focused, serde_json::json!("Copy to…"));
    browser
        .client
        .active_element()
        .await
        .expect("the focused item")
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("Enter");
    answer_dialog(&browser, "/backup").await;
    wait_for_path(root, "backup/report.txt", true).await;
    assert_eq!(
        std::fs::read(root.join("backup/report.txt")).expect("read"),
        b"quarterly"
    );
    assert!(
        root.join("report.txt").exists(),
        "a copy must keep the original"
    );

    // Right click opens the same menu; Escape closes it.
    browser
        .client
        .execute(
            "document.querySelector('[role=row][data-name=\"backup\"]').dispatchEvent(
                new MouseEvent('contextmenu', {bubbles: true, cancelable: true, clientX: 300, clientY: 120}))",
            vec![],
        )
        .await
        .expect("right click");
    browser
        .wait_until("the menu", "document.querySelector('[role=menu]')")
        .await;
    browser
        .client
        .active_element()
        .await
        .expect("the focused item")
        .send_keys(&Key::Escape.to_string())
        .await
        .expect("Escape");
    browser
        .wait_until("the menu closed", "!document.querySelector('[role=menu]')")
        .await;
    browser.close().await;
}
