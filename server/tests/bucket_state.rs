//! The server's own records in a bucket (`skiff_server::bucket_state`, issue 13),
//! against a real S3 server (SeaweedFS): writers racing on one record have
//! exactly one winner and the loser is told; merges from many writers lose no
//! update; a lease has one holder at a time and passes on when released or
//! expired; a claim has one winner, made or stale ones are won again by one;
//! and the startup check passes on SeaweedFS but refuses an endpoint
//! that answers conditional writes without enforcing them (SeaweedFS behind a
//! proxy that turns its `412 Precondition Failed` into `200 OK`, which is what
//! such an endpoint answers).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use skiff_server::bucket_state::{BucketState, Claim, ClaimState};
use skiff_server::store::s3::{S3Spec, S3Store};
use skiff_server::store::StoreError;

use common::seaweed::{fresh_bucket, unreachable_endpoint, ACCESS_KEY, REGION, SECRET_KEY};

fn spec(bucket: &str, endpoint: &str, prefix: &str) -> S3Spec {
    let url = if prefix.is_empty() {
        format!("s3://{bucket}")
    } else {
        format!("s3://{bucket}/{prefix}")
    };
    let mut spec = S3Spec::from_url(&url).expect("valid URL");
    spec.endpoint = Some(endpoint.to_owned());
    spec.region = REGION.to_owned();
    spec.access_key_id = Some(ACCESS_KEY.to_owned());
    spec.secret_access_key = Some(SECRET_KEY.to_owned());
    spec.allow_http = true;
    spec
}

/// The records of a fresh bucket (under a prefix, as an `s3://bucket/prefix` root has).
async fn state() -> (BucketState, S3Spec) {
    let (bucket, seaweed) = fresh_bucket().await;
    let spec = spec(&bucket, &seaweed.endpoint, "team/files");
    let store = S3Store::connect(&spec).expect("connect");
    (BucketState::open(&store), spec)
}

/// A second instance's view of the same bucket: its own client.
fn other_instance(spec: &S3Spec) -> BucketState {
    BucketState::open(&S3Store::connect(spec).expect("connect"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_writers_creating_one_record_have_one_winner() {
    let (state, spec) = state().await;
    let writers: Vec<_> = (0..16)
        .map(|n| {
            let state = if n % 2 == 0 {
                state.clone()
            } else {
                other_instance(&spec)
            };
            tokio::spawn(async move {
                let bytes = format!("writer {n}").into_bytes();
                (n, state.create("sessions/one", bytes).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for writer in writers {
        let (n, outcome) = writer.await.expect("writer task");
        match outcome {
            Ok(_) => winners.push(n),
            Err(StoreError::Exists) => {}
            Err(other) => panic!("writer {n}: {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let record = state
        .get("sessions/one")
        .await
        .expect("get")
        .expect("record");
    assert_eq!(
        record.bytes.as_ref(),
        format!("writer {}", winners[0]).as_bytes()
    );
    // The record sits under the prefix's `.skiff/state/`, out of the tree's way.
    let (bucket, endpoint) = (&spec.bucket, spec.endpoint.as_deref().unwrap_or_default());
    let raw = common::seaweed::client(endpoint, bucket);
    let path = object_store::path::Path::from("team/files/.skiff/state/sessions/one");
    use object_store::ObjectStoreExt;
    raw.head(&path).await.expect("the record's object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replace_must_name_the_version_it_read() {
    let (state, spec) = state().await;
    let first = state.create("ids/a", b"1".to_vec()).await.expect("create");
    let second = state
        .replace("ids/a", b"2".to_vec(), &first)
        .await
        .expect("replace at the version read");
    let other = other_instance(&spec);
    assert!(matches!(
        other.replace("ids/a", b"3".to_vec(), &first).await,
        Err(StoreError::Precondition)
    ));
    assert_eq!(
        state
            .get("ids/a")
            .await
            .expect("get")
            .expect("record")
            .bytes
            .as_ref(),
        b"2"
    );
    state.remove("ids/a").await.expect("remove");
    state.remove("ids/a").await.expect("removing twice is fine");
    assert!(matches!(
        state.replace("ids/a", b"4".to_vec(), &second).await,
        Err(StoreError::Precondition)
    ));
    assert!(state.get("ids/a").await.expect("get").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merges_from_many_writers_lose_no_update() {
    let (state, spec) = state().await;
    let writers: Vec<_> = (0..8)
        .map(|n| {
            let state = if n % 2 == 0 {
                state.clone()
            } else {
                other_instance(&spec)
            };
            tokio::spawn(async move {
                for round in 0..4 {
                    let key = format!("w{n}r{round}");
                    let merged = state
                        .update("metadata/shared", |current| {
                            let mut fields: BTreeMap<String, u32> = current
                                .map(|bytes| serde_json::from_slice(bytes).expect("JSON record"))
                                .unwrap_or_default();
                            fields.insert(key.clone(), n);
                            Ok::<_, ()>(Some(serde_json::to_vec(&fields).expect("JSON")))
                        })
                        .await
                        .expect("the update lands");
                    assert!(merged.is_ok());
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer task");
    }
    let record = state
        .get("metadata/shared")
        .await
        .expect("get")
        .expect("record");
    let fields: BTreeMap<String, u32> = serde_json::from_slice(&record.bytes).expect("JSON");
    assert_eq!(fields.len(), 32, "every writer's every field: {fields:?}");
    // A change that says "nothing to do" writes nothing, and its error ends the update.
    let before = state
        .get("metadata/shared")
        .await
        .expect("get")
        .expect("record");
    let left = state
        .update("metadata/shared", |_| Ok::<_, ()>(None))
        .await
        .expect("update");
    assert_eq!(left.expect("no error").expect("bytes"), before.bytes);
    let refused = state
        .update("metadata/shared", |_| {
            Err::<Option<Vec<u8>>, _>("no such field")
        })
        .await
        .expect("update");
    assert_eq!(refused, Err("no such field"));
    let after = state
        .get("metadata/shared")
        .await
        .expect("get")
        .expect("record");
    assert_eq!(after.version, before.version, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_has_one_holder_and_passes_on() {
    let (a, spec) = state().await;
    let b = other_instance(&spec);
    let ttl = Duration::from_secs(30);
    let (taken_a, taken_b) = tokio::join!(
        a.acquire("scrub", "instance-a", ttl),
        b.acquire("scrub", "instance-b", ttl)
    );
    let (taken_a, taken_b) = (taken_a.expect("acquire"), taken_b.expect("acquire"));
    assert!(
        taken_a.is_some() != taken_b.is_some(),
        "exactly one holder: a {taken_a:?}, b {taken_b:?}"
    );
    let (holder, mut lease, waiting, waiting_name) = match (taken_a, taken_b) {
        (Some(lease), None) => (a.clone(), lease, b.clone(), "instance-b"),
        (None, Some(lease)) => (b.clone(), lease, a.clone(), "instance-a"),
        _ => unreachable!(),
    };
    assert!(waiting
        .acquire("scrub", waiting_name, ttl)
        .await
        .expect("acquire")
        .is_none());
    holder
        .renew(&mut lease, ttl)
        .await
        .expect("the holder renews");
    holder.release(lease).await.expect("release");
    let mut taken = waiting
        .acquire("scrub", waiting_name, Duration::from_millis(800))
        .await
        .expect("acquire")
        .expect("a released lease is free at once");
    assert_eq!(
        waiting
            .lease_record("scrub")
            .await
            .expect("read")
            .expect("record")
            .holder,
        waiting_name
    );
    // The new holder dies (stops renewing): once it expires, another takes over,
    // and the dead one's late renewal is refused.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let other_name = if waiting_name == "instance-a" {
        "instance-b"
    } else {
        "instance-a"
    };
    let takeover = holder
        .acquire("scrub", other_name, ttl)
        .await
        .expect("acquire")
        .expect("an expired lease is taken over");
    assert!(matches!(
        waiting.renew(&mut taken, ttl).await,
        Err(StoreError::Precondition)
    ));
    assert_eq!(
        holder
            .lease_record("scrub")
            .await
            .expect("read")
            .expect("record")
            .holder,
        other_name
    );
    holder.release(takeover).await.expect("release");
}

/// Sixteen claimants of `key` at once (half through another instance), none
/// finishing: the claims won.
async fn claimants(state: &BucketState, spec: &S3Spec, key: &str) -> Vec<Claim> {
    let tries: Vec<_> = (0..16)
        .map(|n| {
            let state = if n % 2 == 0 {
                state.clone()
            } else {
                other_instance(spec)
            };
            let key = key.to_owned();
            tokio::spawn(async move {
                let holder = format!("claimant {n}");
                let minute = Duration::from_secs(60);
                state
                    .claim(&key, "a/b", &holder, minute)
                    .await
                    .expect("claim")
            })
        })
        .collect();
    let mut won = Vec::new();
    for attempt in tries {
        won.extend(attempt.await.expect("join"));
    }
    won
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_has_one_winner_and_is_won_again_once_made_or_stale() {
    let (state, spec) = state().await;
    let key = "claims/folder/0123456789abcdef";
    // A new claim: one winner; while it works, nobody else wins it.
    let mut won = claimants(&state, &spec, key).await;
    assert_eq!(won.len(), 1);
    let made = won.pop().expect("a winner");
    assert!(claimants(&state, &spec, key).await.is_empty());
    // Made (and its thing gone again, as the caller checks): one winner again.
    state.finish_claim(made).await.expect("finish");
    let record = state
        .claim_record(key)
        .await
        .expect("read")
        .expect("a claim");
    assert_eq!(record.state, ClaimState::Made);
    let mut won = claimants(&state, &spec, key).await;
    assert_eq!(won.len(), 1);
    let dead = won.pop().expect("a winner");
    // A maker taken for dead (its claim older than `stale`) loses it to the
    // next claimant, and its late finish changes nothing.
    let other = other_instance(&spec);
    let taken = other
        .claim(key, "a/b", "next", Duration::ZERO)
        .await
        .expect("claim");
    assert!(taken.is_some(), "a stale claim is won");
    let record = state
        .claim_record(key)
        .await
        .expect("read")
        .expect("a claim");
    assert_eq!(
        (record.holder.as_str(), record.state),
        ("next", ClaimState::Making)
    );
    state
        .finish_claim(dead)
        .await
        .expect("a lost claim's finish is fine");
    assert_eq!(state.claim_record(key).await.expect("read"), Some(record));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_keys_are_plain_names() {
    let (state, _spec) = state().await;
    for bad in [
        "",
        "../x",
        "a//b",
        "a/./b",
        "a b",
        "sessions/../../escape",
        "/abs",
    ] {
        assert!(
            matches!(state.get(bad).await, Err(StoreError::WrongKind(_))),
            "{bad:?} was accepted"
        );
        assert!(matches!(
            state.create(bad, b"x".to_vec()).await,
            Err(StoreError::WrongKind(_))
        ));
    }
    state.create("a/b", b"1".to_vec()).await.expect("create");
    state.create("a/c/d", b"2".to_vec()).await.expect("create");
    state.create("ab", b"3".to_vec()).await.expect("create");
    assert_eq!(state.list("a").await.expect("list"), ["a/b", "a/c/d"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_startup_check_passes_where_conditions_are_enforced() {
    let (state, _spec) = state().await;
    state
        .check_conditional_writes()
        .await
        .expect("SeaweedFS enforces them");
    assert!(
        state.list("probe").await.expect("list").is_empty(),
        "the probe record is removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_startup_check_refuses_an_endpoint_that_ignores_conditions() {
    let (bucket, seaweed) = fresh_bucket().await;
    let proxy = common::conditions_ignored::proxy(&seaweed.endpoint).await;
    let state = BucketState::open(&S3Store::connect(&spec(&bucket, &proxy, "")).expect("connect"));
    let error = state
        .check_conditional_writes()
        .await
        .expect_err("an endpoint that ignores If-None-Match is refused");
    let words = error.to_string();
    assert!(
        words.contains("does not enforce conditional writes") && words.contains(&bucket),
        "{words}"
    );
    assert!(state.list("probe").await.expect("list").is_empty());

    let nowhere = BucketState::open(
        &S3Store::connect(&spec(&bucket, &unreachable_endpoint(), "")).expect("connect"),
    );
    let error = nowhere
        .check_conditional_writes()
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("cannot reach"), "{error}");
}
