//! A dialog's `close` event comes a task after it closes. What the person does in that
//! gap (open the next dialog, start a rename) must not be undone by the late event.

mod browser;

use browser::{Browser, Server};

/// Closes the open dialog and, in the same task, clicks the toolbar button `label`; then
/// lets the late `close` event and a few more tasks run.
const CLOSE_THEN_CLICK: &str = "
    document.querySelector('dialog[open]').close();
    [...document.querySelectorAll('[role=toolbar] button')]
        .find(b => b.textContent === arguments[0]).click();
    return new Promise(done => setTimeout(() => setTimeout(() => requestAnimationFrame(
        () => done(null)), 0), 0));";

async fn open_new_folder_dialog(browser: &Browser) {
    browser
        .client
        .execute(
            "[...document.querySelectorAll('[role=toolbar] button')]
                .find(b => b.textContent === 'New folder').click()",
            vec![],
        )
        .await
        .expect("New folder");
    browser
        .wait_until("the dialog", "document.querySelector('dialog[open]')")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_dialog_and_a_rename_survive_the_late_close_of_the_last() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("a.txt"), "a").expect("write");
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/?sel=a.txt", server.url)).await;
    browser.wait_for_rows(&["a.txt"]).await;

    open_new_folder_dialog(&browser).await;
    browser
        .client
        .execute(CLOSE_THEN_CLICK, vec![serde_json::json!("Delete")])
        .await
        .expect("close, then Delete");
    let title = browser
        .client
        .execute(
            "return document.querySelector('dialog[open] h2')?.textContent ?? null",
            vec![],
        )
        .await
        .expect("read the dialog");
    assert_eq!(
        title.as_str().map(|t| t.starts_with("Delete")),
        Some(true),
        "the Delete dialog stays open: {title:?}"
    );

    browser
        .client
        .execute(CLOSE_THEN_CLICK, vec![serde_json::json!("Rename")])
        .await
        .expect("close, then Rename");
    let renaming = browser
        .client
        .execute(
            "return document.activeElement?.matches('[role=row] input') ?? false",
            vec![],
        )
        .await
        .expect("read the focus");
    assert_eq!(
        renaming.as_bool(),
        Some(true),
        "the rename field keeps the focus"
    );
    browser.close().await;
}
