//! Metadata (PROTOCOL.md §3) against the real binary: the `_` fields, merge and
//! replace, every refusal naming its key, and metadata dying with the file.
//! `_format` changing how a file is served and listed is in `metadata_mounts.rs`,
//! on every storage.

mod common;

use common::uploads::serve_writable;
use common::{client, expect_error, header, rfsapi, Fixture, TestServer};
use serde_json::{json, Value};
use skiff_protocol::{Discovery, FileMetadata, MetadataValue, METADATA_PATH};

fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture.write(&["a b.txt"], b"hello");
    fixture.write(&["docs", "page.html"], b"<script>alert(1)</script>");
    fixture
}

fn url(server: &TestServer, label: &str) -> String {
    server.url(&format!("{METADATA_PATH}{label}"))
}

async fn get(server: &TestServer, label: &str) -> FileMetadata {
    let response = client().get(url(server, label)).send().await.expect("send");
    assert_eq!(response.status(), 200, "GET metadata {label}");
    assert_eq!(header(&response, "content-type"), common::JSON_TYPE);
    response.json().await.expect("a metadata object")
}

async fn write(server: &TestServer, put: bool, label: &str, body: &str) -> reqwest::Response {
    let request = if put {
        client().put(url(server, label))
    } else {
        client().post(url(server, label))
    };
    request
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn the_underscore_fields_describe_the_entry() {
    let fixture = fixture();
    let server = serve_writable(&fixture, &[]);
    let discovery: Discovery = common::discovery(&server).await;
    assert_eq!(discovery.metadata.as_deref(), Some(METADATA_PATH));

    let metadata = get(&server, "/a%20b.txt").await;
    assert_eq!(metadata.bucket, "default");
    assert_eq!(metadata.content_length, 5);
    assert_eq!(metadata.format, "text/plain");
    assert_eq!(metadata.label, "/a b.txt");
    assert_eq!(metadata.location, "/a%20b.txt");
    assert_eq!(metadata.owner, None);
    assert_eq!(metadata.sha256, None);
    assert!(metadata.user.is_empty());
    assert!(httpdate::parse_http_date(&metadata.last_modified).is_ok());
    let bytes = client()
        .get(server.url(&metadata.location))
        .send()
        .await
        .expect("send");
    assert_eq!(header(&bytes, "etag"), metadata.etag);
    let entry = rfsapi(&server, "/a%20b.txt").await.files.remove(0);
    assert_eq!(entry.id.as_deref(), Some(metadata.id.as_str()));

    let folder = get(&server, "/docs").await;
    assert_eq!(
        (folder.format.as_str(), folder.content_length),
        ("text/directory", 0)
    );
    assert_eq!(folder.label, "/docs");
    let root = get(&server, "/").await;
    assert_eq!(root.label, "/");

    let missing = client()
        .get(url(&server, "/nope.txt"))
        .send()
        .await
        .expect("send");
    expect_error(missing, 404, "missing file").await;
    let reserved = client()
        .get(url(&server, "/.skiff"))
        .send()
        .await
        .expect("send");
    expect_error(reserved, 404, "reserved").await;

    // A file written through the server has a known SHA-256.
    client()
        .put(server.url("/up.txt"))
        .body("abc")
        .send()
        .await
        .expect("send");
    let uploaded = get(&server, "/up.txt").await;
    assert_eq!(
        uploaded.sha256.as_deref(),
        Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
}

#[tokio::test]
async fn post_merges_and_put_replaces_user_keys() {
    let fixture = fixture();
    let server = serve_writable(&fixture, &[]);
    let merged = write(
        &server,
        false,
        "/a%20b.txt",
        r#"{"author": "ann", "pages": 3}"#,
    )
    .await;
    assert_eq!(merged.status(), 200);
    let merged: FileMetadata = merged.json().await.expect("object");
    assert_eq!(merged.user["author"], MetadataValue::Text("ann".into()));
    let merged = write(
        &server,
        false,
        "/a%20b.txt",
        r#"{"ok": true, "ratio": 0.5, "none": null}"#,
    )
    .await;
    let merged: FileMetadata = merged.json().await.expect("object");
    assert_eq!(merged.user.len(), 5, "{:?}", merged.user);
    assert_eq!(
        get(&server, "/a%20b.txt").await.user,
        merged.user,
        "persisted"
    );

    let replaced = write(&server, true, "/a%20b.txt", r#"{"only": "this"}"#).await;
    assert_eq!(replaced.status(), 200);
    let replaced: FileMetadata = replaced.json().await.expect("object");
    assert_eq!(replaced.user.len(), 1);
    assert_eq!(replaced.user["only"], MetadataValue::Text("this".into()));
    assert_eq!(replaced.id, merged.id);

    // Folders have metadata too.
    let folder = write(&server, false, "/docs/", r#"{"team": "blue"}"#).await;
    assert_eq!(folder.status(), 200);
    assert_eq!(get(&server, "/docs").await.user.len(), 1);
}

#[tokio::test]
async fn bad_bodies_are_refused_naming_the_key_and_change_nothing() {
    let fixture = fixture();
    let server = serve_writable(&fixture, &[]);
    write(&server, false, "/a%20b.txt", r#"{"keep": 1}"#).await;
    for (body, code, key) in [
        (r#"{"_id": "mine"}"#, "read_only_key", Some("_id")),
        (
            r#"{"fine": 1, "_etag": "x"}"#,
            "read_only_key",
            Some("_etag"),
        ),
        (r#"{"tags": ["a", "b"]}"#, "nested_value", Some("tags")),
        (r#"{"deep": {"a": 1}}"#, "nested_value", Some("deep")),
        (
            r#"{"_format": "not a type"}"#,
            "bad_format",
            Some("_format"),
        ),
        ("[1, 2]", "bad_json", None),
        ("{not json", "bad_json", None),
    ] {
        for put in [false, true] {
            let response = write(&server, put, "/a%20b.txt", body).await;
            let error = expect_error(response, 400, body).await;
            assert_eq!(error.error.code, code, "{body}");
            if let Some(key) = key {
                assert!(
                    error.error.message.contains(key),
                    "{body}: {}",
                    error.error.message
                );
            }
        }
    }
    let big = format!(r#"{{"big": "{}"}}"#, "x".repeat(70 * 1024));
    expect_error(
        write(&server, false, "/a%20b.txt", &big).await,
        413,
        "over 64 KiB",
    )
    .await;
    let just_fits = format!(r#"{{"big": "{}"}}"#, "x".repeat(60 * 1024));
    assert_eq!(
        write(&server, false, "/docs", &just_fits).await.status(),
        200
    );
    let metadata = get(&server, "/a%20b.txt").await;
    assert_eq!(
        metadata.user.len(),
        1,
        "nothing changed: {:?}",
        metadata.user
    );
    assert_eq!(metadata.format, "text/plain");
    expect_error(
        write(&server, false, "/missing.txt", "{}").await,
        404,
        "missing",
    )
    .await;
    expect_error(
        write(&server, false, "/.skiff/x", "{}").await,
        403,
        "reserved",
    )
    .await;
}

#[tokio::test]
async fn metadata_dies_with_the_file() {
    let fixture = fixture();
    let server = serve_writable(&fixture, &[]);
    write(
        &server,
        false,
        "/a%20b.txt",
        r#"{"author": "ann", "_format": "text/csv"}"#,
    )
    .await;
    let deleted = client()
        .delete(server.url("/a%20b.txt"))
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), 204);
    expect_error(
        client()
            .get(url(&server, "/a%20b.txt"))
            .send()
            .await
            .expect("send"),
        404,
        "gone",
    )
    .await;
    client()
        .put(server.url("/a%20b.txt"))
        .body("new")
        .send()
        .await
        .expect("send");
    let fresh = get(&server, "/a%20b.txt").await;
    assert!(fresh.user.is_empty(), "a new file starts empty");
    assert_eq!(fresh.format, "text/plain");
}

#[tokio::test]
async fn owners_and_read_only_servers() {
    let fixture = fixture();
    let server = serve_writable(&fixture, &["--token", "writer:w-secret:rw"]);
    let response = client()
        .post(url(&server, "/a%20b.txt"))
        .bearer_auth("w-secret")
        .body(r#"{"a": 1}"#)
        .send()
        .await
        .expect("send");
    let metadata: FileMetadata = response.json().await.expect("object");
    assert_eq!(metadata.owner.as_deref(), Some("writer"));
    let anonymous = client()
        .get(url(&server, "/a%20b.txt"))
        .send()
        .await
        .expect("send");
    expect_error(anonymous, 401, "no token").await;
    drop(server);

    let read_only = fixture.serve();
    let metadata = get(&read_only, "/a%20b.txt").await;
    let value: Value = serde_json::to_value(&metadata).expect("json");
    assert_eq!(
        value["a"],
        json!(1),
        "a read-only server shows what a writable run stored"
    );
    let refused = write(&read_only, false, "/a%20b.txt", r#"{"b": 2}"#).await;
    expect_error(refused, 403, "read-only server").await;
}
