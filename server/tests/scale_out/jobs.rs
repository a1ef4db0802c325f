//! Journaled folder jobs on an `s3://` ROOT (docs/design/scale-out.md step 5):
//! a folder of 2,000 objects renamed through one instance that is killed with
//! SIGKILL mid-job; another instance takes the job over, every object lands at
//! the target exactly once with its bytes and none is left at the source, and
//! the client's retried move gets the success answer. The same for a delete.
//! While the job is unfinished, another call touching the folder is 409.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use reqwest::Method;
use serde_json::Value;

use super::common::client;
use super::common::logged::LoggedServer;
use super::common::s3_root::command;
use super::WRITER;

/// Three writable instances; `pause_ms` is the documented test-only knob
/// `SKIFF_TEST_JOB_BATCH_PAUSE_MS` (a pause after each batch of 64 objects).
/// The rename needs none (2,000 objects take long enough to kill mid-job); the
/// delete of a smaller folder uses it, as a bulk delete is fast.
pub(super) fn instances(endpoint: &str, bucket: &str, pause_ms: &str) -> Vec<LoggedServer> {
    let root = format!("s3://{bucket}/team");
    let token = format!("writer:{WRITER}:rw");
    (0..3)
        .map(|_| {
            let mut command = command(endpoint, &root, &["--writable", "--token", &token]);
            command.env("SKIFF_TEST_JOB_BATCH_PAUSE_MS", pause_ms);
            LoggedServer::start(command)
        })
        .collect()
}

fn bytes_of(i: usize) -> Vec<u8> {
    format!("object {i}: {}", "x".repeat(i % 97)).into_bytes()
}

/// `team/DIR/dNN/fNNNN.txt` for `count` objects, written straight to the bucket.
pub(super) async fn fill(raw: &AmazonS3, dir: &str, count: usize) -> BTreeSet<String> {
    let names: Vec<(usize, String)> = (0..count)
        .map(|i| (i, format!("d{:02}/f{i:04}.txt", i % 10)))
        .collect();
    futures_util::stream::iter(names.iter().map(|(i, name)| async move {
        raw.put(
            &Key::from(format!("team/{dir}/{name}")),
            PutPayload::from(Bytes::from(bytes_of(*i))),
        )
        .await
    }))
    .buffer_unordered(32)
    .try_collect::<Vec<_>>()
    .await
    .expect("fill the folder");
    names.into_iter().map(|(_, name)| name).collect()
}

/// The object keys under `team/DIR/`, relative to it.
async fn objects(raw: &AmazonS3, dir: &str) -> Vec<String> {
    let prefix = format!("team/{dir}/");
    let listed: Vec<_> = raw
        .list(Some(&Key::from(format!("team/{dir}"))))
        .try_collect()
        .await
        .expect("list the bucket");
    listed
        .into_iter()
        .filter_map(|meta| {
            meta.location
                .as_ref()
                .strip_prefix(&prefix)
                .map(str::to_owned)
        })
        .collect()
}

/// The one job record, once it exists.
pub(super) async fn job(raw: &AmazonS3) -> Option<Value> {
    let keys = objects(raw, ".skiff/state/jobs").await;
    let key = keys.first()?;
    let bytes = raw
        .get(&Key::from(format!("team/.skiff/state/jobs/{key}")))
        .await
        .ok()?
        .bytes()
        .await
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Sends `call` (`/.skiff/raw/…`) to `server`.
async fn send(
    server: &LoggedServer,
    method: Method,
    call: &str,
) -> reqwest::Result<reqwest::Response> {
    client()
        .request(method, server.url(call))
        .bearer_auth(WRITER)
        .timeout(Duration::from_secs(100))
        .send()
        .await
}

/// Starts `call` on `victim`, kills it (SIGKILL) once the job has done some
/// objects and not all, checks a different call on `other` is 409, and
/// returns the retried call's answer from `other`.
async fn kill_mid_job(
    raw: &AmazonS3,
    victim: LoggedServer,
    other: &LoggedServer,
    method: Method,
    call: &str,
    touching: &str,
) -> reqwest::Response {
    let first = {
        let url = victim.url(call);
        let method = method.clone();
        tokio::spawn(async move {
            client()
                .request(method, url)
                .bearer_auth(WRITER)
                .send()
                .await
        })
    };
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < Duration::from_secs(60), "no job seen");
        if let Some(job) = job(raw).await {
            assert_eq!(
                job["state"], "running",
                "the job ended before the kill: {job}"
            );
            if job["done"].as_u64().unwrap_or(0) >= 64 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = victim.stop(); // SIGKILL
    assert!(
        first.await.expect("join").is_err(),
        "the killed instance answered"
    );
    let before = job(raw).await.expect("the job record");
    assert_eq!(before["state"], "running", "{before}");
    let total = before["total"].as_u64().expect("total");
    assert!(before["done"].as_u64().expect("done") < total, "{before}");
    // A different call touching the folder: 409 with the job's progress.
    let busy = send(other, Method::POST, touching).await.expect("send");
    assert_eq!(busy.status(), 409, "{touching}");
    let body: Value = busy.json().await.expect("JSON");
    let message = body.to_string();
    assert!(message.contains("objects done"), "{message}");
    // The client retries on another instance: it waits for the job to finish there.
    let retried = send(other, method, call).await.expect("the retried call");
    let after = job(raw).await.expect("the job record");
    assert_eq!(after["state"], "done", "{after}");
    assert_eq!(after["done"], after["total"], "{after}");
    retried
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_renamed_while_its_instance_is_killed_lands_once() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = super::common::seaweed::client(&cluster.endpoint, &bucket);
    let names = fill(&raw, "big", 2_000).await;
    let mut servers = instances(&cluster.endpoint, &bucket, "0");
    let victim = servers.remove(0);
    let call = "/.skiff/raw/move?ref=path:/big&to=path:/moved";
    let answer = kill_mid_job(
        &raw,
        victim,
        &servers[0],
        Method::POST,
        call,
        "/.skiff/raw/mkdir?ref=path:/moved/extra",
    )
    .await;
    assert_eq!(answer.status(), 200);
    let stat: Value = answer.json().await.expect("JSON");
    assert_eq!(stat["path"], "/moved", "{stat}");
    assert_eq!(
        stat["type"].as_str().map(|t| t != "file"),
        Some(true),
        "{stat}"
    );
    // Every object exactly once at the target, with its bytes; none at the source.
    let moved = objects(&raw, "moved").await;
    assert_eq!(moved.len(), names.len());
    assert_eq!(moved.iter().cloned().collect::<BTreeSet<_>>(), names);
    assert!(objects(&raw, "big").await.is_empty());
    for name in names.iter().step_by(7) {
        let stored = raw
            .get(&Key::from(format!("team/moved/{name}")))
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
        let n: usize = name[5..9].parse().expect("the object's number");
        assert_eq!(stored.as_ref(), bytes_of(n).as_slice(), "{name}");
    }
    for server in &servers {
        let listed = super::names_with(server, "/").await;
        assert_eq!(listed, ["moved"]);
    }
    // Retried once more, after the job: the same answer.
    let again = send(&servers[1], Method::POST, call).await.expect("send");
    assert_eq!(again.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_deleted_while_its_instance_is_killed_is_gone() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = super::common::seaweed::client(&cluster.endpoint, &bucket);
    fill(&raw, "old", 600).await;
    raw.put(
        &Key::from("team/keep.txt"),
        PutPayload::from_static(b"stays"),
    )
    .await
    .expect("put");
    let mut servers = instances(&cluster.endpoint, &bucket, "100");
    let victim = servers.remove(0);
    let call = "/.skiff/raw/data?ref=path:/old&recursive=true";
    let answer = kill_mid_job(
        &raw,
        victim,
        &servers[0],
        Method::DELETE,
        call,
        "/.skiff/raw/move?ref=path:/old/d01&to=path:/rescued",
    )
    .await;
    assert_eq!(answer.status(), 204);
    assert!(objects(&raw, "old").await.is_empty());
    for server in &servers {
        assert_eq!(super::names_with(server, "/").await, ["keep.txt"]);
    }
}
