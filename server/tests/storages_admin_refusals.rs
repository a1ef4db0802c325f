//! Refusals of the storage admin API (PROTOCOL.md §5, §6): bad bodies, taken
//! names and mounts, unusable folders, fixed storages, callers who are not
//! admins and read-only servers, each answered in words and changing nothing.

mod admin;
mod common;

use admin::{call, files, list, local_body, one, outside_folder, serve_with_tokens, ADMIN, RO, RW};
use common::uploads::serve_writable;
use common::{expect_error, header, Fixture, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use skiff_protocol::STORAGES_PATH;

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
    let fixture = Fixture::new();
    let (folder, url) = outside_folder(&fixture, "locked");
    // Read-only for everyone, root included (the tests run as root in CI).
    let _read_only = common::tmpfs::Tmpfs::mount_read_only(&folder);
    assert!(std::fs::write(folder.join("probe"), b"x").is_err());
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
