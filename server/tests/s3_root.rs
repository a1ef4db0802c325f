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

mod common;

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
async fn a_writable_root_writes_into_the_bucket() {
    let (bucket, endpoint, _) = bucket().await;
    let writer = format!("writer:{TOKEN}:rw");
    let admin = format!("boss:{ADMIN}:admin");
    let server = LoggedServer::start(command(
        &endpoint,
        &format!("s3://{bucket}/team/files"),
        &["--writable", "--token", &writer, "--token", &admin],
    ));
    let raw = common::seaweed::client(&endpoint, &bucket);
    let object = |key: &'static str| {
        let raw = raw.clone();
        async move {
            match raw.get(&Key::from(format!("team/files/{key}"))).await {
                Ok(found) => Some(found.bytes().await.expect("bytes").to_vec()),
                Err(object_store::Error::NotFound { .. }) => None,
                Err(error) => panic!("{key}: {error}"),
            }
        }
    };
    let http = client();
    let send =
        |method: Method, path: &str| http.request(method, server.url(path)).bearer_auth(TOKEN);

    // A whole-file PUT lands in the bucket; a folder made; the file moved into
    // it; the old name gone; then deleted.
    let put = send(Method::PUT, "/notes/new.txt")
        .body("written")
        .send()
        .await
        .expect("send");
    assert_eq!(put.status(), 201);
    assert_eq!(
        object("notes/new.txt").await.as_deref(),
        Some(&b"written"[..])
    );
    let raw_op = |op: &str, query: &str| format!("{RAW_PATH}/{op}?{query}");
    let made = send(Method::POST, &raw_op("mkdir", "ref=path:/archive"))
        .send()
        .await
        .expect("send");
    assert!(made.status().is_success(), "{}", made.status());
    let moved = send(
        Method::POST,
        &raw_op("move", "ref=path:/notes/new.txt&to=path:/archive/kept.txt"),
    )
    .send()
    .await
    .expect("send");
    assert_eq!(moved.status(), 200);
    assert_eq!(object("notes/new.txt").await, None);
    assert_eq!(
        object("archive/kept.txt").await.as_deref(),
        Some(&b"written"[..])
    );
    assert_eq!(
        common::s3_root::names(&server, "/archive/", Some(TOKEN)).await,
        ["kept.txt"]
    );
    let deleted = send(Method::DELETE, "/archive/kept.txt")
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), 204);
    assert_eq!(object("archive/kept.txt").await, None);

    // A batch of small files (what the app sends them as): each lands as its PUT would.
    let mut batch = Vec::new();
    for (path, contents) in [
        ("/small/a.txt", &b"alpha"[..]),
        ("/small/b.txt", &b"beta"[..]),
    ] {
        let item = skiff_protocol::BatchItem {
            path: path.to_owned(),
            size: contents.len() as u64,
            digest: None,
            create_only: true,
            if_match: None,
        };
        batch.extend_from_slice(&serde_json::to_vec(&item).expect("an item"));
        batch.push(b'\n');
        batch.extend_from_slice(contents);
    }
    let answered = send(Method::POST, skiff_protocol::BATCH_PATH)
        .header("content-type", skiff_protocol::BATCH_CONTENT_TYPE)
        .body(batch)
        .send()
        .await
        .expect("send");
    assert_eq!(answered.status(), 200);
    assert_eq!(object("small/a.txt").await.as_deref(), Some(&b"alpha"[..]));
    assert_eq!(object("small/b.txt").await.as_deref(), Some(&b"beta"[..]));

    // An upload in parts (5 MiB, S3's least): its session and parts are records
    // beside the tree, and the file lands whole.
    let bytes: Vec<u8> = (0..(5u32 << 20) + 77).map(|n| (n % 253) as u8).collect();
    let created: Value = send(Method::POST, UPLOADS_PATH)
        .json(&serde_json::json!({
            "key": "up/big.bin", "bucket": "default",
            "mime_type": "application/octet-stream",
            "size": bytes.len(), "part_size": 5 << 20,
        }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    let url = created["url"].as_str().expect("a url").to_owned();
    for (n, part) in bytes.chunks(5 << 20).enumerate() {
        let sent = send(Method::PUT, &format!("{url}/parts/{}", n + 1))
            .body(part.to_vec())
            .send()
            .await
            .expect("send");
        assert_eq!(sent.status(), 200);
    }
    let id = created["id"].as_str().expect("an id");
    let session = raw
        .get(&Key::from(format!("team/files/.skiff/state/sessions/{id}")))
        .await
        .expect("the session's record")
        .bytes()
        .await
        .expect("bytes");
    assert!(String::from_utf8_lossy(&session).contains(r#""state":"open""#));
    let done = send(Method::POST, &format!("{url}/complete"))
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(done.status(), 200);
    assert_eq!(
        object("up/big.bin").await.as_deref(),
        Some(bytes.as_slice())
    );
    assert_eq!(
        common::s3_root::names(&server, "/", Some(TOKEN)).await,
        ["archive", "big.bin", "docs", "notes", "small", "up"]
    );

    // A session's status, and its abort: the S3 upload and the records gone.
    let created: Value = send(Method::POST, UPLOADS_PATH)
        .json(&serde_json::json!({
            "key": "up/dropped.bin", "bucket": "default",
            "mime_type": "application/octet-stream",
            "size": bytes.len(), "part_size": 5 << 20,
        }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    let url = created["url"].as_str().expect("a url").to_owned();
    let id = created["id"].as_str().expect("an id").to_owned();
    let sent = send(Method::PUT, &format!("{url}/parts/2"))
        .body(bytes[5 << 20..].to_vec())
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status(), 200);
    let status: Value = send(Method::GET, &url)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    assert_eq!(status["parts"], serde_json::json!([[2, 2]]), "{status}");
    assert_eq!(status["offset"], 0, "{status}");
    let record = |key: String| {
        let raw = raw.clone();
        async move {
            match raw
                .head(&Key::from(format!("team/files/.skiff/state/{key}")))
                .await
            {
                Ok(_) => true,
                Err(object_store::Error::NotFound { .. }) => false,
                Err(error) => panic!("{key}: {error}"),
            }
        }
    };
    assert!(record(format!("parts/{id}/2")).await);
    let aborted = send(Method::DELETE, &url).send().await.expect("send");
    assert_eq!(aborted.status(), 204);
    assert_eq!(
        send(Method::GET, &url).send().await.expect("send").status(),
        404
    );
    assert!(!record(format!("sessions/{id}")).await);
    assert!(!record(format!("parts/{id}/2")).await);

    // Metadata is a record in the bucket (shared by every instance on it).
    let metadata = send(Method::PUT, &format!("{METADATA_PATH}/big.bin"))
        .json(&serde_json::json!({ "note": "x" }))
        .send()
        .await
        .expect("send");
    assert_eq!(metadata.status(), 200);
    let metadata: Value = metadata.json().await.expect("JSON");
    assert_eq!(metadata["note"], "x", "{metadata}");
    let file_id = metadata["_id"].as_str().expect("an id");
    assert!(record(format!("metadata/{file_id}")).await);
    assert!(record(format!("ids/node/{file_id}")).await);

    // Storages added through the API are one record in the bucket, shared by
    // every instance on it (scale_out/storages.rs), no longer refused with 501.
    let folder = tempfile::tempdir().expect("a folder");
    let made = http
        .post(server.url("/.skiff/api/storages"))
        .bearer_auth(ADMIN)
        .json(
            &serde_json::json!({ "name": "extra", "label": "Extra", "type": "local",
            "url": folder.path().display().to_string() }),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(made.status(), 201);
    assert!(record("storages/list".to_owned()).await);
    let gone = http
        .delete(server.url("/.skiff/api/storages/extra"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("send");
    assert_eq!(gone.status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_shared_sessions_expire() {
    let (bucket, endpoint, _) = bucket().await;
    let writer = format!("writer:{TOKEN}:rw");
    let server = LoggedServer::start(command(
        &endpoint,
        &format!("s3://{bucket}/team/files"),
        &["--writable", "--token", &writer, "--session-ttl", "3"],
    ));
    let raw = common::seaweed::client(&endpoint, &bucket);
    let http = client();
    let created: Value = http
        .post(server.url(UPLOADS_PATH))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({
            "key": "idle.bin", "bucket": "default",
            "mime_type": "application/octet-stream",
            "size": 6 << 20, "part_size": 5 << 20,
        }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    let url = created["url"].as_str().expect("a url").to_owned();
    let id = created["id"].as_str().expect("an id").to_owned();
    // A part now and then keeps it alive past its TTL since creation, the same
    // part again too (5 × 1.2 s: a sweep every 1.5 s would surely end it if only
    // the part's first sending counted).
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let sent = http
            .put(server.url(&format!("{url}/parts/2")))
            .bearer_auth(TOKEN)
            .body(vec![7u8; 1 << 20])
            .send()
            .await
            .expect("send");
        assert_eq!(sent.status(), 200, "a part keeps the session alive");
    }
    // Then idle: gone within a TTL and a sweep, records and all.
    let session = format!("team/files/.skiff/state/sessions/{id}");
    let mut gone = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        if matches!(
            raw.head(&Key::from(session.clone())).await,
            Err(object_store::Error::NotFound { .. })
        ) {
            gone = true;
            break;
        }
    }
    assert!(gone, "the idle session's record is still there");
    let part = format!("team/files/.skiff/state/parts/{id}/2");
    assert!(matches!(
        raw.head(&Key::from(part)).await,
        Err(object_store::Error::NotFound { .. })
    ));
    let status = http
        .get(server.url(&url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(status.status(), 404);
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
