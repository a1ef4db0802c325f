//! Several skiff-server instances serving one bucket of a real SeaweedFS cluster
//! (`common::seaweed_cluster`: a master, three volume servers with replication
//! `001`, a filer with its S3 gateway), as a team behind a load balancer would
//! run them (issue 13, docs/design/scale-out.md): every instance serves the same
//! tree and sees a change made in the bucket at its next listing; a link signed
//! by one instance opens on the others, also after that instance is killed.
//! With `--writable`, upload sessions are records in the bucket: 20 uploads whose
//! parts each go to a different instance while one is killed with SIGKILL all
//! land with the right SHA-256; the same part sent to two instances at once, and
//! a completion raced on two, each have exactly one winner; a completion whose
//! instance died (before or after S3 joined the parts) is taken over; a
//! sequential session takes its chunks on any instance (one winner for a chunk
//! sent twice at once; one instance killed midway) and checks the whole file's
//! SHA-256 before placing it. Storages added through the API on one instance
//! are every instance's at once (`scale_out/storages.rs`).
//!
//! Here: the cluster's shared helpers and the read-only case. Uploads in parts
//! across a kill and racing parts are in `scale_out/uploads.rs`, completions
//! taken over in `completions.rs`, sequential sessions in `sequential.rs`; the
//! other modules are named for what they test.

#[path = "scale_out/busy.rs"]
mod busy;
mod common;
#[path = "scale_out/completions.rs"]
mod completions;
#[path = "scale_out/ids.rs"]
mod ids;
#[path = "scale_out/jobs.rs"]
mod jobs;
#[path = "scale_out/load.rs"]
mod load;
#[path = "scale_out/metadata.rs"]
mod metadata;
#[path = "scale_out/mounted.rs"]
mod mounted;
#[path = "scale_out/races.rs"]
mod races;
#[path = "scale_out/rotation.rs"]
mod rotation;
#[path = "scale_out/scrub_lease.rs"]
mod scrub_lease;
#[path = "scale_out/sequential.rs"]
mod sequential;
#[path = "scale_out/storages.rs"]
mod storages;
#[path = "scale_out/uploads.rs"]
mod uploads;

use bytes::Bytes;
use common::client;
use common::logged::LoggedServer;
use common::s3_root::command;
use common::seaweed::SECRET_KEY;
use futures_util::StreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload};
use reqwest::{Method, StatusCode};
use rotation::{content_hash, hex_sha256, random_bytes, Rotation, PART};
use serde_json::Value;
use sha2::{Digest, Sha256};

const TOKEN: &str = "scale-out-reader-0123456789";

fn instance(endpoint: &str, root: &str) -> LoggedServer {
    let token = format!("reader:{TOKEN}:ro");
    LoggedServer::start(command(endpoint, root, &["--token", &token]))
}

async fn names(server: &LoggedServer, path: &str) -> Vec<String> {
    common::s3_root::names(server, path, Some(TOKEN)).await
}

async fn sha256_of(server: &LoggedServer, path: &str) -> String {
    let bytes = client()
        .get(server.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("send")
        .bytes()
        .await
        .expect("bytes");
    format!("{:x}", Sha256::digest(&bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_serve_one_bucket_of_a_cluster() {
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    // Bigger than one filer chunk, so its bytes are spread over volume servers.
    let big: Vec<u8> = (0..3_000_000u32).map(|n| (n * 13 % 251) as u8).collect();
    let expected = format!("{:x}", Sha256::digest(&big));
    for (key, bytes) in [
        ("team/report.bin", big.clone()),
        ("team/notes/today.txt", b"stand-up at ten".to_vec()),
    ] {
        raw.put(&Key::from(key), PutPayload::from(Bytes::from(bytes)))
            .await
            .expect("put a fixture object");
    }
    let root = format!("s3://{bucket}/team");
    let instances: Vec<LoggedServer> = (0..3).map(|_| instance(&cluster.endpoint, &root)).collect();
    for server in &instances {
        assert_eq!(names(server, "/").await, ["notes", "report.bin"]);
        assert_eq!(sha256_of(server, "/report.bin").await, expected);
    }

    // A change in the bucket is in every instance's next listing (no cache trusted).
    raw.put(
        &Key::from("team/notes/tomorrow.txt"),
        PutPayload::from_static(b"retro"),
    )
    .await
    .expect("put");
    for server in &instances {
        assert_eq!(
            names(server, "/notes/").await,
            ["today.txt", "tomorrow.txt"]
        );
    }

    // A link signed by the first instance opens on the others, also once it is dead.
    let signed: Value = client()
        .post(instances[0].url("/.skiff/api/sign"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "url": "/report.bin" }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    let link = signed["url"].as_str().expect("a signed url").to_owned();
    let mut instances = instances.into_iter();
    let first = instances.next().expect("three instances");
    let (_, stderr) = first.stop(); // SIGKILL
    assert!(!stderr.contains(SECRET_KEY), "the secret reached the log");
    for server in instances {
        let response = client().get(server.url(&link)).send().await.expect("send");
        assert_eq!(response.status(), 200, "{link}");
        let bytes = response.bytes().await.expect("bytes");
        assert_eq!(format!("{:x}", Sha256::digest(&bytes)), expected);
    }
}

const WRITER: &str = "scale-out-writer-0123456789";

/// Three writable instances on `s3://BUCKET/team` and a client of them all.
fn writable_instances(endpoint: &str, bucket: &str) -> (Vec<LoggedServer>, Rotation) {
    let root = format!("s3://{bucket}/team");
    let token = format!("writer:{WRITER}:rw");
    let instances: Vec<LoggedServer> = (0..3)
        .map(|_| LoggedServer::start(command(endpoint, &root, &["--writable", "--token", &token])))
        .collect();
    let urls = instances.iter().map(|server| server.url("")).collect();
    (instances, Rotation::new(urls, WRITER))
}

/// The object `team/KEY` as the bucket holds it, read with the S3 API.
async fn in_bucket(raw: &object_store::aws::AmazonS3, key: &str) -> Vec<u8> {
    raw.get(&Key::from(format!("team/{key}")))
        .await
        .unwrap_or_else(|error| panic!("team/{key} in the bucket: {error}"))
        .bytes()
        .await
        .expect("the object's bytes")
        .to_vec()
}

async fn names_with(server: &LoggedServer, path: &str) -> Vec<String> {
    common::s3_root::names(server, path, Some(WRITER)).await
}

/// Record `KEY` under the root's `.skiff/state`, as JSON.
async fn state_record(raw: &object_store::aws::AmazonS3, key: &str) -> Value {
    let bytes = raw
        .get(&Key::from(format!("team/.skiff/state/{key}")))
        .await
        .unwrap_or_else(|error| panic!("record {key}: {error}"))
        .bytes()
        .await
        .expect("bytes");
    serde_json::from_slice(&bytes).expect("a JSON record")
}

async fn put_state_record(raw: &object_store::aws::AmazonS3, key: &str, value: &Value) {
    raw.put(
        &Key::from(format!("team/.skiff/state/{key}")),
        PutPayload::from(value.to_string().into_bytes()),
    )
    .await
    .expect("write a record");
}

/// A chunk of a sequential session sent to instance `at` only: status and body.
async fn append(
    client: &Rotation,
    at: usize,
    url: &str,
    offset: usize,
    chunk: &[u8],
) -> (StatusCode, Value) {
    let response = client
        .client
        .post(format!("{}{url}", client.urls[at % client.urls.len()]))
        .bearer_auth(WRITER)
        .header("Upload-Offset", offset.to_string())
        .body(chunk.to_vec())
        .send()
        .await
        .expect("send");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}
