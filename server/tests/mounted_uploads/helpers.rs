//! What every case here shares: the mounted storage's backend (a local folder
//! or a SeaweedFS bucket) with its bytes checked where they land, a server with
//! it mounted, and the §2 requests with the admin's credentials.

use skiff_protocol::{
    UploadSession, COMPLETE_SEGMENT, PARTS_SEGMENT, UPLOADS_PATH, UPLOAD_OFFSET_HEADER,
};

pub use crate::common::mounted::{send, serve_mounted, start, Backend, MIB, MOUNT, NAME};
use crate::common::uploads::part_of;
use crate::common::{client, TestServer};

/// `POST {uploads}` for `key` in `bucket`; the raw response.
pub async fn create(
    server: &TestServer,
    bucket: &str,
    key: &str,
    size: usize,
    extra: serde_json::Value,
    if_none_match: bool,
) -> reqwest::Response {
    let mut body = serde_json::json!({
        "key": key, "bucket": bucket, "mime_type": "application/x-test", "size": size,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let mut request = client().post(server.url(UPLOADS_PATH)).json(&body);
    if if_none_match {
        request = request.header("if-none-match", "*");
    }
    send(request).await
}

/// A new session in the mounted storage (asserting 201).
pub async fn session(
    server: &TestServer,
    key: &str,
    size: usize,
    extra: serde_json::Value,
) -> UploadSession {
    let response = create(server, NAME, key, size, extra, false).await;
    assert_eq!(response.status(), 201, "create {key}");
    response.json().await.expect("a session object")
}

pub async fn append(
    server: &TestServer,
    url: &str,
    offset: usize,
    chunk: &[u8],
) -> reqwest::Response {
    let request = client()
        .post(server.url(url))
        .header(UPLOAD_OFFSET_HEADER, offset.to_string())
        .body(chunk.to_vec());
    send(request).await
}

/// `PUT {url}/parts/{n}` with part `n` of `data` in parts of `part`; the status.
pub async fn put_part(server: &TestServer, url: &str, data: &[u8], part: usize, n: usize) -> u16 {
    let request = client()
        .put(server.url(&format!("{url}/{PARTS_SEGMENT}/{n}")))
        .body(part_of(data, part, n));
    send(request).await.status().as_u16()
}

/// The smallest part size `backend` takes: S3's 5 MiB, 1 MiB elsewhere.
pub fn part_for(backend: &Backend) -> usize {
    match backend {
        Backend::S3 { .. } => 5 * MIB,
        Backend::Local(_) => MIB,
    }
}

/// The files waiting in the server's `.skiff/partial/` (sorted names).
pub fn partial_files(root: &std::path::Path) -> Vec<String> {
    crate::common::names_in(&root.join(".skiff/partial"))
}

/// The mounted storage's files as the bucket listing shows them, once the
/// background SHA-256 of every file is in (at most 20 s).
pub async fn listed_with_sha256(server: &TestServer) -> skiff_protocol::FileList {
    let url = server.url(&format!("{}/{NAME}", skiff_protocol::UPLOADS_PATH));
    for _ in 0..200 {
        let listed: skiff_protocol::FileList = send(client().get(&url))
            .await
            .json()
            .await
            .expect("a file list");
        if listed.data.iter().all(|file| file.sha256.is_some()) {
            return listed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the background SHA-256s never arrived");
}

pub async fn complete(
    server: &TestServer,
    url: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    send(
        client()
            .post(server.url(&format!("{url}/{COMPLETE_SEGMENT}")))
            .json(&body),
    )
    .await
}
