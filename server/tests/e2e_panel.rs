//! End-to-end upload panel, as a person meets it: a re-uploaded folder's name conflict
//! asked first with both versions (name, sizes, dates), rows named by their path inside
//! the folder, honest totals and buttons after Cancel, a warning before leaving mid-upload
//! (and none when idle), and a panel that minimises to one line and stays so. axe-core
//! checks the panel in light and dark themes.

mod browser;

use browser::uploads::*;
use browser::{Browser, Server};
use std::time::{Duration, SystemTime};

/// The panel's heading text.
async fn heading(browser: &Browser) -> String {
    let value = browser
        .client
        .execute(
            "return document.querySelector('section[aria-label=Uploads] h2')?.textContent ?? ''",
            vec![],
        )
        .await
        .expect("read the heading");
    value.as_str().unwrap_or_default().to_owned()
}

/// Whether the panel's button labelled `label` is disabled.
async fn disabled(browser: &Browser, label: &str) -> bool {
    let value = browser
        .client
        .execute(
            "return [...document.querySelectorAll('section[aria-label=Uploads] button')]
                .find(b => b.textContent === arguments[0])?.disabled ?? 'missing'",
            vec![serde_json::json!(label)],
        )
        .await
        .expect("read a button");
    value
        .as_bool()
        .unwrap_or_else(|| panic!("no {label} button"))
}

/// Fires `beforeunload` as a reload would and says whether the page asked to stay.
async fn asks_before_leaving(browser: &Browser) -> bool {
    let value = browser
        .client
        .execute(
            "const event = new Event('beforeunload', {cancelable: true});
             window.dispatchEvent(event);
             return event.defaultPrevented;",
            vec![],
        )
        .await
        .expect("fire beforeunload");
    value.as_bool().expect("a boolean")
}

async fn click_panel_button(browser: &Browser, label: &str) {
    browser
        .client
        .execute(
            "[...document.querySelectorAll('section[aria-label=Uploads] button')]
                .find(b => b.textContent === arguments[0]).click()",
            vec![serde_json::json!(label)],
        )
        .await
        .unwrap_or_else(|error| panic!("click {label}: {error}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_conflict_is_asked_first_with_both_versions() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    // On the server: photos/2024/a.jpg, 5 bytes, last changed in 2020.
    std::fs::create_dir_all(tree.path().join("photos/2024")).expect("mkdir");
    let existing = tree.path().join("photos/2024/a.jpg");
    std::fs::write(&existing, b"older").expect("write");
    let in_2020 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_592_000_000);
    std::fs::File::options()
        .write(true)
        .open(&existing)
        .and_then(|file| file.set_modified(in_2020))
        .expect("date the existing file");
    // Being uploaded: the same folder with a 2,000-byte a.jpg and two new files.
    let photos = sources.path().join("photos");
    std::fs::create_dir_all(photos.join("2024")).expect("mkdir");
    std::fs::write(photos.join("2024/a.jpg"), vec![7u8; 2000]).expect("write");
    std::fs::write(photos.join("2024/b.jpg"), vec![8u8; 300]).expect("write");
    std::fs::write(photos.join("c.txt"), b"new").expect("write");

    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.wait_for_rows(&["photos"]).await;
    wait_for_uploads_enabled(&browser).await;
    assert!(
        !asks_before_leaving(&browser).await,
        "idle, yet the page asks"
    );
    pick_files(&browser, "folder", &photos).await;

    // The card asking (data-status Conflict; its row below says "Asking").
    wait_for_status(&browser, "a.jpg", "Conflict").await;
    browser
        .wait_until(
            "the conflict card",
            "document.querySelector('[role=group][data-status=Conflict] [data-version=server]')",
        )
        .await;
    wait_for_status(&browser, "b.jpg", "Done").await;
    wait_for_status(&browser, "c.txt", "Done").await;
    // The question sits above every finished row, and says what and where.
    let card = browser
        .client
        .execute(
            "const panel = document.querySelector('section[aria-label=Uploads]');
             const card = panel.querySelector('[role=group][data-status=Conflict]');
             const firstRow = panel.querySelector('[data-status=Done]');
             return {
                 first: !!(card.compareDocumentPosition(firstRow) & Node.DOCUMENT_POSITION_FOLLOWING),
                 text: card.innerText,
                 server: card.querySelector('[data-version=server]').textContent,
                 serverTitle: card.querySelector('[data-version=server]').title,
                 local: card.querySelector('[data-version=local]').textContent,
                 localTitle: card.querySelector('[data-version=local]').title,
             };",
            vec![],
        )
        .await
        .expect("read the conflict");
    assert_eq!(card["first"], true, "the question is below finished rows");
    let text = card["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("photos/2024/a.jpg") && text.contains("already exists in /photos/2024"),
        "{text}"
    );
    browser
        .wait_until(
            "the server's size and date",
            "document.querySelector('[data-version=server]').textContent.startsWith('5 B · changed')",
        )
        .await;
    let server_version = browser
        .client
        .execute(
            "const dd = document.querySelector('[data-version=server]'); return [dd.textContent, dd.title]",
            vec![],
        )
        .await
        .expect("read the server's version");
    assert!(
        server_version[0]
            .as_str()
            .is_some_and(|t| t.contains("years ago")),
        "{server_version}"
    );
    assert!(
        server_version[1]
            .as_str()
            .is_some_and(|t| t.contains("2020")),
        "exact date on hover: {server_version}"
    );
    let local = card["local"].as_str().unwrap_or_default();
    assert!(local.starts_with("2.0 KiB · changed just now"), "{local}");
    assert!(!card["localTitle"].as_str().unwrap_or_default().is_empty());
    assert!(
        heading(&browser).await.contains("1 waiting for you"),
        "{}",
        heading(&browser).await
    );
    // Rows are named by their path inside the dropped folder.
    let paths = browser
        .client
        .execute(
            "return [...document.querySelectorAll('section[aria-label=Uploads] [data-upload-path]')]
                .map(row => row.querySelector('span')?.textContent ?? row.dataset.uploadPath)",
            vec![],
        )
        .await
        .expect("read the rows");
    let paths: Vec<String> = serde_json::from_value(paths).expect("names");
    assert!(paths.contains(&"photos/2024/b.jpg".to_owned()), "{paths:?}");
    assert!(paths.contains(&"photos/c.txt".to_owned()), "{paths:?}");

    for dark in [false, true] {
        browser.set_dark(dark).await;
        let problems = browser.accessibility_problems().await;
        assert!(problems.is_empty(), "dark {dark}: {problems:#?}");
    }
    browser.set_dark(false).await;

    answer_conflict(&browser, "a.jpg", "Replace", false).await;
    wait_for_status(&browser, "a.jpg", "Done").await;
    assert_eq!(std::fs::read(&existing).expect("read"), vec![7u8; 2000]);
    browser
        .wait_until(
            "3 of 3 done",
            "document.querySelector('section[aria-label=Uploads] h2').textContent.startsWith('Uploads: 3 of 3 done')",
        )
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_gives_honest_totals_and_only_buttons_that_apply() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "long.bin", 48 * 1024 * 1024, 5);
    let server = Server::start(tree.path(), &["--writable", "--max-chunk", "262144"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    pick_files(&browser, "files", &file).await;
    wait_for_progress(&browser, 0.02).await;

    assert!(asks_before_leaving(&browser).await, "no warning mid-upload");
    assert!(!disabled(&browser, "Pause all").await);
    assert!(!disabled(&browser, "Cancel all").await);
    assert!(disabled(&browser, "Resume all").await);
    assert!(disabled(&browser, "Clear finished").await);

    click_panel_button(&browser, "Cancel all").await;
    wait_for_status(&browser, "long.bin", "Cancelled").await;
    browser
        .wait_until(
            "honest totals",
            "document.querySelector('section[aria-label=Uploads] h2').textContent
                === 'Uploads: 0 of 1 done · cancelled'",
        )
        .await;
    let overall = browser
        .client
        .execute(
            "return Number(document.querySelector('section[aria-label=Uploads] progress').value)",
            vec![],
        )
        .await
        .expect("read the bar");
    assert_eq!(
        overall.as_f64(),
        Some(0.0),
        "a cancelled file fills the bar"
    );
    for label in ["Pause all", "Resume all", "Cancel all"] {
        assert!(disabled(&browser, label).await, "{label} still enabled");
    }
    assert!(!disabled(&browser, "Clear finished").await);
    assert!(
        !asks_before_leaving(&browser).await,
        "warns with nothing moving"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_panel_minimises_to_one_line_and_stays_so() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let first = write_source(sources.path(), "first.txt", 100, 1);
    let second = write_source(sources.path(), "second.txt", 100, 2);
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    pick_files(&browser, "files", &first).await;
    wait_for_status(&browser, "first.txt", "Done").await;

    let open_height = browser.height_of("section[aria-label=Uploads]").await;
    browser
        .element("button[data-upload=minimise]")
        .await
        .click()
        .await
        .expect("click Minimise");
    browser
        .wait_until(
            "the list to fold away",
            "!document.querySelector('section[aria-label=Uploads] [data-upload-name]')
             && document.querySelector('button[data-upload=minimise]').getAttribute('aria-expanded') === 'false'",
        )
        .await;
    let folded = browser.height_of("section[aria-label=Uploads]").await;
    assert!(
        folded < open_height && folded < 80.0,
        "{folded} px folded, {open_height} px open"
    );
    browser
        .wait_until(
            "the one-line summary",
            "document.querySelector('section[aria-label=Uploads] h2').textContent.startsWith('Uploads: 1 of 1 done')",
        )
        .await;

    // Remembered: after a reload the next upload's panel opens folded.
    browser.client.refresh().await.expect("reload");
    wait_for_uploads_enabled(&browser).await;
    pick_files(&browser, "files", &second).await;
    browser
        .wait_until(
            "the folded panel",
            "document.querySelector('section[aria-label=Uploads] h2')?.textContent.startsWith('Uploads: 1 of 1 done')
             && !document.querySelector('section[aria-label=Uploads] [data-upload-name]')",
        )
        .await;
    browser
        .element("button[data-upload=minimise]")
        .await
        .click()
        .await
        .expect("click Show");
    wait_for_status(&browser, "second.txt", "Done").await;
    browser.close().await;
}
