//! The file manager's whole flow, end to end in headless Chromium against a real
//! skiff-server, twice: once with the mouse (toolbar, drag and drop onto a folder row and a
//! tree item) and once with the keyboard alone. Create a folder, rename it, move a file
//! into it, edit that file's metadata and reload to find it kept, multi-select and delete,
//! and undo a move; every step is checked on disk.

mod browser;

use std::path::Path;

use browser::files::{
    answer_dialog, click_button, click_button_in, fill_last_metadata_row, press, tab_to,
    tab_to_button, wait_for_path, wait_for_selected, wait_for_toast,
};
use browser::{Browser, Server};
use fantoccini::key::Key;

/// The folder both flows start from.
fn fixture(root: &Path) {
    std::fs::write(root.join("report.txt"), "quarterly numbers").expect("write");
    for name in ["a.txt", "b.txt", "c.txt", "notes.md"] {
        std::fs::write(root.join(name), name).expect("write");
    }
}

/// The fixture served writable, and the app open on it with its toolbar ready.
async fn start() -> (tempfile::TempDir, Server, Browser) {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["a.txt", "b.txt", "c.txt", "notes.md", "report.txt"])
        .await;
    browser.element("[role=toolbar] button").await;
    (tree, server, browser)
}

fn row(name: &str) -> String {
    format!("[role=row][data-name=\"{name}\"]")
}

/// The metadata the server keeps for `path`.
async fn metadata_of(server: &Server, path: &str) -> serde_json::Value {
    reqwest::get(format!("{}/.skiff/api/storage/metadata/{path}", server.url))
        .await
        .expect("GET metadata")
        .json()
        .await
        .expect("metadata JSON")
}

/// Waits for the saved metadata key `project` to show in the editor.
async fn wait_for_saved_metadata(browser: &Browser) {
    browser
        .wait_until(
            "the saved key in the editor",
            "[...document.querySelectorAll('[data-metadata-row] input')].map(i => i.value).join('|') === 'project|skiff'",
        )
        .await;
}

/// The script that is true once `name` is the selected row.
fn selected(name: &str) -> String {
    format!(
        "document.querySelector('[role=row][aria-selected=true]')?.dataset.name === {}",
        serde_json::json!(name)
    )
}

/// Shift+F10 opens the context menu; its first item takes the focus.
async fn open_menu_by_keyboard(browser: &Browser) {
    press(browser, &format!("{}{}", Key::Shift, Key::F10)).await;
    browser
        .wait_until(
            "the menu, focused",
            "document.activeElement?.getAttribute('role') === 'menuitem'",
        )
        .await;
}

/// Keys only: End selects the last row (`name`), the menu's Move to… sends it to `folder`
/// (a folder at the top): the picker starts in its tree, letters jump, Enter moves.
async fn move_last_row_by_keyboard(browser: &Browser, name: &str, folder: &str) {
    press(browser, &Key::End.to_string()).await;
    browser
        .wait_until(&format!("{name} selected"), &selected(name))
        .await;
    open_menu_by_keyboard(browser).await;
    // Rename, then Move to….
    press(browser, &format!("{}{}", Key::Down, Key::Enter)).await;
    browser
        .wait_until(
            "the folder picker focused",
            "document.activeElement?.id === 'folder-picker'",
        )
        .await;
    press(browser, folder.trim_start_matches('/')).await;
    let chosen = format!(
        "document.querySelector('#folder-picker [aria-selected=true]')?.dataset.path === {folder:?}"
    );
    browser
        .wait_until(&format!("{folder} chosen"), &chosen)
        .await;
    press(browser, &Key::Enter.to_string()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_flow_with_the_mouse() {
    let (tree, server, browser) = start().await;
    let root = tree.path();

    // Create a folder.
    click_button(&browser, "New folder").await;
    answer_dialog(&browser, "Inbox").await;
    wait_for_path(root, "Inbox", true).await;

    // Rename it in place (the toolbar's Rename).
    browser.click_row("Inbox", None).await;
    click_button(&browser, "Rename").await;
    browser
        .wait_until(
            "the rename field, focused",
            "document.activeElement?.matches('[role=row] input')",
        )
        .await;
    // The whole name is selected: typing replaces it.
    press(&browser, &format!("Archive{}", Key::Enter)).await;
    wait_for_path(root, "Archive", true).await;
    assert!(!root.join("Inbox").exists());
    browser.element(&row("Archive")).await;

    // Drag a file onto the folder's row: it moves there, bytes intact.
    browser.drag(&row("report.txt"), &row("Archive")).await;
    wait_for_path(root, "Archive/report.txt", true).await;
    wait_for_path(root, "report.txt", false).await;
    assert_eq!(
        std::fs::read(root.join("Archive/report.txt")).expect("read"),
        b"quarterly numbers"
    );
    wait_for_toast(&browser, "Moved “report.txt” to /Archive").await;

    // Open the folder (click, Enter), edit the file's metadata, reload: it is still there.
    browser
        .wait_for_rows(&["Archive", "a.txt", "b.txt", "c.txt", "notes.md"])
        .await;
    browser.click_row("Archive", None).await;
    press(&browser, &Key::Enter.to_string()).await;
    browser.wait_for_rows(&["report.txt"]).await;
    browser.click_row("report.txt", None).await;
    browser
        .element("section[aria-label=Metadata] input[data-field=_format]")
        .await;
    click_button_in(&browser, "section[aria-label=Metadata]", "Add key").await;
    fill_last_metadata_row(&browser, "project", "skiff").await;
    click_button_in(&browser, "section[aria-label=Metadata]", "Save").await;
    browser
        .wait_until(
            "Saved",
            "document.querySelector('section[aria-label=Metadata]').innerText.includes('Saved')",
        )
        .await;
    browser.client.refresh().await.expect("reload");
    wait_for_saved_metadata(&browser).await;
    assert_eq!(
        metadata_of(&server, "Archive/report.txt").await["project"],
        "skiff"
    );

    // Back up; multi-select (click, Shift-click) and delete after the confirmation.
    browser
        .element("[role=tree] [data-path=\"/\"] a")
        .await
        .click()
        .await
        .expect("the root in the tree");
    browser
        .wait_for_rows(&["Archive", "a.txt", "b.txt", "c.txt", "notes.md"])
        .await;
    browser.click_row("a.txt", None).await;
    browser.click_row("c.txt", Some("shiftKey")).await;
    click_button(&browser, "Delete").await;
    browser
        .wait_until(
            "the confirmation listing what goes",
            "[...document.querySelectorAll('dialog[open] li')].map(li => li.textContent).join() === 'a.txt,b.txt,c.txt'",
        )
        .await;
    click_button(&browser, "Delete").await;
    for name in ["a.txt", "b.txt", "c.txt"] {
        wait_for_path(root, name, false).await;
    }
    wait_for_toast(&browser, "Deleted 3 items").await;
    browser.wait_for_rows(&["Archive", "notes.md"]).await;

    // Drag a file onto the folder in the tree, then undo the move.
    browser
        .element("[role=tree] [data-path=\"/Archive\"]")
        .await;
    browser
        .drag(&row("notes.md"), "[role=tree] [data-path=\"/Archive\"]")
        .await;
    wait_for_path(root, "Archive/notes.md", true).await;
    wait_for_toast(&browser, "Moved “notes.md” to /Archive").await;
    click_button(&browser, "Undo").await;
    wait_for_path(root, "notes.md", true).await;
    wait_for_path(root, "Archive/notes.md", false).await;
    assert_eq!(
        std::fs::read(root.join("notes.md")).expect("read"),
        b"notes.md"
    );
    // The file that was moved and described kept its metadata.
    assert_eq!(
        metadata_of(&server, "Archive/report.txt").await["project"],
        "skiff"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_flow_with_the_keyboard_alone() {
    let (tree, server, browser) = start().await;
    let root = tree.path();
    // Tab into the listing; the first row; the menu (Shift+F10) → New folder.
    tab_to(&browser, "[role=grid]").await;
    press(&browser, &Key::Down.to_string()).await;
    browser
        .wait_until("a.txt selected", &selected("a.txt"))
        .await;
    open_menu_by_keyboard(&browser).await;
    // Rename, Move to…, Copy to…, Download, New folder.
    press(
        &browser,
        &format!("{}{}{}{}", Key::Down, Key::Down, Key::Down, Key::Down),
    )
    .await;
    press(&browser, &Key::Enter.to_string()).await;
    browser.element("dialog[open] input").await;
    press(&browser, &format!("Inbox{}", Key::Enter)).await;
    wait_for_path(root, "Inbox", true).await;
    browser
        .wait_until("Inbox selected", &selected("Inbox"))
        .await;

    // F2 renames it in place.
    browser
        .wait_until(
            "focus back in the listing",
            "document.activeElement?.getAttribute('role') === 'grid'",
        )
        .await;
    press(&browser, &Key::F2.to_string()).await;
    browser
        .wait_until(
            "the rename field, all selected",
            "(e => e?.matches('[role=row] input') && e.selectionEnd === 5)(document.activeElement)",
        )
        .await;
    press(&browser, &format!("Archive{}", Key::Enter)).await;
    wait_for_path(root, "Archive", true).await;
    assert!(!root.join("Inbox").exists());

    // Move report.txt into it: End selects it, the menu's Move to…, the folder typed.
    browser
        .wait_until(
            "focus back in the listing",
            "document.activeElement?.getAttribute('role') === 'grid'",
        )
        .await;
    browser
        .wait_for_rows(&[
            "Archive",
            "a.txt",
            "b.txt",
            "c.txt",
            "notes.md",
            "report.txt",
        ])
        .await;
    move_last_row_by_keyboard(&browser, "report.txt", "/Archive").await;
    wait_for_path(root, "Archive/report.txt", true).await;
    wait_for_path(root, "report.txt", false).await;

    // Into the folder (Home, Enter), the file, its metadata by Tab; reload.
    browser
        .wait_for_rows(&["Archive", "a.txt", "b.txt", "c.txt", "notes.md"])
        .await;
    tab_to(&browser, "[role=grid]").await;
    press(&browser, &format!("{}{}", Key::Home, Key::Enter)).await;
    browser.wait_for_rows(&["report.txt"]).await;
    press(&browser, &Key::Down.to_string()).await;
    browser
        .wait_until("report.txt selected", &selected("report.txt"))
        .await;
    browser
        .element("section[aria-label=Metadata] input[data-field=_format]")
        .await;
    tab_to_button(&browser, "Add key").await;
    press(&browser, &Key::Enter.to_string()).await;
    browser
        .wait_until(
            "the cursor in the new key",
            "document.activeElement?.matches('[data-metadata-row]:last-of-type input[aria-label=Key]')",
        )
        .await;
    press(&browser, &format!("project{}skiff", Key::Tab)).await;
    tab_to_button(&browser, "Save").await;
    press(&browser, &Key::Enter.to_string()).await;
    browser
        .wait_until(
            "Saved",
            "document.querySelector('section[aria-label=Metadata]').innerText.includes('Saved')",
        )
        .await;
    browser.client.refresh().await.expect("reload (F5)");
    wait_for_saved_metadata(&browser).await;
    assert_eq!(
        metadata_of(&server, "Archive/report.txt").await["project"],
        "skiff"
    );

    // Up (Backspace); Shift+Down twice selects three files; Delete; confirm.
    tab_to(&browser, "[role=grid]").await;
    press(&browser, &Key::Backspace.to_string()).await;
    browser
        .wait_for_rows(&["Archive", "a.txt", "b.txt", "c.txt", "notes.md"])
        .await;
    browser
        .wait_until("Archive selected", &selected("Archive"))
        .await;
    press(
        &browser,
        &format!(
            "{}{}{}{}{}",
            Key::Down,
            Key::Shift,
            Key::Down,
            Key::Down,
            Key::Shift
        ),
    )
    .await;
    wait_for_selected(&browser, 3).await;
    press(&browser, &Key::Delete.to_string()).await;
    browser
        .wait_until(
            "the confirmation listing what goes",
            "[...document.querySelectorAll('dialog[open] li')].map(li => li.textContent).join() === 'a.txt,b.txt,c.txt'",
        )
        .await;
    tab_to_button(&browser, "Delete").await;
    press(&browser, &Key::Enter.to_string()).await;
    for name in ["a.txt", "b.txt", "c.txt"] {
        wait_for_path(root, name, false).await;
    }

    // Move notes.md by the menu, then Ctrl+Z undoes the move.
    browser.wait_for_rows(&["Archive", "notes.md"]).await;
    browser
        .wait_until(
            "focus back in the listing",
            "document.activeElement?.getAttribute('role') === 'grid'",
        )
        .await;
    move_last_row_by_keyboard(&browser, "notes.md", "/Archive").await;
    wait_for_path(root, "Archive/notes.md", true).await;
    wait_for_toast(&browser, "Moved “notes.md” to /Archive").await;
    press(&browser, &format!("{}z", Key::Control)).await;
    wait_for_path(root, "notes.md", true).await;
    wait_for_path(root, "Archive/notes.md", false).await;
    wait_for_toast(&browser, "Undone").await;
    browser.close().await;
}
