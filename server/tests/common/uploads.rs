//! Upload-session helpers shared by the `uploads_*` tests: a writable server,
//! creating sessions, appending chunks, and digests in the protocol's encodings.

use base64::Engine;
use sha2::{Digest, Sha256};
use skiff_protocol::{UploadSession, UPLOADS_PATH, UPLOAD_CHECKSUM_HEADER, UPLOAD_OFFSET_HEADER};

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
    let mut body = serde_json::json!({
        "key": key, "bucket": "default", "mime_type": "application/octet-stream", "size": size
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
