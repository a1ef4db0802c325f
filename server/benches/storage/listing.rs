//! A folder of 10,000 objects of 10 B (written straight into the bucket, concurrently,
//! once), listed through skiff-server (RFSAPI `GET /MOUNT/many/`: the whole JSON body
//! read, parsed, and its entries counted) against a direct ListObjectsV2 walk of that
//! prefix with a delimiter, every page (`list_with_delimiter`). One warm-up each, then
//! interleaved rounds.

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use skiff_protocol::{FilesetData, RFSAPI_HEADER};

use crate::server::Skiff;
use crate::support::{median, thousands};
use crate::{progress, Row, MOUNT, PREFIX, ROUNDS};

/// Objects in the folder.
const OBJECTS: usize = 10_000;
/// Objects written at once while filling it.
const WRITERS: usize = 32;
/// Upper bound for one listing, body included.
const LISTING_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn measure(skiff: &Skiff, s3: &AmazonS3) -> Vec<Row> {
    fill(s3).await;
    let http = reqwest::Client::builder()
        .timeout(LISTING_TIMEOUT)
        .build()
        .expect("an HTTP client");
    let url = format!("{}/{MOUNT}/many/", skiff.url);
    let prefix = ObjectPath::from(format!("{PREFIX}/many"));
    through_skiff(&http, skiff, &url).await;
    direct_walk(s3, &prefix).await;
    let (mut through, mut direct) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let (a, b) = if round % 2 == 1 {
            let a = through_skiff(&http, skiff, &url).await;
            (a, direct_walk(s3, &prefix).await)
        } else {
            let b = direct_walk(s3, &prefix).await;
            (through_skiff(&http, skiff, &url).await, b)
        };
        progress(&format!(
            "round {round}: listing through skiff-server {}, direct walk {}",
            ms(a),
            ms(b)
        ));
        through.push(a);
        direct.push(b);
    }
    let (through, direct) = (median(&through), median(&direct));
    let count = thousands(OBJECTS);
    vec![
        (
            format!(
                "S3 listing, {count} objects: RFSAPI through skiff-server, body parsed \
                 (median of {ROUNDS})"
            ),
            ms(through),
        ),
        (
            format!(
                "S3 listing, {count} objects: ListObjectsV2 walk straight to SeaweedFS, \
                 every page (median of {ROUNDS})"
            ),
            ms(direct),
        ),
        (
            format!("S3 listing, {count} objects: through skiff-server vs direct (time ratio, goal ≤ 1.5×)"),
            format!("{:.2}×", through.as_secs_f64() / direct.as_secs_f64()),
        ),
    ]
}

/// Writes the 10,000 objects, `WRITERS` at a time.
async fn fill(s3: &AmazonS3) {
    let started = Instant::now();
    stream::iter(0..OBJECTS)
        .map(|index| async move {
            let key = ObjectPath::from(format!("{PREFIX}/many/file-{index:05}.txt"));
            s3.put(&key, PutPayload::from(format!("{index:09}\n")))
                .await
                .map(|_| ())
        })
        .buffer_unordered(WRITERS)
        .try_collect::<()>()
        .await
        .expect("write the 10,000 objects");
    progress(&format!(
        "wrote {} objects of 10 B in {:.1} s",
        thousands(OBJECTS),
        started.elapsed().as_secs_f64()
    ));
}

/// The whole RFSAPI listing, parsed; its entries must be the 10,000 files.
async fn through_skiff(http: &reqwest::Client, skiff: &Skiff, url: &str) -> Duration {
    let started = Instant::now();
    let response = http
        .get(url)
        .header("authorization", skiff.bearer())
        .header(RFSAPI_HEADER, "1")
        .send()
        .await
        .expect("RFSAPI GET of the folder");
    assert_eq!(response.status(), 200, "RFSAPI GET {url}");
    let body = response.bytes().await.expect("the listing's body");
    let listing: FilesetData = serde_json::from_slice(&body).expect("the listing's JSON");
    let took = started.elapsed();
    let files = listing.files.iter().filter(|entry| entry.is_file).count();
    assert_eq!(
        (files, listing.files.len()),
        (OBJECTS, OBJECTS),
        "the RFSAPI listing of {url} has the wrong entries"
    );
    took
}

/// Every page of a delimited listing of `prefix`; it must hold the 10,000 objects.
async fn direct_walk(s3: &AmazonS3, prefix: &ObjectPath) -> Duration {
    let started = Instant::now();
    let listed = s3
        .list_with_delimiter(Some(prefix))
        .await
        .expect("ListObjectsV2 of the folder");
    let took = started.elapsed();
    assert_eq!(
        (listed.objects.len(), listed.common_prefixes.len()),
        (OBJECTS, 0),
        "the direct listing of {prefix} has the wrong entries"
    );
    took
}

fn ms(time: Duration) -> String {
    format!("{:.1} ms", time.as_secs_f64() * 1000.0)
}
