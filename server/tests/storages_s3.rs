//! S3 storages through the admin API (PROTOCOL.md §5) against a real S3 server
//! (SeaweedFS, `common::seaweed`): created only after the server proved it can
//! list and write the bucket, refused in words (bad credentials, no bucket, an
//! endpoint that is not there), kept across restarts with their credentials, and
//! the credentials never in a response or the server's output.

mod common;

use std::process::Command;

use common::logged::LoggedServer;
use common::seaweed::{self, ACCESS_KEY, SECRET_KEY};
use common::{client, Fixture};
use reqwest::Method;
use serde_json::{json, Value};
use skiff_protocol::{ErrorBody, Storage, StorageKind, STORAGES_PATH};

const ADMIN: &str = "s3-admin-token";

fn serve(fixture: &Fixture) -> LoggedServer {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skiff-server"));
    command
        .arg("serve")
        .arg(fixture.root())
        .args(["--listen", "127.0.0.1:0", "--writable"])
        .args(["--token", &format!("boss:{ADMIN}:admin")]);
    LoggedServer::start(command)
}

/// `method path` as the admin; status and body text.
async fn call(
    server: &LoggedServer,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let mut request = client()
        .request(method, server.url(path))
        .bearer_auth(ADMIN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn s3_body(name: &str, bucket: &str, endpoint: &str, secret: &str) -> Value {
    json!({
        "name": name, "label": "Bucket", "type": "s3", "url": format!("s3://{bucket}/files"),
        "endpoint": endpoint, "access_key_id": ACCESS_KEY, "secret_access_key": secret
    })
}

fn assert_secret_free(text: &str, context: &str) {
    assert!(
        !text.contains(SECRET_KEY),
        "{context} shows the secret: {text}"
    );
    assert!(
        !text.contains(ACCESS_KEY),
        "{context} shows the access key: {text}"
    );
}

#[tokio::test]
async fn an_s3_storage_is_created_kept_across_restarts_and_its_credentials_never_shown() {
    let (bucket, weed) = seaweed::fresh_bucket().await;
    let (other_bucket, _) = seaweed::fresh_bucket().await;
    let fixture = Fixture::new();
    let server = serve(&fixture);
    let mut seen = Vec::new();

    let (status, text) = call(
        &server,
        Method::POST,
        STORAGES_PATH,
        Some(s3_body("photos", &bucket, &weed.endpoint, SECRET_KEY)),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let created: Storage = serde_json::from_str(&text).expect("a storage");
    assert_eq!(created.kind, StorageKind::S3);
    assert_eq!(created.url, format!("s3://{bucket}/files"));
    assert_eq!(created.default_url, created.url);
    assert_eq!(created.endpoint.as_deref(), Some(weed.endpoint.as_str()));
    assert_eq!(created.region.as_deref(), Some("us-east-1"));
    assert_eq!(created.mount, "photos");
    seen.push(text);
    let (status, text) = call(&server, Method::GET, STORAGES_PATH, None).await;
    assert_eq!(status, 200);
    seen.push(text);
    let (stdout, stderr) = server.stop();
    seen.extend([stdout, stderr]);

    // The state file holds the credentials: only the server's user may read it.
    {
        use std::os::unix::fs::PermissionsExt;
        let state = fixture.root().join(".skiff");
        let mode = |path: &std::path::Path| {
            std::fs::metadata(path)
                .expect("state metadata")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&state), 0o700, "the .skiff folder");
        assert_eq!(mode(&state.join("state.redb")), 0o600, "the state file");
    }

    // After a restart it is still there, and its stored credentials still work:
    // moving it to another bucket is probed with them.
    let server = serve(&fixture);
    let (status, text) = call(
        &server,
        Method::GET,
        &format!("{STORAGES_PATH}/photos"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Storage>(&text).expect("storage"),
        created
    );
    let moved_url = format!("s3://{other_bucket}");
    let (status, text) = call(
        &server,
        Method::PATCH,
        &format!("{STORAGES_PATH}/photos"),
        Some(json!({"url": moved_url})),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let moved: Storage = serde_json::from_str(&text).expect("storage");
    assert_eq!(
        (moved.url.as_str(), moved.id.as_str()),
        (moved_url.as_str(), created.id.as_str())
    );
    assert_eq!(moved.endpoint, created.endpoint, "the endpoint is kept");
    seen.push(text);
    let (status, _) = call(
        &server,
        Method::DELETE,
        &format!("{STORAGES_PATH}/photos"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (stdout, stderr) = server.stop();
    assert!(
        stderr.contains("storage created") || stderr.contains("DEBUG"),
        "the log was captured: {stderr}"
    );
    seen.extend([stdout, stderr]);
    for (index, text) in seen.iter().enumerate() {
        assert_secret_free(text, &format!("output #{index}"));
    }
}

#[tokio::test]
async fn s3_storages_the_server_cannot_use_are_refused_in_words() {
    let (bucket, weed) = seaweed::fresh_bucket().await;
    let fixture = Fixture::new();
    let server = serve(&fixture);
    let wrong_secret = "definitely-the-wrong-secret";
    let cases = [
        (
            s3_body("wrong", &bucket, &weed.endpoint, wrong_secret),
            "credentials",
        ),
        (
            s3_body(
                "nobucket",
                "no-such-bucket-here",
                &weed.endpoint,
                SECRET_KEY,
            ),
            "no-such-bucket-here",
        ),
        (
            s3_body(
                "offline",
                &bucket,
                &seaweed::unreachable_endpoint(),
                SECRET_KEY,
            ),
            "cannot reach",
        ),
    ];
    let mut seen = Vec::new();
    for (body, words) in cases {
        let context = body["name"].to_string();
        let (status, text) = call(&server, Method::POST, STORAGES_PATH, Some(body)).await;
        assert_eq!(status, 400, "{context}: {text}");
        let error: ErrorBody = serde_json::from_str(&text).expect("a JSON error");
        assert_eq!(error.error.code, "storage_unusable", "{context}");
        assert!(
            error.error.message.contains(words),
            "{context}: {}",
            error.error.message
        );
        assert!(!text.contains(wrong_secret), "{context}: {text}");
        seen.push(text);
    }
    let (_, list) = call(&server, Method::GET, STORAGES_PATH, None).await;
    let storages: Vec<Storage> = serde_json::from_str(&list).expect("list");
    assert_eq!(storages.len(), 1, "nothing was added: {list}");
    let (stdout, stderr) = server.stop();
    seen.extend([stdout, stderr]);
    for text in &seen {
        assert_secret_free(text, "a refusal or the log");
        assert!(!text.contains(wrong_secret), "{text}");
    }
}
