//! Parallel parts (PROTOCOL.md §2.1) against the real binary: every refusal a
//! part or a complete can get, discovery and expiry. Parts landing byte for byte
//! (any order, concurrently, re-sent, digests) are in `uploads_parts_landing.rs`,
//! crashes in `uploads_parts_crash.rs`. Each case runs in the default bucket
//! (`local::`) and in an S3 storage's (`s3::`; a local folder mounted at `/lm` too, `local_mount::`; mounted at `/s3`).

mod common;

use std::time::{Duration, Instant};

use common::target::{on_each_storage, Kind, Target};
use common::uploads::{
    append, checksum_header, complete, conflict, content_digest_header, create_in, create_parts_in,
    part_of, pattern, post_create, put_part, send_all, status,
};
use common::{client, expect_error, TestServer};
use skiff_protocol::{
    Discovery, UploadSession, CONTENT_DIGEST_HEADER, UPLOADS_PATH, UPLOAD_CHECKSUM_HEADER,
};

on_each_storage!(
    bad_part_sizes_are_refused,
    parts_out_of_range_or_of_the_wrong_length_are_refused,
    checksum_mismatches_discard_the_part,
    a_part_over_max_chunk_is_413,
    unknown_sessions_are_404,
    complete_with_parts_missing_is_409_with_the_parts,
    a_wrong_digest_fails_the_session_and_leaves_the_target,
    parts_and_sequential_chunks_do_not_mix,
    discovery_advertises_min_part_when_parts_fit,
    expired_parts_sessions_are_reclaimed,
);

const MIB: usize = 1 << 20;

async fn bad_part_sizes_are_refused(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    let server = target.serve_writable(&["--max-chunk", &(2 * part).to_string()]);
    for part_size in [0, part as u64 - 1, 2 * part as u64 + 1] {
        let body = serde_json::json!({
            "key": "a.bin", "bucket": target.bucket(), "mime_type": "x/y", "size": 10, "part_size": part_size
        });
        let error = expect_error(post_create(&server, &body, &[]).await, 400, "part size").await;
        assert_eq!(error.error.code, "bad_part_size", "part_size {part_size}");
    }
    create_parts_in(&server, target.bucket(), "a.bin", 10, 2 * part as u64).await;
    // A mounted storage's parts go into its own multipart write, not a partial file.
    let staged = usize::from(kind == Kind::Local);
    assert_eq!(
        target
            .fixture()
            .path(&[".skiff", "partial"])
            .read_dir()
            .unwrap()
            .count(),
        staged
    );
}

async fn parts_out_of_range_or_of_the_wrong_length_are_refused(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    let server = target.serve_writable(&[]);
    let data = pattern(2 * part + 10, 1);
    let session = create_parts_in(
        &server,
        target.bucket(),
        "a.bin",
        data.len() as u64,
        part as u64,
    )
    .await;
    for n in ["0", "4", "x", "-1"] {
        let url = server.url(&format!("{}/parts/{n}", session.url));
        let response = client().put(url).body(vec![0; 10]).send().await.unwrap();
        let error = expect_error(response, 400, n).await;
        assert_eq!(error.error.code, "bad_part", "part {n}");
    }
    for (n, len) in [(1, part - 1), (1, part + 1), (3, 9), (3, 11), (3, 0)] {
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
    let last = put_part(&server, &session.url, 3, part_of(&data, part, 3), &[]).await;
    assert_eq!(last.status(), 200);
    let now: UploadSession = last.json().await.unwrap();
    assert_eq!((now.parts, now.offset), (Some(vec![[3, 3]]), 0));
}

async fn checksum_mismatches_discard_the_part(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    let server = target.serve_writable(&[]);
    let data = pattern(part + 5, 2);
    let session = create_parts_in(
        &server,
        target.bucket(),
        "a.bin",
        data.len() as u64,
        part as u64,
    )
    .await;
    let part = part_of(&data, part, 1);
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

async fn a_part_over_max_chunk_is_413(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    let server = target.serve_writable(&["--max-chunk", &part.to_string()]);
    let session = create_parts_in(
        &server,
        target.bucket(),
        "a.bin",
        3 * part as u64,
        part as u64,
    )
    .await;
    // Refused on the header alone: the body (a few bytes, then nothing) is never
    // waited for, nor does the client get a broken pipe writing megabytes.
    let trickle = futures_util::StreamExt::chain(
        futures_util::stream::iter([Ok::<_, std::io::Error>(vec![1; 10])]),
        futures_util::stream::pending(),
    );
    let announced = client()
        .put(server.url(&format!("{}/parts/1", session.url)))
        .header("content-length", (part + 1).to_string())
        .body(reqwest::Body::wrap_stream(trickle))
        .send();
    let response = tokio::time::timeout(Duration::from_secs(10), announced)
        .await
        .expect("answered without the body")
        .unwrap();
    expect_error(response, 413, "Content-Length over max_chunk").await;
    // Without Content-Length the limit holds while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(vec![1; part]), Ok(vec![1; 10])];
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let url = server.url(&format!("{}/parts/2", session.url));
    let response = client().put(url).body(body).send().await.unwrap();
    expect_error(response, 413, "streamed over max_chunk").await;
    let now: UploadSession = status(&server, &session.url).await.json().await.unwrap();
    assert_eq!(now.parts.as_deref(), Some(&[][..]));
}

async fn unknown_sessions_are_404(kind: Kind) {
    let target = Target::new(kind).await;
    let server = target.serve_writable(&[]);
    let url = format!("{UPLOADS_PATH}/session:{}", "0".repeat(32));
    let response = put_part(&server, &url, 1, vec![1; 10], &[]).await;
    expect_error(response, 404, "part of an unknown session").await;
    expect_error(complete(&server, &url, "{}").await, 404, "complete unknown").await;
}

async fn complete_with_parts_missing_is_409_with_the_parts(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    let server = target.serve_writable(&[]);
    let data = pattern(4 * part, 8);
    let session = create_parts_in(
        &server,
        target.bucket(),
        "a.bin",
        data.len() as u64,
        part as u64,
    )
    .await;
    for n in [1, 2, 4] {
        let response = put_part(
            &server,
            &session.url,
            n,
            part_of(&data, part, n as usize),
            &[],
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let now: UploadSession = status(&server, &session.url).await.json().await.unwrap();
    assert_eq!(
        (now.parts, now.offset),
        (Some(vec![[1, 2], [4, 4]]), 2 * part as u64)
    );
    let missing = conflict(complete(&server, &session.url, "").await, "parts_missing").await;
    assert_eq!(missing.parts, Some(vec![[1, 2], [4, 4]]));
    assert!(!target.exists(&["a.bin"]).await);
    let bad = complete(&server, &session.url, "{not json").await;
    expect_error(bad, 400, "bad JSON").await;
}

async fn a_wrong_digest_fails_the_session_and_leaves_the_target(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    target.write(&["a.bin"], b"the old file").await;
    let server = target.serve_writable(&[]);
    let data = pattern(part + 1, 9);
    for body in [
        serde_json::json!({ "content_hash": "0".repeat(64) }),
        serde_json::json!({ "sha256": "0".repeat(64) }),
    ] {
        let session = create_parts_in(
            &server,
            target.bucket(),
            "a.bin",
            data.len() as u64,
            part as u64,
        )
        .await;
        send_all(&server, &session.url, &data, part).await;
        let response = complete(&server, &session.url, &body.to_string()).await;
        if kind != Kind::Local && body.get("sha256").is_some() {
            // A mounted storage holds the parts and cannot read them back
            // before they are joined (protocol notes): 409, nothing changes.
            conflict(response, "sha256_unavailable").await;
            let abort = client().delete(server.url(&session.url)).send().await;
            assert_eq!(abort.unwrap().status(), 204);
            assert_eq!(
                target.read(&["a.bin"]).await.expect("stored"),
                b"the old file"
            );
            continue;
        }
        expect_error(response, 460, "digest mismatch").await;
        assert_eq!(
            target.read(&["a.bin"]).await.expect("stored"),
            b"the old file"
        );
        let late = put_part(&server, &session.url, 1, part_of(&data, part, 1), &[]).await;
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

async fn parts_and_sequential_chunks_do_not_mix(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    let server = target.serve_writable(&[]);
    let parts = create_parts_in(&server, target.bucket(), "a.bin", 10, part as u64).await;
    let response = append(&server, &parts.url, 0, vec![1; 10], false).await;
    conflict(response, "not_sequential").await;
    let sequential = create_in(&server, target.bucket(), "b.bin", 10, None).await;
    let response = put_part(&server, &sequential.url, 1, vec![1; 10], &[]).await;
    conflict(response, "not_parts").await;
    conflict(complete(&server, &sequential.url, "{}").await, "not_parts").await;
}

async fn discovery_advertises_min_part_when_parts_fit(kind: Kind) {
    let target = Target::new(kind).await;
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
    let writable = discover(target.serve_writable(&[])).await;
    assert_eq!(writable.min_part, Some(MIB as u64));
    let tight = discover(target.serve_writable(&["--max-chunk", "1000"])).await;
    assert_eq!(tight.min_part, None, "no part fits in max_chunk");
    let read_only = discover(target.serve()).await;
    assert_eq!(read_only.min_part, None);
}

async fn expired_parts_sessions_are_reclaimed(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    let server = target.serve_writable(&["--session-ttl", "1"]);
    let data = pattern(2 * part, 12);
    let session = create_parts_in(
        &server,
        target.bucket(),
        "a.bin",
        data.len() as u64,
        part as u64,
    )
    .await;
    let response = put_part(&server, &session.url, 1, part_of(&data, part, 1), &[]).await;
    assert_eq!(response.status(), 200);
    // Reclaimed: the partial file (or the storage's multipart write) is gone
    // with the session.
    let partial = target.fixture().path(&[".skiff", "partial", &session.id]);
    let started = Instant::now();
    while partial.exists() || status(&server, &session.url).await.status() != 404 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "never reclaimed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    expect_error(status(&server, &session.url).await, 404, "expired").await;
    // A short body: the server may answer 404 without reading a whole part and
    // close, and a client still writing a MiB then sees a broken pipe instead.
    let late = put_part(&server, &session.url, 2, vec![2; 16], &[]).await;
    expect_error(late, 404, "part of an expired session").await;
}

/// A part refused before its body was read (here its length, from
/// `Content-Length`) still has its body read: the client hears the 400 instead
/// of a broken pipe, and the connection stays open for the next request. Raw
/// TCP, so nothing between the test and the server retries or hides a reset.
#[tokio::test]
async fn a_refused_part_is_read_so_its_answer_arrives() {
    let target = Target::new(Kind::Local).await;
    let server = target.serve_writable(&[]);
    let part = 4 * MIB;
    let session = create_parts_in(
        &server,
        target.bucket(),
        "a.bin",
        2 * part as u64,
        part as u64,
    )
    .await;
    let addr = server.addr();
    let path = format!("{}/parts/1", session.url);
    let (refused, next) = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut socket = std::net::TcpStream::connect(addr).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let body = vec![7u8; part + 1];
        let head = format!(
            "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        socket.write_all(head.as_bytes()).expect("the head");
        for piece in body.chunks(64 << 10) {
            socket.write_all(piece).expect("the body, to its last byte");
        }
        let refused = common::read_one_response(&mut socket);
        let again = format!(
            "GET {} HTTP/1.1\r\nHost: {addr}\r\n\r\n",
            skiff_protocol::DISCOVERY_PATH
        );
        socket
            .write_all(again.as_bytes())
            .expect("a second request");
        (refused, common::read_one_response(&mut socket))
    })
    .await
    .expect("the raw client");
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(refused.text().contains("bad_part_length"));
    assert_eq!(next.status, 200, "the same connection answers again");
}
