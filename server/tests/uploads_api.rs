//! Upload sessions and writes over real sockets (PROTOCOL.md §2, and `PUT`/`DELETE`
//! on the tree from §0): every status code, the bytes that land on disk, bucket
//! listings with pagination, file objects, and what a read-only server refuses.

mod common;

use common::uploads::{append, create, pattern, post_create, serve_writable, sha256_hex, status};
use common::{client, expect_error, url_path, Fixture, RFSAPI};
use serde_json::json;
use skiff_protocol::{
    BucketList, Discovery, FileList, FileObject, UploadSession, DISCOVERY_PATH, UPLOADS_PATH,
    UPLOAD_OFFSET_HEADER,
};

/// The partial files the server still holds.
fn partials(fixture: &Fixture) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(fixture.path(&[".skiff", "partial"]))
        .map(|entries| entries.map(|entry| entry.expect("entry").path()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn discovery_advertises_uploads_only_when_writable() {
    let fixture = Fixture::new();
    let read_only = fixture.serve();
    let discovery: Discovery = client()
        .get(read_only.url(DISCOVERY_PATH))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("discovery");
    assert_eq!((discovery.uploads, discovery.max_chunk), (None, None));
    drop(read_only);
    assert!(
        !fixture.path(&[".skiff"]).exists(),
        "a read-only server writes nothing"
    );

    let writable = serve_writable(&fixture, &["--max-chunk", "12345"]);
    let discovery: Discovery = client()
        .get(writable.url(DISCOVERY_PATH))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("discovery");
    assert_eq!(discovery.uploads.as_deref(), Some(UPLOADS_PATH));
    assert_eq!(discovery.max_chunk, Some(12345));
    assert!(common::rfsapi(&writable, "/").await.writes_supported);
}

#[tokio::test]
async fn a_chunked_upload_lands_byte_for_byte() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let contents = pattern(300_000, 7);
    let key = "ünï cødé/a b#c?d%e/😀 data.bin";
    let session = create(
        &server,
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
                !fixture.path(&["ünï cødé"]).exists(),
                "nothing is visible before completion"
            );
        } else {
            let file: FileObject = serde_json::from_value(body).expect("a file object");
            assert_eq!(file.key, key);
            assert_eq!(file.bucket, "default");
            assert_eq!(file.bytes, contents.len() as u64);
            assert_eq!(file.sha256.as_deref(), Some(sha256_hex(&contents).as_str()));
            assert!(uuid::Uuid::parse_str(&file.id).is_ok(), "id {:?}", file.id);
        }
    }
    let on_disk = std::fs::read(fixture.path(&["ünï cødé", "a b#c?d%e", "😀 data.bin"]))
        .expect("the uploaded file");
    assert!(on_disk == contents, "bytes on disk differ");
    assert!(partials(&fixture).is_empty(), "partial data left behind");

    // Served like any file, and the empty file works too.
    let served = client()
        .get(server.url(&url_path(&["ünï cødé", "a b#c?d%e", "😀 data.bin"])))
        .send()
        .await
        .expect("send");
    assert!(served.bytes().await.expect("body") == contents);
    let empty = create(&server, "empty.bin", 0, None).await;
    let done = append(&server, &empty.url, 0, Vec::new(), false).await;
    assert_eq!(done.status(), 200);
    assert_eq!(
        std::fs::read(fixture.path(&["empty.bin"])).expect("file"),
        b""
    );
}

#[tokio::test]
async fn appends_are_refused_with_the_protocol_codes() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &["--max-chunk", "1000"]);
    let session = create(&server, "f.bin", 1500, None).await;
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
    let partial = fixture.path(&[".skiff", "partial", &session.id]);
    assert_eq!(std::fs::read(&partial).expect("partial"), vec![3; 1000]);

    let last = append(&server, &session.url, 1000, vec![8; 500], true).await;
    assert_eq!(last.status(), 200);
    let mut expected = vec![3; 1000];
    expected.extend([8; 500]);
    assert_eq!(
        std::fs::read(fixture.path(&["f.bin"])).expect("file"),
        expected
    );
}

#[tokio::test]
async fn creates_are_refused_with_the_protocol_codes() {
    let fixture = Fixture::new();
    fixture.write(&["exists.txt"], b"old");
    let server = serve_writable(&fixture, &["--max-size", "1000"]);
    let body = |key: &str, bucket: &str, size: u64| json!({"key": key, "bucket": bucket, "mime_type": "text/plain", "size": size});

    let bucket = post_create(&server, &body("a.txt", "elsewhere", 1), &[]).await;
    expect_error(bucket, 404, "unknown bucket").await;
    let large = post_create(&server, &body("a.txt", "default", 1001), &[]).await;
    expect_error(large, 413, "size over --max-size").await;
    let exists = post_create(
        &server,
        &body("exists.txt", "default", 1),
        &[("if-none-match", "*")],
    )
    .await;
    expect_error(exists, 412, "If-None-Match: * on an existing key").await;
    let fresh = post_create(
        &server,
        &body("new.txt", "default", 1),
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!(fresh.status(), 201);
    let replace = post_create(&server, &body("exists.txt", "default", 1), &[]).await;
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
        let response = post_create(&server, &body(key, "default", 1), &[]).await;
        expect_error(response, 400, &format!("unsafe key {key:?}")).await;
    }
    for key in [".skiff/x", ".skiff", ".skiff/state.redb"] {
        let response = post_create(&server, &body(key, "default", 1), &[]).await;
        expect_error(response, 403, &format!("reserved key {key:?}")).await;
    }
    assert_eq!(
        std::fs::read(fixture.path(&["exists.txt"])).expect("file"),
        b"old"
    );
    assert!(!fixture.outside().join("escape.txt").exists());
}

#[tokio::test]
async fn a_whole_file_sha256_mismatch_leaves_the_target_untouched() {
    let fixture = Fixture::new();
    fixture.write(&["target.txt"], b"original");
    let server = serve_writable(&fixture, &[]);
    let session = create(&server, "target.txt", 6, Some(&sha256_hex(b"wanted"))).await;
    let first = append(&server, &session.url, 0, b"wro".to_vec(), true).await;
    assert_eq!(first.status(), 200);
    let last = append(&server, &session.url, 3, b"ng!".to_vec(), true).await;
    expect_error(last, 460, "whole-file sha256 mismatch").await;
    assert_eq!(
        std::fs::read(fixture.path(&["target.txt"])).expect("file"),
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
        partials(&fixture).is_empty(),
        "abort removes the partial data"
    );
    expect_error(
        status(&server, &session.url).await,
        404,
        "status after abort",
    )
    .await;
    assert_eq!(
        std::fs::read(fixture.path(&["target.txt"])).expect("file"),
        b"original"
    );
}

#[tokio::test]
async fn abort_removes_partial_data() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let session = create(&server, "dir/big.bin", 100, None).await;
    assert_eq!(
        append(&server, &session.url, 0, vec![1; 40], false)
            .await
            .status(),
        200
    );
    assert_eq!(partials(&fixture).len(), 1);
    let aborted = client()
        .delete(server.url(&session.url))
        .send()
        .await
        .expect("send");
    assert_eq!(aborted.status(), 204);
    assert!(partials(&fixture).is_empty());
    assert!(!fixture.path(&["dir"]).exists(), "nothing reached the tree");
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

#[tokio::test]
async fn the_bucket_lists_every_file_by_key_with_pagination() {
    let fixture = Fixture::hostile();
    fixture.write(&["z", "deep", "last.txt"], b"z");
    let server = serve_writable(&fixture, &[]);
    let uploaded = create(&server, "up/loaded.bin", 3, None).await;
    assert_eq!(
        append(&server, &uploaded.url, 0, b"abc".to_vec(), false)
            .await
            .status(),
        200
    );

    let buckets: BucketList = client()
        .get(server.url(UPLOADS_PATH))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("buckets");
    assert_eq!(buckets.data.len(), 1);
    assert_eq!(buckets.data[0].name, "default");

    let mut expected: Vec<String> = Vec::new();
    collect_keys(fixture.root(), "", &mut expected);
    expected.sort();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = client()
            .get(server.url(&format!("{UPLOADS_PATH}/default")))
            .query(&[("limit", "3")]);
        if let Some(after) = &after {
            request = request.query(&[("after", after)]);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status(), 200);
        let page: FileList = response.json().await.expect("a file list");
        assert!(page.data.len() <= 3);
        pages += 1;
        seen.extend(page.data.iter().map(|file| file.key.clone()));
        match page.next {
            Some(next) => {
                assert_eq!(Some(&next), page.data.last().map(|file| &file.key));
                after = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(seen, expected, "every file once, in byte order");
    assert!(pages >= expected.len() / 3);
    assert!(seen.iter().all(|key| !key.starts_with(".skiff")));
    assert!(seen.contains(&"up/loaded.bin".to_owned()));

    let bad = client()
        .get(server.url(&format!("{UPLOADS_PATH}/default?limit=0")))
        .send()
        .await
        .expect("send");
    expect_error(bad, 400, "limit=0").await;
    let other = client()
        .get(server.url(&format!("{UPLOADS_PATH}/elsewhere")))
        .send()
        .await
        .expect("send");
    expect_error(other, 404, "unknown bucket listing").await;
}

/// Every regular file under `dir`, as keys, without the top-level `.skiff`.
fn collect_keys(dir: &std::path::Path, prefix: &str, keys: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("entry");
        let name = entry
            .file_name()
            .into_string()
            .expect("UTF-8 fixture names");
        if prefix.is_empty() && name == ".skiff" {
            continue;
        }
        let key = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type().expect("type").is_dir() {
            collect_keys(&entry.path(), &key, keys);
        } else {
            keys.push(key);
        }
    }
}

#[tokio::test]
async fn file_objects_can_be_read_and_deleted() {
    let fixture = Fixture::hostile();
    let server = serve_writable(&fixture, &[]);
    let url = format!(
        "{UPLOADS_PATH}/default{}",
        url_path(&["ünïcødé 文件夹", "子 folder ✓", "ﬁnal ドキュメント.txt"])
    );
    let file: FileObject = client()
        .get(server.url(&url))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("a file object");
    assert_eq!(file.key, "ünïcødé 文件夹/子 folder ✓/ﬁnal ドキュメント.txt");
    assert_eq!(file.bytes, common::DEEP_CONTENTS.len() as u64);
    assert_eq!(file.mime_type, "text/plain");

    for missing in ["/nope.txt", "/empty%20folder", "/.skiff/state.json"] {
        let response = client()
            .get(server.url(&format!("{UPLOADS_PATH}/default{missing}")))
            .send()
            .await
            .expect("send");
        expect_error(response, 404, &format!("GET file object {missing}")).await;
    }
    let deleted = client()
        .delete(server.url(&url))
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), 200);
    let deleted: FileObject = deleted.json().await.expect("the deleted file object");
    assert_eq!(deleted.key, file.key);
    assert!(!fixture
        .path(&["ünïcødé 文件夹", "子 folder ✓", "ﬁnal ドキュメント.txt"])
        .exists());
    let again = client()
        .delete(server.url(&url))
        .send()
        .await
        .expect("send");
    expect_error(again, 404, "delete twice").await;
    let reserved = client()
        .delete(server.url(&format!("{UPLOADS_PATH}/default/.skiff/state.redb")))
        .send()
        .await
        .expect("send");
    expect_error(reserved, 403, "delete in .skiff").await;
    assert!(fixture.path(&[".skiff", "state.redb"]).exists());
}

#[tokio::test]
async fn a_read_only_server_refuses_every_write() {
    let fixture = Fixture::hostile();
    let server = fixture.serve();
    let create = post_create(
        &server,
        &json!({"key": "a.txt", "bucket": "default", "mime_type": "text/plain", "size": 1}),
        &[],
    )
    .await;
    expect_error(create, 403, "create on a read-only server").await;
    let append = client()
        .post(server.url(&format!("{UPLOADS_PATH}/session:{}", "a".repeat(32))))
        .header(UPLOAD_OFFSET_HEADER, "0")
        .body("x")
        .send()
        .await
        .expect("send");
    expect_error(append, 403, "append on a read-only server").await;
    let delete = client()
        .delete(server.url(&format!("{UPLOADS_PATH}/default/plain.txt")))
        .send()
        .await
        .expect("send");
    expect_error(delete, 403, "bucket delete on a read-only server").await;
    let listing = client()
        .get(server.url(UPLOADS_PATH))
        .send()
        .await
        .expect("send");
    expect_error(listing, 404, "the uploads API is off").await;
    // The tree itself has no write methods here (405, see docs/protocol-notes.md).
    let put = client()
        .put(server.url("/plain.txt"))
        .body("x")
        .send()
        .await
        .expect("send");
    expect_error(put, 405, "PUT on a read-only server").await;
    assert_eq!(
        std::fs::read(fixture.path(&["plain.txt"])).expect("file"),
        b"hello, skiff\n"
    );
    assert!(!fixture.path(&[".skiff", "partial"]).exists());
}

#[tokio::test]
async fn writes_to_the_reserved_folder_are_refused_when_writable() {
    let fixture = Fixture::hostile();
    let server = serve_writable(&fixture, &[]);
    for (method, path) in [
        (reqwest::Method::PUT, "/.skiff/x"),
        (reqwest::Method::PUT, "/.skiff/state.redb"),
        (reqwest::Method::DELETE, "/.skiff/state.redb"),
        (reqwest::Method::DELETE, "/.skiff/partial"),
        (reqwest::Method::DELETE, "/.skiff"),
        (reqwest::Method::PUT, "/%2eskiff/y"),
    ] {
        let response = client()
            .request(method.clone(), server.url(path))
            .body("overwritten")
            .send()
            .await
            .expect("send");
        expect_error(response, 403, &format!("{method} {path}")).await;
    }
    assert!(fixture.path(&[".skiff", "state.redb"]).is_file());
    assert!(!fixture.path(&[".skiff", "x"]).exists());
    let listing = common::rfsapi(&server, "/").await;
    assert!(listing.files.iter().all(|entry| entry.name != ".skiff"));
}

#[tokio::test]
async fn put_and_delete_write_the_tree() {
    let fixture = Fixture::hostile();
    let server = serve_writable(&fixture, &[]);
    let contents = common::all_bytes();
    let path = url_path(&["new dir", "sub", "😀 #1.bin"]);
    let created = client()
        .put(server.url(&path))
        .body(contents.clone())
        .send()
        .await
        .expect("send");
    assert_eq!(created.status(), 201);
    assert_eq!(
        std::fs::read(fixture.path(&["new dir", "sub", "😀 #1.bin"])).expect("file"),
        contents
    );
    let replaced = client()
        .put(server.url(&path))
        .body("second")
        .send()
        .await
        .expect("send");
    assert_eq!(replaced.status(), 200);
    assert_eq!(
        std::fs::read(fixture.path(&["new dir", "sub", "😀 #1.bin"])).expect("file"),
        b"second"
    );
    let refused = client()
        .put(server.url(&path))
        .header("if-none-match", "*")
        .body("third")
        .send()
        .await
        .expect("send");
    expect_error(refused, 412, "PUT If-None-Match: * on an existing file").await;
    let listing = common::rfsapi(&server, &url_path(&["new dir", "sub"])).await;
    assert!(listing.writes_supported);
    assert_eq!(listing.files.len(), 1);

    let folder = client()
        .delete(server.url(&url_path(&["new dir"])))
        .send()
        .await
        .expect("send");
    expect_error(folder, 409, "DELETE of a non-empty folder").await;
    let file = client()
        .delete(server.url(&path))
        .send()
        .await
        .expect("send");
    assert_eq!(file.status(), 204);
    assert!(!fixture.path(&["new dir", "sub", "😀 #1.bin"]).exists());
    let empty = client()
        .delete(server.url(&url_path(&["new dir", "sub"])))
        .send()
        .await
        .expect("send");
    assert_eq!(empty.status(), 204);
    let missing = client()
        .delete(server.url(&path))
        .send()
        .await
        .expect("send");
    expect_error(missing, 404, "DELETE of a missing file").await;
    let root = client().delete(server.url("/")).send().await.expect("send");
    assert!(root.status().is_client_error());
    assert!(fixture.root().is_dir());
    let unsafe_path = common::raw_request(
        server.addr(),
        "PUT",
        b"/a/../../escape",
        &[("content-length", "0")],
    );
    assert_eq!(unsafe_path.status, 400, "{}", unsafe_path.text());
    let rfsapi_put = client()
        .put(server.url("/plain.txt"))
        .header(RFSAPI, "1")
        .body("replaced")
        .send()
        .await
        .expect("send");
    assert_eq!(rfsapi_put.status(), 200);
    assert!(
        partials(&fixture).is_empty(),
        "PUT leaves no temporary file"
    );
}
