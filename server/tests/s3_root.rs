//! An `s3://bucket[/prefix]` ROOT (PROTOCOL.md §7, issue 13's first steps) against
//! a real S3 server (SeaweedFS), the endpoint and keys from the standard `AWS_*`
//! variables: the prefix is the served tree (listings, bytes, ranges, ZIP; never
//! `.skiff`, never what lies outside the prefix); with `--writable`, whole-file
//! `PUT`, `mkdir`, `move` and `DELETE` into the bucket and an upload in parts,
//! metadata and storages added through the API as records in the bucket, and
//! an idle session expires with its records;
//! two instances on one bucket share the URL-signing
//! key, so a link signed by one opens on the other; and the server refuses to
//! start, exit code 2 and a sentence, on an endpoint that ignores conditional
//! writes, on a missing bucket and on an endpoint that is not there.
//!
//! The writable cases (writes, records, session expiry) are in `s3_root/writable.rs`.

mod common;
#[path = "s3_root/writable.rs"]
mod writable;

use std::process::Command;

use bytes::Bytes;
use common::client;
use common::logged::LoggedServer;
use common::s3_root::command;
use common::seaweed::{fresh_bucket, unreachable_endpoint, SECRET_KEY};
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload};
use reqwest::Method;
use serde_json::Value;
use skiff_protocol::{METADATA_PATH, RAW_PATH, UPLOADS_PATH};

const TOKEN: &str = "s3-root-reader-0123456789";
const ADMIN: &str = "s3-root-admin-0123456789";

/// A bucket holding `team/files/{docs/a.txt, big.bin}` and, outside the prefix,
/// `elsewhere.txt`; its name, the endpoint and `big.bin`'s bytes.
async fn bucket() -> (String, String, Vec<u8>) {
    let (bucket, seaweed) = fresh_bucket().await;
    let raw = common::seaweed::client(&seaweed.endpoint, &bucket);
    let big: Vec<u8> = (0..300_000u32).map(|n| (n * 7 % 251) as u8).collect();
    for (key, bytes) in [
        ("team/files/docs/a.txt", b"hello".to_vec()),
        ("team/files/big.bin", big.clone()),
        ("elsewhere.txt", b"not served".to_vec()),
    ] {
        raw.put(&Key::from(key), PutPayload::from(Bytes::from(bytes)))
            .await
            .expect("put a fixture object");
    }
    (bucket, seaweed.endpoint.clone(), big)
}

async fn names(server: &LoggedServer, path: &str) -> Vec<String> {
    common::s3_root::names(server, path, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prefix_is_the_served_tree_read_only() {
    let (bucket, endpoint, big) = bucket().await;
    let server = LoggedServer::start(command(
        &endpoint,
        &format!("s3://{bucket}/team/files"),
        &[],
    ));
    assert_eq!(names(&server, "/").await, ["big.bin", "docs"]);
    assert_eq!(names(&server, "/docs/").await, ["a.txt"]);

    let http = client();
    let bytes = http
        .get(server.url("/big.bin"))
        .send()
        .await
        .expect("send")
        .bytes()
        .await
        .expect("bytes");
    assert!(bytes.as_ref() == big.as_slice(), "big.bin's bytes");
    let part = http
        .get(server.url("/big.bin"))
        .header("range", "bytes=1000-1009")
        .send()
        .await
        .expect("send");
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.bytes().await.expect("bytes").as_ref(),
        &big[1000..1010]
    );
    let text = http
        .get(server.url("/docs/a.txt"))
        .send()
        .await
        .expect("send");
    assert_eq!(text.text().await.expect("text"), "hello");

    // Nothing outside the prefix, nor the server's own records, is reachable.
    for hidden in [
        "/elsewhere.txt",
        "/.skiff/state/secrets/signing",
        "/../elsewhere.txt",
    ] {
        let status = http
            .get(server.url(hidden))
            .send()
            .await
            .expect("send")
            .status();
        assert_eq!(status, 404, "{hidden}");
    }
    // Read-only, as a folder served without --writable: 405 and changes nothing.
    let put = http
        .put(server.url("/new.txt"))
        .body("x")
        .send()
        .await
        .expect("send");
    assert_eq!(put.status(), 405);
    assert_eq!(names(&server, "/").await, ["big.bin", "docs"]);

    // The storages API shows the bucket as the default storage, without secrets.
    let storages: Value = http
        .get(server.url("/.skiff/api/storages"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    let default = &storages[0];
    assert_eq!(
        default["url"],
        format!("s3://{bucket}/team/files"),
        "{storages}"
    );
    assert_eq!(default["type"], "s3");
    assert_eq!(default["label"], "files");
    // A ZIP of the whole tree streams from the bucket.
    let zip = http
        .get(server.url("/.skiff/raw/zip?ref=path:/"))
        .send()
        .await
        .expect("send");
    assert_eq!(zip.status(), 200);
    let archive = zip.bytes().await.expect("bytes");
    assert!(archive.starts_with(b"PK\x03\x04"), "a ZIP");
    let (_, stderr) = server.stop();
    assert!(!stderr.contains(SECRET_KEY), "the secret reached the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_signed_by_one_instance_opens_on_another() {
    let (bucket, endpoint, big) = bucket().await;
    let root = format!("s3://{bucket}/team/files");
    let token = format!("reader:{TOKEN}:ro");
    let admin = format!("boss:{ADMIN}:admin");
    let a = LoggedServer::start(command(
        &endpoint,
        &root,
        &["--token", &token, "--token", &admin],
    ));
    let b = LoggedServer::start(command(&endpoint, &root, &["--token", &token]));
    let signed: Value = client()
        .post(a.url("/.skiff/api/sign"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "url": "/big.bin" }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    let path = signed["url"].as_str().expect("a signed url");
    let on_b = client().get(b.url(path)).send().await.expect("send");
    assert_eq!(on_b.status(), 200, "{path}");
    assert!(on_b.bytes().await.expect("bytes").as_ref() == big.as_slice());
    let unsigned = client().get(b.url("/big.bin")).send().await.expect("send");
    assert_eq!(unsigned.status(), 401);
    // The key is one record in the bucket, beside the tree, made once.
    let raw = common::seaweed::client(&endpoint, &bucket);
    let key = raw
        .get(&Key::from("team/files/.skiff/state/secrets/signing"))
        .await
        .expect("the key's record")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(key.len(), 32);

    // A read-only root adds no storages through the API (they will be shared
    // records once an S3 root is writable): refused, nothing added.
    let folder = tempfile::tempdir().expect("a folder");
    let made = client()
        .post(a.url("/.skiff/api/storages"))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({
            "name": "extra", "label": "Extra", "type": "local",
            "url": format!("file://{}", folder.path().display()),
        }))
        .send()
        .await
        .expect("send");
    assert_eq!(made.status(), 403);
    let listed: Value = client()
        .get(b.url("/.skiff/api/storages"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    drop((a, b));
}

/// Runs a server that must refuse to start: its exit code and stderr.
async fn refused(command: Command) -> (Option<i32>, String) {
    let mut command = command;
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run skiff-server");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_refuses_to_start_where_it_cannot_serve_safely() {
    let (bucket, endpoint, _) = bucket().await;
    let root = format!("s3://{bucket}/team/files");

    let ignoring = common::conditions_ignored::proxy(&endpoint).await;
    let (code, words) = refused(command(&ignoring, &root, &["--writable"])).await;
    assert_eq!(code, Some(2), "{words}");
    assert!(
        words.contains("does not enforce conditional writes"),
        "{words}"
    );

    let (code, words) = refused(command(&endpoint, "s3://no-such-bucket-here", &[])).await;
    assert_eq!(code, Some(2), "{words}");
    assert!(words.contains("no bucket named"), "{words}");

    let (code, words) = refused(command(&unreachable_endpoint(), &root, &[])).await;
    assert_eq!(code, Some(2), "{words}");
    assert!(words.contains("cannot reach"), "{words}");

    let (code, words) = refused(command(&endpoint, "s3://Bad_Bucket", &[])).await;
    assert_eq!(code, Some(2), "{words}");
    assert!(words.contains("is not a bucket name"), "{words}");
    assert!(!words.contains(SECRET_KEY));
}
