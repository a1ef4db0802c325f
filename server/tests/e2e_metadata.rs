//! End-to-end metadata editing in the details pane (PROTOCOL.md §3): add keys, save,
//! reload and find them again; `_format` changes the listed type; a refused key is
//! explained inline; the permalink by id (copied from "Advanced") serves the bytes.

mod browser;

use browser::files::{click_button_in, fill_last_metadata_row as fill_last_row};
use browser::{Browser, Server};

async fn click(browser: &Browser, label: &str) {
    click_button_in(browser, "section[aria-label=Metadata]", label).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn edit_metadata_reload_and_find_it_persisted() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("data.bin"), "plain words").expect("write");
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/?sel=data.bin", server.url)).await;
    browser
        .wait_until(
            "the metadata section",
            "document.querySelector('section[aria-label=Metadata] [data-field=_id]')",
        )
        .await;

    click(&browser, "Add key").await;
    fill_last_row(&browser, "project", "skiff").await;
    click(&browser, "Add key").await;
    fill_last_row(&browser, "count", "3").await;
    click(&browser, "Save").await;
    browser
        .wait_until(
            "Saved",
            "document.querySelector('section[aria-label=Metadata]').innerText.includes('Saved')",
        )
        .await;
    // Then the type, under "Advanced" (folded away at first): the listing follows it.
    let advanced_open = browser
        .client
        .execute(
            "return document.querySelector('section[aria-label=Metadata] details[data-advanced]').open",
            vec![],
        )
        .await
        .expect("read Advanced");
    assert_eq!(
        advanced_open,
        serde_json::json!(false),
        "Advanced starts open"
    );
    browser
        .element("section[aria-label=Metadata] details[data-advanced] > summary")
        .await
        .click()
        .await
        .expect("open Advanced");
    let format = browser.element("input[data-field=_format]").await;
    format.clear().await.expect("clear");
    format
        .send_keys("text/plain")
        .await
        .expect("type the format");
    click(&browser, "Save").await;

    browser
        .wait_until(
            "the new type in the listing",
            "document.querySelector('[role=row][data-name=\"data.bin\"] [role=gridcell]:nth-child(4)')?.title === 'text/plain'",
        )
        .await;
    // The server has them, typed: a string and a number.
    let stored: serde_json::Value = reqwest::get(format!(
        "{}/.skiff/api/storage/metadata/data.bin",
        server.url
    ))
    .await
    .expect("GET metadata")
    .json()
    .await
    .expect("JSON");
    assert_eq!(stored["project"], "skiff");
    assert_eq!(stored["count"], 3);
    assert_eq!(stored["_format"], "text/plain");

    // Reload: the table shows them again.
    browser.client.refresh().await.expect("reload");
    browser
        .wait_until(
            "the saved keys after reload",
            "[...document.querySelectorAll('[data-metadata-row] input')].map(i => i.value).join('|') === 'count|3|project|skiff'",
        )
        .await;

    // A read-only `_` key is refused, named, and nothing changes.
    click(&browser, "Add key").await;
    fill_last_row(&browser, "_secret", "x").await;
    click(&browser, "Save").await;
    browser
        .wait_until(
            "the refusal naming the key",
            "[...document.querySelectorAll('section[aria-label=Metadata] [role=status]')].some(p => p.textContent.includes('_secret'))",
        )
        .await;

    // The permalink by id serves the bytes, and keeps working after a move.
    let href = browser
        .element("button[data-copy=permalink]")
        .await
        .attr("title")
        .await
        .expect("title")
        .expect("the link it copies");
    std::fs::create_dir(tree.path().join("moved")).expect("mkdir");
    let moved = reqwest::Client::new()
        .post(format!(
            "{}/.skiff/raw/move?ref=path:/data.bin&to=path:/moved/data.bin",
            server.url
        ))
        .send()
        .await
        .expect("move");
    assert!(
        moved.status().is_success(),
        "move failed: {}",
        moved.status()
    );
    let bytes = reqwest::get(&href)
        .await
        .expect("permalink")
        .text()
        .await
        .expect("text");
    assert_eq!(bytes, "plain words");
    browser.close().await;
}
