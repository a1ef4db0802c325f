//! Two instances racing over HTTP on one `s3://` ROOT (issue 13): the same new
//! folder made through two instances at once, two files moved onto one target
//! at once (no overwrite), and a whole-file `PUT` with `If-None-Match: *` of one
//! path through two instances at once. Each race has exactly one winner, the
//! loser is told with a 409/412 and a JSON error, and the bucket holds the
//! winner's result. Each race runs for several rounds to catch a lost one.
//!
//! The folder's one winner comes from a claim record (`claims/folder/HASH`),
//! since SeaweedFS 4.48 sometimes lets two racing `If-None-Match: *` PUTs of a
//! folder marker (`name/`) both through: so a folder deleted and made again,
//! and a claim left by a maker that died, are tried here too.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use sha2::{Digest, Sha256};

use super::common::client;
use super::common::logged::LoggedServer;
use super::{in_bucket, put_state_record, writable_instances, WRITER};

const ROUNDS: usize = 5;

/// Sends `call` (`/.skiff/raw/…`) to `server`: its status and JSON body (or Null).
async fn call(
    server: &LoggedServer,
    method: Method,
    call: &str,
    body: Option<(Vec<u8>, bool)>,
) -> (StatusCode, Value) {
    let mut request = client()
        .request(method, server.url(call))
        .bearer_auth(WRITER);
    if let Some((bytes, create_only)) = body {
        if create_only {
            request = request.header("If-None-Match", "*");
        }
        request = request.body(bytes);
    }
    let response = request.send().await.expect("send");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The loser of a race: a 409 or 412 with a JSON error that says something.
fn assert_told(status: StatusCode, body: &Value, what: &str) {
    assert!(
        status == StatusCode::CONFLICT || status == StatusCode::PRECONDITION_FAILED,
        "{what}: the loser got {status}: {body}"
    );
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{what}: no message: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writes_over_http_have_one_winner() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = super::common::seaweed::client(&cluster.endpoint, &bucket);
    let (servers, _client) = writable_instances(&cluster.endpoint, &bucket);
    let (a, b) = (&servers[0], &servers[1]);

    for round in 0..ROUNDS {
        // The same new folder through two instances at once.
        let mkdir = format!("/.skiff/raw/mkdir?ref=path:/made-{round}");
        let (one, two) = tokio::join!(
            call(a, Method::POST, &mkdir, None),
            call(b, Method::POST, &mkdir, None),
        );
        let mut answers = [one, two];
        answers.sort_by_key(|(status, _)| *status);
        let [(won, body), (lost, told)] = answers;
        assert_eq!(won, StatusCode::CREATED, "round {round}: {body}");
        assert_eq!(lost, StatusCode::CONFLICT, "round {round}: {told}");
        assert_told(lost, &told, "mkdir");
        let listed = super::names_with(&servers[2], "/").await;
        let name = format!("made-{round}");
        assert_eq!(listed.iter().filter(|n| **n == name).count(), 1);

        // Two files moved onto one target at once, through two instances.
        let dir = format!("moves-{round}");
        let ends = ["left", "right"].map(|side| {
            let bytes = format!("{side} of round {round}").into_bytes();
            (
                format!("/.skiff/raw/data?ref=path:/{dir}/{side}.txt"),
                bytes,
            )
        });
        for (put, bytes) in &ends {
            let (status, body) = call(a, Method::PUT, put, Some((bytes.clone(), true))).await;
            assert!(status.is_success(), "{status}: {body}");
        }
        let to = format!("to=path:/{dir}/target.txt");
        let left = format!("/.skiff/raw/move?ref=path:/{dir}/left.txt&{to}");
        let right = format!("/.skiff/raw/move?ref=path:/{dir}/right.txt&{to}");
        let (left, right) = tokio::join!(
            call(a, Method::POST, &left, None),
            call(b, Method::POST, &right, None),
        );
        let (winner, loser, told) = match (left.0.is_success(), right.0.is_success()) {
            (true, false) => (0, 1, right),
            (false, true) => (1, 0, left),
            _ => panic!("round {round}: moves answered {left:?} and {right:?}"),
        };
        assert_told(told.0, &told.1, "move");
        let target = in_bucket(&raw, &format!("{dir}/target.txt")).await;
        assert_eq!(target, ends[winner].1, "round {round}: the target");
        let side = ["left", "right"][loser];
        let kept = in_bucket(&raw, &format!("{dir}/{side}.txt")).await;
        assert_eq!(kept, ends[loser].1, "round {round}: the loser's source");

        // A whole-file create-only PUT of one path through two instances at once.
        let put = format!("/.skiff/raw/data?ref=path:/put-{round}.bin");
        let bodies = [0u8, 1].map(|n| vec![n; 1000 + round]);
        let (one, two) = tokio::join!(
            call(a, Method::PUT, &put, Some((bodies[0].clone(), true))),
            call(b, Method::PUT, &put, Some((bodies[1].clone(), true))),
        );
        let winner = match (one.0.is_success(), two.0.is_success()) {
            (true, false) => {
                assert_eq!(two.0, StatusCode::PRECONDITION_FAILED, "{}", two.1);
                0
            }
            (false, true) => {
                assert_eq!(one.0, StatusCode::PRECONDITION_FAILED, "{}", one.1);
                1
            }
            _ => panic!("round {round}: PUTs answered {one:?} and {two:?}"),
        };
        let stored = in_bucket(&raw, &format!("put-{round}.bin")).await;
        assert_eq!(stored, bodies[winner], "round {round}: the object");
    }
}

/// The claim record of the new folder at tree key `key` (`raw/new_folder.rs`).
fn claim_of(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("claims/folder/{hash}")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_claim_neither_blocks_a_remake_nor_outlives_its_maker() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = super::common::seaweed::client(&cluster.endpoint, &bucket);
    let (servers, _client) = writable_instances(&cluster.endpoint, &bucket);
    let (a, b) = (&servers[0], &servers[1]);
    let mkdir = "/.skiff/raw/mkdir?ref=path:/again";

    // Made on one instance, deleted on another, made again on the first.
    let (status, body) = call(a, Method::POST, mkdir, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = call(b, Method::POST, mkdir, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let delete = "/.skiff/raw/data?ref=path:/again";
    let (status, body) = call(b, Method::DELETE, delete, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = call(a, Method::POST, mkdir, None).await;
    assert_eq!(status, StatusCode::CREATED, "made again: {body}");

    // A claim another maker holds right now: the folder is being made, 409.
    let busy = serde_json::json!({
        "what": "busy", "holder": "another instance", "state": "making", "at_ms": now_ms(),
    });
    put_state_record(&raw, &claim_of("busy"), &busy).await;
    let (status, body) = call(a, Method::POST, "/.skiff/raw/mkdir?ref=path:/busy", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(!super::names_with(b, "/").await.contains(&"busy".to_owned()));

    // A claim whose maker died a minute ago blocks nobody.
    let dead = serde_json::json!({
        "what": "orphan", "holder": "a dead instance", "state": "making",
        "at_ms": now_ms() - 60_000,
    });
    put_state_record(&raw, &claim_of("orphan"), &dead).await;
    let (status, body) = call(b, Method::POST, "/.skiff/raw/mkdir?ref=path:/orphan", None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let claim = super::state_record(&raw, &claim_of("orphan")).await;
    assert_eq!(claim["state"], "made", "{claim}");
    assert!(super::names_with(a, "/")
        .await
        .contains(&"orphan".to_owned()));
}
