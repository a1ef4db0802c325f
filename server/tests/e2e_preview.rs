//! End-to-end previews in the details pane: an image shows, text shows as text (its
//! first 256 KiB), and hostile HTML or SVG never runs script on the app's origin.

mod browser;

use browser::{Browser, Server};

/// A 2×2 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x44, 0x0c, 0x10, 0x0a, 0x00, 0x1f, 0xee, 0x03, 0xfd, 0x8b, 0x5f, 0x14, 0xd4, 0x00, 0x00, 0x00,
    0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

const EVIL_HTML: &str = "<script>window.top.__pwned = 'html'</script><h1>evil</h1>";
const EVIL_SVG: &str = "<svg xmlns='http://www.w3.org/2000/svg' onload=\"window.top.__pwned='svg'\"><script>window.top.__pwned='svg'</script></svg>";

#[tokio::test(flavor = "multi_thread")]
async fn previews_show_passive_content_and_never_run_uploaded_script() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("dot.png"), PNG).expect("write");
    let long_text: String = (0..40_000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(tree.path().join("notes.txt"), &long_text).expect("write");
    std::fs::write(tree.path().join("evil.html"), EVIL_HTML).expect("write");
    std::fs::write(tree.path().join("evil.svg"), EVIL_SVG).expect("write");
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["dot.png", "evil.html", "evil.svg", "notes.txt"])
        .await;

    browser.click_row("dot.png", None).await;
    browser
        .wait_until(
            "the image preview to load",
            "document.querySelector('img[data-preview=image]')?.naturalWidth === 2",
        )
        .await;

    browser.click_row("notes.txt", None).await;
    browser
        .wait_until(
            "the start of the text, and the note that it is cut",
            "document.querySelector('[data-preview=text]')?.textContent.startsWith('line 0\\nline 1\\n')
             && document.body.innerText.includes('Showing the first 256 KiB')",
        )
        .await;
    let shown = browser
        .client
        .execute(
            "return document.querySelector('[data-preview=text]').textContent.length",
            vec![],
        )
        .await
        .expect("read the preview");
    assert_eq!(shown.as_u64(), Some(256 * 1024));

    // HTML is shown as its source, SVG is not previewed at all.
    browser.click_row("evil.html", None).await;
    browser
        .wait_until(
            "the HTML source as text",
            "document.querySelector('[data-preview=text]')?.textContent.includes('<script>')",
        )
        .await;
    browser.click_row("evil.svg", None).await;
    browser
        .wait_until(
            "no preview for SVG",
            "document.body.innerText.includes('No preview for this type')",
        )
        .await;

    // Opening them directly, as a person might from the address bar, runs nothing on the
    // app's origin either: they come sandboxed, as attachments.
    for name in ["evil.html", "evil.svg"] {
        let opened = browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const frame = document.createElement('iframe');
                 frame.src = '/' + arguments[0];
                 frame.onload = () => setTimeout(() => done(String(window.__pwned)), 300);
                 setTimeout(() => done(String(window.__pwned)), 3000);
                 document.body.append(frame);",
                vec![serde_json::json!(name)],
            )
            .await
            .expect("load it in a frame");
        assert_eq!(opened, serde_json::json!("undefined"), "{name} ran script");
    }
    browser.close().await;
}
