//! Abandoned upload sessions expire (PROTOCOL.md §2): with `--session-ttl 1` an
//! idle session becomes 404 and its partial bytes are reclaimed, by the periodic
//! sweep while the server runs and at startup after it was down; a session that
//! keeps receiving chunks stays alive. Each case runs in the default storage
//! (`local::`) and for sessions into an S3 storage mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`).

mod common;

use std::time::{Duration, Instant};

use common::target::{on_each_storage, Kind, Target};
use common::uploads::{append, create_in, status};
use common::{expect_error, TestServer};

on_each_storage!(
    idle_sessions_expire_and_their_bytes_are_reclaimed,
    sessions_that_expired_while_the_server_was_down_are_reclaimed_at_startup,
);

/// The target's server with sessions expiring after one idle second.
fn serve_expiring(target: &Target) -> TestServer {
    target.serve_with(&["--writable", "--session-ttl", "1"])
}

/// How long the sweep may take to notice (TTL 1 s, sweeping every second).
const PATIENCE: Duration = Duration::from_secs(15);

async fn idle_sessions_expire_and_their_bytes_are_reclaimed(kind: Kind) {
    let target = Target::new(kind).await;
    let server = serve_expiring(&target);
    let idle = create_in(&server, target.bucket(), "idle.bin", 100, None).await;
    assert_eq!(
        append(&server, &idle.url, 0, vec![1; 50], false)
            .await
            .status(),
        200
    );
    let (partial, _) = target.partial(&idle.id);
    assert!(partial.is_file());

    let busy = create_in(&server, target.bucket(), "busy.bin", 100, None).await;
    let started = Instant::now();
    let mut offset = 0;
    // Without anyone asking about it, the sweep reclaims the idle session's bytes,
    // while chunks every 200 ms keep the busy one alive.
    while partial.exists() {
        assert!(
            started.elapsed() < PATIENCE,
            "the idle session was never reclaimed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        let response = append(&server, &busy.url, offset, vec![2; 1], false).await;
        assert_eq!(response.status(), 200, "the busy session expired");
        offset += 1;
    }
    expect_error(
        status(&server, &idle.url).await,
        404,
        "status of an expired session",
    )
    .await;
    let late = append(&server, &idle.url, 50, vec![1; 50], false).await;
    expect_error(late, 404, "append to an expired session").await;
    assert!(!target.exists(&["idle.bin"]).await);
    assert_eq!(status(&server, &busy.url).await.status(), 200);
}

async fn sessions_that_expired_while_the_server_was_down_are_reclaimed_at_startup(kind: Kind) {
    let target = Target::new(kind).await;
    let mut server = serve_expiring(&target);
    let session = create_in(&server, target.bucket(), "gone.bin", 10, None).await;
    assert_eq!(
        append(&server, &session.url, 0, vec![1; 5], false)
            .await
            .status(),
        200
    );
    let (partial, _) = target.partial(&session.id);
    server.kill();
    assert!(partial.is_file());
    std::thread::sleep(Duration::from_millis(1200));
    // Reconciliation runs before the server listens: gone as soon as it is up.
    let server = serve_expiring(&target);
    assert!(
        !partial.exists(),
        "startup did not reclaim the expired session"
    );
    expect_error(
        status(&server, &session.url).await,
        404,
        "status after restart",
    )
    .await;
}
