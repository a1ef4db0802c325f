//! A writable `s3://` ROOT (`--writable`): whole-file `PUT`, `mkdir`, `move` and
//! `DELETE` into the bucket, an upload in parts, metadata and storages added through
//! the API as records in the bucket; and an idle session expiring with its records
//! while one that keeps taking parts, the same part again too, stays.

use super::*;

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
