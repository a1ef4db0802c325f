//! End-to-end sign-in as its own screen (PROTOCOL.md §6): no file manager around it, a
//! wrong token answered "That token was not accepted" with nothing to sign out of, and a
//! read-only token offered no write anywhere (no upload buttons, no toolbar writes, the
//! metadata shown as text). axe-core checks the screen in light and dark themes.

mod browser;

use browser::{Browser, Server};

const RO: &str = "s3cret-ro-token";

/// Buttons and inputs a person can see whose text, label or title matches one of `words`.
async fn visible_controls(browser: &Browser, words: &[&str]) -> Vec<String> {
    let found = browser
        .client
        .execute(
            "const words = arguments[0];
             return [...document.querySelectorAll('button, input, a, [role=menuitem]')]
                .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
                .map(e => (e.textContent + ' ' + (e.getAttribute('aria-label') ?? '') + ' ' + (e.title ?? '')).trim())
                .filter(text => words.some(w => text.includes(w)));",
            vec![serde_json::json!(words)],
        )
        .await
        .expect("list controls");
    serde_json::from_value(found).expect("strings")
}

async fn type_token(browser: &Browser, token: &str) {
    browser
        .element("[data-screen=sign-in] input[name=token]")
        .await
        .send_keys(token)
        .await
        .expect("type the token");
    browser
        .element("[data-screen=sign-in] button[type=submit]")
        .await
        .click()
        .await
        .expect("click Sign in");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_is_a_screen_of_its_own_and_a_wrong_token_is_named() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("private.txt"), "secret").expect("write");
    let server = Server::start(tree.path(), &["--token", &format!("bob:{RO}:ro")]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_until(
            "the sign-in screen",
            "document.querySelector('[data-screen=sign-in] input[name=token]')",
        )
        .await;
    // Only the sign-in card: no file manager, no error heading, no Retry.
    let screen = browser
        .client
        .execute(
            "return {
                text: document.body.innerText,
                focused: document.activeElement?.name ?? '',
                fileManager: [...document.querySelectorAll('[role=grid], [role=toolbar], header')]
                    .filter(e => e.getClientRects().length).length,
            }",
            vec![],
        )
        .await
        .expect("read the screen");
    let text = screen["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Sign in") && text.contains("access token"),
        "{text}"
    );
    for absent in ["Retry", "Go to parent folder", "Upload", "Sign out"] {
        assert!(
            !text.contains(absent),
            "{absent} on the sign-in screen: {text}"
        );
    }
    assert_eq!(screen["fileManager"], 0, "the file manager shows around it");
    assert_eq!(screen["focused"], "token", "the token field has the focus");
    for dark in [false, true] {
        browser.set_dark(dark).await;
        let problems = browser.accessibility_problems().await;
        assert!(problems.is_empty(), "dark {dark}: {problems:#?}");
    }
    browser.set_dark(false).await;

    type_token(&browser, "wrong-token").await;
    browser
        .wait_until(
            "the refusal",
            "document.querySelector('[data-sign-in=refused]')?.textContent.startsWith('That token was not accepted')",
        )
        .await;
    assert!(visible_controls(&browser, &["Sign out"]).await.is_empty());
    let kept = browser
        .client
        .execute("return Object.keys(sessionStorage).length", vec![])
        .await
        .expect("read sessionStorage");
    assert_eq!(kept, serde_json::json!(0), "the refused token is kept");

    type_token(&browser, RO).await;
    browser.wait_for_rows(&["private.txt"]).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_token_is_offered_no_writes() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("shared.txt"), "read me").expect("write");
    let server = Server::start(
        tree.path(),
        &["--writable", "--token", &format!("bob:{RO}:ro")],
    );
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/?sel=shared.txt", server.url))
        .await;
    browser
        .wait_until(
            "the sign-in screen",
            "document.querySelector('[data-screen=sign-in] input[name=token]')",
        )
        .await;
    type_token(&browser, RO).await;
    browser.wait_for_rows(&["shared.txt"]).await;
    browser.click_row("shared.txt", None).await;
    browser
        .wait_until(
            "the metadata, read-only",
            "document.querySelector('section[aria-label=Metadata]')?.innerText.includes('does not allow changing')",
        )
        .await;
    let writes = visible_controls(
        &browser,
        &[
            "Upload files",
            "Upload folder",
            "New folder",
            "Rename",
            "Delete",
            "Move",
            "Copy to",
            "Save",
            "Add key",
            "Replace",
            "removing other keys",
        ],
    )
    .await;
    assert!(writes.is_empty(), "write controls offered: {writes:?}");
    let editor = browser
        .client
        .execute(
            "return document.querySelectorAll('section[aria-label=Metadata] input, input[data-upload]').length",
            vec![],
        )
        .await
        .expect("look for inputs");
    assert_eq!(
        editor,
        serde_json::json!(0),
        "the editor or upload inputs exist"
    );
    browser.close().await;
}
