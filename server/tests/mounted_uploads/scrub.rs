//! The scrub of a mounted storage (§5 `{storages}/{name}/checksums`): every file
//! of the backend, the SHA-256 recorded when a session or a `PUT` wrote it beside the one
//! hashed from the backend's bytes now; never the storage's own `.skiff`.

use skiff_protocol::{ChecksumLine, STORAGES_PATH};

use crate::common::uploads::{pattern, sha256_hex};
use crate::common::{client, Fixture};
use crate::helpers::{append, send, serve_mounted, session, Backend, MIB, MOUNT, NAME};

async fn scrub_lists_every_file(backend: Backend) {
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;
    let data = pattern(MIB + 5, 3);
    let sha256 = sha256_hex(&data);
    let created = session(&server, "docs/seq.bin", data.len(), serde_json::json!({})).await;
    assert_eq!(append(&server, &created.url, 0, &data).await.status(), 200);
    // Written by a plain PUT: its digest is recorded too, as in ROOT.
    let plain = send(
        client()
            .put(server.url(&format!("/{MOUNT}/plain.txt")))
            .body("plain bytes"),
    )
    .await;
    assert_eq!(plain.status(), 201);

    let response =
        send(client().get(server.url(&format!("{STORAGES_PATH}/{NAME}/checksums")))).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("the scrub");
    let lines: Vec<ChecksumLine> = body
        .lines()
        .map(|line| serde_json::from_str(line).expect("a checksum line"))
        .collect();
    let seen: Vec<(Option<&str>, Option<&str>, Option<&str>)> = lines
        .iter()
        .map(|line| {
            (
                line.path.as_deref(),
                line.checksum.as_deref(),
                line.checksum_on_disk.as_deref(),
            )
        })
        .collect();
    let plain_sha = sha256_hex(b"plain bytes");
    assert_eq!(
        seen,
        [
            (
                Some("/archive/docs/seq.bin"),
                Some(sha256.as_str()),
                Some(sha256.as_str())
            ),
            (
                Some("/archive/plain.txt"),
                Some(plain_sha.as_str()),
                Some(plain_sha.as_str())
            ),
        ]
    );
    assert!(lines
        .iter()
        .all(|line| line.error.is_none() && !line.upload_id.is_empty()));
}

#[tokio::test]
async fn the_scrub_of_a_local_mount() {
    scrub_lists_every_file(Backend::local()).await;
}

#[tokio::test]
async fn the_scrub_of_an_s3_mount() {
    scrub_lists_every_file(Backend::s3().await).await;
}
