//! End-to-end sign-in (PROTOCOL.md §6): a server with bearer tokens; the app asks for the
//! token, keeps it for the tab (reloads included, never in the URL), browses, uploads and
//! downloads with it; a read-only token browses but cannot upload.

mod browser;

use browser::uploads::*;
use browser::{Browser, Server};

const RW: &str = "s3cret-rw-token";
const RO: &str = "s3cret-ro-token";

async fn sign_in(browser: &Browser, token: &str) {
    browser
        .wait_until(
            "the sign-in screen",
            "document.querySelector('[data-screen=sign-in] input[name=token]')",
        )
        .await;
    browser
        .element("input[name=token]")
        .await
        .send_keys(token)
        .await
        .expect("type the token");
    browser
        .element("form:has(input[name=token]) button[type=submit]")
        .await
        .click()
        .await
        .expect("click Sign in");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_browse_upload_and_download_with_a_token() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    std::fs::write(tree.path().join("private.txt"), "for token holders").expect("write");
    let file = write_source(sources.path(), "signed upload.bin", 3 * 1024 * 1024, 3);
    let rw = format!("alice:{RW}:rw");
    let server = Server::start(tree.path(), &["--writable", "--token", &rw]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    // Nothing is listed before signing in.
    assert!(browser.row_names().await.is_empty());

    // A wrong token is refused with a clear message.
    sign_in(&browser, "wrong-token").await;
    browser
        .wait_until(
            "the refusal",
            "document.querySelector('[role=alert]')?.textContent.includes('That token was not accepted')",
        )
        .await;
    // Nothing to sign out of: the refused token is not kept.
    let sign_out = browser
        .client
        .execute(
            "return [...document.querySelectorAll('button')]
                .filter(b => b.offsetParent && b.textContent.includes('Sign out')).length",
            vec![],
        )
        .await
        .expect("look for Sign out");
    assert_eq!(sign_out, serde_json::json!(0));

    sign_in(&browser, RW).await;
    browser.wait_for_rows(&["private.txt"]).await;
    let url = browser.client.current_url().await.expect("the URL");
    assert!(
        !url.as_str().contains(RW),
        "the token leaked into the URL: {url}"
    );

    // Still signed in after a reload (sessionStorage), and uploads work with the token.
    browser.client.refresh().await.expect("reload");
    browser.wait_for_rows(&["private.txt"]).await;
    wait_for_uploads_enabled(&browser).await;
    pick_files(&browser, "files", &file).await;
    wait_for_status(&browser, "signed upload.bin", "Done").await;
    assert_eq!(
        sha256_of(&tree.path().join("signed upload.bin")),
        sha256_of(&file)
    );

    // Download through the details pane: fetched with the token, saved as a file.
    browser.click_row("private.txt", None).await;
    let fetched = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const original = HTMLAnchorElement.prototype.click;
             HTMLAnchorElement.prototype.click = function () {
                 if (this.href.startsWith('blob:')) {
                     fetch(this.href).then(r => r.text()).then(text => done([this.download, text]));
                 } else { original.call(this); }
             };
             document.querySelector('a[download]').click();",
            vec![],
        )
        .await
        .expect("download");
    assert_eq!(
        fetched,
        serde_json::json!(["private.txt", "for token holders"])
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_token_browses_but_cannot_upload() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("shared.txt"), "read me").expect("write");
    let ro = format!("bob:{RO}:ro");
    let server = Server::start(tree.path(), &["--writable", "--token", &ro]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    sign_in(&browser, RO).await;
    browser.wait_for_rows(&["shared.txt"]).await;
    // writes_supported is false for this token: no upload buttons at all, and a drop is
    // refused with a message instead of failing request by request.
    browser
        .wait_until(
            "the upload buttons to go",
            "!document.querySelector('input[data-upload=files]')",
        )
        .await;
    drop_generated(&browser, &[("nope.bin", 10)]).await;
    browser
        .wait_until(
            "the read-only notice",
            "document.querySelector('section[aria-label=Uploads]')?.innerText.includes('read-only')",
        )
        .await;
    assert!(!tree.path().join("nope.bin").exists());
    browser.close().await;
}
