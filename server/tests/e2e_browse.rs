//! End-to-end: a person browsing a folder with the Skiff app in headless Chromium,
//! served by the real skiff-server (see `browser/mod.rs` for the harness).

mod browser;

use std::path::Path;

use browser::{Browser, Server};
use fantoccini::key::Key;

/// A small tree with nesting, unicode and a name full of URL syntax.
fn fixture(root: &Path) {
    std::fs::create_dir_all(root.join("docs/reports/2026")).expect("mkdir");
    std::fs::create_dir_all(root.join("photos ☀")).expect("mkdir");
    std::fs::write(root.join("docs/reports/summary.txt"), "all good\n").expect("write");
    let report: Vec<u8> = (0..12_345u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(root.join("docs/report.bin"), report).expect("write");
    std::fs::write(root.join("photos ☀/a b#c?d%e.txt"), "hostile\n").expect("write");
    std::fs::write(root.join("readme.txt"), "Skiff e2e\n").expect("write");
}

const ROOT_ROWS: [&str; 3] = ["docs", "photos ☀", "readme.txt"];

#[tokio::test(flavor = "multi_thread")]
async fn browse_expand_open_select_reload_and_go_back() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    let client = &browser.client;

    // Open the root.
    client
        .goto(&format!("{}/", server.url))
        .await
        .expect("open the app");
    browser.wait_for_rows(&ROOT_ROWS).await;

    // Expand `docs` in the tree: its subfolder appears there, the listing stays.
    browser
        .element("[role=treeitem][data-path='/docs'] button")
        .await
        .click()
        .await
        .expect("click the expander");
    browser
        .element("[role=treeitem][data-path='/docs/reports']")
        .await;
    assert_eq!(browser.row_names().await, ROOT_ROWS);

    // Open `docs` from the tree.
    browser
        .element("[role=treeitem][data-path='/docs'] a")
        .await
        .click()
        .await
        .expect("click the folder");
    browser.wait_for_rows(&["reports", "report.bin"]).await;
    let url = client.current_url().await.expect("the URL");
    assert_eq!(url.path(), "/docs/");

    // Select the file: the details pane shows its exact size, the URL names it.
    browser.click_row("report.bin", None).await;
    browser
        .wait_until(
            "the exact size in the details pane",
            "document.querySelector('[data-field=size]')?.dataset.bytes === '12345'",
        )
        .await;
    let url = client.current_url().await.expect("the URL");
    assert_eq!(
        (url.path(), url.query()),
        ("/docs/", Some("sel=report.bin"))
    );
    let size_text = browser
        .element("[data-field=size]")
        .await
        .text()
        .await
        .expect("size text");
    assert!(
        size_text.contains("12,345 bytes"),
        "size shown as {size_text:?}"
    );

    // The download link serves exactly the bytes on disk.
    let href = browser
        .element("a[download]")
        .await
        .prop("href")
        .await
        .expect("the download link")
        .expect("an href");
    let downloaded = reqwest::get(&href)
        .await
        .expect("download")
        .bytes()
        .await
        .expect("the bytes");
    let on_disk = std::fs::read(tree.path().join("docs/report.bin")).expect("read");
    assert_eq!(downloaded.as_ref(), on_disk.as_slice());

    // Reload the deep link: same folder, same selection, same details.
    client.refresh().await.expect("reload");
    browser.wait_for_rows(&["reports", "report.bin"]).await;
    browser
        .wait_until(
            "the selection restored after reload",
            "document.querySelector('[role=row][aria-selected=true]')?.dataset.name === 'report.bin'
             && document.querySelector('[data-field=size]')?.dataset.bytes === '12345'",
        )
        .await;
    browser.screenshot("browse-docs").await;

    // Back: the root again, with `docs` still expanded in a fresh tree (the page reloaded).
    client.back().await.expect("go back");
    browser.wait_for_rows(&ROOT_ROWS).await;
    let url = client.current_url().await.expect("the URL");
    assert_eq!(url.path(), "/");

    // Keyboard only: select `docs`, Enter opens it, Backspace comes back with `docs` selected.
    let grid = browser.element("[role=grid]").await;
    grid.send_keys(&Key::Down.to_string())
        .await
        .expect("arrow down");
    browser
        .wait_until(
            "docs selected",
            "document.querySelector('[role=row][aria-selected=true]')?.dataset.name === 'docs'",
        )
        .await;
    grid.send_keys(&Key::Enter.to_string())
        .await
        .expect("enter");
    browser.wait_for_rows(&["reports", "report.bin"]).await;
    browser
        .element("[role=grid]")
        .await
        .send_keys(&Key::Backspace.to_string())
        .await
        .expect("backspace");
    browser.wait_for_rows(&ROOT_ROWS).await;
    browser
        .wait_until(
            "docs selected after going up",
            "document.querySelector('[role=row][aria-selected=true]')?.dataset.name === 'docs'",
        )
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_link_to_a_hostile_name_in_a_unicode_folder() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    let folder = skiff_protocol::encode_segment("photos ☀");
    let file = skiff_protocol::encode_segment("a b#c?d%e.txt");
    browser
        .open(&format!("{}/{folder}/?sel={file}", server.url))
        .await;
    browser.wait_for_rows(&["a b#c?d%e.txt"]).await;
    browser
        .wait_until(
            "the hostile name selected with its size",
            "document.querySelector('[data-field=name]')?.textContent === 'a b#c?d%e.txt'
             && document.querySelector('[data-field=size]')?.dataset.bytes === '8'",
        )
        .await;
    let breadcrumb = browser
        .element("nav[aria-label=Breadcrumb] [aria-current=page]")
        .await
        .text()
        .await
        .expect("breadcrumb text");
    assert_eq!(breadcrumb, "photos ☀");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_folder_deep_link_shows_not_found() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/no/such/place/", server.url))
        .await;
    browser
        .wait_until(
            "the not-found state",
            "document.querySelector('[role=alert]')?.textContent.includes('Folder not found')",
        )
        .await;
    browser.close().await;
}
