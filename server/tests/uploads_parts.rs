//! Parallel parts (PROTOCOL.md §2.1) against the real binary: every status a
//! part or a complete can get, parts in any order and concurrently, re-sent
//! parts, the content hash, and the whole-file SHA-256 learnt in the background.
//! Crashes are in `uploads_parts_crash.rs`.

mod common;

use std::time::{Duration, Instant};

use common::uploads::{
    append, checksum_header, complete, content_digest_header, content_hash, create, create_parts,
    part_of, pattern, post_create, put_part, serve_writable, sha256_hex, status,
};
use common::{client, expect_error, Fixture, TestServer};
use skiff_protocol::{
    Discovery, FileObject, UploadSession, CONTENT_DIGEST_HEADER, UPLOADS_PATH,
    UPLOAD_CHECKSUM_HEADER,
};

const MIB: usize = 1 << 20;

/// Asserts a 409 whose body is the session carrying error `code`.
async fn conflict(response: reqwest::Response, code: &str) -> UploadSession {
    assert_eq!(response.status(), 409, "expected 409 {code}");
    let session: UploadSession = response.json().await.expect("409 carries the session");
    let error = session.error.as_ref().expect("the session carries error");
    assert_eq!(error.code, code, "{}", error.message);
    session
}

/// Sends every part of `data` in order, asserting 200 each.
async fn send_all(server: &TestServer, url: &str, data: &[u8], part_size: usize) {
    let count = data.len().div_ceil(part_size).max(1);
    for n in 1..=count {
        let response = put_part(server, url, n as u64, part_of(data, part_size, n), &[]).await;
        assert_eq!(response.status(), 200, "part {n}");
    }
}

#[tokio::test]
async fn bad_part_sizes_are_refused() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &["--max-chunk", &(2 * MIB).to_string()]);
    for part_size in [0, MIB as u64 - 1, 2 * MIB as u64 + 1] {
        let body = serde_json::json!({
            "key": "a.bin", "bucket": "default", "mime_type": "x/y", "size": 10, "part_size": part_size
        });
        let error = expect_error(post_create(&server, &body, &[]).await, 400, "part size").await;
        assert_eq!(error.error.code, "bad_part_size", "part_size {part_size}");
    }
    create_parts(&server, "a.bin", 10, 2 * MIB as u64).await;
    assert!(
        fixture
            .path(&[".skiff", "partial"])
            .read_dir()
            .unwrap()
            .count()
            == 1
    );
}

#[tokio::test]
async fn parts_out_of_range_or_of_the_wrong_length_are_refused() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let data = pattern(2 * MIB + 10, 1);
    let session = create_parts(&server, "a.bin", data.len() as u64, MIB as u64).await;
    for n in ["0", "4", "x", "-1"] {
        let url = server.url(&format!("{}/parts/{n}", session.url));
        let response = client().put(url).body(vec![0; 10]).send().await.unwrap();
        let error = expect_error(response, 400, n).await;
        assert_eq!(error.error.code, "bad_part", "part {n}");
    }
    for (n, len) in [(1, MIB - 1), (1, MIB + 1), (3, 9), (3, 11), (3, 0)] {
        let response = put_part(&server, &session.url, n, vec![7; len], &[]).await;
        let error = expect_error(response, 400, "wrong length").await;
        assert_eq!(
            error.error.code, "bad_part_length",
            "part {n} of {len} bytes"
        );
    }
    let now: UploadSession = status(&server, &session.url).await.json().await.unwrap();
    assert_eq!(now.parts.as_deref(), Some(&[][..]), "nothing recorded");
    // The last part is short, exactly as long as what is left.
    let last = put_part(&server, &session.url, 3, part_of(&data, MIB, 3), &[]).await;
    assert_eq!(last.status(), 200);
    let now: UploadSession = last.json().await.unwrap();
    assert_eq!((now.parts, now.offset), (Some(vec![[3, 3]]), 0));
}

#[tokio::test]
async fn checksum_mismatches_discard_the_part() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let data = pattern(MIB + 5, 2);
    let session = create_parts(&server, "a.bin", data.len() as u64, MIB as u64).await;
    let part = part_of(&data, MIB, 1);
    let wrong = checksum_header(b"something else");
    let wrong_digest = content_digest_header(b"something else");
    for header in [
        (UPLOAD_CHECKSUM_HEADER, wrong.clone()),
        (CONTENT_DIGEST_HEADER, wrong_digest.clone()),
    ] {
        let response = put_part(&server, &session.url, 1, part.clone(), &[header]).await;
        let error = expect_error(response, 460, "checksum mismatch").await;
        assert_eq!(error.error.code, "part_checksum_mismatch");
    }
    let now: UploadSession = status(&server, &session.url).await.json().await.unwrap();
    assert_eq!(
        now.parts.as_deref(),
        Some(&[][..]),
        "a refused part is not recorded"
    );
    // A durable part re-sent with a wrong checksum is gone, not kept half-replaced.
    let good = [
        (UPLOAD_CHECKSUM_HEADER, checksum_header(&part)),
        (CONTENT_DIGEST_HEADER, content_digest_header(&part)),
    ];
    let response = put_part(&server, &session.url, 1, part.clone(), &good).await;
    assert_eq!(response.status(), 200);
    let bad = [(CONTENT_DIGEST_HEADER, wrong_digest)];
    let response = put_part(&server, &session.url, 1, part.clone(), &bad).await;
    assert_eq!(response.status(), 460);
    let now: UploadSession = status(&server, &session.url).await.json().await.unwrap();
    assert_eq!(now.parts.as_deref(), Some(&[][..]));
}

#[tokio::test]
async fn a_part_over_max_chunk_is_413() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &["--max-chunk", &MIB.to_string()]);
    let session = create_parts(&server, "a.bin", 3 * MIB as u64, MIB as u64).await;
    let response = put_part(&server, &session.url, 1, vec![1; MIB + 1], &[]).await;
    expect_error(response, 413, "Content-Length over max_chunk").await;
    // Without Content-Length the limit holds while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(vec![1; MIB]), Ok(vec![1; 10])];
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let url = server.url(&format!("{}/parts/2", session.url));
    let response = client().put(url).body(body).send().await.unwrap();
    expect_error(response, 413, "streamed over max_chunk").await;
    let now: UploadSession = status(&server, &session.url).await.json().await.unwrap();
    assert_eq!(now.parts.as_deref(), Some(&[][..]));
}

#[tokio::test]
async fn unknown_sessions_are_404() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let url = format!("{UPLOADS_PATH}/session:{}", "0".repeat(32));
    let response = put_part(&server, &url, 1, vec![1; 10], &[]).await;
    expect_error(response, 404, "part of an unknown session").await;
    expect_error(complete(&server, &url, "{}").await, 404, "complete unknown").await;
}

#[tokio::test]
async fn parts_in_any_order_land_byte_for_byte() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let data = pattern(2 * MIB + MIB / 2, 3);
    let session = create_parts(&server, "dir/out.bin", data.len() as u64, MIB as u64).await;
    let mut reported = Vec::new();
    for n in [3, 1, 2] {
        let response = put_part(
            &server,
            &session.url,
            n,
            part_of(&data, MIB, n as usize),
            &[],
        )
        .await;
        assert_eq!(response.status(), 200, "part {n}");
        let now: UploadSession = response.json().await.unwrap();
        reported.push((now.parts.unwrap(), now.offset));
    }
    let size = data.len() as u64;
    assert_eq!(
        reported,
        vec![
            (vec![[3, 3]], 0),
            (vec![[1, 1], [3, 3]], MIB as u64),
            (vec![[1, 3]], size)
        ]
    );
    assert!(
        !fixture.path(&["dir"]).exists(),
        "nothing placed before complete"
    );
    let expected_hash = content_hash(&data, MIB);
    let body = serde_json::json!({ "content_hash": expected_hash }).to_string();
    let response = complete(&server, &session.url, &body).await;
    assert_eq!(response.status(), 200);
    let file: FileObject = response.json().await.unwrap();
    assert_eq!(
        (
            file.key.as_str(),
            file.bytes,
            file.content_hash.as_deref(),
            file.part_size
        ),
        (
            "dir/out.bin",
            size,
            Some(expected_hash.as_str()),
            Some(MIB as u64)
        )
    );
    assert_eq!(
        file.sha256, None,
        "not read on the request path unless asked"
    );
    assert_eq!(
        std::fs::read(fixture.path(&["dir", "out.bin"])).unwrap(),
        data
    );
    // The whole-file SHA-256 is learnt a little later, in the background.
    let object_url = server.url(&format!("{UPLOADS_PATH}/default/dir/out.bin"));
    let started = Instant::now();
    let listed = loop {
        let listed: FileObject = client()
            .get(&object_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if listed.sha256.is_some() || started.elapsed() > Duration::from_secs(20) {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(listed.sha256, Some(sha256_hex(&data)));
    assert_eq!(
        (listed.id, listed.content_hash, listed.part_size),
        (file.id, Some(expected_hash), Some(MIB as u64))
    );
}

#[tokio::test]
async fn a_resent_part_replaces_the_last_copy() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let first = pattern(2 * MIB, 4);
    let session = create_parts(&server, "a.bin", first.len() as u64, MIB as u64).await;
    send_all(&server, &session.url, &first, MIB).await;
    // The same bytes again, then different bytes: the last send wins.
    send_all(&server, &session.url, &first, MIB).await;
    let mut last = first.clone();
    last[MIB..].copy_from_slice(&pattern(MIB, 40));
    let response = put_part(&server, &session.url, 2, part_of(&last, MIB, 2), &[]).await;
    assert_eq!(response.status(), 200);
    let stale = serde_json::json!({ "content_hash": content_hash(&first, MIB) }).to_string();
    let fresh = serde_json::json!({ "content_hash": content_hash(&last, MIB) }).to_string();
    assert_ne!(stale, fresh);
    let response = complete(&server, &session.url, &fresh).await;
    assert_eq!(response.status(), 200);
    assert_eq!(std::fs::read(fixture.path(&["a.bin"])).unwrap(), last);
}

#[tokio::test]
async fn concurrent_sends_of_one_part_leave_one_whole_copy() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let size = 4 * MIB;
    let session = create_parts(&server, "a.bin", size as u64, size as u64).await;
    let copies = [pattern(size, 6), pattern(size, 8)];
    // Both sends are in flight at once, paced so that unserialised writes would
    // mix: the first sends its first half at once and its second half late, the
    // second sends everything in between.
    let half = size / 2;
    let pauses = [(0, 600), (150, 0)];
    let sends = copies.iter().zip(pauses).map(|(copy, (before, middle))| {
        let chunks: Vec<(u64, Vec<u8>)> = copy
            .chunks(256 * 1024)
            .enumerate()
            .map(|(index, chunk)| {
                let pause = match index * 256 * 1024 {
                    0 => before,
                    start if start == half => middle,
                    _ => 0,
                };
                (pause, chunk.to_vec())
            })
            .collect();
        let stream = futures_util::StreamExt::then(
            futures_util::stream::iter(chunks),
            |(pause, chunk)| async move {
                tokio::time::sleep(Duration::from_millis(pause)).await;
                Ok::<_, std::io::Error>(chunk)
            },
        );
        client()
            .put(server.url(&format!("{}/parts/1", session.url)))
            .header("content-length", size.to_string())
            .body(reqwest::Body::wrap_stream(stream))
            .send()
    });
    for response in futures_util::future::join_all(sends).await {
        assert_eq!(response.unwrap().status(), 200);
    }
    let response = complete(&server, &session.url, "{}").await;
    assert_eq!(response.status(), 200);
    let file: FileObject = response.json().await.unwrap();
    let stored = std::fs::read(fixture.path(&["a.bin"])).unwrap();
    let winner = copies
        .iter()
        .find(|copy| **copy == stored)
        .expect("the file is exactly one of the two copies, never a mix");
    assert_eq!(file.content_hash, Some(content_hash(winner, size)));
}

#[tokio::test]
async fn different_parts_do_not_wait_for_each_other() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let data = pattern(2 * MIB, 13);
    let session = create_parts(&server, "a.bin", data.len() as u64, MIB as u64).await;
    // Part 1 sends half its bytes, then holds on until part 2 has been answered.
    let first = part_of(&data, MIB, 1);
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let halves: [Vec<u8>; 2] = [first[..MIB / 2].to_vec(), first[MIB / 2..].to_vec()];
    let [head, tail] = halves;
    let stream = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) }),
        futures_util::stream::once(async move {
            let _ = released.await;
            Ok(tail)
        }),
    );
    let slow = client()
        .put(server.url(&format!("{}/parts/1", session.url)))
        .header("content-length", MIB.to_string())
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let slow = tokio::spawn(slow);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = put_part(&server, &session.url, 2, part_of(&data, MIB, 2), &[]);
    let second = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .expect("part 2 waited for part 1");
    assert_eq!(second.status(), 200);
    let now: UploadSession = second.json().await.unwrap();
    assert_eq!(now.parts, Some(vec![[2, 2]]), "part 1 is not durable yet");
    release.send(()).unwrap();
    let slow = slow.await.unwrap().unwrap();
    assert_eq!(slow.status(), 200);
    let now: UploadSession = slow.json().await.unwrap();
    assert_eq!(
        (now.parts, now.offset),
        (Some(vec![[1, 2]]), data.len() as u64)
    );
}

#[tokio::test]
async fn complete_with_parts_missing_is_409_with_the_parts() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let data = pattern(4 * MIB, 8);
    let session = create_parts(&server, "a.bin", data.len() as u64, MIB as u64).await;
    for n in [1, 2, 4] {
        let response = put_part(
            &server,
            &session.url,
            n,
            part_of(&data, MIB, n as usize),
            &[],
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let now: UploadSession = status(&server, &session.url).await.json().await.unwrap();
    assert_eq!(
        (now.parts, now.offset),
        (Some(vec![[1, 2], [4, 4]]), 2 * MIB as u64)
    );
    let missing = conflict(complete(&server, &session.url, "").await, "parts_missing").await;
    assert_eq!(missing.parts, Some(vec![[1, 2], [4, 4]]));
    assert!(!fixture.path(&["a.bin"]).exists());
    let bad = complete(&server, &session.url, "{not json").await;
    expect_error(bad, 400, "bad JSON").await;
}

#[tokio::test]
async fn a_wrong_digest_fails_the_session_and_leaves_the_target() {
    let fixture = Fixture::new();
    fixture.write(&["a.bin"], b"the old file");
    let server = serve_writable(&fixture, &[]);
    let data = pattern(MIB + 1, 9);
    for body in [
        serde_json::json!({ "content_hash": "0".repeat(64) }),
        serde_json::json!({ "sha256": "0".repeat(64) }),
    ] {
        let session = create_parts(&server, "a.bin", data.len() as u64, MIB as u64).await;
        send_all(&server, &session.url, &data, MIB).await;
        let response = complete(&server, &session.url, &body.to_string()).await;
        expect_error(response, 460, "digest mismatch").await;
        assert_eq!(
            std::fs::read(fixture.path(&["a.bin"])).unwrap(),
            b"the old file"
        );
        let late = put_part(&server, &session.url, 1, part_of(&data, MIB, 1), &[]).await;
        conflict(late, "session_closed").await;
        conflict(
            complete(&server, &session.url, "{}").await,
            "session_closed",
        )
        .await;
        let abort = client()
            .delete(server.url(&session.url))
            .send()
            .await
            .unwrap();
        assert_eq!(abort.status(), 204);
    }
}

#[tokio::test]
async fn a_given_sha256_is_checked_and_reported() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let data = pattern(MIB + 1, 10);
    let session = create_parts(&server, "a.bin", data.len() as u64, MIB as u64).await;
    send_all(&server, &session.url, &data, MIB).await;
    let body = serde_json::json!({ "sha256": sha256_hex(&data) }).to_string();
    let file: FileObject = complete(&server, &session.url, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(file.sha256, Some(sha256_hex(&data)));
}

#[tokio::test]
async fn a_repeated_complete_returns_the_same_file_object() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let data = pattern(MIB + 3, 11);
    let session = create_parts(&server, "a.bin", data.len() as u64, MIB as u64).await;
    send_all(&server, &session.url, &data, MIB).await;
    let first = complete(&server, &session.url, "{}").await;
    assert_eq!(first.status(), 200);
    let first: FileObject = first.json().await.unwrap();
    let again = complete(&server, &session.url, "{}").await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<FileObject>().await.unwrap(), first);
    let late = put_part(&server, &session.url, 1, part_of(&data, MIB, 1), &[]).await;
    conflict(late, "session_closed").await;
}

#[tokio::test]
async fn parts_and_sequential_chunks_do_not_mix() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let parts = create_parts(&server, "a.bin", 10, MIB as u64).await;
    let response = append(&server, &parts.url, 0, vec![1; 10], false).await;
    conflict(response, "not_sequential").await;
    let sequential = create(&server, "b.bin", 10, None).await;
    let response = put_part(&server, &sequential.url, 1, vec![1; 10], &[]).await;
    conflict(response, "not_parts").await;
    conflict(complete(&server, &sequential.url, "{}").await, "not_parts").await;
}

#[tokio::test]
async fn an_empty_file_is_one_empty_part() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    let session = create_parts(&server, "empty", 0, MIB as u64).await;
    let response = put_part(&server, &session.url, 1, Vec::new(), &[]).await;
    assert_eq!(response.status(), 200);
    let now: UploadSession = response.json().await.unwrap();
    assert_eq!((now.parts, now.offset), (Some(vec![[1, 1]]), 0));
    let response = complete(&server, &session.url, "{}").await;
    assert_eq!(response.status(), 200);
    let file: FileObject = response.json().await.unwrap();
    assert_eq!(file.content_hash, Some(content_hash(b"", MIB)));
    assert_eq!(std::fs::read(fixture.path(&["empty"])).unwrap(), b"");
}

#[tokio::test]
async fn discovery_advertises_min_part_when_parts_fit() {
    let fixture = Fixture::new();
    let discover = |server: TestServer| async move {
        let url = server.url("/.well-known/skiff");
        client()
            .get(url)
            .send()
            .await
            .unwrap()
            .json::<Discovery>()
            .await
            .unwrap()
    };
    let writable = discover(serve_writable(&fixture, &[])).await;
    assert_eq!(writable.min_part, Some(MIB as u64));
    let tight = discover(serve_writable(&fixture, &["--max-chunk", "1000"])).await;
    assert_eq!(tight.min_part, None, "no part fits in max_chunk");
    let read_only = discover(fixture.serve()).await;
    assert_eq!(read_only.min_part, None);
}

#[tokio::test]
async fn expired_parts_sessions_are_reclaimed() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &["--session-ttl", "1"]);
    let data = pattern(2 * MIB, 12);
    let session = create_parts(&server, "a.bin", data.len() as u64, MIB as u64).await;
    let response = put_part(&server, &session.url, 1, part_of(&data, MIB, 1), &[]).await;
    assert_eq!(response.status(), 200);
    let partial = fixture.path(&[".skiff", "partial", &session.id]);
    let started = Instant::now();
    while partial.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "never reclaimed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    expect_error(status(&server, &session.url).await, 404, "expired").await;
    let late = put_part(&server, &session.url, 2, part_of(&data, MIB, 2), &[]).await;
    expect_error(late, 404, "part of an expired session").await;
}
