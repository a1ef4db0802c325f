//! A client of several skiff-server instances on one bucket, as a browser behind
//! a load balancer without sticky sessions: each request goes to the instance
//! it is told, and if that one cannot be reached (killed) or answers 5xx, to
//! the next one. Uploads in parts (PROTOCOL.md §2.1) of random files, each part
//! to a different instance in rotation, completed on yet another.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// S3's smallest part but the last, the part size of these uploads.
pub const PART: u64 = 5 << 20;

/// The instances' base URLs and the bearer token that may write.
#[derive(Clone)]
pub struct Rotation {
    pub urls: Arc<Vec<String>>,
    pub token: String,
    pub client: reqwest::Client,
    /// Parts acknowledged so far (the kill waits for a number of them).
    pub acked: Arc<AtomicUsize>,
    /// Requests that went to another instance than the one they were sent to.
    pub failovers: Arc<AtomicUsize>,
}

/// Bytes that look random (xorshift), the same for the same seed.
pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// §2.1's content hash of `bytes` in parts of `part`.
pub fn content_hash(bytes: &[u8], part: u64) -> String {
    let mut over = Sha256::new();
    for chunk in bytes.chunks(usize::try_from(part).expect("a part size")) {
        over.update(Sha256::digest(chunk));
    }
    format!("{:x}", over.finalize())
}

impl Rotation {
    pub fn new(urls: Vec<String>, token: &str) -> Self {
        Self {
            urls: Arc::new(urls),
            token: token.to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("a client"),
            acked: Arc::new(AtomicUsize::new(0)),
            failovers: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// One request to instance `at` exactly (no retry): for the races.
    pub async fn once(&self, at: usize, method: Method, path: &str, body: Vec<u8>) -> Response {
        let url = format!("{}{path}", self.urls[at % self.urls.len()]);
        self.client
            .request(method, url)
            .bearer_auth(&self.token)
            .body(body)
            .send()
            .await
            .expect("send")
    }

    /// The request to instance `at`, or the next ones while an instance cannot
    /// be reached or answers 5xx: (the instance that answered, the answer).
    pub async fn send(
        &self,
        at: usize,
        method: Method,
        path: &str,
        body: &[u8],
    ) -> (usize, StatusCode, Value) {
        self.send_with(at, method, path, &[], body).await
    }

    /// [`Rotation::send`] with extra headers.
    pub async fn send_with(
        &self,
        at: usize,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> (usize, StatusCode, Value) {
        let count = self.urls.len();
        let mut last = String::new();
        for attempt in 0..count * 3 {
            let index = (at + attempt) % count;
            let url = format!("{}{path}", self.urls[index]);
            let mut request = self
                .client
                .request(method.clone(), url)
                .bearer_auth(&self.token);
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let sent = request.body(body.to_vec()).send().await;
            match sent {
                Ok(response) if !response.status().is_server_error() => {
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    return (index, status, value);
                }
                Ok(response) => last = format!("{} from instance {index}", response.status()),
                Err(error) => last = format!("instance {index}: {error}"),
            }
            self.failovers.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no instance answered {method} {path}: {last}");
    }

    /// Creates a parts session for `key` of `size` bytes on instance `at`: its url.
    pub async fn create(&self, at: usize, key: &str, size: u64) -> String {
        self.create_in(at, "default", key, size).await
    }

    /// [`Rotation::create`] into the storage named `bucket`.
    pub async fn create_in(&self, at: usize, bucket: &str, key: &str, size: u64) -> String {
        let body = json!({
            "key": key, "bucket": bucket, "mime_type": "application/octet-stream",
            "size": size, "part_size": PART,
        });
        let (_, status, session) = self
            .send(
                at,
                Method::POST,
                skiff_protocol::UPLOADS_PATH,
                body.to_string().as_bytes(),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create {key}: {session}");
        let url = session["url"].as_str().expect("a session url");
        url.to_owned()
    }

    /// Sends part `n` of `bytes` to instance `at` (or the next live one).
    pub async fn part(&self, at: usize, url: &str, bytes: &[u8], n: u64) -> Value {
        let start = usize::try_from((n - 1) * PART).expect("an offset");
        let end = (start + usize::try_from(PART).expect("a size")).min(bytes.len());
        let (_, status, session) = self
            .send(
                at,
                Method::PUT,
                &format!("{url}/parts/{n}"),
                &bytes[start..end],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "part {n} of {url}: {session}");
        self.acked.fetch_add(1, Ordering::SeqCst);
        session
    }

    /// Completes on instance `at`, waiting out a completion another instance
    /// started and died in (409 `session_completing`, taken over after a while).
    pub async fn complete(&self, at: usize, url: &str, content_hash: &str) -> Value {
        let body = json!({ "content_hash": content_hash }).to_string();
        for _ in 0..100 {
            let (_, status, answer) = self
                .send(
                    at,
                    Method::POST,
                    &format!("{url}/complete"),
                    body.as_bytes(),
                )
                .await;
            if status == StatusCode::CONFLICT && answer["error"]["code"] == "session_completing" {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            assert_eq!(status, StatusCode::OK, "complete {url}: {answer}");
            return answer;
        }
        panic!("{url} never completed");
    }

    /// Uploads `bytes` as `key`: created on instance `first`, part n sent to
    /// instance `first + n`, completed on the instance after the last part's.
    pub async fn upload(&self, first: usize, key: &str, bytes: &[u8]) -> Value {
        self.upload_in(first, "default", key, bytes).await
    }

    /// [`Rotation::upload`] into the storage named `bucket`.
    pub async fn upload_in(&self, first: usize, bucket: &str, key: &str, bytes: &[u8]) -> Value {
        let size = bytes.len() as u64;
        let url = self.create_in(first, bucket, key, size).await;
        let parts = size.div_ceil(PART).max(1);
        for n in 1..=parts {
            let session = self.part(first + n as usize, &url, bytes, n).await;
            assert_eq!(session["parts"], json!([[1, n]]), "{key}: {session}");
        }
        let file = self
            .complete(first + parts as usize + 1, &url, &content_hash(bytes, PART))
            .await;
        assert_eq!(file["key"], key);
        assert_eq!(file["bytes"], size);
        file
    }
}
