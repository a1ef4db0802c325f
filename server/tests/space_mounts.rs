//! Running out of space (507, PROTOCOL.md error rules) for sessions, on both
//! storage types: a mounted storage's sessions stage on the server's disk as the
//! default storage's do (protocol notes, "Upload sessions into mounted
//! storages"), so a session that cannot fit there is refused at create with the
//! same sentence. The server's root is a 32 MiB tmpfs (root only, as space.rs).

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
