//! Upload-session helpers shared by the `uploads_*` tests: a writable server,
//! creating sessions, appending chunks, and digests in the protocol's encodings.

use base64::Engine;
use sha2::{Digest, Sha256};
use skiff_protocol::{
    UploadSession, COMPLETE_SEGMENT, PARTS_SEGMENT, UPLOADS_PATH, UPLOAD_CHECKSUM_HEADER,
    UPLOAD_OFFSET_HEADER,
};

use super::{client, Fixture, TestServer};

/// Starts the real server on `fixture` with `--writable` and `extra` arguments.
pub fn serve_writable(fixture: &Fixture, extra: &[&str]) -> TestServer {
    let mut args = vec!["--writable"];
    args.extend_from_slice(extra);
    TestServer::start_with(fixture.root(), &args)
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `sha256 <base64>`, the `Upload-Checksum` value for `chunk`.
pub fn checksum_header(chunk: &[u8]) -> String {
    format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(chunk))
    )
}

/// Deterministic bytes for a test file (xorshift, so no two chunks look alike).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// `POST {uploads}` with `body`; the raw response.
pub async fn post_create(
    server: &TestServer,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client().post(server.url(UPLOADS_PATH)).json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("send the create request")
}

/// Creates a session for `key` in `default` and returns it (asserting 201).
pub async fn create(
    server: &TestServer,
    key: &str,
    size: u64,
    sha256: Option<&str>,
) -> UploadSession {
    create_in(server, "default", key, size, sha256).await
}

/// Creates a session for `key` in `bucket` and returns it (asserting 201).
pub async fn create_in(
    server: &TestServer,
    bucket: &str,
    key: &str,
    size: u64,
    sha256: Option<&str>,
) -> UploadSession {
    let mut body = serde_json::json!({
        "key": key, "bucket": bucket, "mime_type": "application/octet-stream", "size": size
    });
    if let Some(sha256) = sha256 {
        body["sha256"] = sha256.into();
    }
    let response = post_create(server, &body, &[]).await;
    assert_eq!(response.status(), 201, "create {key:?}");
    let session: UploadSession = response.json().await.expect("a session object");
    assert_eq!((session.offset, session.size), (0, size));
    assert!(session.url.starts_with(UPLOADS_PATH), "{}", session.url);
    session
}

/// `POST {url}` with `chunk` at `offset` (and `Upload-Checksum` when `checksum`).
pub async fn append(
    server: &TestServer,
    url: &str,
    offset: u64,
    chunk: Vec<u8>,
    checksum: bool,
) -> reqwest::Response {
    let mut request = client()
        .post(server.url(url))
        .header(UPLOAD_OFFSET_HEADER, offset.to_string());
    if checksum {
        request = request.header(UPLOAD_CHECKSUM_HEADER, checksum_header(&chunk));
    }
    request.body(chunk).send().await.expect("send the chunk")
}

/// `GET {url}`: the session's status response.
pub async fn status(server: &TestServer, url: &str) -> reqwest::Response {
    client()
        .get(server.url(url))
        .send()
        .await
        .expect("send the status request")
}

/// Creates a §2.1 parts session for `key` in `default` (asserting 201 and the
/// empty parts list).
pub async fn create_parts(
    server: &TestServer,
    key: &str,
    size: u64,
    part_size: u64,
) -> UploadSession {
    create_parts_in(server, "default", key, size, part_size).await
}

/// Creates a §2.1 parts session for `key` in `bucket` (asserting 201 and the
/// empty parts list).
pub async fn create_parts_in(
    server: &TestServer,
    bucket: &str,
    key: &str,
    size: u64,
    part_size: u64,
) -> UploadSession {
    let body = serde_json::json!({
        "key": key, "bucket": bucket, "mime_type": "application/octet-stream",
        "size": size, "part_size": part_size
    });
    let response = post_create(server, &body, &[]).await;
    assert_eq!(response.status(), 201, "create parts session {key:?}");
    let session: UploadSession = response.json().await.expect("a session object");
    assert_eq!(
        (session.offset, session.size, session.part_size),
        (0, size, Some(part_size))
    );
    assert_eq!(session.parts.as_deref(), Some(&[][..]), "no parts yet");
    session
}

/// `PUT {url}/parts/{n}` with `part` and extra `headers`.
pub async fn put_part(
    server: &TestServer,
    url: &str,
    n: u64,
    part: Vec<u8>,
    headers: &[(&str, String)],
) -> reqwest::Response {
    let mut request = client().put(server.url(&format!("{url}/{PARTS_SEGMENT}/{n}")));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.body(part).send().await.expect("send the part")
}

/// `POST {url}/complete` with `body` (raw bytes, usually JSON).
pub async fn complete(server: &TestServer, url: &str, body: &str) -> reqwest::Response {
    client()
        .post(server.url(&format!("{url}/{COMPLETE_SEGMENT}")))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("send the complete request")
}

/// The bytes of part `n` (1-based) of `data` in parts of `part_size`.
pub fn part_of(data: &[u8], part_size: usize, n: usize) -> Vec<u8> {
    let start = (n - 1) * part_size;
    data[start..(start + part_size).min(data.len())].to_vec()
}

/// The §2.1 content hash of `data` in parts of `part_size`: SHA-256 over the
/// parts' raw SHA-256s, lowercase hex (one empty part for an empty file).
pub fn content_hash(data: &[u8], part_size: usize) -> String {
    let mut over = Sha256::new();
    if data.is_empty() {
        over.update(Sha256::digest(b""));
    }
    for part in data.chunks(part_size) {
        over.update(Sha256::digest(part));
    }
    over.finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `sha-256=:<base64>:`, the `Content-Digest` value for `bytes`.
pub fn content_digest_header(bytes: &[u8]) -> String {
    format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
    )
}

/// Asserts a 409 whose body is the session carrying error `code`.
pub async fn conflict(response: reqwest::Response, code: &str) -> skiff_protocol::UploadSession {
    assert_eq!(response.status(), 409, "expected 409 {code}");
    let session: skiff_protocol::UploadSession =
        response.json().await.expect("409 carries the session");
    let error = session.error.as_ref().expect("the session carries error");
    assert_eq!(error.code, code, "{}", error.message);
    session
}

/// Sends every part of `data` in order, asserting 200 each.
pub async fn send_all(server: &TestServer, url: &str, data: &[u8], part_size: usize) {
    let count = data.len().div_ceil(part_size).max(1);
    for n in 1..=count {
        let response = put_part(server, url, n as u64, part_of(data, part_size, n), &[]).await;
        assert_eq!(response.status(), 200, "part {n}");
    }
}
