//! End-to-end: moves and copies between storages in Chromium, against a real SeaweedFS
//! (`common/seaweed.rs`, `SKIFF_WEED`) mounted at `/cloud` by a `--config` file. A file
//! and a folder of the default storage dragged onto the mount's folder in the tree land
//! in the bucket (read back with a plain S3 client, not through skiff-server) and leave
//! the disk; Undo brings them back. Copy to… from the mount into a folder of the default
//! storage shows its bytes in the progress and puts the same bytes on disk; Move to… of
//! one big file out of the mount keeps its progress up while it is in flight; the
//! server's refusal to move the mount itself is shown in its own words.

mod browser;
#[allow(dead_code)]
#[path = "common/seaweed.rs"]
mod seaweed;

use std::path::Path;
use std::time::Duration;

use browser::files::{
    answer_dialog, click_button, wait_for_path, wait_for_selected, wait_for_toast,
};
use browser::uploads::pattern;
use browser::{Browser, Server};
use object_store::aws::AmazonS3;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use seaweed::{fresh_bucket, ACCESS_KEY, REGION, SECRET_KEY};

/// The variables the config file names for the bucket's credentials.
const KEY_VAR: &str = "SKIFF_E2E_MOVES_KEY";
const SECRET_VAR: &str = "SKIFF_E2E_MOVES_SECRET";
/// The prefix in the bucket under which the storage keeps its files.
const PREFIX: &str = "app";
/// A file big enough that its copy between storages is in flight for a while.
const BIG: usize = 48 << 20;

/// The object at `key` (below the storage's prefix), or `None` if there is none.
async fn object(s3: &AmazonS3, key: &str) -> Option<Vec<u8>> {
    let path = ObjectPath::from(format!("{PREFIX}/{key}"));
    match s3.get(&path).await {
        Ok(found) => Some(found.bytes().await.expect("the object's bytes").to_vec()),
        Err(object_store::Error::NotFound { .. }) => None,
        Err(error) => panic!("GET {key} from the bucket: {error}"),
    }
}

/// Waits until the object at `key` is there (`present`) or gone.
async fn wait_for_object(s3: &AmazonS3, key: &str, present: bool) {
    let started = std::time::Instant::now();
    while object(s3, key).await.is_some() != present {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{key} is {} in the bucket after 20 s",
            if present {
                "still missing"
            } else {
                "still there"
            }
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn read(root: &Path, relative: &str) -> Vec<u8> {
    std::fs::read(root.join(relative)).unwrap_or_else(|error| panic!("read {relative}: {error}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn moves_and_copies_cross_between_the_disk_and_an_s3_mount() {
    let (bucket, seaweed) = fresh_bucket().await;
    let s3 = seaweed::client(&seaweed.endpoint, &bucket);
    let tree = tempfile::tempdir().expect("a temp folder");
    let root = tree.path();
    let note = pattern(70_000, 1);
    let one = pattern(1_500_000, 2);
    std::fs::write(root.join("note.txt"), &note).expect("write");
    std::fs::create_dir_all(root.join("docs/deep")).expect("mkdir");
    std::fs::create_dir(root.join("docs/empty")).expect("mkdir");
    std::fs::write(root.join("docs/one.bin"), &one).expect("write");
    std::fs::write(root.join("docs/deep/two.txt"), "two").expect("write");
    std::fs::create_dir(root.join("inbox")).expect("mkdir");
    // Already in the bucket, as another S3 client would have put them.
    let big = pattern(BIG, 3);
    for (key, bytes) in [("big.bin", big.clone()), ("small.txt", b"small".to_vec())] {
        s3.put(
            &ObjectPath::from(format!("{PREFIX}/{key}")),
            PutPayload::from(bytes),
        )
        .await
        .expect("seed the bucket");
    }

    let outside = tempfile::tempdir().expect("a temp folder");
    let config = outside.path().join("cloud.toml");
    let text = format!(
        "[[storage]]\nname = \"cloud\"\nlabel = \"Cloud bucket\"\ntype = \"s3\"\n\
         url = \"s3://{bucket}/{PREFIX}\"\nendpoint = \"{}\"\nregion = \"{REGION}\"\n\
         access_key_id_env = \"{KEY_VAR}\"\nsecret_access_key_env = \"{SECRET_VAR}\"\n",
        seaweed.endpoint
    );
    std::fs::write(&config, text).expect("write the config file");
    // The one test of this binary: nothing else reads the environment meanwhile.
    std::env::set_var(KEY_VAR, ACCESS_KEY);
    std::env::set_var(SECRET_VAR, SECRET_KEY);
    let config = config.to_str().expect("a UTF-8 temp path");
    let server = Server::start(root, &["--writable", "--config", config]);

    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["cloud", "docs", "inbox", "note.txt"])
        .await;
    browser.element("[role=toolbar] button").await;

    // A file and a folder dragged onto the mount's folder in the tree: moved into the bucket.
    browser.click_row("docs", None).await;
    browser.click_row("note.txt", Some("ctrlKey")).await;
    wait_for_selected(&browser, 2).await;
    browser
        .drag(
            "[role=row][data-name=\"note.txt\"]",
            "[role=treeitem][data-path=\"/cloud\"]",
        )
        .await;
    wait_for_toast(&browser, "Moved 2 items to /cloud.").await;
    assert_eq!(object(&s3, "note.txt").await.as_deref(), Some(&note[..]));
    assert_eq!(object(&s3, "docs/one.bin").await.as_deref(), Some(&one[..]));
    assert_eq!(
        object(&s3, "docs/deep/two.txt").await.as_deref(),
        Some(&b"two"[..])
    );
    assert!(!root.join("note.txt").exists(), "note.txt left on disk");
    assert!(!root.join("docs").exists(), "docs left on disk");
    browser.wait_for_rows(&["cloud", "inbox"]).await;

    // Undo moves them back across.
    click_button(&browser, "Undo").await;
    wait_for_toast(&browser, "Undone.").await;
    assert_eq!(read(root, "note.txt"), note);
    assert_eq!(read(root, "docs/one.bin"), one);
    assert_eq!(read(root, "docs/deep/two.txt"), b"two");
    assert!(
        root.join("docs/empty").is_dir(),
        "the empty folder came back"
    );
    wait_for_object(&s3, "note.txt", false).await;
    wait_for_object(&s3, "docs/one.bin", false).await;
    browser
        .wait_for_rows(&["cloud", "docs", "inbox", "note.txt"])
        .await;

    // Copy to… from the mount into a folder of the default storage: the progress counts
    // bytes while the big file is in flight.
    browser.open(&format!("{}/cloud/", server.url)).await;
    browser.wait_for_rows(&["big.bin", "small.txt"]).await;
    browser.click_row("big.bin", None).await;
    browser.click_row("small.txt", Some("ctrlKey")).await;
    wait_for_selected(&browser, 2).await;
    click_button(&browser, "Copy to…").await;
    answer_dialog(&browser, "/inbox").await;
    let progress = wait_for_toast(&browser, "Copying 2 items (").await;
    assert!(
        progress.contains(" of 48 MiB)"),
        "the progress {progress:?} does not count the bytes"
    );
    wait_for_toast(&browser, "Copied 2 items to /inbox.").await;
    wait_for_path(root, "inbox/small.txt", true).await;
    assert!(read(root, "inbox/big.bin") == big, "big.bin's bytes differ");
    assert_eq!(read(root, "inbox/small.txt"), b"small");
    assert!(
        object(&s3, "big.bin").await.is_some(),
        "a copy keeps its source"
    );

    // Move to… of one big file out of the mount: while it is in flight the progress
    // stays, with an indeterminate bar (one entry tells nothing until it is done).
    browser.click_row("big.bin", None).await;
    browser
        .wait_until(
            "big.bin alone selected",
            "document.querySelectorAll('[role=row][aria-selected=true]').length === 1
                && document.querySelector('[role=row][data-name=\"big.bin\"]')
                    ?.getAttribute('aria-selected') === 'true'",
        )
        .await;
    click_button(&browser, "Move to…").await;
    answer_dialog(&browser, "/").await;
    let progress = wait_for_toast(&browser, "Moving “big.bin” (").await;
    assert!(
        progress.contains("0 of 1 · 0 B of 48 MiB)"),
        "the progress {progress:?}"
    );
    let bar = browser
        .client
        .execute(
            "const bar = document.querySelector('[data-progress] progress');
             return bar ? bar.hasAttribute('value') : null",
            vec![],
        )
        .await
        .expect("read the bar");
    assert_eq!(bar, serde_json::json!(false), "an indeterminate bar");
    wait_for_toast(&browser, "Moved “big.bin” to /.").await;
    assert!(
        read(root, "big.bin") == big,
        "the moved big.bin's bytes differ"
    );
    wait_for_object(&s3, "big.bin", false).await;

    // The server's refusal reads as its own words: a storage's top folder stays put.
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_for_rows(&["cloud", "docs", "inbox", "big.bin", "note.txt"])
        .await;
    browser.click_row("cloud", None).await;
    browser
        .drag(
            "[role=row][data-name=\"cloud\"]",
            "[role=row][data-name=\"inbox\"]",
        )
        .await;
    let refused = wait_for_toast(&browser, "Moved 0 of 1 items").await;
    assert!(
        refused.contains("“cloud”: A storage's top folder cannot be moved"),
        "the refusal {refused:?}"
    );
    assert!(!root.join("inbox/cloud").exists(), "the mount moved");
    assert_eq!(
        object(&s3, "small.txt").await.as_deref(),
        Some(&b"small"[..])
    );
    browser.close().await;
}
