//! End-to-end: the app on a server whose ROOT is an S3 bucket (`s3://bucket/prefix`, a
//! real SeaweedFS, issue 13's first step). A person opens the page, sees the prefix's
//! folders and files, opens a folder from the tree, selects a file and gets its exact
//! size, and its download link serves the object's bytes; the page offers no upload
//! (the root is served read-only here; a writable one is tested in s3_root.rs).

mod browser;
#[allow(dead_code)]
#[path = "common/seaweed.rs"]
mod seaweed;

use std::path::Path;

use browser::{Browser, Server};
use bytes::Bytes;
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload};
use seaweed::{fresh_bucket, ACCESS_KEY, REGION, SECRET_KEY};

#[tokio::test(flavor = "multi_thread")]
async fn the_app_browses_a_bucket_served_as_root() {
    let (bucket, seaweed) = fresh_bucket().await;
    let raw = seaweed::client(&seaweed.endpoint, &bucket);
    let report: Vec<u8> = (0..12_345u32).map(|n| (n * 31 % 251) as u8).collect();
    for (key, bytes) in [
        ("shared/docs/report.bin", report.clone()),
        ("shared/docs/reports/q1.txt", b"q1".to_vec()),
        ("shared/readme.txt", b"read me".to_vec()),
    ] {
        raw.put(&Key::from(key), PutPayload::from(Bytes::from(bytes)))
            .await
            .expect("put a fixture object");
    }
    let root = format!("s3://{bucket}/shared");
    let server = Server::start_with_env(
        Path::new(&root),
        &[],
        &[
            ("AWS_ENDPOINT_URL", &seaweed.endpoint),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ("AWS_REGION", REGION),
            ("AWS_ALLOW_HTTP", "true"),
        ],
    );
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser.wait_for_rows(&["docs", "readme.txt"]).await;

    browser
        .element("[role=treeitem][data-path='/docs'] a")
        .await
        .click()
        .await
        .expect("click the folder in the tree");
    browser.wait_for_rows(&["reports", "report.bin"]).await;
    browser.click_row("report.bin", None).await;
    browser
        .wait_until(
            "the exact size in the details pane",
            "document.querySelector('[data-field=size]')?.dataset.bytes === '12345'",
        )
        .await;
    let href = browser
        .element("a[download]")
        .await
        .prop("href")
        .await
        .expect("the download link")
        .expect("an href");
    let downloaded = reqwest::get(&href)
        .await
        .expect("download")
        .bytes()
        .await
        .expect("the bytes");
    assert!(
        downloaded.as_ref() == report.as_slice(),
        "the object's bytes"
    );

    // Read-only: the page offers no way to upload here.
    let upload_controls: usize = serde_json::from_value(
        browser
            .client
            .execute(
                "return document.querySelectorAll('input[type=file]').length",
                vec![],
            )
            .await
            .expect("count file inputs"),
    )
    .expect("a number");
    assert_eq!(upload_controls, 0, "an upload control on a read-only root");
    browser.screenshot("s3-root-docs").await;
    browser.close().await;
}
