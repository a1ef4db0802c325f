//! Storages added through the API (PROTOCOL.md §5) on an `s3://` ROOT served by
//! three instances: one record in the bucket (`storages/list`), so a local
//! folder and an S3 storage (a second bucket of the cluster) added on A are
//! listed on B and C at once (`GET {storages}` and as mounts in the root's
//! listing); a file written into the S3 storage through B is read through C; a
//! label changed on B is seen on A, and two labels changed at once on two
//! instances leave one of them with nothing else lost; a storage removed on C is
//! gone everywhere; one name created on two instances at once: one 201, one 409.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::common::client;
use super::common::logged::LoggedServer;
use super::common::s3_root::command;
use super::common::seaweed::{ACCESS_KEY, SECRET_KEY};

const ADMIN: &str = "scale-out-admin-0123456789";
const STORAGES: &str = "/.skiff/api/storages";

fn admin_instances(endpoint: &str, bucket: &str) -> Vec<LoggedServer> {
    let root = format!("s3://{bucket}/team");
    let token = format!("boss:{ADMIN}:admin");
    (0..3)
        .map(|_| LoggedServer::start(command(endpoint, &root, &["--writable", "--token", &token])))
        .collect()
}

async fn call(
    server: &LoggedServer,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client()
        .request(method, server.url(path))
        .bearer_auth(ADMIN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("send");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET {storages}` on `server`: (name, label, mount) of each, default first.
async fn listed(server: &LoggedServer) -> Vec<(String, String, String)> {
    let (status, list) = call(server, Method::GET, STORAGES, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .expect("a list")
        .iter()
        .map(|s| {
            let field = |name: &str| s[name].as_str().expect("a string").to_owned();
            (field("name"), field("label"), field("mount"))
        })
        .collect()
}

async fn root_names(server: &LoggedServer) -> Vec<String> {
    super::common::s3_root::names(server, "/", Some(ADMIN)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storages_added_on_one_instance_are_every_instances() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let photos_bucket = cluster.new_bucket().await;
    let instances = admin_instances(&cluster.endpoint, &bucket);
    let [a, b, c] = &instances[..] else {
        panic!("three instances")
    };
    // The default storage has one id on every instance.
    let default = format!("{STORAGES}/default");
    let mut ids = Vec::new();
    for server in &instances {
        ids.push(call(server, Method::GET, &default, None).await.1["id"].clone());
    }
    assert!(
        ids[0].is_string() && ids.iter().all(|id| *id == ids[0]),
        "{ids:?}"
    );

    let folder = tempfile::tempdir().expect("a folder");
    std::fs::write(folder.path().join("local.txt"), b"on the disk").expect("a file");
    let local = json!({ "name": "shelf", "label": "Shelf", "type": "local",
        "url": folder.path().display().to_string() });
    let (status, made) = call(a, Method::POST, STORAGES, Some(local)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let s3 = json!({ "name": "photos", "label": "Photos", "type": "s3",
        "url": format!("s3://{photos_bucket}/files"), "endpoint": cluster.endpoint,
        "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY });
    let (status, made) = call(a, Method::POST, STORAGES, Some(s3)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert!(
        !made.to_string().contains(SECRET_KEY),
        "the secret is never shown"
    );

    let expected = |photos: &str| {
        vec![
            ("default".to_owned(), "team".to_owned(), "/".to_owned()),
            ("photos".to_owned(), photos.to_owned(), "photos".to_owned()),
            ("shelf".to_owned(), "Shelf".to_owned(), "shelf".to_owned()),
        ]
    };
    for server in [b, c] {
        assert_eq!(listed(server).await, expected("Photos"));
        assert_eq!(root_names(server).await, ["photos", "shelf"]);
    }
    let (status, list) = call(c, Method::GET, STORAGES, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !list.to_string().contains(SECRET_KEY),
        "the secret is never shown"
    );

    // Bytes written into the S3 storage through B are read through C; the
    // local storage's file is there through every instance.
    let put = client()
        .put(b.url("/photos/beach.txt"))
        .bearer_auth(ADMIN)
        .body("sand and sea")
        .send()
        .await
        .expect("send");
    assert!(put.status().is_success(), "{}", put.status());
    for (server, path, bytes) in [
        (c, "/photos/beach.txt", "sand and sea"),
        (a, "/shelf/local.txt", "on the disk"),
        (c, "/shelf/local.txt", "on the disk"),
    ] {
        let got = client()
            .get(server.url(path))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("send");
        assert_eq!(got.status(), StatusCode::OK, "{path}");
        assert_eq!(got.text().await.expect("text"), bytes);
    }

    // A label changed on B is A's at once; two changed at once on two
    // instances: both answered, the record holds one of them whole.
    let label = |text: &str| Some(json!({ "label": text }));
    let (status, patched) = call(
        b,
        Method::PATCH,
        &format!("{STORAGES}/photos"),
        label("Holidays"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(listed(a).await, expected("Holidays"));
    let path = format!("{STORAGES}/photos");
    let (one, two) = tokio::join!(
        call(a, Method::PATCH, &path, label("Summer")),
        call(c, Method::PATCH, &path, label("Winter")),
    );
    assert_eq!(
        (one.0, two.0),
        (StatusCode::OK, StatusCode::OK),
        "{} {}",
        one.1,
        two.1
    );
    let after = listed(b).await;
    assert!(
        after == expected("Summer") || after == expected("Winter"),
        "{after:?}"
    );
    assert_eq!(listed(a).await, after);
    // A rename on A with a label change on C at once: neither is lost.
    let (renamed, relabelled) = tokio::join!(
        call(a, Method::PATCH, &path, Some(json!({ "name": "pictures" }))),
        call(c, Method::PATCH, &path, label("Autumn")),
    );
    assert_eq!(renamed.0, StatusCode::OK, "{}", renamed.1);
    if relabelled.0 == StatusCode::OK {
        // The label landed first and the rename kept it.
        assert_eq!(
            listed(b).await[1],
            (
                "pictures".to_owned(),
                "Autumn".to_owned(),
                "photos".to_owned()
            )
        );
    } else {
        // The rename landed first: the name is gone, in plain words.
        assert_eq!(relabelled.0, StatusCode::NOT_FOUND, "{}", relabelled.1);
        assert_eq!(listed(b).await[1].0, "pictures");
    }

    // Removed on C: gone everywhere (listing, mounts, its bytes unreachable).
    let (status, _) = call(c, Method::DELETE, &format!("{STORAGES}/pictures"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for server in [a, b] {
        let names: Vec<String> = listed(server).await.into_iter().map(|s| s.0).collect();
        assert_eq!(names, ["default", "shelf"]);
        assert_eq!(root_names(server).await, ["shelf"]);
        let gone = client()
            .get(server.url("/photos/beach.txt"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("send");
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    }
    let (status, told) = call(a, Method::DELETE, &format!("{STORAGES}/pictures"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{told}");

    // One name made on two instances at once: one 201, one clear 409.
    let twin = |dir: &std::path::Path| {
        Some(json!({ "name": "twin", "type": "local", "url": dir.display().to_string() }))
    };
    let (left, right) = (
        tempfile::tempdir().expect("a folder"),
        tempfile::tempdir().expect("a folder"),
    );
    for round in 0..3 {
        let (one, two) = tokio::join!(
            call(a, Method::POST, STORAGES, twin(left.path())),
            call(b, Method::POST, STORAGES, twin(right.path())),
        );
        let mut answers = [one, two];
        answers.sort_by_key(|(status, _)| *status);
        let [(won, made), (lost, told)] = answers;
        assert_eq!(
            (won, lost),
            (StatusCode::CREATED, StatusCode::CONFLICT),
            "round {round}: {made} {told}"
        );
        assert_eq!(told["error"]["code"], "storage_exists", "{told}");
        let message = told["error"]["message"].as_str().expect("a message");
        assert!(message.contains("twin"), "{message}");
        let (status, on_c) = call(c, Method::GET, &format!("{STORAGES}/twin"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(on_c["id"], made["id"], "the winner's storage everywhere");
        let (status, _) = call(c, Method::DELETE, &format!("{STORAGES}/twin"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}
