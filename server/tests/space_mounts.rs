//! Running out of space (507, PROTOCOL.md error rules) for sessions: a session
//! into the default storage or a local mount that cannot fit on the server's
//! disk is refused at create with the same sentence; an S3 mount's sessions
//! keep only a tail here, and S3's own 5 TiB object limit is 413. The
//! server's root is a 32 MiB tmpfs (root only, as space.rs).

mod common;

use common::expect_error;
use common::target::{on_each_storage, Kind, Target};
use common::tmpfs::Tmpfs;
use common::uploads::post_create;

on_each_storage!(a_session_bigger_than_the_staging_disk_is_refused_at_create);

async fn a_session_bigger_than_the_staging_disk_is_refused_at_create(kind: Kind) {
    let target = Target::new(kind).await;
    let _disk = Tmpfs::mount(target.fixture().root(), "32m");
    let server = target.serve_with(&["--writable"]);
    let body = serde_json::json!({
        "key": "huge.bin", "bucket": target.bucket(),
        "mime_type": "application/octet-stream", "size": 1u64 << 62
    });
    let response = post_create(&server, &body, &[]).await;
    if kind == Kind::S3 {
        // Only a session's tail waits here; S3 itself holds at most 5 TiB.
        let error = expect_error(response, 413, "create of 2^62 bytes into S3").await;
        assert_eq!(error.error.code, "file_too_large");
        assert!(
            error.error.message.contains("5 TiB"),
            "{}",
            error.error.message
        );
        return;
    }
    let error = expect_error(response, 507, "create of 2^62 bytes").await;
    assert_eq!(error.error.code, "insufficient_storage");
    assert!(
        error.error.message.starts_with("this upload needs ")
            && error.error.message.contains(" but the server has only "),
        "{}",
        error.error.message
    );
    drop(server);
}
