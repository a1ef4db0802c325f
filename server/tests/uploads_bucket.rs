//! The uploads API's buckets and file objects (PROTOCOL.md §2: listings with
//! pagination, reading and deleting a file object), what a read-only server
//! refuses, the reserved folder, and `PUT`/`DELETE` on the tree (§0). Each case
//! runs on the default storage (`local::`) and on an S3 storage mounted at `/s3`
//! whose bucket is its name (`s3::`; a local folder mounted at `/lm` too, `local_mount::`).

mod common;

use common::target::{on_each_storage, Kind, Target};
use common::uploads::{append, create_in, post_create};
use common::{
    client, expect_error, hostile_files, Fixture, DEEP_FILE, NESTED, RESERVED_FILE, RFSAPI,
    UNICODE_DIR, UNICODE_SUBDIR,
};
use serde_json::json;
use skiff_protocol::{BucketList, FileList, FileObject, UPLOADS_PATH, UPLOAD_OFFSET_HEADER};

on_each_storage!(
    the_bucket_lists_every_file_by_key_with_pagination,
    file_objects_can_be_read_and_deleted,
    a_read_only_server_refuses_every_write,
    writes_to_the_reserved_folder_are_refused_when_writable,
    put_and_delete_write_the_tree,
);

/// The partial files the server still holds.
fn partials(fixture: &Fixture) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(fixture.path(&[".skiff", "partial"]))
        .map(|entries| entries.map(|entry| entry.expect("entry").path()).collect())
        .unwrap_or_default()
}

/// The keys of every file of the hostile tree ([`Target::hostile`]), unsorted.
fn hostile_keys() -> Vec<String> {
    let mut keys: Vec<String> = hostile_files().into_iter().map(|(name, _)| name).collect();
    keys.push(format!("{UNICODE_DIR}/{UNICODE_SUBDIR}/{DEEP_FILE}"));
    keys.push(NESTED.join("/"));
    keys
}

async fn the_bucket_lists_every_file_by_key_with_pagination(kind: Kind) {
    let target = Target::hostile(kind).await;
    target.write(&["z", "deep", "last.txt"], b"z").await;
    let server = target.serve_writable(&[]);
    let uploaded = create_in(&server, target.bucket(), "up/loaded.bin", 3, None).await;
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
    let names: Vec<&str> = buckets.data.iter().map(|b| b.name.as_str()).collect();
    match kind {
        Kind::Local => assert_eq!(names, ["default"]),
        Kind::S3 | Kind::LocalMount => {
            assert_eq!(names, ["default", target.bucket()], "the default first")
        }
    }

    let mut expected = hostile_keys();
    expected.extend(["z/deep/last.txt".to_owned(), "up/loaded.bin".to_owned()]);
    expected.sort();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = client()
            .get(server.url(&format!("{UPLOADS_PATH}/{}", target.bucket())))
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
        .get(server.url(&format!("{UPLOADS_PATH}/{}?limit=0", target.bucket())))
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

async fn file_objects_can_be_read_and_deleted(kind: Kind) {
    let target = Target::hostile(kind).await;
    let fixture = target.fixture();
    let server = target.serve_writable(&[]);
    let url = format!(
        "{UPLOADS_PATH}/{}{}",
        target.bucket(),
        common::url_path(&["ünïcødé 文件夹", "子 folder ✓", "ﬁnal ドキュメント.txt"])
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
            .get(server.url(&format!("{UPLOADS_PATH}/{}{missing}", target.bucket())))
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
    assert!(
        !target
            .exists(&["ünïcødé 文件夹", "子 folder ✓", "ﬁnal ドキュメント.txt"])
            .await
    );
    let again = client()
        .delete(server.url(&url))
        .send()
        .await
        .expect("send");
    expect_error(again, 404, "delete twice").await;
    let reserved = client()
        .delete(server.url(&format!(
            "{UPLOADS_PATH}/{}/.skiff/state.redb",
            target.bucket()
        )))
        .send()
        .await
        .expect("send");
    expect_error(reserved, 403, "delete in .skiff").await;
    assert!(fixture.path(&[".skiff", "state.redb"]).exists());
    assert!(target.exists(&[".skiff", RESERVED_FILE]).await);
}

async fn a_read_only_server_refuses_every_write(kind: Kind) {
    let target = Target::hostile(kind).await;
    let fixture = target.fixture();
    let server = target.serve();
    let create = post_create(
        &server,
        &json!({"key": "a.txt", "bucket": target.bucket(), "mime_type": "text/plain", "size": 1}),
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
        .delete(server.url(&format!("{UPLOADS_PATH}/{}/plain.txt", target.bucket())))
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
        .put(server.url(&target.at("/plain.txt")))
        .body("x")
        .send()
        .await
        .expect("send");
    expect_error(put, 405, "PUT on a read-only server").await;
    assert_eq!(
        target.read(&["plain.txt"]).await.expect("file"),
        b"hello, skiff\n"
    );
    assert!(!fixture.path(&[".skiff", "partial"]).exists());
}

async fn writes_to_the_reserved_folder_are_refused_when_writable(kind: Kind) {
    let target = Target::hostile(kind).await;
    let fixture = target.fixture();
    let server = target.serve_writable(&[]);
    for (method, path) in [
        (reqwest::Method::PUT, "/.skiff/x"),
        (reqwest::Method::PUT, "/.skiff/state.redb"),
        (reqwest::Method::DELETE, "/.skiff/state.redb"),
        (reqwest::Method::DELETE, "/.skiff/partial"),
        (reqwest::Method::DELETE, "/.skiff"),
        (reqwest::Method::PUT, "/%2eskiff/y"),
    ] {
        let path = &target.at(path);
        let response = client()
            .request(method.clone(), server.url(path))
            .body("overwritten")
            .send()
            .await
            .expect("send");
        expect_error(response, 403, &format!("{method} {path}")).await;
    }
    assert!(fixture.path(&[".skiff", "state.redb"]).is_file());
    assert!(!target.exists(&[".skiff", "x"]).await);
    let listing = common::rfsapi(&server, &target.url(&[])).await;
    assert!(listing.files.iter().all(|entry| entry.name != ".skiff"));
}

async fn put_and_delete_write_the_tree(kind: Kind) {
    let target = Target::hostile(kind).await;
    let fixture = target.fixture();
    let server = target.serve_writable(&[]);
    let contents = common::all_bytes();
    let path = target.url(&["new dir", "sub", "😀 #1.bin"]);
    let created = client()
        .put(server.url(&path))
        .body(contents.clone())
        .send()
        .await
        .expect("send");
    assert_eq!(created.status(), 201);
    assert_eq!(
        target
            .read(&["new dir", "sub", "😀 #1.bin"])
            .await
            .expect("file"),
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
        target
            .read(&["new dir", "sub", "😀 #1.bin"])
            .await
            .expect("file"),
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
    let listing = common::rfsapi(&server, &target.url(&["new dir", "sub"])).await;
    assert!(listing.writes_supported);
    assert_eq!(listing.files.len(), 1);

    let folder = client()
        .delete(server.url(&target.url(&["new dir"])))
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
    assert!(!target.exists(&["new dir", "sub", "😀 #1.bin"]).await);
    let empty = client()
        .delete(server.url(&target.url(&["new dir", "sub"])))
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
    let root = client()
        .delete(server.url(&target.url(&[])))
        .send()
        .await
        .expect("send");
    assert!(root.status().is_client_error());
    assert!(fixture.root().is_dir());
    let unsafe_path = common::raw_request(
        server.addr(),
        "PUT",
        target.at("/a/../../escape").as_bytes(),
        &[("content-length", "0")],
    );
    assert_eq!(unsafe_path.status, 400, "{}", unsafe_path.text());
    let rfsapi_put = client()
        .put(server.url(&target.at("/plain.txt")))
        .header(RFSAPI, "1")
        .body("replaced")
        .send()
        .await
        .expect("send");
    assert_eq!(rfsapi_put.status(), 200);
    assert!(partials(fixture).is_empty(), "PUT leaves no temporary file");
}
