//! End-to-end: an S3 storage added through the Storages form in Chromium, against a real
//! SeaweedFS (`common/seaweed.rs`, `SKIFF_WEED`). Wrong credentials get the server's
//! words next to the form and add nothing; right ones mount the bucket as a folder, and
//! a file dropped into that folder lands in the bucket: its bytes are read back with a
//! plain S3 GET (object_store), not through skiff-server.

mod browser;
#[allow(dead_code)]
#[path = "common/seaweed.rs"]
mod seaweed;

use browser::storages::{click, fill};
use browser::uploads::generated;
use browser::{Browser, Server};
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use seaweed::{fresh_bucket, ACCESS_KEY, REGION, SECRET_KEY};
use serde_json::json;

const ADMIN: &str = "admin-token-s3";

/// The texts of the form's refusals (under a field or above the buttons).
async fn form_alerts(browser: &Browser) -> Vec<String> {
    let found = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[data-form=add-storage] [role=alert]')]
                .map(e => e.innerText)",
            vec![],
        )
        .await
        .expect("read the refusals");
    serde_json::from_value(found).expect("a list of texts")
}

/// Drops one generated file of `len` bytes named `name` on the page.
async fn drop_file(browser: &Browser, name: &str, len: usize) {
    browser
        .client
        .execute(
            "const [name, n] = arguments;
             const bytes = Uint8Array.from({length: n}, (_, i) => (i * 31 + n) % 251);
             const transfer = new DataTransfer();
             transfer.items.add(new File([bytes], name));
             for (const type of ['dragenter', 'dragover', 'drop']) {
                 document.body.dispatchEvent(new DragEvent(type,
                     {bubbles: true, cancelable: true, dataTransfer: transfer}));
             }",
            vec![json!(name), json!(len)],
        )
        .await
        .expect("drop the file");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_storage_added_by_the_form_takes_a_dropped_file() {
    let (bucket, seaweed) = fresh_bucket().await;
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("hello.txt"), "hi").expect("write");
    let server = Server::start(
        tree.path(),
        &["--writable", "--token", &format!("boss:{ADMIN}:admin")],
    );
    let url = format!("s3://{bucket}/app");
    let body = |secret: &str| {
        json!({"name": "cloud", "label": "Cloud bucket", "type": "s3", "url": url,
               "endpoint": seaweed.endpoint, "region": REGION,
               "access_key_id": ACCESS_KEY, "secret_access_key": secret})
    };
    // The server's words for a wrong secret, straight from its API (nothing is added).
    let refused = reqwest::Client::new()
        .post(format!("{}/.skiff/api/storages", server.url))
        .bearer_auth(ADMIN)
        .json(&body("not-the-secret"))
        .send()
        .await
        .expect("POST storages");
    assert_eq!(refused.status(), 400);
    let refused: serde_json::Value = refused.json().await.expect("a JSON error");
    let words = refused["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let browser = Browser::start().await;
    browser
        .open(&format!("{}/?view=storages", server.url))
        .await;
    browser
        .element("[data-screen=sign-in] input[name=token]")
        .await
        .send_keys(&format!("{ADMIN}\u{E007}"))
        .await
        .expect("sign in");
    click(
        &browser,
        "[data-form=add-storage] input[name=type][value=s3]",
    )
    .await;
    fill(&browser, "name", "cloud").await;
    fill(&browser, "label", "Cloud bucket").await;
    fill(&browser, "url", &url).await;
    fill(&browser, "endpoint", &seaweed.endpoint).await;
    fill(&browser, "region", REGION).await;
    fill(&browser, "access_key_id", ACCESS_KEY).await;
    fill(&browser, "secret_access_key", "not-the-secret").await;
    click(&browser, "[data-action=add-storage]").await;
    browser
        .wait_until(
            "the refusal",
            "document.querySelector('[data-form=add-storage] [role=alert]')",
        )
        .await;
    assert_eq!(form_alerts(&browser).await, vec![words]);
    assert!(
        !browser.is_shown("li[data-storage=cloud]").await,
        "a refused storage is listed"
    );

    fill(&browser, "secret_access_key", SECRET_KEY).await;
    click(&browser, "[data-action=add-storage]").await;
    browser
        .wait_until_within(
            "the S3 storage's card",
            "document.querySelector('li[data-storage=cloud] [data-field=type]')
                ?.innerText === 'S3 bucket'",
            std::time::Duration::from_secs(60),
        )
        .await;
    assert!(form_alerts(&browser).await.is_empty(), "a refusal stays");
    let secret_left = browser
        .client
        .execute(
            "return document.querySelector('[data-form=add-storage] input[name=secret_access_key]')?.value ?? ''",
            vec![],
        )
        .await
        .expect("read the secret field");
    assert_eq!(secret_left, json!(""), "the secret stays in the form");

    // Into the bucket's folder, and drop a file there.
    click(&browser, "[data-action=close-storages]").await;
    browser.wait_for_rows(&["cloud", "hello.txt"]).await;
    click(&browser, "[role=treeitem][data-path=\"/cloud\"] a").await;
    browser
        .wait_until(
            "the bucket's folder",
            "location.pathname === '/cloud/'
                && document.querySelector('[data-field=storage]')?.innerText === 'Cloud bucket (S3 bucket)'",
        )
        .await;
    let len = 300_000;
    drop_file(&browser, "dropped.bin", len).await;
    // Only what was dropped: the server's own records (`.skiff`) are never listed.
    browser.wait_for_rows(&["dropped.bin"]).await;

    let s3 = seaweed::client(&seaweed.endpoint, &bucket);
    let object = s3
        .get(&ObjectPath::from("app/dropped.bin"))
        .await
        .expect("the object is in the bucket")
        .bytes()
        .await
        .expect("its bytes");
    assert!(
        object.as_ref() == generated(len).as_slice(),
        "the bytes differ"
    );

    // A file over the one-PUT limit goes as an upload session in the storage's own
    // bucket (a mount's name is reserved in the default one).
    let big = 20 << 20;
    drop_file(&browser, "big.bin", big).await;
    // It is listed once its session completed into the bucket.
    browser.wait_for_rows(&["big.bin", "dropped.bin"]).await;
    let object = s3
        .get(&ObjectPath::from("app/big.bin"))
        .await
        .expect("the big object is in the bucket")
        .bytes()
        .await
        .expect("its bytes");
    assert!(
        object.as_ref() == generated(big).as_slice(),
        "the big file's bytes differ"
    );
    browser.close().await;
}
