//! The scrub (PROTOCOL.md §5 `{storages}/{name}/checksums`): one line per file
//! of the storage, the SHA-256 recorded when the server wrote it beside the one
//! hashed from the stored bytes now, so a file changed behind the server's back
//! shows as a mismatch. The same code scrubs the default storage (`local::`) and
//! an S3 storage mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`), whose bytes are changed through the
//! S3 API. (Listing format and refusals: storages.rs; a local folder mount:
//! mounted_uploads/scrub.rs.)

mod common;

use common::target::{on_each_storage, Kind, Target, LOCAL_MOUNT_NAME};
use common::uploads::{append, create_in, sha256_hex};
use common::{client, TestServer};
use skiff_protocol::{ChecksumLine, STORAGES_PATH};

on_each_storage!(the_scrub_tells_recorded_from_stored_checksums);

/// The storage's scrub, asserting 200, one JSON line per file.
async fn scrub(server: &TestServer, target: &Target) -> Vec<ChecksumLine> {
    let url = format!("{STORAGES_PATH}/{}/checksums", target.bucket());
    let response = client().get(server.url(&url)).send().await.expect("send");
    assert_eq!(response.status(), 200, "GET {url}");
    let body = response.text().await.expect("the scrub");
    body.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect()
}

/// `key` uploaded through a §2 session in one chunk.
async fn upload(server: &TestServer, target: &Target, key: &str, contents: &[u8]) {
    let session = create_in(server, target.bucket(), key, contents.len() as u64, None).await;
    let response = append(server, &session.url, 0, contents.to_vec(), true).await;
    assert_eq!(response.status(), 200, "upload {key}");
}

async fn the_scrub_tells_recorded_from_stored_checksums(kind: Kind) {
    let target = Target::new(kind).await;
    target
        .write(&["outside.txt"], b"written by someone else")
        .await;
    let server = target.serve_with(&["--writable"]);
    upload(&server, &target, "docs/kept.bin", b"kept as uploaded").await;
    upload(&server, &target, "docs/rotten.bin", b"the bytes uploaded").await;
    // Changed behind the server's back (a bad disk, another S3 client).
    target
        .write(&["docs", "rotten.bin"], b"the bytes changed")
        .await;

    let lines = scrub(&server, &target).await;
    let seen: Vec<(String, Option<String>, Option<String>)> = lines
        .iter()
        .map(|line| {
            (
                line.path.clone().expect("skiff-server sends path"),
                line.checksum.clone(),
                line.checksum_on_disk.clone(),
            )
        })
        .collect();
    let sha = |bytes: &[u8]| Some(sha256_hex(bytes));
    assert_eq!(
        seen,
        [
            (
                target.at("/docs/kept.bin"),
                sha(b"kept as uploaded"),
                sha(b"kept as uploaded")
            ),
            (
                target.at("/docs/rotten.bin"),
                sha(b"the bytes uploaded"),
                sha(b"the bytes changed")
            ),
            (
                target.at("/outside.txt"),
                None,
                sha(b"written by someone else")
            ),
        ],
        "one line per file, by path"
    );
    assert!(lines.iter().all(|line| line.error.is_none()), "{lines:?}");
}

/// The default storage's scrub has the files of its bucket listing: not those
/// of a local folder a mount's name hides (their paths would name the mounted
/// storage's files), which it once hashed and listed.
#[tokio::test]
async fn the_default_scrub_leaves_out_what_a_mount_hides() {
    let target = Target::new(Kind::LocalMount).await;
    target.write(&["mounted.txt"], b"in the mount").await;
    let fixture = target.fixture();
    fixture.write(&["top.txt"], b"top");
    fixture.write(&[LOCAL_MOUNT_NAME, "hidden.txt"], b"hidden by the mount");
    fixture.write(&[&format!("{LOCAL_MOUNT_NAME}-not"), "kept.txt"], b"kept");
    let server = target.serve_with(&["--writable"]);
    let url = format!("{STORAGES_PATH}/default/checksums");
    let body = client()
        .get(server.url(&url))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("the scrub");
    let paths: Vec<String> = body
        .lines()
        .map(|line| serde_json::from_str::<ChecksumLine>(line).expect("a line"))
        .map(|line| line.path.expect("a path"))
        .collect();
    assert_eq!(paths, ["/lm-not/kept.txt", "/top.txt"]);
}
