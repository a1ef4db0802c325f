//! Metadata (PROTOCOL.md §3) in every storage against the real binary: read,
//! merge and replace on a file and a folder, 404 for a missing path, the
//! storage's `.skiff` refused, the records following a raw move and dying
//! with a raw delete, and `_format` changing how the file is served and listed;
//! a storage that cannot be reached is 503. Each case runs on the default storage (`local::`), in an
//! S3 storage mounted at `/s3` (`s3::`) and in a local folder mounted at `/lm`
//! (`local_mount::`), whose records are kept under the tree key.

mod common;

use common::raw::{call, stat};
use common::target::{on_each_storage, Kind, Target};
use common::{client, expect_error, header, rfsapi, Fixture, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use skiff_protocol::{DIRECTORY_MIME, METADATA_PATH};

on_each_storage!(
    a_file_and_a_folder_are_read_merged_and_replaced,
    missing_and_reserved_paths_are_refused_and_change_nothing,
    metadata_follows_a_raw_move_and_dies_with_a_raw_delete,
    format_sets_the_served_type_and_the_listed_mime_type,
);

async fn fixture(kind: Kind) -> Target {
    let target = Target::new(kind).await;
    target.write(&["a b.txt"], b"hello").await;
    target.write(&["folder", "one.txt"], b"one").await;
    target
}

/// The metadata URL of `path` (encoded, starting with `/`) inside the storage.
fn url(target: &Target, server: &TestServer, path: &str) -> String {
    server.url(&format!("{METADATA_PATH}{}", target.at(path)))
}

async fn get(target: &Target, server: &TestServer, path: &str) -> Value {
    let response = client()
        .get(url(target, server, path))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200, "GET metadata {path}");
    response.json().await.expect("a metadata object")
}

async fn write(
    target: &Target,
    server: &TestServer,
    method: Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    client()
        .request(method, url(target, server, path))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("send")
}

/// `method` of `body` on `path`, asserting 200: the metadata object returned.
async fn written(
    target: &Target,
    server: &TestServer,
    method: Method,
    path: &str,
    body: Value,
) -> Value {
    let response = write(target, server, method.clone(), path, body).await;
    assert_eq!(response.status(), 200, "{method} metadata {path}");
    response.json().await.expect("a metadata object")
}

async fn a_file_and_a_folder_are_read_merged_and_replaced(kind: Kind) {
    let target = fixture(kind).await;
    let server = target.serve_writable(&[]);
    let id = stat(&target, &server, "path:/a+b.txt").await.id;

    let file = get(&target, &server, "/a%20b.txt").await;
    assert_eq!(file["_bucket"], target.bucket());
    assert_eq!(file["_label"], format!("{}/a b.txt", target.base()));
    assert_eq!(file["_location"], target.at("/a%20b.txt"));
    assert_eq!(file["_content_length"], 5);
    assert_eq!(file["_format"], "text/plain");
    assert_eq!(file["_id"], id.as_str(), "the id raw stat gives");
    assert!(file["_etag"].as_str().is_some_and(|etag| !etag.is_empty()));
    assert!(file["_last_modified"].as_str().is_some());
    assert_eq!(file["_owner"], Value::Null);

    let path = "/a%20b.txt";
    let merged = written(
        &target,
        &server,
        Method::POST,
        path,
        json!({"author": "ann"}),
    )
    .await;
    assert_eq!(merged["author"], "ann");
    let merged = written(&target, &server, Method::POST, path, json!({"n": 2})).await;
    assert_eq!(
        (&merged["author"], &merged["n"]),
        (&json!("ann"), &json!(2))
    );
    let replaced = written(&target, &server, Method::PUT, path, json!({"only": true})).await;
    assert_eq!(replaced["only"], true);
    assert!(
        replaced.get("author").is_none(),
        "PUT replaced the user keys"
    );
    let again = get(&target, &server, path).await;
    assert_eq!(again, replaced, "kept as written");
    assert_eq!(again["_id"], id.as_str());

    let folder = get(&target, &server, "/folder").await;
    assert_eq!(folder["_label"], format!("{}/folder", target.base()));
    assert_eq!(folder["_location"], target.at("/folder/"));
    assert_eq!(folder["_format"], DIRECTORY_MIME);
    assert_eq!(folder["_content_length"], 0);
    assert_eq!(folder["_sha256"], Value::Null);
    let folder = written(&target, &server, Method::POST, "/folder", json!({"k": "v"})).await;
    assert_eq!(folder["k"], "v");
    assert_eq!(get(&target, &server, "/folder").await["k"], "v");
    assert!(
        get(&target, &server, "/folder/one.txt")
            .await
            .get("k")
            .is_none(),
        "a folder's keys are its own"
    );

    let refused = write(&target, &server, Method::POST, path, json!({"_id": "x"})).await;
    expect_error(refused, 400, "a read-only key").await;
    assert_eq!(
        get(&target, &server, path).await,
        again,
        "a refusal changed nothing"
    );
}

async fn missing_and_reserved_paths_are_refused_and_change_nothing(kind: Kind) {
    let target = fixture(kind).await;
    let server = target.serve_writable(&[]);
    let before = target.snapshot().await;
    let missing = client()
        .get(url(&target, &server, "/nope.txt"))
        .send()
        .await
        .expect("send");
    expect_error(missing, 404, "GET a missing path").await;
    for method in [Method::POST, Method::PUT] {
        let response = write(&target, &server, method, "/nope.txt", json!({"a": 1})).await;
        expect_error(response, 404, "write a missing path").await;
    }
    let reserved = client()
        .get(url(&target, &server, "/.skiff"))
        .send()
        .await
        .expect("send");
    expect_error(reserved, 404, "GET the storage's .skiff").await;
    let reserved = write(&target, &server, Method::POST, "/.skiff", json!({"a": 1})).await;
    expect_error(reserved, 403, "write the storage's .skiff").await;
    assert_eq!(target.snapshot().await, before, "nothing changed");
    target.write(&["nope.txt"], b"new").await;
    assert!(
        get(&target, &server, "/nope.txt").await.get("a").is_none(),
        "refused writes stored nothing"
    );
}

async fn metadata_follows_a_raw_move_and_dies_with_a_raw_delete(kind: Kind) {
    let target = fixture(kind).await;
    let server = target.serve_writable(&[]);
    let before = written(
        &target,
        &server,
        Method::POST,
        "/a%20b.txt",
        json!({"author": "ann"}),
    )
    .await;
    let moved = call(
        &target,
        &server,
        Method::POST,
        "move",
        "ref=path:/a+b.txt&to=path:/renamed/c.txt",
    )
    .await;
    assert_eq!(moved.status(), 200, "raw move");
    let after = get(&target, &server, "/renamed/c.txt").await;
    assert_eq!(after["author"], "ann", "the user keys followed the move");
    assert_eq!(after["_id"], before["_id"], "so did the id");
    let old = client()
        .get(url(&target, &server, "/a%20b.txt"))
        .send()
        .await
        .expect("send");
    expect_error(old, 404, "the old path").await;

    let deleted = call(
        &target,
        &server,
        Method::DELETE,
        "data",
        "ref=path:/renamed/c.txt",
    )
    .await;
    assert_eq!(deleted.status(), 204, "raw delete");
    target.write(&["renamed", "c.txt"], b"a new file").await;
    let fresh = get(&target, &server, "/renamed/c.txt").await;
    assert!(fresh.get("author").is_none(), "a new file starts empty");
    assert_ne!(fresh["_id"], before["_id"], "with a new id");
}

/// The bytes of `path` (encoded, inside the storage) by `method` (GET or HEAD).
async fn bytes(
    target: &Target,
    server: &TestServer,
    method: Method,
    path: &str,
) -> reqwest::Response {
    let response = client()
        .request(method.clone(), server.url(&target.at(path)))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200, "{method} {path}");
    response
}

/// The `mime_type` of `name` in the RFSAPI listing of the storage's `folder`
/// (encoded, ending in `/`), and in the file's own RFSAPI answer.
async fn listed_types(
    target: &Target,
    server: &TestServer,
    folder: &str,
    name: &str,
) -> (String, String) {
    let listing = rfsapi(server, &target.at(folder)).await;
    let entry = listing
        .files
        .iter()
        .find(|entry| entry.name == name)
        .unwrap_or_else(|| panic!("{name} listed in {folder}"));
    let own = rfsapi(
        server,
        &target.at(&format!(
            "{}{}",
            folder.trim_end_matches('/'),
            common::url_path(&[name])
        )),
    )
    .await;
    (entry.mime_type.clone(), own.files[0].mime_type.clone())
}

async fn format_sets_the_served_type_and_the_listed_mime_type(kind: Kind) {
    let target = fixture(kind).await;
    target
        .write(&["docs", "page.html"], b"<script>alert(1)</script>")
        .await;
    let server = target.serve_writable(&[]);
    let path = "/a%20b.txt";
    let set = written(
        &target,
        &server,
        Method::POST,
        path,
        json!({"_format": "text/html"}),
    )
    .await;
    assert_eq!(set["_format"], "text/html");
    for method in [Method::GET, Method::HEAD] {
        let served = bytes(&target, &server, method.clone(), path).await;
        assert_eq!(header(&served, "content-type"), "text/html", "{method}");
        assert_eq!(
            header(&served, "content-security-policy"),
            "sandbox",
            "{method}: still never runs"
        );
        assert!(header(&served, "content-disposition").starts_with("attachment"));
    }
    assert_eq!(
        listed_types(&target, &server, "/", "a b.txt").await,
        ("text/html".to_owned(), "text/html".to_owned()),
        "the listing's and the file's own mime_type"
    );

    // PUT without `_format` keeps it; null resets it to the guessed type.
    written(&target, &server, Method::PUT, path, json!({"x": 1})).await;
    assert_eq!(get(&target, &server, path).await["_format"], "text/html");
    let reset = written(
        &target,
        &server,
        Method::PUT,
        path,
        json!({"_format": null}),
    )
    .await;
    assert_eq!(reset["_format"], "text/plain");
    let served = bytes(&target, &server, Method::GET, path).await;
    assert_eq!(header(&served, "content-type"), "text/plain");
    assert_eq!(
        listed_types(&target, &server, "/", "a b.txt").await,
        ("text/plain".to_owned(), "text/plain".to_owned())
    );

    // Setting a passive type on markup does not make it run: it is sent as that type.
    let page = "/docs/page.html";
    let plain = json!({"_format": "text/plain; charset=utf-8"});
    written(&target, &server, Method::POST, page, plain).await;
    let served = bytes(&target, &server, Method::GET, page).await;
    assert_eq!(header(&served, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(header(&served, "x-content-type-options"), "nosniff");
    assert_eq!(
        served.bytes().await.expect("body").as_ref(),
        b"<script>alert(1)</script>"
    );
    assert_eq!(
        listed_types(&target, &server, "/docs/", "page.html")
            .await
            .0,
        "text/plain; charset=utf-8"
    );
}

/// An S3 storage whose endpoint does not answer (nothing listens on its port):
/// its entries' metadata is 503 to read and to write, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_storage_is_503() {
    let fixture = Fixture::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let config = fixture.outside().join("down.toml");
    let text = format!(
        "[[storage]]\nname = \"down\"\nlabel = \"Down\"\ntype = \"s3\"\n\
         url = \"s3://bucket/prefix\"\nendpoint = \"http://127.0.0.1:{port}\"\n\
         region = \"us-east-1\"\naccess_key_id_env = \"DOWN_KEY\"\n\
         secret_access_key_env = \"DOWN_SECRET\"\n"
    );
    std::fs::write(&config, text).expect("write the storage's config file");
    let config = config.to_str().expect("a UTF-8 temp path");
    let server = TestServer::start_with_env(
        fixture.root(),
        &["--writable", "--config", config],
        &[("DOWN_KEY", "key"), ("DOWN_SECRET", "secret")],
    );
    let url = server.url(&format!("{METADATA_PATH}/down/a.txt"));
    let read = client().get(&url).send().await.expect("send");
    let error = expect_error(read, 503, "GET while the storage is down").await;
    assert_eq!(error.error.code, "storage_unavailable");
    let written = client()
        .post(&url)
        .body(json!({"a": 1}).to_string())
        .send()
        .await
        .expect("send");
    expect_error(written, 503, "POST while the storage is down").await;
}
