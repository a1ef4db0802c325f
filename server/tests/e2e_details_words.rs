//! End-to-end plain words in the details pane: "Empty file" for a 0-byte file (and no
//! range request answered 416), "PNG image" for `image/png`, "Last changed 5 minutes ago"
//! with the exact time on hover, the technical fields folded under "Advanced", and
//! "Copy link" putting the file's URL on the clipboard.

mod browser;

use browser::{Browser, Server};
use std::time::{Duration, SystemTime};

async fn text_of(browser: &Browser, css: &str) -> String {
    let value = browser
        .client
        .execute(
            "return document.querySelector(arguments[0])?.textContent ?? ''",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("read text");
    value.as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_file_says_so_without_a_range_error() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("empty.txt"), b"").expect("write");
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/?sel=empty.txt", server.url))
        .await;
    browser
        .wait_until(
            "the empty file's preview",
            "document.querySelector('[data-preview=empty]')",
        )
        .await;
    assert_eq!(text_of(&browser, "[data-field=size]").await, "Empty file");
    assert_eq!(
        text_of(&browser, "[data-preview=empty]").await,
        "Empty file"
    );
    // Give a stray request time to come back before reading the pane.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pane = text_of(&browser, "aside[aria-label=Details]").await;
    assert!(!pane.contains("416") && !pane.contains("Range"), "{pane}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn types_times_advanced_and_copy_link_in_plain_words() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let picture = tree.path().join("pic.png");
    std::fs::write(&picture, b"\x89PNG\r\n\x1a\nnot really").expect("write");
    let five_minutes_ago = SystemTime::now() - Duration::from_secs(5 * 60);
    std::fs::File::options()
        .write(true)
        .open(&picture)
        .and_then(|file| file.set_modified(five_minutes_ago))
        .expect("date the file");
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/?sel=pic.png", server.url)).await;
    browser
        .wait_until("the details", "document.querySelector('[data-field=kind]')")
        .await;
    assert_eq!(text_of(&browser, "[data-field=kind]").await, "PNG image");
    assert_eq!(
        text_of(&browser, "[data-field=last_modified]").await,
        "Last changed 5 minutes ago"
    );
    let exact = browser
        .element("[data-field=last_modified]")
        .await
        .attr("title")
        .await
        .expect("title")
        .unwrap_or_default();
    let year = text_of(&browser, "[data-field=raw_last_modified]").await[..4].to_owned();
    assert!(exact.contains(&year), "exact time on hover: {exact:?}");
    // The MIME type, id and ETag exist, folded away; the permalink is a button to copy.
    browser
        .wait_until(
            "the metadata's Advanced",
            "document.querySelector('section[aria-label=Metadata] details[data-advanced]')",
        )
        .await;
    let folded = browser
        .client
        .execute(
            "return [...document.querySelectorAll('details[data-advanced]')].map(d => d.open)",
            vec![],
        )
        .await
        .expect("read Advanced");
    assert_eq!(folded, serde_json::json!([false, false]));
    let visible_words = text_of(&browser, "aside[aria-label=Details]").await;
    let shown = browser
        .client
        .execute(
            "return document.querySelector('aside[aria-label=Details]').innerText",
            vec![],
        )
        .await
        .expect("read the pane");
    let shown = shown.as_str().unwrap_or_default();
    for technical in ["image/png", "ETag", "_format", "Replace all", "Permalink"] {
        assert!(!shown.contains(technical), "{technical} shown: {shown}");
    }
    assert!(visible_words.contains("image/png"), "the MIME type is kept");
    let links = browser
        .client
        .execute(
            "return document.querySelectorAll('aside[aria-label=Details] a[href*=\"ref=\"]').length",
            vec![],
        )
        .await
        .expect("look for a permalink link");
    assert_eq!(links, serde_json::json!(0), "the permalink navigates");

    // Copy link: the file's URL on the clipboard, and the app says so.
    browser
        .cdp(
            "Browser.grantPermissions",
            serde_json::json!({
                "origin": server.url,
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            }),
        )
        .await;
    browser
        .element("button[data-copy=url]")
        .await
        .click()
        .await
        .expect("click Copy link");
    browser
        .wait_until(
            "the confirmation",
            "document.querySelector('[data-copy-status]')?.textContent === 'Link copied'",
        )
        .await;
    let copied = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.clipboard.readText().then(done, error => done('error: ' + error));",
            vec![],
        )
        .await
        .expect("read the clipboard");
    assert_eq!(
        copied.as_str().unwrap_or_default(),
        format!("{}/pic.png", server.url.trim_end_matches('/'))
    );
    browser.close().await;
}
