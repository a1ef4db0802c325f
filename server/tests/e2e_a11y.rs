//! Accessibility: axe-core, injected into the real app in headless Chromium, finds no
//! serious or critical violations on the main view, the upload panel with a name-conflict
//! prompt, the sign-in prompt, the error states, the details pane with a preview and the
//! metadata editor, and the file-action dialogs.

mod browser;

use browser::uploads::*;
use browser::{Browser, Server};

fn assert_accessible(view: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{view}: {} accessibility problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn main_view_details_and_upload_panel_have_no_serious_problems() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::create_dir_all(tree.path().join("docs/reports")).expect("mkdir");
    std::fs::write(tree.path().join("notes.txt"), "some notes\n").expect("write");
    std::fs::write(tree.path().join("taken.bin"), "x").expect("write");
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/?sel=notes.txt", server.url))
        .await;
    browser
        .wait_for_rows(&["docs", "notes.txt", "taken.bin"])
        .await;
    browser
        .wait_until(
            "the text preview",
            "document.querySelector('[data-preview=text]')",
        )
        .await;
    assert_accessible("main view", browser.accessibility_problems().await);
    // The dark theme too (it follows prefers-color-scheme).
    browser
        .cdp(
            "Emulation.setEmulatedMedia",
            serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
        )
        .await;
    assert_accessible("main view, dark", browser.accessibility_problems().await);
    browser
        .cdp(
            "Emulation.setEmulatedMedia",
            serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": "light" }] }),
        )
        .await;

    wait_for_uploads_enabled(&browser).await;
    drop_generated(&browser, &[("taken.bin", 5), ("fresh.bin", 5)]).await;
    wait_for_status(&browser, "taken.bin", "Conflict").await;
    wait_for_status(&browser, "fresh.bin", "Done").await;
    assert_accessible(
        "upload panel with a conflict",
        browser.accessibility_problems().await,
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_and_error_states_have_no_serious_problems() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let server = Server::start(tree.path(), &["--token", "carol:pw:ro"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_until(
            "the sign-in prompt",
            "document.querySelector('input[name=token]')",
        )
        .await;
    assert_accessible("sign-in prompt", browser.accessibility_problems().await);

    let open_server = Server::start(tree.path(), &[]);
    browser.open(&format!("{}/missing/", open_server.url)).await;
    browser
        .wait_until(
            "the not-found state",
            "document.querySelector('[role=alert]')",
        )
        .await;
    assert_accessible("not-found state", browser.accessibility_problems().await);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dialogs_and_the_metadata_editor_have_no_serious_problems() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("a.txt"), "a").expect("write");
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/?sel=a.txt", server.url)).await;
    browser
        .wait_until(
            "the metadata editor",
            "document.querySelector('section[aria-label=Metadata] input[data-field=_format]')",
        )
        .await;
    assert_accessible("metadata editor", browser.accessibility_problems().await);
    for label in ["New folder", "Move to…", "Delete"] {
        browser
            .client
            .execute(
                "[...document.querySelectorAll('[role=toolbar] button')]
                    .find(b => b.textContent === arguments[0]).click()",
                vec![serde_json::json!(label)],
            )
            .await
            .expect("open the dialog");
        browser
            .wait_until("the dialog", "document.querySelector('dialog[open]')")
            .await;
        assert_accessible(
            &format!("{label} dialog"),
            browser.accessibility_problems().await,
        );
        browser
            .client
            .execute("document.querySelector('dialog[open]').close()", vec![])
            .await
            .expect("close the dialog");
        browser
            .wait_until("no dialog", "!document.querySelector('dialog[open]')")
            .await;
    }
    // Renaming in place: the row holds a labelled text field.
    browser
        .client
        .execute(
            "[...document.querySelectorAll('[role=toolbar] button')]
                .find(b => b.textContent === 'Rename').click()",
            vec![],
        )
        .await
        .expect("Rename");
    browser
        .wait_until(
            "the rename field",
            "document.activeElement?.matches('[role=row] input')",
        )
        .await;
    assert_accessible("rename in place", browser.accessibility_problems().await);
    browser.close().await;
}
