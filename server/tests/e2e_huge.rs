//! End-to-end: a 100,000-entry folder stays usable. Its first rows are shown while the
//! rest of its listing still comes (saying so), only the visible rows exist in the DOM,
//! the keyboard reaches the last entry, and a folder with thousands of subfolders does
//! the same in the tree. (Speed is measured by `cargo xtask bench`, not here.)

mod browser;

use browser::{Browser, Server};
use fantoccini::key::Key;

const FILES: usize = 100_000;
const SUBFOLDERS: usize = 5_000;

/// Added to every new document: notes what the grid said when its first row appeared,
/// and whether the "so far" status was ever shown.
const WATCH_FIRST_ROWS: &str = r#"
    (() => {
        const seen = window.firstRows = { busy: null, count: null, soFar: false };
        new MutationObserver(() => {
            const grid = document.querySelector('[role=grid]');
            if (seen.busy === null && grid && document.querySelector('[role=row][data-name]')) {
                seen.busy = grid.getAttribute('aria-busy');
                seen.count = Number(grid.getAttribute('aria-rowcount'));
            }
            if (!seen.soFar) {
                seen.soFar = [...document.querySelectorAll('[role=status]')]
                    .some(status => /Loading… [0-9,]+ items so far/.test(status.textContent));
            }
        }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    })();
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_of_100000_files_renders_only_visible_rows() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let big = tree.path().join("big");
    std::fs::create_dir(&big).expect("mkdir");
    for i in 0..FILES {
        std::fs::File::create(big.join(format!("file-{i:06}.txt"))).expect("create");
    }
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": WATCH_FIRST_ROWS }),
        )
        .await;
    browser.open(&format!("{}/big/", server.url)).await;
    browser
        .wait_until(
            "the first rows",
            "document.querySelector('[role=row][data-name=\"file-000000.txt\"]') !== null",
        )
        .await;
    browser
        .wait_until_within(
            "the whole folder read",
            "document.querySelector('[role=grid]').getAttribute('aria-busy') === 'false'",
            std::time::Duration::from_secs(60),
        )
        .await;
    // The first rows came while the listing was still being read, and the page said so.
    let first = browser
        .client
        .execute("return window.firstRows", vec![])
        .await
        .expect("what the watcher saw");
    assert_eq!(first["busy"], "true", "first rows only at the end: {first}");
    let first_count = first["count"].as_u64().expect("a row count");
    assert!(
        first_count > 1 && first_count < FILES as u64 / 2,
        "the first rows came with {first_count} rows counted"
    );
    assert_eq!(first["soFar"], true, "no \"so far\" status: {first}");
    let so_far_now = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[role=status]')].some(s => /so far/.test(s.textContent))",
            vec![],
        )
        .await
        .expect("status");
    assert_eq!(
        so_far_now, false,
        "the status stays after the whole folder came"
    );
    let rows_in_dom = browser.row_names().await.len();
    assert!(
        (10..200).contains(&rows_in_dom),
        "{rows_in_dom} rows in the DOM for {FILES} entries"
    );
    let row_count = browser
        .element("[role=grid]")
        .await
        .attr("aria-rowcount")
        .await
        .expect("aria-rowcount");
    assert_eq!(row_count, Some((FILES + 1).to_string()));

    // Keyboard: End selects the last entry and scrolls it into view, still virtualised.
    let grid = browser.element("[role=grid]").await;
    grid.send_keys(&Key::End.to_string()).await.expect("End");
    browser
        .wait_until(
            "the last entry selected and rendered",
            "document.querySelector('[role=row][aria-selected=true]')?.dataset.name === 'file-099999.txt'",
        )
        .await;
    let rows_in_dom = browser.row_names().await.len();
    assert!(rows_in_dom < 200, "{rows_in_dom} rows after scrolling");
    let url = browser.client.current_url().await.expect("the URL");
    assert_eq!(url.query(), Some("sel=file-099999.txt"));

    // The filter still answers on the whole folder.
    let filter = browser.element("input[type=search]").await;
    filter.send_keys("file-04242").await.expect("type");
    browser
        .wait_for_rows(&[
            "file-042420.txt",
            "file-042421.txt",
            "file-042422.txt",
            "file-042423.txt",
            "file-042424.txt",
            "file-042425.txt",
            "file-042426.txt",
            "file-042427.txt",
            "file-042428.txt",
            "file-042429.txt",
        ])
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_of_5000_subfolders_is_virtualised_in_the_tree() {
    let tree = tempfile::tempdir().expect("a temp folder");
    for i in 0..SUBFOLDERS {
        std::fs::create_dir_all(tree.path().join(format!("wide/dir-{i:05}"))).expect("mkdir");
    }
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/wide/", server.url)).await;
    // Expand `wide` in the tree: its 5,000 subfolders load, only the visible ones render.
    browser
        .element("[role=treeitem][data-path='/wide'] button")
        .await
        .click()
        .await
        .expect("expand wide");
    browser
        .wait_until(
            "the first subfolder in the tree",
            "document.querySelector('[role=treeitem][data-path=\"/wide/dir-00000\"]') !== null",
        )
        .await;
    let items = browser
        .client
        .execute(
            "return document.querySelectorAll('[role=treeitem]').length",
            vec![],
        )
        .await
        .expect("count tree items");
    let items = items.as_u64().expect("a number");
    assert!(
        items < 200,
        "{items} tree items in the DOM for {SUBFOLDERS} folders"
    );
    // End in the tree reaches the last folder.
    let tree_widget = browser.element("[role=tree]").await;
    tree_widget
        .send_keys(&Key::End.to_string())
        .await
        .expect("End");
    browser
        .wait_until(
            "the last subfolder rendered in the tree",
            "document.querySelector('[role=treeitem][data-path=\"/wide/dir-04999\"]') !== null",
        )
        .await;
    browser.close().await;
}
