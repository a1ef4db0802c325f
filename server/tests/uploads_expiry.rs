//! Abandoned upload sessions expire (PROTOCOL.md §2): with `--session-ttl 1` an
//! idle session becomes 404 and its partial bytes are reclaimed, by the periodic
//! sweep while the server runs and at startup after it was down; a session that
//! keeps receiving chunks stays alive.

mod common;

use std::time::{Duration, Instant};

use common::uploads::{append, create, serve_writable, status};
use common::{expect_error, Fixture};

/// How long the sweep may take to notice (TTL 1 s, sweeping every second).
const PATIENCE: Duration = Duration::from_secs(15);

#[tokio::test]
async fn idle_sessions_expire_and_their_bytes_are_reclaimed() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &["--session-ttl", "1"]);
    let idle = create(&server, "idle.bin", 100, None).await;
    assert_eq!(
        append(&server, &idle.url, 0, vec![1; 50], false)
            .await
            .status(),
        200
    );
    let partial = fixture.path(&[".skiff", "partial", &idle.id]);
    assert!(partial.is_file());

    let busy = create(&server, "busy.bin", 100, None).await;
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
    assert!(!fixture.path(&["idle.bin"]).exists());
    assert_eq!(status(&server, &busy.url).await.status(), 200);
}

#[tokio::test]
async fn sessions_that_expired_while_the_server_was_down_are_reclaimed_at_startup() {
    let fixture = Fixture::new();
    let mut server = serve_writable(&fixture, &["--session-ttl", "1"]);
    let session = create(&server, "gone.bin", 10, None).await;
    assert_eq!(
        append(&server, &session.url, 0, vec![1; 5], false)
            .await
            .status(),
        200
    );
    let partial = fixture.path(&[".skiff", "partial", &session.id]);
    server.kill();
    assert!(partial.is_file());
    std::thread::sleep(Duration::from_millis(1200));
    // Reconciliation runs before the server listens: gone as soon as it is up.
    let server = serve_writable(&fixture, &["--session-ttl", "1"]);
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
