//! Metadata (PROTOCOL.md §3) on an `s3://` ROOT served by three instances
//! (docs/design/scale-out.md step 3): written on one instance, read on another
//! (`_format` too, also in listings); two instances merging different keys
//! into one file's metadata at once lose none; two replacing it at once leave
//! exactly one writer's keys, never a mix; metadata follows a move made on
//! another instance and dies with a delete.
//!
//! §3 has no conditional metadata write (no `If-Match` on `{metadata}`), so
//! every merge or replace succeeds; what the records guarantee is that none is
//! lost or half-applied.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::common::client;
use super::common::logged::LoggedServer;
use super::ids::{id_at, raw};
use super::{writable_instances, WRITER};

/// `METHOD {metadata}/PATH` on `server` with `body`: status and JSON.
async fn metadata(
    server: &LoggedServer,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client()
        .request(
            method,
            server.url(&format!("{}{path}", skiff_protocol::METADATA_PATH)),
        )
        .bearer_auth(WRITER);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("send");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn read(server: &LoggedServer, path: &str) -> Value {
    let (status, body) = metadata(server, Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The user keys (those not starting with `_`) of a metadata object.
fn user_keys(object: &Value) -> Vec<String> {
    let mut keys: Vec<String> = object
        .as_object()
        .expect("an object")
        .keys()
        .filter(|key| !key.starts_with('_'))
        .cloned()
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_shared_merged_and_follows_moves() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let (servers, _client) = writable_instances(&cluster.endpoint, &bucket);
    let [a, b, c] = [&servers[0], &servers[1], &servers[2]];
    let (status, body) = raw(a, Method::PUT, "data?ref=path:/notes/plan.txt", b"the plan").await;
    assert!(status.is_success(), "{status}: {body}");

    // Written on B, read on A and C, `_format` in A's listing too.
    let change = json!({ "colour": "blue", "_format": "text/markdown" });
    let (status, written) = metadata(b, Method::POST, "/notes/plan.txt", Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{written}");
    for server in [a, c] {
        let seen = read(server, "/notes/plan.txt").await;
        assert_eq!(seen["colour"], "blue", "{seen}");
        assert_eq!(seen["_format"], "text/markdown", "{seen}");
        assert_eq!(seen["_owner"], "writer", "{seen}");
        assert_eq!(seen["_id"], written["_id"], "{seen}");
    }
    let response = client()
        .get(a.url("/notes/"))
        .header("X-Raw-Filesystem-API", "1")
        .bearer_auth(WRITER)
        .send()
        .await
        .expect("send");
    let listing: Value = response.json().await.expect("JSON");
    assert_eq!(
        listing["files"][0]["mime_type"], "text/markdown",
        "{listing}"
    );

    // 2 × 20 merges of different keys into one file through two instances at once.
    let merges = |server: &'static str, at: &LoggedServer| {
        let url = at.url(&format!("{}/notes/plan.txt", skiff_protocol::METADATA_PATH));
        async move {
            for i in 0..20 {
                let response = client()
                    .post(&url)
                    .bearer_auth(WRITER)
                    .json(&json!({ format!("{server}-{i:02}"): i }))
                    .send()
                    .await
                    .expect("send");
                assert_eq!(response.status(), StatusCode::OK, "merge {server}-{i}");
            }
        }
    };
    tokio::join!(merges("a", a), merges("b", b));
    let merged = read(c, "/notes/plan.txt").await;
    let keys = user_keys(&merged);
    assert_eq!(keys.len(), 41, "a merge was lost: {merged}");
    for i in 0..20 {
        assert_eq!(merged[format!("a-{i:02}")], i, "{merged}");
        assert_eq!(merged[format!("b-{i:02}")], i, "{merged}");
    }

    // Two replaces at once, several rounds: one writer's keys, never a mix.
    for round in 0..5 {
        let body = |side: &str| json!({ "side": side, format!("only-{side}"): round });
        let (left, right) = tokio::join!(
            metadata(a, Method::PUT, "/notes/plan.txt", Some(body("a"))),
            metadata(b, Method::PUT, "/notes/plan.txt", Some(body("b"))),
        );
        assert_eq!(
            (left.0, right.0),
            (StatusCode::OK, StatusCode::OK),
            "{} {}",
            left.1,
            right.1
        );
        let after = read(c, "/notes/plan.txt").await;
        let side = after["side"].as_str().expect("a side").to_owned();
        assert_eq!(
            user_keys(&after),
            vec![format!("only-{side}"), "side".to_owned()],
            "round {round}: {after}"
        );
        assert_eq!(
            after["_format"], "text/markdown",
            "a replace keeps _format: {after}"
        );
    }

    // It follows a move made on C, read on A; a delete on B ends it.
    let (status, moved) = raw(
        c,
        Method::POST,
        "move?ref=path:/notes/plan.txt&to=path:/kept/plan.txt",
        b"",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let seen = read(a, "/kept/plan.txt").await;
    assert!(seen["side"].is_string(), "{seen}");
    assert_eq!(seen["_format"], "text/markdown", "{seen}");
    let (status, body) = raw(b, Method::DELETE, "data?ref=path:/kept/plan.txt", b"").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = raw(
        b,
        Method::PUT,
        "data?ref=path:/kept/plan.txt",
        b"a new plan",
    )
    .await;
    assert!(status.is_success(), "{status}: {body}");
    let fresh = read(a, "/kept/plan.txt").await;
    assert!(
        user_keys(&fresh).is_empty(),
        "a new file inherited metadata: {fresh}"
    );
    assert_ne!(fresh["_format"], "text/markdown", "{fresh}");
    assert_ne!(
        fresh["_id"], seen["_id"],
        "a new file kept the deleted one's id"
    );
    assert_eq!(fresh["_id"], id_at(c, "/kept/plan.txt").await.as_str());
}
