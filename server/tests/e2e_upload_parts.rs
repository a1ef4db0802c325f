//! End-to-end uploads v2 (PROTOCOL.md §2.1, §2.2) in headless Chromium against the real
//! skiff-server: a large file goes up as parallel parts (seen from the server's session
//! and the page's own request timings), a reload resumes from the server's part set
//! without sending those parts again, a folder of 2,000 small files lands byte for byte,
//! and an upload keeps going while its tab is hidden.

mod browser;

use std::collections::BTreeSet;
use std::time::Duration;

use browser::uploads::*;
use browser::{Browser, Server};

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread")]
async fn a_300_mib_file_goes_up_as_parallel_parts() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "big parts ☀.bin", 300 * MIB, 71);
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    record_requests(&browser).await;

    let started = std::time::Instant::now();
    pick_files(&browser, "files", &file).await;
    // The server itself says what kind of session this is while it runs.
    let url = wait_for_session(&browser).await;
    let session = server_session(&server.url, &url).await;
    assert_eq!(session["part_size"], 8 * MIB, "{session}");
    assert!(
        session["parts"].is_array(),
        "not a parts session: {session}"
    );
    wait_done(&browser, Duration::from_secs(300)).await;
    eprintln!("300 MiB in parts uploaded in {:?}", started.elapsed());
    assert_eq!(
        sha256_of(&tree.path().join("big parts ☀.bin")),
        sha256_of(&file)
    );

    let requests = part_requests(&browser).await;
    let sent: BTreeSet<u64> = requests.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(sent, (1..=38).collect(), "every part, once at least");
    let most = most_at_once(&requests);
    assert!(most >= 2, "parts went one at a time ({most} at most)");
    eprintln!("at most {most} parts in flight at once");
    // Done: nothing left to resume.
    assert_eq!(remembered_session(&browser).await, None);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_mid_upload_resumes_from_the_servers_part_set() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "resumed.bin", 300 * MIB, 72);
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    pick_files(&browser, "files", &file).await;
    let url = wait_for_session(&browser).await;
    // Some parts durable, but far from all.
    let started = std::time::Instant::now();
    loop {
        let durable = durable_parts(&server_session(&server.url, &url).await).len();
        if durable >= 4 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no parts land"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Reloaded at once: the page saves its progress at most once a second, so what it
    // saved may still say nothing; the restored row asks the server.
    browser.client.refresh().await.expect("reload");
    wait_for_status(&browser, "resumed.bin", "NeedsFile").await;
    let before: BTreeSet<u64> = durable_parts(&server_session(&server.url, &url).await)
        .into_iter()
        .collect();
    assert!(
        before.len() < 38,
        "the upload finished before the reload: the test proved nothing"
    );
    // The queue shows what the server holds, before a single byte goes again.
    browser
        .wait_until(
            "the restored row to show the server's parts",
            "Number(document.querySelector('[data-upload-name=\"resumed.bin\"] progress')?.value) > 0",
        )
        .await;
    let remembered = progress_of(&browser, "resumed.bin").await;
    assert!(remembered > 0.0, "remembered nothing: {remembered}");

    record_requests(&browser).await;
    pick_files(&browser, "files", &file).await;
    wait_done(&browser, Duration::from_secs(300)).await;
    assert_eq!(
        sha256_of(&tree.path().join("resumed.bin")),
        sha256_of(&file)
    );
    let resent: BTreeSet<u64> = part_requests(&browser)
        .await
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    let again: Vec<&u64> = resent.intersection(&before).collect();
    assert!(
        again.is_empty(),
        "parts the server already had were sent again: {again:?}"
    );
    let expected: BTreeSet<u64> = (1..=38).filter(|n| !before.contains(n)).collect();
    assert!(
        resent.is_subset(&expected) && resent.len() < 38,
        "sent after the reload: {resent:?}, the server had {before:?}"
    );
    eprintln!(
        "after the reload: {} parts sent, {} were already there",
        resent.len(),
        before.len()
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_thousand_small_files_dropped_as_a_folder_land_byte_for_byte() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let folder = sources.path().join("many small");
    std::fs::create_dir_all(folder.join("sub")).expect("mkdir");
    let mut expected = Vec::new();
    for i in 0..2000usize {
        let relative = if i % 10 == 0 {
            format!("sub/s{i:04}.txt")
        } else {
            format!("f{i:04}.txt")
        };
        // Mostly 10 bytes, some empty, some a few KiB.
        let len = match i % 50 {
            0 => 0,
            1 => 4096 + i,
            _ => 10,
        };
        let bytes = pattern(len, i as u64 + 5);
        std::fs::write(folder.join(&relative), &bytes).expect("write");
        expected.push((relative, bytes));
    }
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    let started = std::time::Instant::now();
    browser.drop_paths("[role=grid]", &[&folder]).await;
    browser
        .wait_until_within(
            "2000 uploads done",
            "document.querySelector('section[aria-label=Uploads] h2')?.textContent
                .startsWith('Uploads: 2000 of 2000 done')",
            Duration::from_secs(180),
        )
        .await;
    let took = started.elapsed();
    eprintln!(
        "2,000 small files in {took:?} ({:.0} files/s)",
        2000.0 / took.as_secs_f64()
    );
    for (relative, bytes) in expected {
        let uploaded = std::fs::read(tree.path().join("many small").join(&relative))
            .unwrap_or_else(|e| panic!("{relative} did not arrive: {e}"));
        assert_eq!(uploaded, bytes, "{relative}");
    }
    // Batches: tens of requests for 2,000 files, not one each.
    let uploads = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource')
                .filter(e => e.initiatorType === 'xmlhttprequest').length",
            vec![],
        )
        .await
        .expect("count the page's requests");
    let uploads = uploads.as_u64().expect("a count");
    assert!(
        uploads <= 100,
        "2,000 small files took {uploads} requests; batches should take ~20"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_keeps_going_while_its_tab_is_hidden() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "background.bin", 200 * MIB, 73);
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    // The page notes each visibility change, with the time and how far the upload was.
    browser
        .client
        .execute(
            "window.visibility = [[document.visibilityState, 0]];
             document.addEventListener('visibilitychange', () => window.visibility.push([
                 document.visibilityState,
                 Number(document.querySelector('[data-upload-name] progress')?.value)]));",
            vec![],
        )
        .await
        .expect("watch visibility");
    pick_files(&browser, "files", &file).await;
    wait_for_session(&browser).await;
    let upload_tab = browser.client.window().await.expect("this tab");
    // Another tab in front: the upload's tab is hidden now.
    let other = browser.client.new_window(true).await.expect("a new tab");
    browser
        .client
        .switch_to_window(other.handle)
        .await
        .expect("switch to the new tab");
    // The server finishes the file while the tab stays hidden (watched from the disk only).
    let target = tree.path().join("background.bin");
    let started = std::time::Instant::now();
    while std::fs::metadata(&target).map_or(0, |m| m.len()) < 200 * MIB as u64 {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the hidden tab's upload did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("finished while hidden after {:?}", started.elapsed());
    browser
        .client
        .switch_to_window(upload_tab)
        .await
        .expect("back to the upload");
    let seen = browser
        .client
        .execute("return window.visibility", vec![])
        .await
        .expect("read the visibility log");
    let seen: Vec<(String, f64)> = serde_json::from_value(seen).expect("a log");
    let hidden_at = seen
        .iter()
        .position(|(state, _)| state == "hidden")
        .unwrap_or_else(|| panic!("the tab was never hidden: {seen:?}"));
    assert!(
        seen[hidden_at].1 < 0.9,
        "the upload was nearly done before the tab was hidden: {seen:?}"
    );
    // Hidden until we came back, and only then visible again.
    assert!(
        seen[hidden_at + 1..]
            .iter()
            .all(|(state, _)| state == "visible")
            && seen.len() <= hidden_at + 2,
        "{seen:?}"
    );
    wait_done(&browser, Duration::from_secs(30)).await;
    assert_eq!(sha256_of(&target), sha256_of(&file));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pausing_parallel_parts_stops_every_request_and_cancel_removes_the_session() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "paused parts.bin", 300 * MIB, 74);
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    wait_for_uploads_enabled(&browser).await;
    pick_files(&browser, "files", &file).await;
    let url = wait_for_session(&browser).await;
    wait_for_progress(&browser, 0.1).await;

    browser
        .element("[data-upload-name] button")
        .await
        .click()
        .await
        .expect("click Pause");
    wait_for_status(&browser, "paused parts.bin", "Paused").await;
    // Every part in flight was aborted: the server's part set stops growing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let paused = durable_parts(&server_session(&server.url, &url).await);
    let at = progress_of(&browser, "paused parts.bin").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        durable_parts(&server_session(&server.url, &url).await),
        paused,
        "parts still arrived after the pause"
    );
    assert_eq!(progress_of(&browser, "paused parts.bin").await, at);
    assert!(paused.len() < 38, "finished before the pause");

    // Resume continues the same session; then cancel removes it on the server.
    browser
        .element("[data-upload-name] button")
        .await
        .click()
        .await
        .expect("click Resume");
    wait_for_progress(&browser, at + 0.05).await;
    assert_eq!(
        remembered_session(&browser).await.as_deref(),
        Some(url.as_str())
    );
    browser
        .client
        .execute(
            "[...document.querySelectorAll('[data-upload-name] button')]
                .find(b => b.textContent === 'Cancel').click()",
            vec![],
        )
        .await
        .expect("click Cancel");
    wait_for_status(&browser, "paused parts.bin", "Cancelled").await;
    let started = std::time::Instant::now();
    loop {
        let status = reqwest::get(format!("{}{url}", server.url))
            .await
            .expect("GET the session")
            .status();
        if status == 404 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the session outlived the cancel ({status})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!tree.path().join("paused parts.bin").exists());
    assert_eq!(remembered_session(&browser).await, None);
    browser.close().await;
}
