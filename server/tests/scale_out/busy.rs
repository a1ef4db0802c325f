//! Writes into a folder a journaled job is moving, on an `s3://` ROOT
//! (docs/design/scale-out.md step 5): while the job runs, a tree `PUT` or
//! `DELETE`, a raw `mkdir`, an upload session's create, a parts session's
//! complete and a sequential session's last chunk touching the folder are each
//! 409 `job_running` with the job's progress, on any instance; writes elsewhere
//! go on. Once the job is done, the waiting session completes.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use skiff_protocol::UPLOADS_PATH;

use super::jobs::{fill, instances, job};
use super::rotation::{content_hash, random_bytes, Rotation, PART};
use super::WRITER;

/// A 409 `job_running` whose sentence tells the job's progress.
fn assert_busy(what: &str, (status, body): (StatusCode, Value)) {
    assert_eq!(status, StatusCode::CONFLICT, "{what}: {body}");
    assert_eq!(body["error"]["code"], "job_running", "{what}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("objects done"), "{what}: {message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_into_a_folder_under_a_job_are_refused_until_it_ends() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = super::common::seaweed::client(&cluster.endpoint, &bucket);
    fill(&raw, "big", 640).await;
    // 10 batches of 64 objects, 600 ms apart: the job runs for 6 s or more.
    let servers = instances(&cluster.endpoint, &bucket, "600");
    let urls = servers.iter().map(|server| server.url("")).collect();
    let client = Rotation::new(urls, WRITER);

    // Sessions into the folder, made before the job: a parts session with its
    // one part in, and a sequential one with all but its last chunk.
    let bytes = random_bytes(7, PART as usize);
    let parts = client.create(0, "big/late.bin", PART).await;
    client.part(1, &parts, &bytes, 1).await;
    let create = json!({
        "key": "big/late.txt", "bucket": "default", "mime_type": "text/plain", "size": 10,
    });
    let (_, status, session) = client
        .send(0, Method::POST, UPLOADS_PATH, create.to_string().as_bytes())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let sequential = session["url"].as_str().expect("a session url").to_owned();
    let chunk = |offset: u64| [("Upload-Offset", offset.to_string())];
    let (_, status, session) = client
        .send_with(1, Method::POST, &sequential, &chunk(0), b"late ")
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");

    let mover = {
        let client = client.clone();
        tokio::spawn(async move {
            let call = "/.skiff/raw/move?ref=path:/big&to=path:/moved";
            client.send(0, Method::POST, call, b"").await
        })
    };
    let started = Instant::now();
    while job(&raw).await.is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "no job seen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let at = |n: usize, method: Method, path: &str, body: &[u8]| {
        let client = client.clone();
        let (path, body) = (path.to_owned(), body.to_vec());
        async move {
            let (_, status, answer) = client.send(n, method, &path, &body).await;
            (status, answer)
        }
    };
    assert_busy("PUT", at(1, Method::PUT, "/big/new.txt", b"new").await);
    assert_busy(
        "PUT to the target",
        at(2, Method::PUT, "/moved/x.txt", b"x").await,
    );
    assert_busy(
        "DELETE",
        at(2, Method::DELETE, "/big/d01/f0001.txt", b"").await,
    );
    let mkdir = "/.skiff/raw/mkdir?ref=path:/big/sub";
    assert_busy("mkdir", at(1, Method::POST, mkdir, b"").await);
    let create = json!({
        "key": "big/d02/new.bin", "bucket": "default", "mime_type": "text/plain",
        "size": PART, "part_size": PART,
    });
    let create = create.to_string();
    assert_busy(
        "create",
        at(2, Method::POST, UPLOADS_PATH, create.as_bytes()).await,
    );
    let complete = json!({ "content_hash": content_hash(&bytes, PART) }).to_string();
    let done = format!("{parts}/complete");
    assert_busy(
        "complete",
        at(1, Method::POST, &done, complete.as_bytes()).await,
    );
    let (_, status, answer) = client
        .send_with(2, Method::POST, &sequential, &chunk(5), b"chunk")
        .await;
    assert_busy("last chunk", (status, answer));
    // Outside the job's folders, writes go on meanwhile.
    let (status, answer) = at(0, Method::PUT, "/elsewhere.txt", b"fine").await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let still = job(&raw).await.expect("the job record");
    assert_eq!(still["state"], "running", "the job ended too soon: {still}");

    let (_, status, moved) = mover.await.expect("the move");
    assert_eq!(status, StatusCode::OK, "{moved}");
    // Once the job is done, the sessions complete (their keys name `big` anew).
    let file = client
        .complete(2, &parts, &content_hash(&bytes, PART))
        .await;
    assert_eq!(file["key"], "big/late.bin");
    let (_, status, file) = client
        .send_with(0, Method::POST, &sequential, &chunk(5), b"chunk")
        .await;
    assert_eq!(status, StatusCode::OK, "{file}");
    assert_eq!(file["key"], "big/late.txt", "{file}");
    let (status, answer) = at(1, Method::PUT, "/moved/x.txt", b"x").await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}
