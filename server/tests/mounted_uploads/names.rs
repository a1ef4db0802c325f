//! The mount's name belongs to its storage, unknown buckets are 404, and the
//! raw API and metadata serve mounted paths (a copy from the default storage
//! lands in the mounted one).

use skiff_protocol::{METADATA_PATH, RAW_PATH, UPLOADS_PATH};

use crate::common::{client, expect_error, Fixture};
use crate::helpers::{create, send, serve_mounted, Backend, MOUNT};

/// The mount's name belongs to its storage: the default bucket may not put a
/// file under it, an unknown bucket is 404; the raw API serves mounted paths,
/// a copy from the default storage included.
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

    // Raw bytes of a missing file are 404; a copy from the default storage lands there.
    let data = send(client().get(server.url(&format!("{RAW_PATH}/data?ref=path:/{MOUNT}/new"))));
    expect_error(data.await, 404, "raw data of a missing file in a mount").await;
    let copy = format!("{RAW_PATH}/copy?ref=path:/a.txt&to=path:/{MOUNT}/a.txt");
    fixture.write(&["a.txt"], b"local");
    let copied = send(client().post(server.url(&copy))).await;
    assert_eq!(copied.status(), 201, "raw copy into the mount");
    let metadata = client()
        .post(server.url(&format!("{METADATA_PATH}/{MOUNT}/a.txt")))
        .json(&serde_json::json!({ "description": "x" }));
    assert_eq!(send(metadata).await.status(), 200, "metadata of the copy");
    let Backend::Local(dir) = &backend else {
        unreachable!("a local backend")
    };
    assert!(!dir.path().join("new").exists());
    assert_eq!(
        std::fs::read(dir.path().join("a.txt")).ok().as_deref(),
        Some(&b"local"[..])
    );
    assert!(
        !fixture.path(&[MOUNT]).exists(),
        "nothing made in the default storage"
    );
}
