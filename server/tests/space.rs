//! Running out of space (507, PROTOCOL.md error rules): what cannot fit is
//! refused up front with a sentence; a write that hits a full disk is refused
//! with nothing placed and nothing left behind; a session survives it and
//! completes byte-exact once space is freed. Each test serves a folder on its
//! own 32 MiB tmpfs (root only).

mod common;

use common::tmpfs::{fill, Tmpfs};
use common::uploads::{append, create, pattern, post_create, serve_writable, status};
use common::{client, expect_error, raw_request, Fixture, TestServer};
use skiff_protocol::{UploadSession, RAW_PATH};

const MIB: u64 = 1024 * 1024;

/// A writable server on a fresh 32 MiB tmpfs. Fields drop in order: the
/// server goes first, then the disk is unmounted, then the folder removed.
struct SmallDisk {
    server: TestServer,
    _disk: Tmpfs,
    fixture: Fixture,
}

fn small_disk() -> SmallDisk {
    small_disk_with(&[])
}

fn small_disk_with(args: &[&str]) -> SmallDisk {
    let fixture = Fixture::new();
    let disk = Tmpfs::mount(fixture.root(), "32m");
    SmallDisk {
        server: serve_writable(&fixture, args),
        _disk: disk,
        fixture,
    }
}

/// What is left in the folder where writes start.
fn partial_leftovers(fixture: &Fixture) -> Vec<String> {
    std::fs::read_dir(fixture.path(&[".skiff", "partial"]))
        .expect("the partial folder")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

fn assert_sentence(message: &str) {
    assert!(
        message.starts_with("this upload needs ") && message.contains(" but the server has only "),
        "{message}"
    );
}

#[tokio::test]
async fn a_session_bigger_than_the_disk_is_refused_at_create() {
    let disk = small_disk();
    let body = serde_json::json!({
        "key": "huge.bin", "bucket": "default", "mime_type": "application/octet-stream",
        "size": 1u64 << 62
    });
    let response = post_create(&disk.server, &body, &[]).await;
    let error = expect_error(response, 507, "create of 2^62 bytes").await;
    assert_eq!(error.error.code, "insufficient_storage");
    assert_sentence(&error.error.message);
    assert!(
        error.error.message.contains("4.0 EiB"),
        "{}",
        error.error.message
    );
}

#[tokio::test]
async fn a_put_whose_length_cannot_fit_is_refused_before_its_body() {
    let disk = small_disk();
    // Only the headers are sent: the answer must come before any body byte.
    let length = (64 * MIB).to_string();
    // The tree's `PUT`, and the raw API's, which writes through the store.
    let raw = format!("{RAW_PATH}/data?ref=path:/big.bin");
    for target in ["/big.bin", raw.as_str()] {
        let response = raw_request(
            disk.server.addr(),
            "PUT",
            target.as_bytes(),
            &[("Content-Length", &length)],
        );
        assert_eq!(response.status, 507, "{target}: {}", response.text());
        let body: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON error");
        assert_eq!(body["error"]["code"], "insufficient_storage");
        assert_sentence(body["error"]["message"].as_str().expect("a message"));
        assert!(!disk.fixture.path(&["big.bin"]).exists());
    }
}

#[test]
fn over_max_size_stays_413_even_when_it_cannot_fit() {
    let disk = small_disk_with(&["--max-size", "1000"]);
    let length = (64 * MIB).to_string();
    let response = raw_request(
        disk.server.addr(),
        "PUT",
        b"/big.bin",
        &[("Content-Length", &length)],
    );
    assert_eq!(response.status, 413, "{}", response.text());
}

#[tokio::test]
async fn a_streamed_put_that_fills_the_disk_leaves_nothing() {
    let disk = small_disk();
    // No Content-Length: the disk fills while the body streams in.
    let chunks =
        (0..40).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![7u8; MIB as usize])));
    let response = client()
        .put(disk.server.url("/stream.bin"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("the server answers before the body ends");
    let error = expect_error(response, 507, "chunked PUT past the space").await;
    assert_eq!(error.error.code, "insufficient_storage");
    assert!(
        !disk.fixture.path(&["stream.bin"]).exists(),
        "nothing placed"
    );
    assert_eq!(
        partial_leftovers(&disk.fixture),
        Vec::<String>::new(),
        "no temp file left"
    );
    // The space came back: a small write works at once.
    let small = client()
        .put(disk.server.url("/small.txt"))
        .body("ok")
        .send()
        .await
        .expect("send");
    assert_eq!(small.status(), 201);
}

#[tokio::test]
async fn a_session_append_on_a_full_disk_resumes_once_space_is_freed() {
    let disk = small_disk();
    let bytes = pattern(8 * MIB as usize, 7);
    let session = create(&disk.server, "big/upload.bin", bytes.len() as u64, None).await;
    let (first, second) = bytes.split_at(4 * MIB as usize);
    let sent = append(&disk.server, &session.url, 0, first.to_vec(), true).await;
    assert_eq!(sent.status(), 200);

    let filler = disk.fixture.path(&["filler"]);
    assert!(
        fill(&filler, 64 * MIB) > 0,
        "the filler took the rest of the disk"
    );
    let refused = append(&disk.server, &session.url, 4 * MIB, second.to_vec(), true).await;
    let error = expect_error(refused, 507, "append on a full disk").await;
    assert_eq!(error.error.code, "insufficient_storage");
    let now: UploadSession = status(&disk.server, &session.url)
        .await
        .json()
        .await
        .expect("session");
    assert_eq!(now.offset, 4 * MIB, "the durable offset did not move");

    std::fs::remove_file(&filler).expect("free the space");
    let resent = append(&disk.server, &session.url, 4 * MIB, second.to_vec(), true).await;
    assert_eq!(resent.status(), 200, "{:?}", resent.text().await);
    let placed = std::fs::read(disk.fixture.path(&["big", "upload.bin"])).expect("placed");
    assert!(placed == bytes, "the file is byte-exact");
}
