//! The storage admin API (PROTOCOL.md §5) against the real binary: creating,
//! reading, patching and removing local storages, and storages surviving
//! restarts. Refusals are in `storages_admin_refusals.rs`, S3 in `storages_s3.rs`.

mod admin;
mod common;

use admin::{call, files, list, local_body, one, outside_folder, serve_with_tokens, ADMIN, RO};
use common::{expect_error, header, Fixture};
use reqwest::Method;
use serde_json::{json, Value};
use skiff_protocol::{Storage, StorageKind, STORAGES_PATH};

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

#[tokio::test]
async fn a_storage_whose_folder_is_gone_after_a_restart_stays_listed_to_be_fixed() {
    let fixture = Fixture::new();
    let mut server = serve_with_tokens(&fixture);
    let (folder, url) = outside_folder(&fixture, "moving");
    let created = call(
        &server,
        Some(ADMIN),
        Method::POST,
        STORAGES_PATH,
        Some(local_body("moving", &url)),
    )
    .await;
    assert_eq!(created.status(), 201);
    let created: Storage = created.json().await.expect("storage");
    server.kill();
    std::fs::rename(&folder, fixture.outside().join("moved")).expect("move the folder away");

    server = serve_with_tokens(&fixture);
    let listed = list(&server, Some(RO)).await;
    assert_eq!(
        listed.get(1),
        Some(&created),
        "still listed, so an admin can act on it"
    );
    let fixed_url = url::Url::from_file_path(fixture.outside().join("moved"))
        .expect("absolute")
        .to_string();
    let fixed = call(
        &server,
        Some(ADMIN),
        Method::PATCH,
        &one("moving"),
        Some(json!({"url": fixed_url})),
    )
    .await;
    assert_eq!(fixed.status(), 200);
    assert_eq!(
        fixed.json::<Storage>().await.expect("storage").url,
        fixed_url
    );
    let removed = call(&server, Some(ADMIN), Method::DELETE, &one("moving"), None).await;
    assert_eq!(removed.status(), 204);
}

#[tokio::test]
async fn two_admins_racing_for_one_name_get_one_storage() {
    let fixture = Fixture::new();
    let server = serve_with_tokens(&fixture);
    let (_, first) = outside_folder(&fixture, "one");
    let (_, second) = outside_folder(&fixture, "two");
    let (a, b) = tokio::join!(
        call(
            &server,
            Some(ADMIN),
            Method::POST,
            STORAGES_PATH,
            Some(local_body("race", &first))
        ),
        call(
            &server,
            Some(ADMIN),
            Method::POST,
            STORAGES_PATH,
            Some(local_body("race", &second))
        ),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    assert_eq!(list(&server, Some(RO)).await.len(), 2);
}

#[tokio::test]
async fn an_app_on_another_origin_may_patch_storages() {
    let fixture = Fixture::new();
    let server = common::uploads::serve_writable(
        &fixture,
        &[
            "--cors-origin",
            "https://app.example",
            "--token",
            &format!("boss:{ADMIN}:admin"),
        ],
    );
    let preflight = common::client()
        .request(Method::OPTIONS, server.url(&one("default")))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "PATCH")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .expect("send");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed = header(&preflight, "access-control-allow-methods").to_owned();
    assert!(
        allowed.split(',').any(|method| method.trim() == "PATCH"),
        "the admin API's PATCH must pass a preflight: {allowed}"
    );
}
