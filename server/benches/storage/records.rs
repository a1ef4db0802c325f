//! The server's shared records (`skiff_server::bucket_state`, issue 13) on SeaweedFS:
//! what one conditional read or write costs, next to a plain S3 `GET`/`PUT` of the
//! same 200 bytes by the same client library, so the scale-out design can count
//! requests (a path walked per request, a record per folder) with real numbers.
//! Sequential calls, medians of [`CALLS`]; and 8 writers merging into one record
//! at once (the contended case), in merges per second.

use std::time::{Duration, Instant};

use bytes::Bytes;
use object_store::aws::AmazonS3;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use skiff_server::bucket_state::BucketState;
use skiff_server::store::s3::{S3Spec, S3Store};

use crate::seaweed::{ACCESS_KEY, REGION, SECRET_KEY};
use crate::Row;

/// Calls per measured operation.
const CALLS: usize = 200;
/// Concurrent writers merging into one record.
const WRITERS: usize = 8;
/// Merges each writer makes.
const MERGES: usize = 25;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

async fn timed<F, Fut>(mut call: F) -> Duration
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(CALLS);
    for n in 0..CALLS {
        let started = Instant::now();
        call(n).await;
        samples.push(started.elapsed());
    }
    median(samples)
}

/// Measures records against plain requests in `bucket` at `endpoint`.
pub async fn measure(endpoint: &str, bucket: &str, s3: &AmazonS3) -> Vec<Row> {
    let mut spec = S3Spec::from_url(&format!("s3://{bucket}/records")).expect("a valid URL");
    spec.endpoint = Some(endpoint.to_owned());
    spec.region = REGION.to_owned();
    spec.access_key_id = Some(ACCESS_KEY.to_owned());
    spec.secret_access_key = Some(SECRET_KEY.to_owned());
    spec.allow_http = true;
    let state = BucketState::open(&S3Store::connect(&spec).expect("connect"));
    let body = vec![b'x'; 200];

    let plain_put = timed(|n| {
        let body = Bytes::from(body.clone());
        async move {
            s3.put(&Path::from(format!("plain/{n}")), PutPayload::from(body))
                .await
                .expect("plain PUT");
        }
    })
    .await;
    let plain_get = timed(|n| async move {
        s3.get(&Path::from(format!("plain/{n}")))
            .await
            .expect("plain GET")
            .bytes()
            .await
            .expect("bytes");
    })
    .await;
    let create = timed(|n| {
        let (state, body) = (&state, body.clone());
        async move {
            state
                .create(&format!("bench/{n}"), body)
                .await
                .expect("create");
        }
    })
    .await;
    let get = timed(|n| {
        let state = &state;
        async move {
            state
                .get(&format!("bench/{n}"))
                .await
                .expect("get")
                .expect("a record");
        }
    })
    .await;
    let replace = timed(|n| {
        let (state, body) = (&state, body.clone());
        async move {
            let key = format!("bench/{n}");
            let record = state.get(&key).await.expect("get").expect("a record");
            state
                .replace(&key, body, &record.version)
                .await
                .expect("replace");
        }
    })
    .await;

    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let state = state.clone();
            tokio::spawn(async move {
                for merge in 0..MERGES {
                    state
                        .update("bench/contended", |current| {
                            let mut text = current
                                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                                .unwrap_or_default();
                            text.push_str(&format!("{writer}.{merge};"));
                            Ok::<_, ()>(Some(text.into_bytes()))
                        })
                        .await
                        .expect("the merge lands")
                        .expect("no refusal");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("a writer");
    }
    let contended = started.elapsed();
    let merged = state
        .get("bench/contended")
        .await
        .expect("get")
        .expect("the record");
    let count = String::from_utf8_lossy(&merged.bytes).matches(';').count();
    assert_eq!(count, WRITERS * MERGES, "a merge was lost");
    let rate = count as f64 / contended.as_secs_f64();

    let ratio = |record: Duration, plain: Duration| {
        format!("{:.2}×", record.as_secs_f64() / plain.as_secs_f64())
    };
    vec![
        (
            format!("records: plain S3 PUT / GET of 200 B, same client (median of {CALLS})"),
            format!("{} / {}", ms(plain_put), ms(plain_get)),
        ),
        (
            format!("records: create (If-None-Match: *) / get (median of {CALLS})"),
            format!(
                "{} / {} ({} / {} the plain request)",
                ms(create),
                ms(get),
                ratio(create, plain_put),
                ratio(get, plain_get)
            ),
        ),
        (
            format!("records: read then replace (If-Match) (median of {CALLS})"),
            ms(replace),
        ),
        (
            format!("records: {WRITERS} writers merging {MERGES} times each into one record"),
            format!(
                "{rate:.0} merges/s, none lost ({:.1} s)",
                contended.as_secs_f64()
            ),
        ),
    ]
}
