//! Compression and caching on the wire (PROTOCOL.md general rules,
//! "Compression"): listings compressed per `Accept-Encoding` with
//! `Vary: Accept-Encoding`, user files' bytes and ranges never; listings' ETags
//! and their 304s, on every storage. The app's precompressed files and the
//! shell's validator are `compression_app.rs`.

mod common;

use std::io::Read;

use common::target::{on_each_storage, Kind, Target};
use common::{client, header, TestServer, RFSAPI};

on_each_storage!(
    listings_are_compressed_as_accepted,
    user_files_are_sent_as_stored,
    listings_answer_304_until_they_change,
);

/// Every encoding the server offers, and none.
const ENCODINGS: [Option<&str>; 4] = [Some("br"), Some("gzip"), Some("zstd"), None];

/// A folder whose listing is a few KiB: worth compressing.
async fn storage_with_files(kind: Kind) -> (Target, TestServer) {
    let target = Target::new(kind).await;
    for index in 0..40 {
        let name = format!("a rather long file name, number {index:02}.txt");
        target.write(&[&name], b"some bytes\n").await;
    }
    let server = target.serve();
    (target, server)
}

/// `body` decoded from `encoding`.
fn decode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        None => out.extend_from_slice(body),
        Some("br") => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .expect("brotli decodes");
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("gzip decodes");
        }
        Some("zstd") => out = zstd::decode_all(body).expect("zstd decodes"),
        Some(other) => panic!("unexpected encoding {other}"),
    }
    out
}

/// Every `Vary` value of `response`, joined.
fn vary(response: &reqwest::Response) -> String {
    let values: Vec<&str> = response
        .headers()
        .get_all("vary")
        .iter()
        .map(|value| value.to_str().expect("ASCII"))
        .collect();
    values.join(", ").to_ascii_lowercase()
}

async fn get_listing(
    server: &TestServer,
    path: &str,
    accept_encoding: Option<&str>,
) -> reqwest::Response {
    let mut request = client().get(server.url(path)).header(RFSAPI, "1");
    if let Some(encoding) = accept_encoding {
        request = request.header("accept-encoding", encoding);
    }
    request.send().await.expect("GET the listing")
}

async fn listings_are_compressed_as_accepted(kind: Kind) {
    let (target, server) = storage_with_files(kind).await;
    let plain = get_listing(&server, &target.url(&[]), None).await;
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_vary = vary(&plain);
    let plain: serde_json::Value =
        serde_json::from_slice(&plain.bytes().await.expect("body")).expect("JSON");
    assert_eq!(plain["files"].as_array().expect("files").len(), 40);
    for encoding in ENCODINGS {
        let response = get_listing(&server, &target.url(&[]), encoding).await;
        assert_eq!(response.status(), 200, "{encoding:?}");
        let sent = response
            .headers()
            .get("content-encoding")
            .map(|value| value.to_str().expect("ASCII").to_owned());
        assert_eq!(sent.as_deref(), encoding, "Content-Encoding");
        let vary = vary(&response);
        assert!(vary.contains("accept-encoding"), "{encoding:?}: {vary}");
        assert!(
            vary.contains("x-raw-filesystem-api"),
            "{encoding:?}: {vary}"
        );
        assert_eq!(vary, plain_vary, "the same Vary whatever the encoding");
        let body = response.bytes().await.expect("body");
        let json: serde_json::Value =
            serde_json::from_slice(&decode(encoding, &body)).expect("decodes to JSON");
        assert_eq!(json, plain, "{encoding:?} decodes to the same listing");
    }
    // `q=0` refuses an encoding; `identity` alone gets the bytes as they are.
    let response = get_listing(&server, &target.url(&[]), Some("br;q=0, zstd;q=0, gzip")).await;
    assert_eq!(header(&response, "content-encoding"), "gzip");
    let response = get_listing(&server, &target.url(&[]), Some("identity")).await;
    assert!(response.headers().get("content-encoding").is_none());
}

async fn user_files_are_sent_as_stored(kind: Kind) {
    let target = Target::new(kind).await;
    // JSON a user stored: the same content type as the server's own, never compressed.
    let json: Vec<u8> = format!(
        "[{}]",
        vec![r#"{"key":"value","other":"value"}"#; 500].join(",")
    )
    .into_bytes();
    target.write(&["data.json"], &json).await;
    target.write(&["notes.txt"], &vec![b'a'; 64 * 1024]).await;
    let server = target.serve();
    for (name, stored) in [("data.json", &json), ("notes.txt", &vec![b'a'; 64 * 1024])] {
        let url = server.url(&target.url(&[name]));
        let response = client()
            .get(&url)
            .header("accept-encoding", "br, gzip, zstd")
            .send()
            .await
            .expect("GET the file");
        assert_eq!(response.status(), 200);
        assert!(
            response.headers().get("content-encoding").is_none(),
            "{name}"
        );
        assert_eq!(
            header(&response, "content-length"),
            stored.len().to_string()
        );
        assert_eq!(&response.bytes().await.expect("body")[..], &stored[..]);

        let response = client()
            .get(&url)
            .header("accept-encoding", "br, gzip, zstd")
            .header("range", "bytes=10-2009")
            .send()
            .await
            .expect("GET a range");
        assert_eq!(response.status(), 206);
        assert!(
            response.headers().get("content-encoding").is_none(),
            "{name}"
        );
        assert_eq!(
            &response.bytes().await.expect("body")[..],
            &stored[10..2010]
        );
    }
}

async fn listings_answer_304_until_they_change(kind: Kind) {
    let (target, server) = storage_with_files(kind).await;
    let path = target.url(&[]);
    let first = get_listing(&server, &path, Some("gzip")).await;
    let etag = header(&first, "etag").to_owned();
    assert!(etag.ends_with('"'), "a quoted entity-tag: {etag}");
    // Unchanged: the same tag, compressed or not, and HEAD says it too.
    let plain = get_listing(&server, &path, None).await;
    assert_eq!(header(&plain, "etag"), etag);
    let head = client()
        .head(server.url(&path))
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("HEAD");
    assert_eq!(header(&head, "etag"), etag);
    assert_eq!(vary(&head), vary(&plain), "HEAD varies as GET does");

    let cached = client()
        .get(server.url(&path))
        .header(RFSAPI, "1")
        .header("accept-encoding", "gzip")
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("conditional GET");
    assert_eq!(cached.status(), 304);
    assert_eq!(header(&cached, "etag"), etag);
    assert!(
        vary(&cached).contains("accept-encoding"),
        "{}",
        vary(&cached)
    );
    assert!(cached.bytes().await.expect("body").is_empty(), "no body");

    // Another tag does not match.
    let other = client()
        .get(server.url(&path))
        .header(RFSAPI, "1")
        .header("if-none-match", "W/\"something else\"")
        .send()
        .await
        .expect("conditional GET");
    assert_eq!(other.status(), 200);

    target.write(&["a new file.txt"], b"new").await;
    let changed = client()
        .get(server.url(&path))
        .header(RFSAPI, "1")
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("conditional GET after a change");
    assert_eq!(changed.status(), 200, "the folder changed");
    let new_etag = header(&changed, "etag").to_owned();
    assert_ne!(new_etag, etag);
    let listing: serde_json::Value =
        serde_json::from_slice(&changed.bytes().await.expect("body")).expect("JSON");
    assert_eq!(listing["files"].as_array().expect("files").len(), 41);

    // A file's size changing changes the tag as well.
    target.write(&["a new file.txt"], b"newer").await;
    let resized = get_listing(&server, &path, None).await;
    assert_ne!(header(&resized, "etag"), new_etag);
}
