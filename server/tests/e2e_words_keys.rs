//! A toast holding the keyboard focus stays, end to end in headless Chromium against a real
//! skiff-server: someone who Tabs to a toast's Undo has all the time they need to read it
//! and press it, and the toast goes in its own time once the focus leaves. (The pointer's
//! side of it is in e2e_words_actions.rs.)

mod browser;

use std::time::Duration;

use browser::files::{click_button, press, tab_to, wait_for_path, wait_for_toast};
use browser::{Browser, Server};
use fantoccini::key::Key;

/// Longer than a toast stays when nobody holds it (`SHOWN_FOR`, 12 s, in
/// src/components/actions/toast.rs).
const PAST_ITS_TIME: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread")]
async fn a_focused_toast_stays_and_undo_works_from_it() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("a.txt"), "A").expect("write");
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.element("[role=toolbar] button").await;
    browser.wait_for_rows(&["a.txt"]).await;

    click_button(&browser, "New folder").await;
    browser
        .element("dialog[open] input[type=text]")
        .await
        .send_keys(&format!("Fresh{}", Key::Enter))
        .await
        .expect("type the name");
    wait_for_path(tree.path(), "Fresh", true).await;
    wait_for_toast(&browser, "Created “Fresh”").await;

    // Tab to the toast's Undo and stay there past the toast's time: it is still there.
    tab_to(&browser, "[data-toast] button[aria-keyshortcuts]").await;
    tokio::time::sleep(PAST_ITS_TIME).await;
    let focused = browser
        .client
        .execute(
            "return !!document.activeElement?.closest('[data-toast]')",
            vec![],
        )
        .await
        .expect("read the focus");
    assert_eq!(
        focused,
        serde_json::json!(true),
        "the toast went with the focus in it"
    );
    wait_for_toast(&browser, "Created “Fresh”").await;

    // Enter on Undo takes the new folder back.
    press(&browser, &Key::Enter.to_string()).await;
    wait_for_path(tree.path(), "Fresh", false).await;
    wait_for_toast(&browser, "Undone").await;

    // Once the focus leaves, the toast goes in its own time.
    browser.click_row("a.txt", None).await;
    browser
        .wait_until_within(
            "the toast gone",
            "!document.querySelector('[data-toast]')",
            Duration::from_secs(20),
        )
        .await;
    browser.close().await;
}
