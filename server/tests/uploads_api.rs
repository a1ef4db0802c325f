//! Upload sessions over real sockets (PROTOCOL.md §2): every status code of
//! creating, appending and aborting, and the bytes that land in the storage. Each
//! case runs in the default bucket (`local::`) and in the bucket of an S3 storage
//! mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`). Bucket listings, file objects and tree writes are in
//! uploads_bucket.rs.

mod common;

use common::target::{on_each_storage, Kind, Target};
use common::uploads::{append, create_in, pattern, post_create, sha256_hex, status};
use common::{client, expect_error, Fixture};
use serde_json::json;
use skiff_protocol::{Discovery, FileObject, UploadSession, UPLOADS_PATH, UPLOAD_OFFSET_HEADER};

on_each_storage!(
    discovery_advertises_uploads_only_when_writable,
    a_chunked_upload_lands_byte_for_byte,
    appends_are_refused_with_the_protocol_codes,
    creates_are_refused_with_the_protocol_codes,
    a_whole_file_sha256_mismatch_leaves_the_target_untouched,
    abort_removes_partial_data,
);

/// The partial files the server still holds.
fn partials(fixture: &Fixture) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(fixture.path(&[".skiff", "partial"]))
        .map(|entries| entries.map(|entry| entry.expect("entry").path()).collect())
        .unwrap_or_default()
}

async fn discovery_advertises_uploads_only_when_writable(kind: Kind) {
    let target = Target::new(kind).await;
    let fixture = target.fixture();
    let read_only = target.serve();
    let discovery: Discovery = common::discovery(&read_only).await;
    assert_eq!((discovery.uploads, discovery.max_chunk), (None, None));
    drop(read_only);
    assert!(
        !fixture.path(&[".skiff"]).exists(),
        "a read-only server writes nothing"
    );

    let writable = target.serve_writable(&["--max-chunk", "12345"]);
    let discovery: Discovery = common::discovery(&writable).await;
    assert_eq!(discovery.uploads.as_deref(), Some(UPLOADS_PATH));
    assert_eq!(discovery.max_chunk, Some(12345));
    assert!(
        common::rfsapi(&writable, &target.url(&[]))
            .await
            .writes_supported
    );
}

async fn a_chunked_upload_lands_byte_for_byte(kind: Kind) {
    let target = Target::new(kind).await;
    let fixture = target.fixture();
    let server = target.serve_writable(&[]);
    let contents = pattern(300_000, 7);
    let key = "ünï cødé/a b#c?d%e/😀 data.bin";
    let session = create_in(
        &server,
        target.bucket(),
        key,
        contents.len() as u64,
        Some(&sha256_hex(&contents)),
    )
    .await;
    assert_eq!(
        session.url,
        format!("{UPLOADS_PATH}/session:{}", session.id)
    );

    let mut offset = 0;
    for chunk in contents.chunks(100_000) {
        let response = append(&server, &session.url, offset, chunk.to_vec(), true).await;
        offset += chunk.len() as u64;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        if offset < contents.len() as u64 {
            assert_eq!(body["offset"], offset, "{body}");
            let current: UploadSession = status(&server, &session.url)
                .await
                .json()
                .await
                .expect("status");
            assert_eq!(current.offset, offset);
            assert!(
                !target.exists(&["ünï cødé"]).await,
                "nothing is visible before completion"
            );
        } else {
            let file: FileObject = serde_json::from_value(body).expect("a file object");
            assert_eq!(file.key, key);
            assert_eq!(file.bucket, target.bucket());
            assert_eq!(file.bytes, contents.len() as u64);
            assert_eq!(file.sha256.as_deref(), Some(sha256_hex(&contents).as_str()));
            assert!(uuid::Uuid::parse_str(&file.id).is_ok(), "id {:?}", file.id);
        }
    }
    let on_disk = target
        .read(&["ünï cødé", "a b#c?d%e", "😀 data.bin"])
        .await
        .expect("the uploaded file");
    assert!(on_disk == contents, "bytes on disk differ");
    assert!(partials(fixture).is_empty(), "partial data left behind");

    // Served like any file, and the empty file works too.
    let served = client()
        .get(server.url(&target.url(&["ünï cødé", "a b#c?d%e", "😀 data.bin"])))
        .send()
        .await
        .expect("send");
    assert!(served.bytes().await.expect("body") == contents);
    let empty = create_in(&server, target.bucket(), "empty.bin", 0, None).await;
    let done = append(&server, &empty.url, 0, Vec::new(), false).await;
    assert_eq!(done.status(), 200);
    assert_eq!(target.read(&["empty.bin"]).await.expect("file"), b"");
}

async fn appends_are_refused_with_the_protocol_codes(kind: Kind) {
    let target = Target::new(kind).await;
    let server = target.serve_writable(&["--max-chunk", "1000"]);
    let session = create_in(&server, target.bucket(), "f.bin", 1500, None).await;
    let url = server.url(&session.url);

    let missing = client().post(&url).body("x").send().await.expect("send");
    expect_error(missing, 400, "no Upload-Offset").await;
    let bad = client()
        .post(&url)
        .header(UPLOAD_OFFSET_HEADER, "ten")
        .body("x")
        .send()
        .await
        .expect("send");
    expect_error(bad, 400, "Upload-Offset not an integer").await;

    let unknown = append(
        &server,
        &format!("{UPLOADS_PATH}/session:{}", "0".repeat(32)),
        0,
        b"x".to_vec(),
        false,
    )
    .await;
    expect_error(unknown, 404, "unknown session").await;

    let too_big = append(&server, &session.url, 0, vec![1; 1001], false).await;
    expect_error(too_big, 413, "chunk over --max-chunk (Content-Length)").await;
    // Without Content-Length the limit is enforced while streaming.
    let stream = futures_util::stream::iter(
        (0..11).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![2u8; 100]))),
    );
    let streamed = client()
        .post(&url)
        .header(UPLOAD_OFFSET_HEADER, "0")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .expect("send");
    expect_error(streamed, 413, "chunk over --max-chunk (streamed)").await;

    let first = append(&server, &session.url, 0, vec![3; 1000], true).await;
    assert_eq!(first.status(), 200);

    let conflict = append(&server, &session.url, 10, vec![4; 10], false).await;
    assert_eq!(conflict.status(), 409);
    let body: serde_json::Value = conflict.json().await.expect("json");
    assert_eq!(body["offset"], 1000, "409 carries the session: {body}");
    assert_eq!(body["id"], session.id.as_str());
    assert_eq!(body["error"]["code"], "offset_mismatch", "{body}");

    let past = append(&server, &session.url, 1000, vec![5; 501], false).await;
    expect_error(past, 400, "chunk past size").await;

    let mut corrupt = client()
        .post(&url)
        .header(UPLOAD_OFFSET_HEADER, "1000")
        .header(
            "Upload-Checksum",
            common::uploads::checksum_header(&[6; 500]),
        );
    corrupt = corrupt.body(vec![7u8; 500]);
    expect_error(corrupt.send().await.expect("send"), 460, "chunk checksum").await;

    // Nothing refused was written: the offset and the partial file are unchanged.
    let current: UploadSession = status(&server, &session.url)
        .await
        .json()
        .await
        .expect("status");
    assert_eq!(current.offset, 1000);
    let (partial, _) = target.partial(&session.id);
    assert_eq!(std::fs::read(&partial).expect("partial"), vec![3; 1000]);

    let last = append(&server, &session.url, 1000, vec![8; 500], true).await;
    assert_eq!(last.status(), 200);
    let mut expected = vec![3; 1000];
    expected.extend([8; 500]);
    assert_eq!(target.read(&["f.bin"]).await.expect("file"), expected);
}

async fn creates_are_refused_with_the_protocol_codes(kind: Kind) {
    let target = Target::new(kind).await;
    let fixture = target.fixture();
    target.write(&["exists.txt"], b"old").await;
    let server = target.serve_writable(&["--max-size", "1000"]);
    let body = |key: &str, bucket: &str, size: u64| json!({"key": key, "bucket": bucket, "mime_type": "text/plain", "size": size});
    let bucket_name = target.bucket();

    let bucket = post_create(&server, &body("a.txt", "elsewhere", 1), &[]).await;
    expect_error(bucket, 404, "unknown bucket").await;
    let large = post_create(&server, &body("a.txt", bucket_name, 1001), &[]).await;
    expect_error(large, 413, "size over --max-size").await;
    let exists = post_create(
        &server,
        &body("exists.txt", bucket_name, 1),
        &[("if-none-match", "*")],
    )
    .await;
    expect_error(exists, 412, "If-None-Match: * on an existing key").await;
    let fresh = post_create(
        &server,
        &body("new.txt", bucket_name, 1),
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!(fresh.status(), 201);
    let replace = post_create(&server, &body("exists.txt", bucket_name, 1), &[]).await;
    assert_eq!(
        replace.status(),
        201,
        "without If-None-Match a file may be replaced"
    );

    for malformed in [
        "{",
        "[]",
        r#"{"key":"a"}"#,
        r#"{"key":"a","bucket":"default","mime_type":"x","size":-1}"#,
        r#"{"key":"a","bucket":"s3","mime_type":"x","size":-1}"#,
    ] {
        let response = client()
            .post(server.url(UPLOADS_PATH))
            .header("content-type", "application/json")
            .body(malformed)
            .send()
            .await
            .expect("send");
        expect_error(response, 400, &format!("malformed body {malformed}")).await;
    }
    for key in [
        "../escape.txt",
        "a/../../b",
        "a//b",
        "./a",
        "a\\b",
        "nul\0.txt",
        "",
        "/abs",
    ] {
        let response = post_create(&server, &body(key, bucket_name, 1), &[]).await;
        expect_error(response, 400, &format!("unsafe key {key:?}")).await;
    }
    for key in [".skiff/x", ".skiff", ".skiff/state.redb"] {
        let response = post_create(&server, &body(key, bucket_name, 1), &[]).await;
        expect_error(response, 403, &format!("reserved key {key:?}")).await;
    }
    assert_eq!(target.read(&["exists.txt"]).await.expect("file"), b"old");
    assert!(!fixture.outside().join("escape.txt").exists());
}

async fn a_whole_file_sha256_mismatch_leaves_the_target_untouched(kind: Kind) {
    let target = Target::new(kind).await;
    let fixture = target.fixture();
    target.write(&["target.txt"], b"original").await;
    let server = target.serve_writable(&[]);
    let session = create_in(
        &server,
        target.bucket(),
        "target.txt",
        6,
        Some(&sha256_hex(b"wanted")),
    )
    .await;
    let first = append(&server, &session.url, 0, b"wro".to_vec(), true).await;
    assert_eq!(first.status(), 200);
    let last = append(&server, &session.url, 3, b"ng!".to_vec(), true).await;
    expect_error(last, 460, "whole-file sha256 mismatch").await;
    assert_eq!(
        target.read(&["target.txt"]).await.expect("file"),
        b"original"
    );
    // The session can only be aborted now.
    let again = append(&server, &session.url, 6, Vec::new(), false).await;
    expect_error(again, 460, "append after a whole-file mismatch").await;
    let aborted = client()
        .delete(server.url(&session.url))
        .send()
        .await
        .expect("send");
    assert_eq!(aborted.status(), 204);
    assert!(
        partials(fixture).is_empty(),
        "abort removes the partial data"
    );
    expect_error(
        status(&server, &session.url).await,
        404,
        "status after abort",
    )
    .await;
    assert_eq!(
        target.read(&["target.txt"]).await.expect("file"),
        b"original"
    );
}

async fn abort_removes_partial_data(kind: Kind) {
    let target = Target::new(kind).await;
    let fixture = target.fixture();
    let server = target.serve_writable(&[]);
    let session = create_in(&server, target.bucket(), "dir/big.bin", 100, None).await;
    assert_eq!(
        append(&server, &session.url, 0, vec![1; 40], false)
            .await
            .status(),
        200
    );
    assert_eq!(partials(fixture).len(), 1);
    let aborted = client()
        .delete(server.url(&session.url))
        .send()
        .await
        .expect("send");
    assert_eq!(aborted.status(), 204);
    assert!(partials(fixture).is_empty());
    assert!(!target.exists(&["dir"]).await, "nothing reached the tree");
    expect_error(
        status(&server, &session.url).await,
        404,
        "status after abort",
    )
    .await;
    let late = append(&server, &session.url, 40, vec![1; 60], false).await;
    expect_error(late, 404, "append after abort").await;
    let twice = client()
        .delete(server.url(&session.url))
        .send()
        .await
        .expect("send");
    expect_error(twice, 404, "abort twice").await;
}
