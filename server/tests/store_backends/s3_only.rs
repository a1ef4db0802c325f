//! What only S3 has: credentials, buckets and endpoints that the probe names in
//! words, keys readable in the bucket, a prefix.

use skiff_server::store::s3::S3Store;
use skiff_server::store::{Store, StoreError};

use crate::common::seaweed::{client, fresh_bucket, start_in, unreachable_endpoint};
use crate::common::tmpfs::Tmpfs;
use crate::fixtures::{key, listing, put, read, spec};

#[tokio::test]
async fn s3_probe_names_bad_credentials() {
    let (bucket, seaweed) = fresh_bucket().await;
    let mut spec = spec(&bucket, &seaweed.endpoint);
    spec.secret_access_key = Some("not-the-secret".to_owned());
    let store = S3Store::connect(&spec).expect("connect");
    assert!(
        !format!("{store:?}").contains("not-the-secret"),
        "Debug hides the secret"
    );
    match store.probe().await {
        Err(StoreError::Denied(words)) => {
            assert!(!words.contains("not-the-secret"), "{words}");
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    spec.access_key_id = Some("no-such-key".to_owned());
    let store = S3Store::connect(&spec).expect("connect");
    assert!(matches!(store.probe().await, Err(StoreError::Denied(_))));
}

#[tokio::test]
async fn s3_probe_names_a_missing_bucket() {
    let (_, seaweed) = fresh_bucket().await;
    let store = S3Store::connect(&spec("no-such-bucket", &seaweed.endpoint)).expect("connect");
    match store.probe().await {
        Err(StoreError::Unavailable(words)) => {
            assert!(
                words.contains("no bucket named \"no-such-bucket\""),
                "{words}"
            )
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn s3_probe_names_an_unreachable_endpoint() {
    let endpoint = unreachable_endpoint();
    let store = S3Store::connect(&spec("any", &endpoint)).expect("connect");
    let started = std::time::Instant::now();
    match store.probe().await {
        Err(StoreError::Unavailable(words)) => {
            assert_eq!(words, format!("cannot reach {endpoint}"))
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(started.elapsed().as_secs() < 30, "says so in seconds");
}

#[tokio::test]
async fn s3_keys_are_readable_in_the_bucket_and_under_a_prefix() {
    let (bucket, seaweed) = fresh_bucket().await;
    let mut prefixed = spec(&bucket, &seaweed.endpoint);
    prefixed.prefix = "tenant/one".to_owned();
    let store = S3Store::connect(&prefixed).expect("connect");
    put(&store, "50% off #1.txt", b"deal").await;
    store.mkdir(&key("empty")).await.expect("mkdir");
    // Seen from the whole bucket: the prefix, then the names as they are.
    let whole = S3Store::connect(&spec(&bucket, &seaweed.endpoint)).expect("connect");
    assert_eq!(
        listing(&whole, "tenant/one", 10).await,
        ["50% off #1.txt", "empty/"]
    );
    assert_eq!(
        read(&whole, "tenant/one/50% off #1.txt", None).await,
        b"deal"
    );
    assert!(listing(&whole, "tenant/one/empty", 10).await.is_empty());
}

/// CI's disk once had ~400 MiB free: `weed mini` then sized itself for 6
/// volumes, one per bucket, and the 6th bucket's first PUT was a 500, failing
/// every S3 suite that came late. The harness now fixes the volume count.
#[tokio::test]
async fn the_test_seaweedfs_takes_many_buckets_on_a_nearly_full_disk() {
    use object_store::{ObjectStoreExt, PutPayload};
    let dir = tempfile::tempdir().expect("temp dir");
    let _tmpfs = Tmpfs::mount(dir.path(), "400m");
    let seaweed = start_in(dir).await;
    for n in 0..12 {
        let bucket = seaweed.new_bucket().await;
        let path = object_store::path::Path::from("probe.txt");
        let store = client(&seaweed.endpoint, &bucket);
        store
            .put(&path, PutPayload::from_static(b"fits"))
            .await
            .unwrap_or_else(|error| panic!("bucket {n} ({bucket}): {error}"));
    }
}
