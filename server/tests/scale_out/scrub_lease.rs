//! The background scrub of an `s3://` ROOT runs on one instance at a time,
//! under the lease `leases/scrub` (docs/design/scale-out.md), and moves to
//! another instance when its holder is killed. With a 3 s lease (the test-only
//! knobs `SKIFF_TEST_SCRUB_LEASE_MS`, `SKIFF_TEST_SCRUB_EVERY_MS`): one holder
//! all along, whose passes remove an old folder claim and the part record of a
//! session that is gone, and keep a fresh claim and a live session's part; once
//! the holder dies with SIGKILL, another instance holds the lease within the
//! lease's length (plus a try) and its passes go on.

use std::time::{Duration, Instant};

use object_store::aws::AmazonS3;
use object_store::path::Path as Key;
use object_store::ObjectStoreExt;
use serde_json::{json, Value};

use super::common::logged::LoggedServer;
use super::common::s3_root::command;
use super::rotation::{random_bytes, Rotation, PART};
use super::{put_state_record, WRITER};

const LEASE_MS: u64 = 3_000;

fn instances(endpoint: &str, bucket: &str) -> Vec<LoggedServer> {
    let root = format!("s3://{bucket}/team");
    let token = format!("writer:{WRITER}:rw");
    (0..3)
        .map(|_| {
            let mut command = command(endpoint, &root, &["--writable", "--token", &token]);
            command.env("SKIFF_TEST_SCRUB_LEASE_MS", LEASE_MS.to_string());
            command.env("SKIFF_TEST_SCRUB_EVERY_MS", "300");
            LoggedServer::start(command)
        })
        .collect()
}

/// Record `KEY` as JSON, if it is there.
async fn record(raw: &AmazonS3, key: &str) -> Option<Value> {
    let got = raw
        .get(&Key::from(format!("team/.skiff/state/{key}")))
        .await
        .ok()?;
    serde_json::from_slice(&got.bytes().await.ok()?).ok()
}

/// The pid in a holder's name (`PID-UUID`).
fn pid_of(holder: &Value) -> u32 {
    let holder = holder.as_str().expect("a holder");
    holder
        .split('-')
        .next()
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("a holder named by its pid: {holder}"))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as u64
}

/// Waits (at most `limit`) until `done` holds of the records.
async fn until<F, Fut>(limit: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scrub_runs_on_one_instance_and_survives_its_death() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = super::common::seaweed::client(&cluster.endpoint, &bucket);
    let servers = instances(&cluster.endpoint, &bucket);
    let urls = servers.iter().map(|server| server.url("")).collect();
    let client = Rotation::new(urls, WRITER);

    // A live session with one part in, and what a pass must and must not remove.
    let url = client.create(0, "live.bin", 2 * PART).await;
    client
        .part(1, &url, &random_bytes(3, PART as usize), 1)
        .await;
    let id = url
        .rsplit("session:")
        .next()
        .expect("a session id")
        .to_owned();
    let old = now_ms() - 20 * 60 * 1000;
    let claim = |at_ms| json!({ "what": "x", "holder": "h", "state": "made", "at_ms": at_ms });
    put_state_record(
        &raw,
        "claims/folder/0123456789abcdef0123456789abcdef",
        &claim(old),
    )
    .await;
    put_state_record(
        &raw,
        "claims/folder/fedcba9876543210fedcba9876543210",
        &claim(now_ms()),
    )
    .await;
    let orphan = "parts/00000000000000000000000000000000/1";
    put_state_record(&raw, orphan, &json!({ "len": 1 })).await;

    let limit = Duration::from_millis(LEASE_MS * 4);
    until(limit, "the first pass", || async {
        record(&raw, orphan).await.is_none()
    })
    .await;
    assert!(
        record(&raw, "claims/folder/0123456789abcdef0123456789abcdef")
            .await
            .is_none()
    );
    assert!(
        record(&raw, "claims/folder/fedcba9876543210fedcba9876543210")
            .await
            .is_some()
    );
    assert!(
        record(&raw, &format!("parts/{id}/1")).await.is_some(),
        "a live part"
    );
    assert!(
        record(&raw, &format!("sessions/{id}")).await.is_some(),
        "a live session"
    );

    // One holder all along, making pass after pass.
    let lease = record(&raw, "leases/scrub").await.expect("the lease");
    let holder = lease["holder"].clone();
    let first = record(&raw, "scrub/last").await.expect("a pass");
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = record(&raw, "leases/scrub").await.expect("the lease");
        assert_eq!(now["holder"], holder, "the lease changed hands");
        let last = record(&raw, "scrub/last").await.expect("a pass");
        assert_eq!(last["holder"], holder, "another instance scrubbed: {last}");
    }
    let later = record(&raw, "scrub/last").await.expect("a pass");
    assert!(
        later["passes"].as_u64() > first["passes"].as_u64(),
        "{first} then {later}"
    );

    // The holder dies; another instance takes the scrub over within the lease.
    let pid = pid_of(&holder);
    let (victim, others): (Vec<_>, Vec<_>) =
        servers.into_iter().partition(|server| server.pid() == pid);
    let victim = victim
        .into_iter()
        .next()
        .expect("the holder is one of ours");
    let _ = victim.stop(); // SIGKILL
    let killed = Instant::now();
    let live: Vec<u32> = others.iter().map(LoggedServer::pid).collect();
    let another = "parts/11111111111111111111111111111111/1";
    put_state_record(&raw, another, &json!({ "len": 1 })).await;
    until(limit, "a takeover", || async {
        let lease = record(&raw, "leases/scrub").await.expect("the lease");
        lease["holder"] != holder && live.contains(&pid_of(&lease["holder"]))
    })
    .await;
    let took = killed.elapsed();
    assert!(
        took <= Duration::from_millis(LEASE_MS + LEASE_MS / 3 + 3_000),
        "taken over after {took:?}"
    );
    until(limit, "a pass by the new holder", || async {
        record(&raw, another).await.is_none()
    })
    .await;
    // The pass writes `scrub/last` after its removals: wait for the new holder's.
    until(limit, "the new holder's pass recorded", || async {
        record(&raw, "scrub/last")
            .await
            .is_some_and(|last| last["holder"] != holder)
    })
    .await;
    assert!(
        record(&raw, &format!("parts/{id}/1")).await.is_some(),
        "a live part"
    );
}
