//! End-to-end downloads of big files while signed in (issue 12): on a server that signs
//! URLs a token-protected 1 GiB file lands through Chromium's download manager byte for
//! byte, never fetched by the page; on one that does not (`--no-signed-urls`), a small
//! file still downloads through page memory, and a big one is refused where the user
//! clicked (the toolbar's toast, the tab Open made) with the reason, its bytes never
//! pulled into the page.

mod browser;

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use browser::renderers::{renderer_pids, status_field};
use browser::uploads::pattern;
use browser::{Browser, Server};
use sha2::{Digest, Sha256};

const TOKEN: &str = "s3cret-download-token";
const MIB: usize = 1 << 20;
/// Over the app's 256 MiB limit for files fetched into the page.
const TOO_BIG: u64 = 512 << 20;
/// What the refusal says.
const WHY: &str = "This server can't make download links";

async fn sign_in(browser: &Browser) {
    browser
        .element("[data-screen=sign-in] input[name=token]")
        .await
        .send_keys(TOKEN)
        .await
        .expect("type the token");
    browser
        .element("form:has(input[name=token]) button[type=submit]")
        .await
        .click()
        .await
        .expect("click Sign in");
}

async fn click_download(browser: &Browser) {
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
}

/// `len` bytes of 1 MiB blocks of one seeded pseudo-random block, each stamped with its
/// index: not all zeros, and a block landing in the wrong place changes the hash.
fn write_seeded(path: &Path, len: usize) {
    let block = pattern(MIB, 0x5eed_1061);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut stamped = block.clone();
    for index in 0..len / MIB {
        stamped[..8].copy_from_slice(&(index as u64).to_le_bytes());
        file.write_all(&stamped).expect("write");
    }
    file.flush().expect("flush");
}

fn sha256_streamed(path: &Path) -> String {
    let mut file = std::fs::File::open(path).expect("open");
    let (mut hasher, mut buffer) = (Sha256::new(), vec![0; 4 * MIB]);
    loop {
        let read = file.read(&mut buffer).expect("read");
        if read == 0 {
            return format!("{:x}", hasher.finalize());
        }
        hasher.update(&buffer[..read]);
    }
}

/// Waits until `name` has landed whole in `folder` (Chromium writes `NAME.crdownload`,
/// then renames it).
async fn wait_for_download(folder: &Path, name: &str, len: u64, patience: Duration) {
    let started = Instant::now();
    let landed = folder.join(name);
    let partial = folder.join(format!("{name}.crdownload"));
    loop {
        let size = std::fs::metadata(&landed).map(|m| m.len()).ok();
        if size == Some(len) && !partial.exists() {
            return;
        }
        assert!(
            started.elapsed() < patience,
            "{name} did not land whole within {patience:?} (now {size:?} bytes)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many `fetch`es the page made for the bytes at tree path `path` (its metadata and
/// the like, under `/.skiff/`, do not count).
async fn page_fetches(browser: &Browser, path: &str) -> u64 {
    browser
        .client
        .execute(
            "return performance.getEntriesByType('resource')
                .filter(e => e.initiatorType === 'fetch' && new URL(e.name).pathname === arguments[0])
                .length",
            vec![serde_json::json!(path)],
        )
        .await
        .expect("resource timing")
        .as_u64()
        .expect("a count")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_protected_1_gib_file_lands_byte_for_byte_by_a_signed_url() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let big = tree.path().join("big.bin");
    write_seeded(&big, 1024 * MIB);
    let expected = sha256_streamed(&big);
    let downloads = tempfile::tempdir().expect("a download folder");
    let token = format!("bob:{TOKEN}:ro");
    let server = Server::start(tree.path(), &["--token", &token]);
    let browser = Browser::start().await;
    browser.allow_downloads(downloads.path()).await;
    browser.open(&format!("{}/", server.url)).await;
    sign_in(&browser).await;
    browser.wait_for_rows(&["big.bin"]).await;
    browser.click_row("big.bin", None).await;
    click_download(&browser).await;
    wait_for_download(
        downloads.path(),
        "big.bin",
        1 << 30,
        Duration::from_secs(180),
    )
    .await;
    assert_eq!(sha256_streamed(&downloads.path().join("big.bin")), expected);
    // The browser read the signed URL itself: the page never fetched the bytes.
    assert_eq!(page_fetches(&browser, "/big.bin").await, 0);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_signed_urls_small_files_download_and_big_ones_say_why() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("small.txt"), "small and private").expect("write");
    // Sparse: the server side costs nothing.
    std::fs::File::create(tree.path().join("big.bin"))
        .and_then(|file| file.set_len(TOO_BIG))
        .expect("a sparse file");
    std::fs::create_dir(tree.path().join("big folder")).expect("mkdir");
    std::fs::File::create(tree.path().join("big folder/inside.bin"))
        .and_then(|file| file.set_len(TOO_BIG))
        .expect("a sparse file");
    let downloads = tempfile::tempdir().expect("a download folder");
    let token = format!("bob:{TOKEN}:ro");
    let server = Server::start(tree.path(), &["--token", &token, "--no-signed-urls"]);
    let browser = Browser::start().await;
    browser.allow_downloads(downloads.path()).await;
    browser.open(&format!("{}/", server.url)).await;
    sign_in(&browser).await;
    browser
        .wait_for_rows(&["big folder", "big.bin", "small.txt"])
        .await;

    // A small file goes through page memory, as before.
    browser.click_row("small.txt", None).await;
    click_download(&browser).await;
    wait_for_download(downloads.path(), "small.txt", 17, Duration::from_secs(20)).await;
    assert_eq!(
        std::fs::read_to_string(downloads.path().join("small.txt")).expect("read"),
        "small and private"
    );

    // A big one is refused where Download was clicked, without a request for its bytes.
    let before = page_memory(&browser).await;
    browser.click_row("big.bin", None).await;
    click_download(&browser).await;
    let toast = format!("document.querySelector('[role=alert]')?.textContent.includes({WHY:?})");
    browser.wait_until("the reason in a toast", &toast).await;
    assert_eq!(page_fetches(&browser, "/big.bin").await, 0);

    // Open (a double-click) says so in the tab it opened; the answer's length was enough
    // to stop before its body.
    let app_tab = browser.client.window().await.expect("this tab");
    browser
        .client
        .execute(
            "document.querySelector('[role=row][data-name=\"big.bin\"]')
                .dispatchEvent(new MouseEvent('dblclick', {bubbles: true}))",
            vec![],
        )
        .await
        .expect("double-click big.bin");
    let started = Instant::now();
    let new_tab = loop {
        let tabs = browser.client.windows().await.expect("the tabs");
        if let Some(tab) = tabs.into_iter().find(|tab| *tab != app_tab) {
            break tab;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no new tab");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    browser
        .client
        .switch_to_window(new_tab)
        .await
        .expect("go to the new tab");
    let said = format!("document.body?.textContent.includes({WHY:?})");
    browser.wait_until("the reason in the tab", &said).await;
    browser.client.close_window().await.expect("close the tab");
    browser
        .client
        .switch_to_window(app_tab)
        .await
        .expect("back to the app");

    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = page_memory(&browser).await;
    assert!(
        !downloads.path().join("big.bin").exists()
            && !downloads.path().join("big.bin.crdownload").exists(),
        "big.bin was downloaded anyway"
    );
    for (what, before, after) in [
        ("JS heap", before.0, after.0),
        ("renderer RSS", before.1, after.1),
    ] {
        assert!(
            after - before < 64.0 * MIB as f64,
            "{what} grew from {before} to {after} bytes"
        );
    }

    // A folder's ZIP is streamed without a length: the page counts what comes and gives
    // up past the same cap, saying so.
    browser.click_row("big folder", None).await;
    click_download(&browser).await;
    browser
        .wait_until_within(
            "the ZIP's refusal in a toast",
            "[...document.querySelectorAll('[role=alert]')]
                .some(toast => toast.textContent.includes('(over 256 MiB)'))",
            Duration::from_secs(60),
        )
        .await;
    assert!(
        std::fs::read_dir(downloads.path())
            .expect("the download folder")
            .flatten()
            .all(|entry| !entry.file_name().to_string_lossy().contains("big folder")),
        "the folder's ZIP was downloaded anyway"
    );
    browser.close().await;
}

/// The page's JS heap (`usedJSHeapSize`) and the largest renderer's resident memory, in
/// bytes.
async fn page_memory(browser: &Browser) -> (f64, f64) {
    let heap = browser
        .client
        .execute("return performance.memory.usedJSHeapSize", vec![])
        .await
        .expect("the JS heap")
        .as_f64()
        .expect("a number");
    let rss = renderer_pids()
        .into_iter()
        .filter_map(|pid| status_field(pid, "VmRSS:"))
        .fold(0.0, f64::max);
    (heap, rss)
}
