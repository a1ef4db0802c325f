//! End-to-end: a folder's first screen is in the page skiff-server sends (its rows
//! painted before the app has loaded, links that browse even without the app), the
//! app takes its place once it shows the folder, and a server with tokens never
//! puts a listing into its public page.

mod browser;

use browser::{Browser, Server};
use serde_json::json;

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

fn tree() -> tempfile::TempDir {
    let tree = tempfile::tempdir().expect("a temp folder");
    let docs = tree.path().join("docs");
    std::fs::create_dir_all(docs.join("Sub folder")).expect("mkdir");
    std::fs::write(docs.join("b10.txt"), vec![b'x'; 1536]).expect("write");
    std::fs::write(docs.join("b2.txt"), "two").expect("write");
    std::fs::write(docs.join("<b>odd & \"name\".txt"), "odd").expect("write");
    std::fs::write(docs.join("Sub folder").join("inner.txt"), "in").expect("write");
    tree
}

/// The names of the first screen's rows, in order.
async fn first_screen_rows(browser: &Browser) -> Vec<String> {
    let value = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#skiff-first-screen tr[data-name]')]
                .map(row => row.dataset.name)",
            vec![],
        )
        .await
        .expect("read the first screen");
    serde_json::from_value(value).expect("names")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_screen_shows_the_folder_before_the_app_and_gives_way_to_it() {
    let tree = tree();
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    // Without its wasm the app never starts: what shows is the page as sent.
    browser.cdp("Network.enable", json!({})).await;
    browser
        .cdp("Network.setBlockedURLs", json!({ "urls": ["*.wasm"] }))
        .await;
    browser.open(&format!("{}/docs/", server.url)).await;
    browser
        .wait_until(
            "the first screen's rows",
            "document.querySelector('#skiff-first-screen tr[data-name=\"b2.txt\"]')",
        )
        .await;
    assert_eq!(
        first_screen_rows(&browser).await,
        ["Sub folder", "<b>odd & \"name\".txt", "b2.txt", "b10.txt"],
        "folders first, then names as people read them, every name as text"
    );
    let text = browser
        .client
        .execute(
            "return document.getElementById('skiff-first-screen').innerText",
            vec![],
        )
        .await
        .expect("its text");
    let text = text.as_str().expect("text");
    assert!(text.contains("1.5 KiB"), "{text}");
    assert!(text.contains("Skiff is loading"), "{text}");
    assert!(
        browser.is_shown("#skiff-first-screen").await,
        "the first screen is on the page"
    );

    // Its links browse, app or not.
    browser
        .element("#skiff-first-screen a[href=\"/docs/Sub%20folder/\"]")
        .await
        .click()
        .await
        .expect("click the folder's link");
    browser
        .wait_until(
            "the subfolder's first screen",
            "document.querySelector('#skiff-first-screen tr[data-name=\"inner.txt\"]')",
        )
        .await;

    // With its wasm, the app starts, shows the folder itself and the screen goes.
    browser
        .cdp("Network.setBlockedURLs", json!({ "urls": [] }))
        .await;
    browser.open(&format!("{}/docs/", server.url)).await;
    browser
        .wait_for_rows(&["Sub folder", "<b>odd & \"name\".txt", "b2.txt", "b10.txt"])
        .await;
    browser
        .wait_until(
            "the first screen gone",
            "document.getElementById('skiff-first-screen') === null",
        )
        .await;
    browser.click_row("b2.txt", None).await;
    browser
        .wait_until(
            "b2.txt selected in the app",
            "document.querySelector('[role=row][aria-selected=true]')?.dataset.name === 'b2.txt'",
        )
        .await;
    browser.close().await;
}

#[tokio::test]
async fn the_page_changes_with_the_folder_and_only_an_open_server_shows_it() {
    let tree = tree();
    let server = Server::start(tree.path(), &[]);
    let client = reqwest::Client::new();
    let page = |encoding: &'static str| {
        let request = client
            .get(format!("{}/docs/", server.url))
            .header("accept", BROWSER_ACCEPT)
            .header("accept-encoding", encoding);
        async move { request.send().await.expect("the page") }
    };
    let first = page("identity").await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let body = first.text().await.expect("body");
    assert!(body.contains("id=\"skiff-first-screen\""), "{body}");
    assert!(body.contains("&lt;b&gt;odd &amp; &quot;name&quot;.txt"));
    assert!(!body.contains("<b>odd"), "a name is never markup");

    // Made on the fly, so compressed on the fly.
    let compressed = page("gzip").await;
    assert_eq!(compressed.headers()["content-encoding"], "gzip");

    let unchanged = client
        .get(format!("{}/docs/", server.url))
        .header("accept", BROWSER_ACCEPT)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("revalidate");
    assert_eq!(unchanged.status(), 304);
    std::fs::write(tree.path().join("docs").join("new.txt"), "new").expect("write");
    let changed = page("identity").await;
    assert_ne!(
        changed.headers()["etag"],
        etag.as_str(),
        "the folder changed"
    );
    assert!(changed.text().await.expect("body").contains("new.txt"));

    // A server with tokens sends the same public page for every path.
    let locked = Server::start(tree.path(), &["--token", "reader:secret-token-1:ro"]);
    let page = client
        .get(format!("{}/docs/", locked.url))
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .expect("the locked page")
        .text()
        .await
        .expect("body");
    assert!(!page.contains("skiff-first-screen"));
    assert!(!page.contains("b2.txt"));
}
