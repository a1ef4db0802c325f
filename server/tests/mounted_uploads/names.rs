//! The mount's name belongs to its storage, unknown buckets are 404, and the
//! raw API and metadata say they do not serve mounted paths.

use skiff_protocol::{METADATA_PATH, RAW_PATH, UPLOADS_PATH};

use crate::common::{client, expect_error, Fixture};
use crate::helpers::{create, send, serve_mounted, Backend, MOUNT};

/// The mount's name belongs to its storage: the default bucket may not put a
/// file under it, an unknown bucket is 404, and the raw API says it does not
/// serve mounted paths (nothing changes in either storage).
#[tokio::test]
async fn mount_names_and_unknown_buckets() {
    let backend = Backend::local();
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;
    let under_mount = create(
        &server,
        "default",
        "archive/x.bin",
        3,
        serde_json::json!({}),
        false,
    );
    expect_error(under_mount.await, 403, "a default key under the mount").await;
    let unknown = create(&server, "nowhere", "x.bin", 3, serde_json::json!({}), false);
    expect_error(unknown.await, 404, "an unknown bucket").await;
    let listing = send(client().get(server.url(&format!("{UPLOADS_PATH}/nowhere")))).await;
    expect_error(listing, 404, "an unknown bucket's listing").await;
    let in_default = format!("{UPLOADS_PATH}/default/{MOUNT}/x.bin");
    let deleted = send(client().delete(server.url(&in_default))).await;
    expect_error(deleted, 403, "a default key under the mount, deleted").await;

    // Raw bytes go through the tree; copies between storages are not done yet.
    let data = send(client().get(server.url(&format!("{RAW_PATH}/data?ref=path:/{MOUNT}/new"))));
    let refused = expect_error(data.await, 409, "raw data in a mount").await;
    assert_eq!(refused.error.code, "not_on_mounted_storage");
    let copy = format!("{RAW_PATH}/copy?ref=path:/a.txt&to=path:/{MOUNT}/a.txt");
    fixture.write(&["a.txt"], b"local");
    let refused = expect_error(
        send(client().post(server.url(&copy))).await,
        409,
        "raw copy",
    )
    .await;
    assert_eq!(refused.error.code, "across_storages");
    let metadata = client()
        .post(server.url(&format!("{METADATA_PATH}/{MOUNT}/a.txt")))
        .json(&serde_json::json!({ "description": "x" }));
    // Metadata works in mounts; the copy above was refused, so there is no such file.
    expect_error(
        send(metadata).await,
        404,
        "metadata of a file the refused copy never made",
    )
    .await;
    let Backend::Local(dir) = &backend else {
        unreachable!("a local backend")
    };
    assert!(!dir.path().join("new").exists() && !dir.path().join("a.txt").exists());
    assert!(
        !fixture.path(&[MOUNT]).exists(),
        "nothing made in the default storage"
    );
}
