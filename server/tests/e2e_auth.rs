//! End-to-end sign-in (PROTOCOL.md §6): a server with bearer tokens; the app asks for the
//! token, keeps it for the tab (reloads included, never in the URL), browses, uploads and
//! downloads with it (by signed URLs, which the browser reads by itself: downloads, ZIPs
//! of folders and media previews); a read-only token browses but cannot upload.

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

    // Download through the details pane: by a signed URL (PROTOCOL.md §6), which the
    // browser reads without the token.
    browser.click_row("private.txt", None).await;
    let fetched = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const original = HTMLAnchorElement.prototype.click;
             HTMLAnchorElement.prototype.click = function () {
                 // The pane's own link starts the app's download, which clicks a link
                 // the browser can read by itself: fetch that one without the token.
                 if (!this.href.startsWith('blob:') && !this.href.includes('skiff-sig=')) {
                     return original.call(this);
                 }
                 fetch(this.href, {credentials: 'omit'}).then(r => r.text())
                     .then(text => done([this.download, this.href.startsWith('blob:'),
                                         this.href.includes('skiff-sig='), text]));
             };
             document.querySelector('a[download]').click();",
            vec![],
        )
        .await
        .expect("download");
    assert_eq!(
        fetched,
        serde_json::json!(["private.txt", false, true, "for token holders"])
    );
    browser.close().await;
}

/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[tokio::test(flavor = "multi_thread")]
async fn with_a_token_downloads_and_previews_stream_by_signed_urls() {
    use base64::Engine;
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::create_dir_all(tree.path().join("album")).expect("mkdir");
    std::fs::write(tree.path().join("album/a.txt"), "first").expect("write");
    let png = base64::engine::general_purpose::STANDARD
        .decode(PNG)
        .expect("a PNG");
    std::fs::write(tree.path().join("dot.png"), &png).expect("write");
    let downloads = tempfile::tempdir().expect("a download folder");
    let ro = format!("bob:{RO}:ro");
    let server = Server::start(tree.path(), &["--token", &ro]);
    let browser = Browser::start().await;
    browser.allow_downloads(downloads.path()).await;
    browser.open(&format!("{}/", server.url)).await;
    sign_in(&browser, RO).await;
    browser.wait_for_rows(&["album", "dot.png"]).await;

    // The image preview loads from a signed URL, not from a copy in page memory.
    browser.click_row("dot.png", None).await;
    browser
        .wait_until(
            "the preview to load",
            "(() => { const img = document.querySelector('img[data-preview=image]');
                      return img && img.complete && img.naturalWidth === 1
                          && img.src.includes('skiff-sig='); })()",
        )
        .await;

    // A folder downloads as one ZIP that the browser fetches itself: the page never
    // fetched the archive's bytes.
    browser.click_row("album", None).await;
    browser.element("[role=toolbar] button").await;
    browser
        .client
        .execute(
            "[...document.querySelectorAll('[role=toolbar] button')]
                .find(b => b.textContent === 'Download').click()",
            vec![],
        )
        .await
        .expect("click Download");
    // Chromium reserves the name with an empty file first: wait for the archive's end.
    let archive = downloads.path().join("album.zip");
    let started = std::time::Instant::now();
    loop {
        let bytes = std::fs::read(&archive).unwrap_or_default();
        if bytes.starts_with(b"PK\x03\x04")
            && bytes.len() > 22
            && bytes[bytes.len() - 22..].starts_with(b"PK\x05\x06")
        {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "album.zip never arrived whole"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let fetched_by_page = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource')
                .filter(e => e.initiatorType === 'fetch' && e.name.includes('/zip'))
                .length",
            vec![],
        )
        .await
        .expect("resource timing");
    assert_eq!(fetched_by_page, serde_json::json!(0));
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
