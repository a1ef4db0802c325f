//! Crash safety of upload sessions (PROTOCOL.md §2): a client uploads a 32 MiB
//! file in 1 MiB chunks while the test `kill -9`s the real server at pseudo-random
//! moments, restarts it on the same ROOT, and resumes from the reported offset.
//!
//! After every restart the reported offset must be at least the last one the
//! server acknowledged (acknowledged bytes are durable), at most the bytes really
//! stored, and those stored bytes must be the source's. The finished file must
//! have the source's SHA-256. It runs in the default storage (`local::`) and into
//! an S3 storage mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`), whose sessions stage on the server's
//! disk just the same and stream into the bucket at completion.

mod common;

use std::time::{Duration, Instant};

use common::target::{on_each_storage, Kind, Target};
use common::uploads::{create_in, pattern, sha256_hex};
use common::{client, TestServer};
use skiff_protocol::{UploadSession, UPLOAD_OFFSET_HEADER};

on_each_storage!(uploads_survive_kill_9_at_random_points);

const FILE_SIZE: usize = 32 << 20;
const CHUNK: usize = 1 << 20;
/// Crashes to survive before the test may stop.
const ROUNDS: u32 = 10;
/// Give up (and fail) rather than run on forever.
const DEADLINE: Duration = Duration::from_secs(90);

/// A tiny deterministic PRNG (xorshift64*), seeded per round.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    }
}

/// Appends chunks from `offset` until done or the server dies; returns the last
/// acknowledged offset and whether the upload completed.
async fn upload_from(
    base: String,
    url: String,
    source: &'static [u8],
    mut offset: u64,
) -> (u64, bool) {
    let client = client();
    loop {
        let end = (offset as usize + CHUNK).min(source.len());
        let chunk = source[offset as usize..end].to_vec();
        let response = client
            .post(format!("{base}{url}"))
            .header(UPLOAD_OFFSET_HEADER, offset.to_string())
            .body(chunk)
            .send()
            .await;
        let Ok(response) = response else {
            return (offset, false);
        };
        if response.status() != 200 {
            panic!(
                "append at {offset}: {} {:?}",
                response.status(),
                response.text().await
            );
        }
        let Ok(body) = response.json::<serde_json::Value>().await else {
            // Killed after the status line: the chunk may or may not be durable.
            return (offset, false);
        };
        if body.get("key").is_some() {
            assert_eq!(body["sha256"], sha256_hex(source), "completion digest");
            return (source.len() as u64, true);
        }
        offset = body["offset"].as_u64().expect("offset");
        assert_eq!(offset, end as u64, "the offset advances by the chunk");
    }
}

async fn session_status(server: &TestServer, url: &str) -> UploadSession {
    let response = client()
        .get(server.url(url))
        .send()
        .await
        .expect("send status");
    assert_eq!(response.status(), 200, "status after restart");
    response.json().await.expect("a session object")
}

async fn uploads_survive_kill_9_at_random_points(kind: Kind) {
    let started = Instant::now();
    let source: &'static [u8] = Box::leak(pattern(FILE_SIZE, 42).into_boxed_slice());
    let target = Target::new(kind).await;
    let mut server = target.serve_with(&["--writable"]);
    let session = create_in(
        &server,
        target.bucket(),
        "big/upload.bin",
        FILE_SIZE as u64,
        Some(&sha256_hex(source)),
    )
    .await;

    let mut acknowledged = 0;
    let mut kills = 0;
    let mut completed = false;
    let mut round = 0u64;
    while !completed {
        assert!(
            started.elapsed() < DEADLINE,
            "too slow: {kills} kills, offset {acknowledged}"
        );
        round += 1;
        let status = session_status(&server, &session.url).await;
        // A mounted storage holds the bytes before `base`; the tail is here.
        let (partial, base) = target.partial(&session.id);
        let stored = base + std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
        assert!(
            status.offset >= acknowledged,
            "round {round}: acknowledged {acknowledged} but reported {}",
            status.offset
        );
        if status.offset < FILE_SIZE as u64 {
            assert!(
                status.offset <= stored,
                "round {round}: offset {} > {stored} bytes stored",
                status.offset
            );
            let prefix = std::fs::read(&partial).expect("partial file");
            let (base, offset) = (base as usize, status.offset as usize);
            assert!(
                prefix[..offset - base] == source[base..offset],
                "round {round}: the stored bytes are not the source's"
            );
        }

        eprintln!(
            "round {round}: resuming at {} ({stored} stored)",
            status.offset
        );
        let task = tokio::spawn(upload_from(
            format!("http://{}", server.addr()),
            session.url.clone(),
            source,
            status.offset,
        ));
        if kills < ROUNDS {
            let mut rng = Rng::new(round);
            // Short enough that ten kills land before the 32 MiB are in, now that
            // the debug server hashes at full speed (it takes ~11 MiB in 150 ms).
            tokio::time::sleep(Duration::from_millis(2 + rng.below(40))).await;
            // TestServer's drop is SIGKILL, then wait: kill -9. The restart
            // replaces the dead server only once it is gone (redb holds a lock).
            server.kill();
            kills += 1;
            let (offset, done) = task.await.expect("the upload task");
            acknowledged = acknowledged.max(offset);
            completed = done;
            // Before recovery: every acknowledged byte is on disk (a longer file
            // holds an unacknowledged tail, which the restart must cut off).
            // (No partial file: killed between the final rename and its answer.)
            let (partial, base) = target.partial(&session.id);
            if let Ok(metadata) = std::fs::metadata(&partial) {
                let on_disk = base + metadata.len();
                assert!(
                    on_disk >= acknowledged,
                    "round {round}: acknowledged {acknowledged}, {on_disk} on disk"
                );
            }
            server = target.serve_with(&["--writable"]);
        } else {
            let (offset, done) = task.await.expect("the upload task");
            acknowledged = acknowledged.max(offset);
            completed = done;
        }
    }
    assert!(kills >= ROUNDS);
    let stored = target
        .read(&["big", "upload.bin"])
        .await
        .expect("the uploaded file");
    assert_eq!(sha256_hex(&stored), sha256_hex(source));
    assert!(
        !target.partial(&session.id).0.exists(),
        "partial data left behind"
    );
    eprintln!("{kills} kills in {:?}", started.elapsed());
}

/// The staged whole-file writes in the default storage's store folder.
fn staged_puts(root: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(root.join(".skiff").join("store"))
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("put-"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_put_cut_by_kill_9_leaves_no_staged_file_after_a_restart() {
    let fixture = common::Fixture::new();
    let mut server = common::uploads::serve_writable(&fixture, &[]);
    // One chunk, then a body that never ends: the write is staged when the
    // server dies.
    let first = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(vec![
            1u8;
            CHUNK
        ]))]);
    let endless = futures_util::StreamExt::chain(first, futures_util::stream::pending());
    let request = client()
        .put(server.url("/cut.bin"))
        .body(reqwest::Body::wrap_stream(endless))
        .send();
    let sending = tokio::spawn(request);
    let started = Instant::now();
    while staged_puts(fixture.root()).is_empty() {
        assert!(
            started.elapsed() < DEADLINE,
            "the PUT never started staging"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let _ = sending.await;
    assert_eq!(staged_puts(fixture.root()).len(), 1, "left by the crash");

    let server = common::uploads::serve_writable(&fixture, &[]);
    assert!(
        staged_puts(fixture.root()).is_empty(),
        "reclaimed at startup"
    );
    assert!(!fixture.path(&["cut.bin"]).exists(), "nothing placed");
    drop(server);
}
