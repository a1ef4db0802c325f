//! Several skiff-server instances serving one bucket of a real SeaweedFS cluster
//! (`common::seaweed_cluster`: a master, three volume servers with replication
//! `001`, a filer with its S3 gateway), as a team behind a load balancer would
//! run them (issue 13). So far an `s3://` root is read-only (docs/design/
//! scale-out.md), so this proves what that gives: every instance serves the same
//! tree and sees a change made in the bucket at its next listing; a link signed
//! by one instance opens on the others, also after that instance is killed.

mod common;

use bytes::Bytes;
use common::client;
use common::logged::LoggedServer;
use common::s3_root::command;
use common::seaweed::SECRET_KEY;
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload};
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
