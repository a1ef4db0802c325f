//! Concurrent uploads (PROTOCOL.md §2): two sessions for one key complete
//! independently and the last completion wins; a reader polling the target
//! meanwhile sees nothing, or one whole upload, never a partial or mixed file;
//! appends racing on one session are serialised, the loser gets 409. Each case
//! runs in the default storage (`local::`) and into an S3 storage mounted at
//! `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`), where a completion streams the file into the bucket.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use common::target::{on_each_storage, Kind, Target};
use common::uploads::{append, create_in, pattern};
use common::{client, TestServer};
use skiff_protocol::UploadSession;

on_each_storage!(
    two_sessions_for_one_key_and_the_last_completion_wins,
    racing_appends_to_one_session_are_serialised,
);

const SIZE: usize = 4 << 20;
const CHUNK: usize = 256 << 10;

/// Appends chunks of `source` from `from` up to (not including) byte `to`.
async fn send_range(
    server: &TestServer,
    session: &UploadSession,
    source: &[u8],
    from: usize,
    to: usize,
) {
    let mut offset = from;
    while offset < to {
        let end = (offset + CHUNK).min(to);
        let response = append(
            server,
            &session.url,
            offset as u64,
            source[offset..end].to_vec(),
            true,
        )
        .await;
        assert_eq!(response.status(), 200, "append at {offset}");
        offset = end;
    }
}

async fn two_sessions_for_one_key_and_the_last_completion_wins(kind: Kind) {
    let target = Target::new(kind).await;
    let server = Arc::new(target.serve_with(&["--writable"]));
    let first: &'static [u8] = Box::leak(pattern(SIZE, 1).into_boxed_slice());
    let second: &'static [u8] = Box::leak(pattern(SIZE, 2).into_boxed_slice());
    let a = create_in(
        &server,
        target.bucket(),
        "shared/target.bin",
        SIZE as u64,
        None,
    )
    .await;
    let b = create_in(
        &server,
        target.bucket(),
        "shared/target.bin",
        SIZE as u64,
        None,
    )
    .await;

    // A reader polls the target for the whole time: 404, or one whole upload.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (url, stop, reads) = (
            server.url(&target.at("/shared/target.bin")),
            Arc::clone(&stop),
            Arc::clone(&reads),
        );
        tokio::spawn(async move {
            let client = client();
            while !stop.load(Ordering::Relaxed) {
                let response = client.get(&url).send().await.expect("read the target");
                match response.status().as_u16() {
                    404 => {}
                    200 => {
                        let body = response.bytes().await.expect("body");
                        assert!(
                            body == first || body == second,
                            "a reader saw a partial or mixed file ({} bytes)",
                            body.len()
                        );
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                    status => panic!("reading the target: {status}"),
                }
            }
        })
    };

    // Interleaved: both sessions receive all but their last chunk concurrently.
    let last = SIZE - CHUNK;
    tokio::join!(
        send_range(&server, &a, first, 0, last),
        send_range(&server, &b, second, 0, last),
    );
    assert!(
        !target.exists(&["shared", "target.bin"]).await,
        "visible before completion"
    );
    send_range(&server, &a, first, last, SIZE).await;
    assert!(target.read(&["shared", "target.bin"]).await.expect("first") == first);
    send_range(&server, &b, second, last, SIZE).await;

    stop.store(true, Ordering::Relaxed);
    reader.await.expect("the reader saw only whole files");
    let stored = target
        .read(&["shared", "target.bin"])
        .await
        .expect("the target");
    assert!(stored == second, "the last completion wins");
    assert!(
        reads.load(Ordering::Relaxed) > 0,
        "the reader never saw the file"
    );
}

async fn racing_appends_to_one_session_are_serialised(kind: Kind) {
    let target = Target::new(kind).await;
    let server = target.serve_with(&["--writable"]);
    let source = pattern(2 * CHUNK, 3);
    let session = create_in(
        &server,
        target.bucket(),
        "raced.bin",
        source.len() as u64,
        None,
    )
    .await;
    for _ in 0..5 {
        let current: UploadSession = common::uploads::status(&server, &session.url)
            .await
            .json()
            .await
            .expect("status");
        if current.offset == source.len() as u64 {
            break;
        }
        let offset = current.offset as usize;
        let chunk = source[offset..offset + CHUNK].to_vec();
        let (one, two) = tokio::join!(
            append(&server, &session.url, offset as u64, chunk.clone(), true),
            append(&server, &session.url, offset as u64, chunk, true),
        );
        let mut statuses = [one.status().as_u16(), two.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "exactly one of two racing appends wins"
        );
    }
    assert!(target.read(&["raced.bin"]).await.expect("the file") == source);
}
