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

#[path = "scale_out/busy.rs"]
mod busy;
mod common;
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
#[path = "scale_out/storages.rs"]
mod storages;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_in_parts_across_instances_survive_a_kill() {
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (mut instances, client) = writable_instances(&cluster.endpoint, &bucket);
    // 20 files of 3 to 12 MiB: one to three parts each, ~40 parts in all.
    let files: Vec<(String, Vec<u8>)> = (0..20u64)
        .map(|i| {
            let len = (3 << 20) + usize::try_from(i * 479_001 % (9 << 20)).expect("a size");
            (format!("batch/file-{i:02}.bin"), random_bytes(i + 1, len))
        })
        .collect();
    // The second instance dies (SIGKILL) once 12 parts are in: parts in flight
    // to it fail and go to the next instance, as behind a load balancer.
    let victim = instances.remove(1);
    let acked = std::sync::Arc::clone(&client.acked);
    let killer = tokio::spawn(async move {
        while acked.load(std::sync::atomic::Ordering::SeqCst) < 12 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let (_, stderr) = victim.stop();
        stderr
    });
    let uploads = files.iter().enumerate().map(|(i, (key, bytes))| {
        let client = client.clone();
        async move { client.upload(i, key, bytes).await }
    });
    let done: Vec<Value> = futures_util::stream::iter(uploads)
        .buffer_unordered(4)
        .collect()
        .await;
    assert_eq!(done.len(), files.len());
    let stderr = killer.await.expect("the kill");
    // The kill came mid-upload: later requests for it went to the others.
    let parts: u64 = files
        .iter()
        .map(|(_, bytes)| (bytes.len() as u64).div_ceil(PART))
        .sum();
    assert!(parts > 30, "{parts} parts");
    let moved = client.failovers.load(std::sync::atomic::Ordering::SeqCst);
    assert!(moved > 0, "no request met the killed instance");
    assert!(!stderr.contains(SECRET_KEY), "the secret reached the log");
    for (key, bytes) in &files {
        let stored = in_bucket(&raw, key).await;
        assert_eq!(stored.len(), bytes.len(), "{key}");
        assert_eq!(hex_sha256(&stored), hex_sha256(bytes), "{key}");
    }
    // Every instance left lists them all; no session state shows in the tree.
    for server in &instances {
        let listed = common::s3_root::names(server, "/batch/", Some(WRITER)).await;
        assert_eq!(listed.len(), files.len());
        assert_eq!(names_with(server, "/").await, ["batch"]);
    }
}

async fn names_with(server: &LoggedServer, path: &str) -> Vec<String> {
    common::s3_root::names(server, path, Some(WRITER)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_instances_have_one_winner() {
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (_instances, client) = writable_instances(&cluster.endpoint, &bucket);
    let bytes = random_bytes(99, (6 << 20) + 123);

    // The same part sent to two instances at once: both are told it is stored
    // (a repeated part, §2.1), one record holds it, and the file is right.
    let url = client
        .create(0, "race/same-part.bin", bytes.len() as u64)
        .await;
    let first = &bytes[..usize::try_from(PART).expect("a size")];
    let path = format!("{url}/parts/1");
    let (a, b) = tokio::join!(
        client.once(1, Method::PUT, &path, first.to_vec()),
        client.once(2, Method::PUT, &path, first.to_vec()),
    );
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    for answer in [a, b] {
        let session: Value = answer.json().await.expect("a session");
        assert_eq!(session["parts"], serde_json::json!([[1, 1]]));
    }
    client.part(0, &url, &bytes, 2).await;
    let hash = content_hash(&bytes, PART);
    client.complete(1, &url, &hash).await;
    let stored = in_bucket(&raw, "race/same-part.bin").await;
    assert_eq!(hex_sha256(&stored), hex_sha256(&bytes));

    // A completion raced on two instances: exactly one completes, the other is
    // told another request is completing it; asked again, it is completed.
    let url = client
        .create(0, "race/complete.bin", bytes.len() as u64)
        .await;
    client.part(1, &url, &bytes, 1).await;
    client.part(2, &url, &bytes, 2).await;
    let body = serde_json::json!({ "content_hash": hash })
        .to_string()
        .into_bytes();
    let path = format!("{url}/complete");
    let (a, b) = tokio::join!(
        client.once(1, Method::POST, &path, body.clone()),
        client.once(2, Method::POST, &path, body.clone()),
    );
    let mut answers = Vec::new();
    for answer in [a, b] {
        let status = answer.status();
        answers.push((status, answer.json::<Value>().await.expect("JSON")));
    }
    answers.sort_by_key(|(status, _)| *status);
    let [(won, file), (lost, told)] = <[_; 2]>::try_from(answers).expect("two answers");
    assert_eq!(
        (won, lost),
        (StatusCode::OK, StatusCode::CONFLICT),
        "{told}"
    );
    assert_eq!(told["error"]["code"], "session_completing", "{told}");
    assert_eq!(file["content_hash"], hash.as_str());
    let again = client.complete(0, &url, &hash).await;
    assert_eq!(
        again, file,
        "a repeated complete answers the same file object"
    );
    let stored = in_bucket(&raw, "race/complete.bin").await;
    assert_eq!(hex_sha256(&stored), hex_sha256(&bytes));

    // Discovery offers parts of at least S3's 5 MiB, which is what the app uses.
    let discovery: Value = client
        .client
        .get(format!(
            "{}{}",
            client.urls[0],
            skiff_protocol::DISCOVERY_PATH
        ))
        .bearer_auth(WRITER)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    assert_eq!(discovery["min_part"], PART, "{discovery}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_cut_short_is_taken_over() {
    use object_store::multipart::{MultipartStore, PartId};
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (_instances, client) = writable_instances(&cluster.endpoint, &bucket);
    let bytes = random_bytes(7, (7 << 20) + 5);
    let hash = content_hash(&bytes, PART);
    let id_of = |url: &str| url.rsplit(':').next().expect("an id").to_owned();

    // A completer that died before S3 joined the parts: while its mark is fresh
    // others are told it is completing; once stale, the next complete finishes.
    let url = client.create(0, "cut/before.bin", bytes.len() as u64).await;
    client.part(1, &url, &bytes, 1).await;
    client.part(2, &url, &bytes, 2).await;
    let key = format!("sessions/{}", id_of(&url));
    let mut session = state_record(&raw, &key).await;
    assert_eq!(session["state"], "open", "{session}");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock")
        .as_millis() as u64;
    session["state"] = "completing".into();
    session["since_ms"] = now_ms.into();
    put_state_record(&raw, &key, &session).await;
    let body = serde_json::json!({ "content_hash": hash })
        .to_string()
        .into_bytes();
    let told = client
        .once(1, Method::POST, &format!("{url}/complete"), body.clone())
        .await;
    assert_eq!(told.status(), StatusCode::CONFLICT);
    session["since_ms"] = 0.into();
    put_state_record(&raw, &key, &session).await;
    let file = client.complete(2, &url, &hash).await;
    assert_eq!(file["content_hash"], hash.as_str());
    assert_eq!(
        hex_sha256(&in_bucket(&raw, "cut/before.bin").await),
        hex_sha256(&bytes)
    );

    // A completer that died after S3 joined the parts, before it recorded so:
    // the next complete asks S3 to join them again (SeaweedFS, like AWS for a
    // while, answers the same object; else the object's content hash is read
    // back and must match) and answers the file.
    let url = client.create(1, "cut/after.bin", bytes.len() as u64).await;
    client.part(2, &url, &bytes, 1).await;
    client.part(0, &url, &bytes, 2).await;
    let id = id_of(&url);
    let key = format!("sessions/{id}");
    let mut session = state_record(&raw, &key).await;
    let mut parts = Vec::new();
    for n in 1..=2 {
        let part = state_record(&raw, &format!("parts/{id}/{n}")).await;
        let etag = part["etag"].as_str().expect("an etag").to_owned();
        parts.push(PartId { content_id: etag });
    }
    let upload = session["upload"]
        .as_str()
        .expect("the upload id")
        .to_owned();
    raw.complete_multipart(&Key::from("team/cut/after.bin"), &upload, parts)
        .await
        .expect("S3 joins the parts");
    session["state"] = "completing".into();
    session["since_ms"] = 0.into();
    put_state_record(&raw, &key, &session).await;
    let file = client.complete(0, &url, &hash).await;
    assert_eq!(file["content_hash"], hash.as_str());
    assert_eq!(file["bytes"], bytes.len());
    assert_eq!(
        hex_sha256(&in_bucket(&raw, "cut/after.bin").await),
        hex_sha256(&bytes)
    );
    let done = state_record(&raw, &key).await;
    assert_eq!(done["state"], "completed", "{done}");

    // S3 no longer knows the upload (joined long ago): the object at the key is
    // this upload's only if its content hash matches; else 412, and the session
    // is failed.
    for (name, stored, status) in [
        ("cut/gone.bin", bytes.clone(), StatusCode::OK),
        (
            "cut/other.bin",
            random_bytes(8, bytes.len()),
            StatusCode::PRECONDITION_FAILED,
        ),
    ] {
        let url = client.create(2, name, bytes.len() as u64).await;
        client.part(0, &url, &bytes, 1).await;
        client.part(1, &url, &bytes, 2).await;
        let key = format!("sessions/{}", id_of(&url));
        let mut session = state_record(&raw, &key).await;
        let upload = session["upload"]
            .as_str()
            .expect("the upload id")
            .to_owned();
        raw.abort_multipart(&Key::from(format!("team/{name}")), &upload)
            .await
            .expect("abort");
        raw.put(
            &Key::from(format!("team/{name}")),
            PutPayload::from(stored.clone()),
        )
        .await
        .expect("put");
        session["state"] = "completing".into();
        session["since_ms"] = 0.into();
        put_state_record(&raw, &key, &session).await;
        let (_, answered, file) = client
            .send(1, Method::POST, &format!("{url}/complete"), &body)
            .await;
        assert_eq!(answered, status, "{name}: {file}");
        let after = state_record(&raw, &key).await;
        let expected = if status == StatusCode::OK {
            "completed"
        } else {
            "failed"
        };
        assert_eq!(after["state"], expected, "{after}");
        assert_eq!(
            hex_sha256(&in_bucket(&raw, name).await),
            hex_sha256(&stored)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequential_completion_cut_short_is_taken_over() {
    use object_store::multipart::MultipartStore;
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (_instances, client) = writable_instances(&cluster.endpoint, &bucket);
    let bytes = random_bytes(31, (1 << 20) + 3);
    // Every byte in and S3's upload gone (a completer died after S3 joined the
    // parts, long ago): the object decides, by its SHA-256.
    for (name, stored, status) in [
        ("seqcut/same.bin", bytes.clone(), StatusCode::OK),
        (
            "seqcut/other.bin",
            random_bytes(32, bytes.len()),
            StatusCode::PRECONDITION_FAILED,
        ),
    ] {
        let create = serde_json::json!({
            "key": name, "bucket": "default", "mime_type": "application/octet-stream",
            "size": bytes.len(),
        });
        let made = client
            .once(
                0,
                Method::POST,
                skiff_protocol::UPLOADS_PATH,
                create.to_string().into_bytes(),
            )
            .await;
        let session: Value = made.json().await.expect("JSON");
        let url = session["url"].as_str().expect("a url").to_owned();
        let (done, file) = append(&client, 1, &url, 0, &bytes).await;
        assert_eq!(done, StatusCode::OK, "{file}");
        let key = format!("sessions/{}", url.rsplit(':').next().expect("an id"));
        let mut session = state_record(&raw, &key).await;
        let upload = session["upload"]
            .as_str()
            .expect("the upload id")
            .to_owned();
        raw.abort_multipart(&Key::from(format!("team/{name}")), &upload)
            .await
            .expect("abort");
        raw.put(
            &Key::from(format!("team/{name}")),
            PutPayload::from(stored.clone()),
        )
        .await
        .expect("put");
        session["state"] = "completing".into();
        session["since_ms"] = 0.into();
        put_state_record(&raw, &key, &session).await;
        let (answered, answer) = append(&client, 2, &url, bytes.len(), &[]).await;
        assert_eq!(answered, status, "{name}: {answer}");
        let after = state_record(&raw, &key).await;
        let expected = if status == StatusCode::OK {
            "completed"
        } else {
            "failed"
        };
        assert_eq!(after["state"], expected, "{after}");
        if status == StatusCode::OK {
            assert_eq!(answer["sha256"], hex_sha256(&bytes).as_str(), "{answer}");
        }
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_sessions_take_chunks_on_any_instance() {
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (mut instances, client) = writable_instances(&cluster.endpoint, &bucket);
    // Two whole 8 MiB S3 parts and a short last one, in 3 MiB chunks.
    let bytes = random_bytes(21, (19 << 20) + 1234);
    let create = |key: &str, sha256: &str| {
        serde_json::json!({
            "key": key, "bucket": "default", "mime_type": "application/octet-stream",
            "size": bytes.len(), "sha256": sha256,
        })
        .to_string()
        .into_bytes()
    };
    let made = client
        .once(
            0,
            Method::POST,
            skiff_protocol::UPLOADS_PATH,
            create("seq/file.bin", &hex_sha256(&bytes)),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let session: Value = made.json().await.expect("JSON");
    let url = session["url"].as_str().expect("a url").to_owned();
    assert_eq!(session["part_size"], Value::Null, "{session}");
    let chunks: Vec<&[u8]> = bytes.chunks(3 << 20).collect();
    let mut offset = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        if i == 2 {
            // The same chunk on two instances at once: one takes it, the other
            // is told the offset moved on (409 with the session).
            let (a, b) = tokio::join!(
                append(&client, i + 1, &url, offset, chunk),
                append(&client, i + 2, &url, offset, chunk),
            );
            let mut statuses = [a.0, b.0];
            statuses.sort();
            assert_eq!(
                statuses,
                [StatusCode::OK, StatusCode::CONFLICT],
                "{} {}",
                a.1,
                b.1
            );
            let told = if a.0 == StatusCode::CONFLICT {
                &a.1
            } else {
                &b.1
            };
            assert_eq!(told["offset"], offset + chunk.len(), "{told}");
        } else {
            let (status, answer) = append(&client, i + 1, &url, offset, chunk).await;
            assert_eq!(status, StatusCode::OK, "chunk {i}: {answer}");
            if last {
                assert_eq!(answer["sha256"], hex_sha256(&bytes).as_str(), "{answer}");
                assert_eq!(answer["bytes"], bytes.len());
            } else {
                assert_eq!(answer["offset"], offset + chunk.len(), "{answer}");
            }
        }
        offset += chunk.len();
    }
    assert_eq!(
        hex_sha256(&in_bucket(&raw, "seq/file.bin").await),
        hex_sha256(&bytes)
    );
    // A retried last chunk learns the outcome again.
    let (status, again) = append(&client, 0, &url, bytes.len(), &[]).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["sha256"], hex_sha256(&bytes).as_str());

    // An instance killed (SIGKILL) midway: the chunks meant for it go to the
    // others, and a client that lost an answer resyncs from the 409's offset.
    let url = {
        let made = client
            .once(
                0,
                Method::POST,
                skiff_protocol::UPLOADS_PATH,
                create("seq/killed.bin", &hex_sha256(&bytes)),
            )
            .await;
        let session: Value = made.json().await.expect("JSON");
        session["url"].as_str().expect("a url").to_owned()
    };
    let mut offset = 0;
    let mut turn = 0;
    let mut victim = Some(instances.remove(1));
    while offset < bytes.len() {
        if offset >= 7 << 20 {
            if let Some(victim) = victim.take() {
                victim.stop();
            }
        }
        let chunk = &bytes[offset..(offset + (3 << 20)).min(bytes.len())];
        turn += 1;
        let (_, status, answer) = client
            .send_with(
                turn,
                Method::POST,
                &url,
                &[("Upload-Offset", offset.to_string())],
                chunk,
            )
            .await;
        match status {
            StatusCode::OK => offset += chunk.len(),
            StatusCode::CONFLICT => {
                offset = usize::try_from(answer["offset"].as_u64().expect("an offset"))
                    .expect("an offset");
            }
            other => panic!("{other}: {answer}"),
        }
        if offset == bytes.len() {
            assert_eq!(answer["sha256"], hex_sha256(&bytes).as_str(), "{answer}");
        }
    }
    assert!(victim.is_none());
    let moved = client.failovers.load(std::sync::atomic::Ordering::SeqCst);
    assert!(moved > 0, "no chunk met the killed instance");
    assert_eq!(
        hex_sha256(&in_bucket(&raw, "seq/killed.bin").await),
        hex_sha256(&bytes)
    );

    // A whole-file SHA-256 that does not match: 460 at the last chunk, nothing placed.
    let made = client
        .once(
            0,
            Method::POST,
            skiff_protocol::UPLOADS_PATH,
            create("seq/wrong.bin", &"0".repeat(64)),
        )
        .await;
    let session: Value = made.json().await.expect("JSON");
    let url = session["url"].as_str().expect("a url").to_owned();
    let mut offset = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        let (status, answer) = append(&client, 2 * (i % 2), &url, offset, chunk).await;
        let expected = if i + 1 == chunks.len() { 460 } else { 200 };
        assert_eq!(status.as_u16(), expected, "chunk {i}: {answer}");
        offset += chunk.len();
    }
    assert!(matches!(
        raw.head(&Key::from("team/seq/wrong.bin")).await,
        Err(object_store::Error::NotFound { .. })
    ));
    let aborted = client.once(2, Method::DELETE, &url, Vec::new()).await;
    drop(instances);
    assert_eq!(aborted.status(), StatusCode::NO_CONTENT);
}
