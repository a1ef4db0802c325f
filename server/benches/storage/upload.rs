//! 1 GiB into the bucket: through skiff-server (`curl -T` → `PUT /MOUNT/big.bin`, which
//! streams the body through `object_store`'s multipart writer) against the same file sent
//! straight to SeaweedFS by a plain multipart client (`object_store`'s `WriteMultipart`,
//! 8 MiB parts, 4 in flight, as `aws s3 cp`'s 8 MiB parts). Rounds alternate which goes
//! first; each object's size is checked in the bucket, then it is deleted. skiff-server's
//! resident memory is sampled meanwhile: nothing may hold a whole file. Each round also
//! sends the file as a parts session (`parts.rs`: what the app does), straight into an
//! S3 multipart upload underneath, against the same direct client.

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use object_store::aws::AmazonS3;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::parts::{parts_upload, IN_FLIGHT, PART as PARTS_PART};
use crate::server::{proc_status_bytes, Skiff};
use crate::support::{median, mib_label, mib_per_s, time_and_rate, GIB, MIB};
use crate::{progress, Row, MOUNT, PREFIX, ROUNDS};

/// The file's size.
pub const BIG: u64 = GIB;
/// The direct client's part size.
const PART: usize = 8 * MIB as usize;
/// The direct client's parts in flight.
const PARTS_IN_FLIGHT: usize = 4;
/// What the direct client reads from the file at once.
const READ_CHUNK: usize = MIB as usize;
/// How often skiff-server's resident memory is read during its uploads.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

pub async fn measure(skiff: &Skiff, s3: &AmazonS3) -> Vec<Row> {
    let sources = tempfile::Builder::new()
        .prefix("skiff-bench-storage-src-")
        .tempdir()
        .expect("a temp folder for the 1 GiB file");
    let big = sources.path().join("big.bin");
    write_big_file(&big);
    let rss_before = skiff.memory("VmRSS");
    let (mut direct, mut through, mut parts) = (Vec::new(), Vec::new(), Vec::new());
    let mut peak_rss = 0;
    for round in 1..=ROUNDS {
        let direct_first = round % 2 == 1;
        for turn in 0..2 {
            if (turn == 0) == direct_first {
                let took = direct_upload(s3, &big).await;
                progress(&format!(
                    "round {round}: direct {}",
                    time_and_rate(BIG, took)
                ));
                direct.push(took);
            } else {
                let (took, rss) = skiff_upload(skiff, s3, &big).await;
                progress(&format!(
                    "round {round}: through skiff-server {}, its RSS peak {}",
                    time_and_rate(BIG, took),
                    mib_label(rss as f64)
                ));
                through.push(took);
                peak_rss = peak_rss.max(rss);
            }
        }
        let took = parts_upload(skiff, s3, &big).await;
        progress(&format!(
            "round {round}: parts session {}",
            time_and_rate(BIG, took)
        ));
        parts.push(took);
    }
    let high_water = skiff.memory("VmHWM");
    let (direct, through, parts) = (median(&direct), median(&through), median(&parts));
    let ratio = mib_per_s(BIG, through) / mib_per_s(BIG, direct);
    let parts_ratio = mib_per_s(BIG, parts) / mib_per_s(BIG, direct);
    vec![
        (
            format!(
                "S3 upload 1 GiB: curl -T → skiff-server → SeaweedFS (one PUT, median of {ROUNDS})"
            ),
            time_and_rate(BIG, through),
        ),
        (
            format!(
                "S3 upload 1 GiB: object_store multipart straight to SeaweedFS \
                 ({} parts, {PARTS_IN_FLIGHT} in flight, median of {ROUNDS})",
                mib_label(PART as f64)
            ),
            time_and_rate(BIG, direct),
        ),
        (
            "S3 upload 1 GiB: through skiff-server vs direct (throughput ratio, goal ≥ 0.8×)"
                .to_owned(),
            format!("{ratio:.2}×"),
        ),
        (
            format!(
                "S3 upload 1 GiB: parts session → skiff-server → S3 multipart upload \
                 ({} parts, {IN_FLIGHT} in flight, median of {ROUNDS})",
                mib_label(PARTS_PART as f64)
            ),
            time_and_rate(BIG, parts),
        ),
        (
            "S3 upload 1 GiB: parts session vs direct (throughput ratio)".to_owned(),
            format!("{parts_ratio:.2}×"),
        ),
        (
            "S3 upload 1 GiB: skiff-server peak RSS during its uploads (VmRSS every 50 ms)"
                .to_owned(),
            format!(
                "{} (before {}, VmHWM {})",
                mib_label(peak_rss as f64),
                mib_label(rss_before as f64),
                mib_label(high_water as f64)
            ),
        ),
    ]
}

/// 1 GiB of pseudo-random bytes (nothing on the way can compress it).
fn write_big_file(path: &Path) {
    use std::io::Write;
    let started = Instant::now();
    let file = std::fs::File::create(path).expect("create the 1 GiB file");
    let mut out = std::io::BufWriter::with_capacity(MIB as usize, file);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; MIB as usize];
    for _ in 0..BIG / MIB {
        for word in block.chunks_exact_mut(8) {
            // xorshift64
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        out.write_all(&block).expect("write the 1 GiB file");
    }
    out.flush().expect("flush the 1 GiB file");
    progress(&format!(
        "wrote {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    ));
}

/// The plain client: the file read in 1 MiB chunks into a multipart upload.
async fn direct_upload(s3: &AmazonS3, big: &Path) -> Duration {
    let key = ObjectPath::from("direct/big.bin");
    let started = Instant::now();
    let upload = s3
        .put_multipart(&key)
        .await
        .expect("start a multipart upload");
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
    let mut file = tokio::fs::File::open(big)
        .await
        .expect("open the 1 GiB file");
    loop {
        let mut chunk = BytesMut::with_capacity(READ_CHUNK);
        while chunk.len() < READ_CHUNK {
            if file
                .read_buf(&mut chunk)
                .await
                .expect("read the 1 GiB file")
                == 0
            {
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .expect("a part uploaded");
        writer.put(chunk.freeze());
    }
    writer
        .finish()
        .await
        .expect("complete the multipart upload");
    let took = started.elapsed();
    check_and_delete(s3, &key).await;
    took
}

/// `curl -T` into the mount; returns the time and skiff-server's peak RSS meanwhile.
async fn skiff_upload(skiff: &Skiff, s3: &AmazonS3, big: &Path) -> (Duration, u64) {
    let url = format!("{}/{MOUNT}/big.bin", skiff.url);
    let sampling = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (sampling, peak, pid) = (Arc::clone(&sampling), Arc::clone(&peak), skiff.pid);
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                if let Some(rss) = proc_status_bytes(&status, "VmRSS") {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        })
    };
    let started = Instant::now();
    let output = tokio::process::Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--fail-with-body",
            "-o",
            "/dev/null",
        ])
        .args(["-w", "%{http_code}", "-H", "Expect:"])
        .args(["-H", &format!("Authorization: {}", skiff.bearer())])
        .arg("-T")
        .arg(big)
        .arg(&url)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run curl");
    let took = started.elapsed();
    sampling.store(false, Ordering::Relaxed);
    sampler.join().expect("the memory sampler");
    let code = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && code == "201",
        "curl -T {url}: HTTP {code}, {}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_and_delete(s3, &ObjectPath::from(format!("{PREFIX}/big.bin"))).await;
    (took, peak.load(Ordering::Relaxed))
}

/// The object at `key` has the file's size; then it goes, so every round starts alike.
pub async fn check_and_delete(s3: &AmazonS3, key: &ObjectPath) {
    let meta = s3.head(key).await.expect("HEAD the uploaded object");
    assert_eq!(meta.size, BIG, "{key} in the bucket has the wrong size");
    s3.delete(key).await.expect("delete the uploaded object");
}
