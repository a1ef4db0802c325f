//! The storage admin API (PROTOCOL.md §5, §6 admin role) against the real binary:
//! creating, listing, patching and removing local storages, every refusal (and
//! that it changes nothing), who may call it, and storages surviving restarts.
//! S3 storages against SeaweedFS live in `storages_s3.rs`.

mod common;

use std::path::Path;

use common::uploads::serve_writable;
use common::{client, expect_error, header, Fixture, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use skiff_protocol::{Storage, StorageKind, STORAGES_PATH};

const ADMIN: &str = "admin-secret";
const RW: &str = "writer-secret";
const RO: &str = "reader-secret";

fn serve_with_tokens(fixture: &Fixture) -> TestServer {
    serve_writable(
        fixture,
        &[
            "--token",
            &format!("boss:{ADMIN}:admin"),
            "--token",
            &format!("writer:{RW}:rw"),
            "--token",
            &format!("reader:{RO}:ro"),
        ],
    )
}

/// `method path` with an optional token and JSON body.
async fn call(
    server: &TestServer,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = client().request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("send")
}

fn one(name: &str) -> String {
    format!("{STORAGES_PATH}/{name}")
}

async fn list(server: &TestServer, token: Option<&str>) -> Vec<Storage> {
    let response = call(server, token, Method::GET, STORAGES_PATH, None).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("storages")
}

/// A folder outside the served root, holding one file, as a `file://` URL.
fn outside_folder(fixture: &Fixture, name: &str) -> (std::path::PathBuf, String) {
    let folder = fixture.outside().join(name);
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(folder.join("kept.txt"), b"kept").expect("write");
    let folder = std::fs::canonicalize(folder).expect("canonical");
    let url = url::Url::from_file_path(&folder)
        .expect("absolute")
        .to_string();
    (folder, url)
}

fn local_body(name: &str, url: &str) -> Value {
    json!({"name": name, "label": format!("Label of {name}"), "type": "local", "url": url})
}

/// Every file under `folder` except the probe's `.skiff`, with contents.
fn files(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(folder)
        .expect("read")
        .flatten()
        .filter(|entry| entry.file_name() != ".skiff")
        .map(|entry| {
            let contents = std::fs::read(entry.path()).unwrap_or_default();
            (entry.file_name().to_string_lossy().into_owned(), contents)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn admins_create_get_patch_and_delete_local_storages() {
    let fixture = Fixture::new();
    let server = serve_with_tokens(&fixture);
    let (folder, url) = outside_folder(&fixture, "archive");
    let before = common::unix_seconds(std::time::SystemTime::now());
    let response = call(
        &server,
        Some(ADMIN),
        Method::POST,
        STORAGES_PATH,
        Some(local_body("archive", &url)),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "location"), one("archive"));
    let raw: Value = response.json().await.expect("JSON");
    assert_eq!(
        raw["region"],
        Value::Null,
        "region is null for local: {raw}"
    );
    assert!(raw.get("endpoint").is_none(), "{raw}");
    let created: Storage = serde_json::from_value(raw).expect("a storage");
    assert!(uuid::Uuid::parse_str(&created.id).is_ok());
    assert_eq!(
        (created.name.as_str(), created.label.as_str(), created.kind),
        ("archive", "Label of archive", StorageKind::Local)
    );
    assert_eq!(
        (created.url.as_str(), created.default_url.as_str()),
        (url.as_str(), url.as_str())
    );
    assert_eq!(created.mount, "archive", "the mount defaults to the name");
    assert!(created.writable);
    let made = u64::try_from(created.created_at).expect("after 1970");
    assert!(made >= before && made <= before + 60, "{made}");

    let all = list(&server, Some(RO)).await;
    assert_eq!(
        all.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["default", "archive"]
    );
    assert_eq!(all[1], created);
    let fetched: Storage = call(&server, Some(RO), Method::GET, &one("archive"), None)
        .await
        .json()
        .await
        .expect("one");
    assert_eq!(fetched, created);

    // Label, then name (the mount stays), then URL (probed, both URLs follow).
    let patched = call(
        &server,
        Some(ADMIN),
        Method::PATCH,
        &one("archive"),
        Some(json!({"label": "Old scans"})),
    )
    .await;
    assert_eq!(patched.status(), 200);
    let patched: Storage = patched.json().await.expect("storage");
    assert_eq!(
        patched,
        Storage {
            label: "Old scans".into(),
            ..created.clone()
        }
    );
    let renamed = call(
        &server,
        Some(ADMIN),
        Method::PATCH,
        &one("archive"),
        Some(json!({"name": "scans"})),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    let renamed: Storage = renamed.json().await.expect("storage");
    assert_eq!(
        (renamed.name.as_str(), renamed.mount.as_str()),
        ("scans", "archive")
    );
    assert_eq!(renamed.id, created.id, "a rename keeps the id");
    expect_error(
        call(&server, Some(RO), Method::GET, &one("archive"), None).await,
        404,
        "old name",
    )
    .await;
    let (second, second_url) = outside_folder(&fixture, "second");
    let moved = call(
        &server,
        Some(ADMIN),
        Method::PATCH,
        &one("scans"),
        Some(json!({"url": second_url})),
    )
    .await;
    assert_eq!(moved.status(), 200);
    let moved: Storage = moved.json().await.expect("storage");
    assert_eq!(
        (moved.url.as_str(), moved.default_url.as_str()),
        (second_url.as_str(), second_url.as_str())
    );

    // Removing forgets it; neither folder loses a byte.
    let removed = call(&server, Some(ADMIN), Method::DELETE, &one("scans"), None).await;
    assert_eq!(removed.status(), 204);
    assert!(removed.bytes().await.expect("body").is_empty());
    expect_error(
        call(&server, Some(RO), Method::GET, &one("scans"), None).await,
        404,
        "removed",
    )
    .await;
    assert_eq!(list(&server, Some(RO)).await.len(), 1);
    for folder in [&folder, &second] {
        assert_eq!(files(folder), [("kept.txt".to_owned(), b"kept".to_vec())]);
    }
}

#[tokio::test]
async fn bad_requests_are_refused_with_reasons_and_change_nothing() {
    let fixture = Fixture::new();
    fixture.write(&["taken-top"], b"a file at the top of the tree");
    let server = serve_writable(&fixture, &[]);
    let (_, url) = outside_folder(&fixture, "first");
    let ok = call(
        &server,
        None,
        Method::POST,
        STORAGES_PATH,
        Some(local_body("first", &url)),
    )
    .await;
    assert_eq!(
        ok.status(),
        201,
        "without tokens anyone may manage a writable server"
    );
    let before = list(&server, None).await;
    let (_, other_url) = outside_folder(&fixture, "other");
    let missing = url::Url::from_file_path(fixture.outside().join("missing"))
        .expect("abs")
        .to_string();
    let a_file = url::Url::from_file_path(fixture.outside().join("other").join("kept.txt"))
        .expect("abs")
        .to_string();
    let inside = url::Url::from_file_path(std::fs::canonicalize(fixture.root()).expect("root"))
        .expect("abs")
        .to_string();
    let parent = url::Url::from_file_path(std::fs::canonicalize(fixture.outside()).expect("tmp"))
        .expect("abs")
        .to_string();
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (json!("not an object"), 400, "bad_json", ""),
        (
            json!({"name": "x", "type": "ftp", "url": other_url}),
            400,
            "bad_json",
            "ftp",
        ),
        (
            json!({"name": "x", "type": "local", "url": other_url, "colour": "red"}),
            400,
            "bad_json",
            "colour",
        ),
        (
            json!({"name": "Bad Name", "type": "local", "url": other_url}),
            400,
            "bad_storage",
            "Bad Name",
        ),
        (
            json!({"name": "", "type": "local", "url": other_url}),
            400,
            "bad_storage",
            "name",
        ),
        (
            json!({"name": "x", "type": "local", "url": "relative/path"}),
            400,
            "bad_storage",
            "absolute",
        ),
        (
            json!({"name": "x", "type": "local", "url": missing}),
            400,
            "storage_unusable",
            "does not exist",
        ),
        (
            json!({"name": "x", "type": "local", "url": a_file}),
            400,
            "storage_unusable",
            "not a folder",
        ),
        (
            json!({"name": "x", "type": "local", "url": inside}),
            400,
            "storage_overlaps",
            "served folder",
        ),
        (
            json!({"name": "x", "type": "local", "url": parent}),
            400,
            "storage_overlaps",
            "served folder",
        ),
        (
            json!({"name": "x", "type": "local", "url": other_url, "region": "eu-west-1"}),
            400,
            "bad_storage",
            "only for S3",
        ),
        (
            json!({"name": "x", "type": "local", "url": other_url, "mount": ".skiff"}),
            400,
            "bad_storage",
            "reserved",
        ),
        (
            json!({"name": "x", "type": "local", "url": other_url, "mount": "a/b"}),
            400,
            "bad_storage",
            "mount",
        ),
        (
            json!({"name": "first", "type": "local", "url": other_url}),
            409,
            "storage_exists",
            "first",
        ),
        (
            json!({"name": "default", "type": "local", "url": other_url}),
            409,
            "storage_exists",
            "default",
        ),
        (
            json!({"name": "x", "type": "local", "url": other_url, "mount": "first"}),
            409,
            "mount_taken",
            "first",
        ),
        (
            json!({"name": "taken-top", "type": "local", "url": other_url}),
            409,
            "mount_taken",
            "taken-top",
        ),
        (
            json!({"name": "x", "type": "s3", "url": "not-s3"}),
            400,
            "bad_storage",
            "s3://",
        ),
        (
            json!({"name": "x", "type": "s3", "url": "s3://bucket", "access_key_id": "only-half"}),
            400,
            "bad_storage",
            "both",
        ),
    ];
    for (body, status, code, words) in cases {
        let context = body.to_string();
        let error = expect_error(
            call(&server, None, Method::POST, STORAGES_PATH, Some(body)).await,
            status,
            &context,
        )
        .await;
        assert_eq!(error.error.code, code, "{context}: {}", error.error.message);
        assert!(
            error.error.message.contains(words),
            "{context}: {}",
            error.error.message
        );
    }
    let huge = json!({"name": "x", "type": "local", "url": "x".repeat(100_000)});
    expect_error(
        call(&server, None, Method::POST, STORAGES_PATH, Some(huge)).await,
        413,
        "huge",
    )
    .await;

    for (method, path, body, status, code) in [
        (
            Method::PATCH,
            one("default"),
            json!({"label": "x"}),
            409,
            "storage_fixed",
        ),
        (
            Method::DELETE,
            one("default"),
            Value::Null,
            409,
            "storage_fixed",
        ),
        (
            Method::PATCH,
            one("nope"),
            json!({"label": "x"}),
            404,
            "unknown_storage",
        ),
        (
            Method::DELETE,
            one("nope"),
            Value::Null,
            404,
            "unknown_storage",
        ),
        (
            Method::PATCH,
            one("first"),
            json!({"name": "default"}),
            409,
            "storage_exists",
        ),
        (
            Method::PATCH,
            one("first"),
            json!({"name": "No"}),
            400,
            "bad_storage",
        ),
        (
            Method::PATCH,
            one("first"),
            json!({"label": " "}),
            400,
            "bad_storage",
        ),
        (
            Method::PATCH,
            one("first"),
            json!({"url": missing}),
            400,
            "storage_unusable",
        ),
        (
            Method::PATCH,
            one("first"),
            json!({"url": "s3://bucket"}),
            400,
            "bad_storage",
        ),
        (
            Method::PATCH,
            one("first"),
            json!({"mount": "elsewhere"}),
            400,
            "bad_json",
        ),
    ] {
        let context = format!("{method} {path} {body}");
        let body = (!body.is_null()).then_some(body);
        let error = expect_error(
            call(&server, None, method, &path, body).await,
            status,
            &context,
        )
        .await;
        assert_eq!(error.error.code, code, "{context}: {}", error.error.message);
    }
    assert_eq!(list(&server, None).await, before, "nothing changed");
}

#[cfg(unix)]
#[tokio::test]
async fn a_folder_the_server_cannot_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let fixture = Fixture::new();
    let (folder, url) = outside_folder(&fixture, "locked");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    if std::fs::write(folder.join("probe"), b"x").is_ok() {
        eprintln!("skipped: permissions do not bind this user (root)");
        return;
    }
    let server = serve_writable(&fixture, &[]);
    let error = expect_error(
        call(
            &server,
            None,
            Method::POST,
            STORAGES_PATH,
            Some(local_body("locked", &url)),
        )
        .await,
        400,
        "locked",
    )
    .await;
    assert_eq!(error.error.code, "storage_unusable");
    assert!(
        error.error.message.contains("not writable"),
        "{}",
        error.error.message
    );
}

#[tokio::test]
async fn only_admins_manage_storages_and_refusals_change_nothing() {
    let fixture = Fixture::new();
    let server = serve_with_tokens(&fixture);
    let (folder, url) = outside_folder(&fixture, "target");
    let made = call(
        &server,
        Some(ADMIN),
        Method::POST,
        STORAGES_PATH,
        Some(local_body("made", &url)),
    )
    .await;
    assert_eq!(made.status(), 201);
    let before = list(&server, Some(ADMIN)).await;
    let (fresh_folder, fresh_url) = outside_folder(&fixture, "fresh");
    for (who, token, status, code) in [
        ("nobody", None, 401, "unauthorized"),
        ("a wrong token", Some("nope"), 401, "unauthorized"),
        ("a read-only token", Some(RO), 403, "read_only_token"),
        ("a read-write token", Some(RW), 403, "admin_only"),
    ] {
        for (method, path, body) in [
            (
                Method::POST,
                STORAGES_PATH.to_owned(),
                Some(local_body("fresh", &fresh_url)),
            ),
            (Method::PATCH, one("made"), Some(json!({"label": "stolen"}))),
            (Method::DELETE, one("made"), None),
        ] {
            let context = format!("{who}: {method} {path}");
            let response = call(&server, token, method, &path, body).await;
            if status == 401 {
                assert_eq!(header(&response, "www-authenticate"), "Bearer", "{context}");
            }
            let error = expect_error(response, status, &context).await;
            assert_eq!(error.error.code, code, "{context}");
        }
        if token.is_none() {
            expect_error(
                call(&server, None, Method::GET, STORAGES_PATH, None).await,
                401,
                "anonymous list",
            )
            .await;
        }
    }
    assert_eq!(list(&server, Some(RO)).await, before);
    assert!(
        !fresh_folder.join(".skiff").exists(),
        "no refused call probed a backend"
    );
    assert_eq!(files(&folder), [("kept.txt".to_owned(), b"kept".to_vec())]);
}

#[tokio::test]
async fn a_read_only_server_refuses_admin_calls_even_to_admins() {
    let fixture = Fixture::new();
    let (_, url) = outside_folder(&fixture, "x");
    for extra in [
        vec![],
        vec!["--token".to_owned(), format!("boss:{ADMIN}:admin")],
    ] {
        let args: Vec<&str> = extra.iter().map(String::as_str).collect();
        let server = TestServer::start_with(fixture.root(), &args);
        let token = (!args.is_empty()).then_some(ADMIN);
        let error = expect_error(
            call(
                &server,
                token,
                Method::POST,
                STORAGES_PATH,
                Some(local_body("x", &url)),
            )
            .await,
            403,
            "read-only",
        )
        .await;
        assert_eq!(error.error.code, "read_only");
        assert!(
            error.error.message.contains("--writable"),
            "{}",
            error.error.message
        );
        let storages = list(&server, token).await;
        assert_eq!(storages.len(), 1);
        assert!(!storages[0].writable);
    }
}

#[tokio::test]
async fn storages_made_through_the_api_survive_restarts() {
    let fixture = Fixture::new();
    let mut server = serve_with_tokens(&fixture);
    let (_, url) = outside_folder(&fixture, "lasting");
    let (_, gone_url) = outside_folder(&fixture, "gone");
    let body = json!({"name": "lasting", "label": "Lasting", "type": "local", "url": url, "mount": "Long Term"});
    assert_eq!(
        call(
            &server,
            Some(ADMIN),
            Method::POST,
            STORAGES_PATH,
            Some(body)
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        call(
            &server,
            Some(ADMIN),
            Method::POST,
            STORAGES_PATH,
            Some(local_body("gone", &gone_url))
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        call(&server, Some(ADMIN), Method::DELETE, &one("gone"), None)
            .await
            .status(),
        204
    );
    let renamed = call(
        &server,
        Some(ADMIN),
        Method::PATCH,
        &one("lasting"),
        Some(json!({"name": "kept"})),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    let before = list(&server, Some(RO)).await;
    assert_eq!(
        before.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["default", "kept"]
    );
    assert_eq!(before[1].mount, "Long Term");

    server.kill();
    server = serve_with_tokens(&fixture);
    assert_eq!(
        list(&server, Some(RO)).await,
        before,
        "the same storages, ids and all"
    );
    // The freed name can be taken again, with a new id.
    let again = call(
        &server,
        Some(ADMIN),
        Method::POST,
        STORAGES_PATH,
        Some(local_body("gone", &gone_url)),
    )
    .await;
    assert_eq!(again.status(), 201);
}
