//! Where you are and what you see, end to end in headless Chromium against a real
//! skiff-server: sort and filter live in the URL (a deep link opens with them, reload keeps
//! them, back/forward restore them); typing letters in the listing jumps to a name; after
//! an outage the listing comes back on its own; opening an image shows its bytes in a new
//! tab, not a second copy of the app.

mod browser;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use browser::files::press;
use browser::{Browser, Server};
use fantoccini::key::Key;

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// `photos/` with files of distinct sizes and a sub-folder.
fn photos(root: &Path) {
    let photos = root.join("photos");
    std::fs::create_dir_all(photos.join("old")).expect("mkdir");
    for (name, size) in [
        ("a.jpg", 30),
        ("b.jpg", 10),
        ("c.jpg", 20),
        ("notes.txt", 40),
    ] {
        std::fs::write(photos.join(name), vec![b'x'; size]).expect("write");
    }
}

async fn current_url(browser: &Browser) -> String {
    browser
        .client
        .current_url()
        .await
        .expect("the URL")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn sort_and_filter_live_in_the_url() {
    let tree = tempfile::tempdir().expect("a temp folder");
    photos(tree.path());
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;

    // A deep link: by size, largest first, filtered to jpg, a.jpg selected.
    let link = format!("{}/photos/?sort=size&desc=1&q=jpg&sel=a.jpg", server.url);
    browser.open(&link).await;
    browser.wait_for_rows(&["a.jpg", "c.jpg", "b.jpg"]).await;
    browser
        .wait_until(
            "the filter box says jpg",
            "document.querySelector('input[type=search]').value === 'jpg'",
        )
        .await;
    browser
        .wait_until(
            "a.jpg selected",
            "document.querySelector('[role=row][data-name=\"a.jpg\"]')?.ariaSelected === 'true'",
        )
        .await;

    // Sorting by name (ascending, the default) takes the sort out of the URL.
    let name_header = "[role=columnheader] button";
    browser
        .element(name_header)
        .await
        .click()
        .await
        .expect("sort by name");
    browser.wait_for_rows(&["a.jpg", "b.jpg", "c.jpg"]).await;
    browser
        .wait_until(
            "the URL without sort",
            "!location.search.includes('sort=') && location.search.includes('q=jpg')",
        )
        .await;
    // A new filter; reload keeps it and the sort.
    let filter = browser.element("input[type=search]").await;
    filter.clear().await.expect("clear");
    filter.send_keys("b").await.expect("type");
    browser
        .wait_until("q=b in the URL", "location.search.includes('q=b')")
        .await;
    browser.client.refresh().await.expect("reload");
    browser.wait_for_rows(&["b.jpg"]).await;
    browser
        .wait_until(
            "the filter kept",
            "document.querySelector('input[type=search]')?.value === 'b'",
        )
        .await;

    // Into a folder and back: the filter of /photos comes back with it.
    browser.open(&link).await;
    browser.wait_for_rows(&["a.jpg", "c.jpg", "b.jpg"]).await;
    // Backspace goes up (a new history entry): the sort stays, the filter is cleared.
    browser.click_row("a.jpg", None).await;
    press(&browser, &Key::Backspace.to_string()).await;
    browser.wait_for_rows(&["photos"]).await;
    browser
        .wait_until(
            "the sort kept, the filter cleared",
            "location.pathname === '/' && location.search === '?sort=size&desc=1&sel=photos'",
        )
        .await;
    browser.client.back().await.expect("back");
    browser.wait_for_rows(&["a.jpg", "c.jpg", "b.jpg"]).await;
    let url = current_url(&browser).await;
    assert!(
        url.contains("sort=size") && url.contains("desc=1") && url.contains("q=jpg"),
        "{url}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn typing_letters_jumps_to_a_name() {
    let tree = tempfile::tempdir().expect("a temp folder");
    for name in [
        "apple.txt",
        "banana.txt",
        "berry.txt",
        "cherry.txt",
        "blue.txt",
    ] {
        std::fs::write(tree.path().join(name), name).expect("write");
    }
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&[
            "apple.txt",
            "banana.txt",
            "berry.txt",
            "blue.txt",
            "cherry.txt",
        ])
        .await;
    browser.click_row("apple.txt", None).await;
    let selected =
        |name: &str| format!("new URLSearchParams(location.search).get('sel') === {name:?}");
    press(&browser, "c").await;
    browser
        .wait_until("cherry selected", &selected("cherry.txt"))
        .await;
    // A pause ends the word: the next letter starts a new one.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    press(&browser, "b").await;
    browser
        .wait_until("banana selected", &selected("banana.txt"))
        .await;
    press(&browser, "b").await;
    browser
        .wait_until(
            "berry selected (the same letter moves on)",
            &selected("berry.txt"),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    press(&browser, "bl").await;
    browser
        .wait_until("blue selected", &selected("blue.txt"))
        .await;
    // `/` still goes to the filter box.
    press(&browser, "/").await;
    browser
        .wait_until(
            "the filter focused",
            "document.activeElement?.type === 'search'",
        )
        .await;
    browser.close().await;
}

/// skiff-server on a fixed `port` (to come back where the page expects it).
fn serve_at(root: &Path, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skiff-server"))
        .arg("serve")
        .arg(root)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--app",
            &std::env::var("SKIFF_APP_DIST").expect("SKIFF_APP_DIST"),
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start skiff-server");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        if line.starts_with("skiff-server listening on ") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    child
}

#[tokio::test(flavor = "multi_thread")]
async fn after_an_outage_the_listing_comes_back_without_retry() {
    let tree = tempfile::tempdir().expect("a temp folder");
    photos(tree.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut server = serve_at(tree.path(), port);
    let browser = Browser::start().await;
    browser.open(&format!("http://127.0.0.1:{port}/")).await;
    browser.wait_for_rows(&["photos"]).await;

    // The server goes away; opening a folder fails and says so.
    server.kill().expect("stop the server");
    server.wait().expect("reap the server");
    browser
        .element("[role=tree] [data-path=\"/photos\"] a")
        .await
        .click()
        .await
        .ok();
    browser
        .wait_until(
            "the outage shown",
            "document.querySelector('[role=alert]')?.textContent.includes(\"Can't reach the server\")",
        )
        .await;

    // It comes back: the folder shows without anyone pressing Retry.
    let mut server = serve_at(tree.path(), port);
    browser
        .wait_until_within(
            "the listing back",
            "document.querySelectorAll('[role=row][data-name]').length === 5",
            Duration::from_secs(30),
        )
        .await;
    browser
        .wait_until(
            "the error gone",
            "!document.body.innerText.includes(\"Can't reach the server\")",
        )
        .await;
    browser.close().await;
    let _ = server.kill();
    let _ = server.wait();
}

/// Double-clicks `pic.png` in the listing, goes to the tab that opens, waits until it shows
/// the image itself (not the app), and returns its URL.
async fn double_click_the_image(browser: &Browser) -> String {
    browser.wait_for_rows(&["pic.png"]).await;
    let app_tab = browser.client.window().await.expect("this tab");
    browser
        .client
        .execute(
            "document.querySelector('[role=row][data-name=\"pic.png\"]')
                .dispatchEvent(new MouseEvent('dblclick', {bubbles: true}))",
            vec![],
        )
        .await
        .expect("double-click the image");
    let mut tabs = Vec::new();
    for _ in 0..100 {
        tabs = browser.client.windows().await.expect("the tabs");
        if tabs.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let new_tab = tabs
        .into_iter()
        .find(|tab| *tab != app_tab)
        .expect("a new tab");
    browser
        .client
        .switch_to_window(new_tab)
        .await
        .expect("go to the new tab");
    browser
        .wait_until(
            "the image itself",
            "document.contentType === 'image/png' && !document.querySelector('script')",
        )
        .await;
    current_url(browser).await
}

#[tokio::test(flavor = "multi_thread")]
async fn double_clicking_an_image_opens_its_bytes() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("pic.png"), PNG).expect("write");
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    let url = double_click_the_image(&browser).await;
    assert!(url.contains("/.skiff/raw/data?ref="), "{url}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_in_an_image_opens_with_the_token() {
    const TOKEN: &str = "s3cret-ro-token";
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("pic.png"), PNG).expect("write");
    let spec = format!("reader:{TOKEN}:ro");
    let server = Server::start(tree.path(), &["--token", &spec]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    // Signed in as the sign-in form does it (the token kept for this tab), then reloaded.
    browser
        .client
        .execute(
            "sessionStorage.setItem('skiff-token:', arguments[0])",
            vec![serde_json::json!(TOKEN)],
        )
        .await
        .expect("keep the token");
    browser.client.refresh().await.expect("reload");
    // A tab cannot send the token: it opens a signed URL of the bytes (PROTOCOL.md §6).
    let url = double_click_the_image(&browser).await;
    assert!(
        url.contains("/.skiff/raw/data?ref=") && url.contains("skiff-sig="),
        "{url}"
    );
    browser.close().await;
}
