//! 1 GiB into the bucket as a §2.1 parts session through skiff-server, as the app sends a
//! big file: 8 MiB parts, 4 in flight, each read from the file and `PUT` to
//! `{session}/parts/N`, then `complete`. Every part goes straight into the session's S3
//! multipart upload (issue 11), so this is the row to hold against the direct multipart
//! client with the same part size and parallelism.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3;
use object_store::path::Path as ObjectPath;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::server::Skiff;
use crate::support::MIB;
use crate::upload::{check_and_delete, BIG};
use crate::PREFIX;

/// The session's part size.
pub const PART: u64 = 8 * MIB;
/// Parts in flight.
pub const IN_FLIGHT: usize = 4;
/// The storage's name: its upload bucket (`server.rs` mounts it so).
const BUCKET: &str = "s3-bench";

/// Sends `big` as a parts session into the mount; returns the time from create to
/// the completed file.
pub async fn parts_upload(skiff: &Skiff, s3: &AmazonS3, big: &Path) -> Duration {
    let client = reqwest::Client::new();
    let bearer = skiff.bearer();
    let started = Instant::now();
    let created = client
        .post(format!("{}/.skiff/v1/files", skiff.url))
        .header("authorization", &bearer)
        .json(&serde_json::json!({
            "key": "parts.bin", "bucket": BUCKET, "mime_type": "application/octet-stream",
            "size": BIG, "part_size": PART,
        }))
        .send()
        .await
        .expect("create the parts session");
    assert_eq!(created.status(), 201, "create the parts session");
    let session: serde_json::Value = created.json().await.expect("the session object");
    let url = format!(
        "{}{}",
        skiff.url,
        session["url"].as_str().expect("the session's url")
    );
    let count = BIG.div_ceil(PART);
    futures_util::stream::iter(1..=count)
        .map(|n| {
            let (client, bearer, url) = (&client, &bearer, &url);
            async move {
                let body = read_part(big, n).await;
                let answer = client
                    .put(format!("{url}/parts/{n}"))
                    .header("authorization", bearer)
                    .body(body)
                    .send()
                    .await?;
                assert_eq!(answer.status(), 200, "part {n}");
                Ok::<_, reqwest::Error>(())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<()>()
        .await
        .expect("every part sent");
    let done = client
        .post(format!("{url}/complete"))
        .header("authorization", &bearer)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("complete the session");
    assert_eq!(done.status(), 200, "complete the session");
    let took = started.elapsed();
    check_and_delete(s3, &ObjectPath::from(format!("{PREFIX}/parts.bin"))).await;
    took
}

/// Part `n` (1-based) of the file.
async fn read_part(big: &Path, n: u64) -> Vec<u8> {
    let mut file = tokio::fs::File::open(big)
        .await
        .expect("open the 1 GiB file");
    let start = (n - 1) * PART;
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .expect("seek to the part");
    let len = PART.min(BIG - start) as usize;
    let mut part = vec![0; len];
    file.read_exact(&mut part).await.expect("read the part");
    part
}
