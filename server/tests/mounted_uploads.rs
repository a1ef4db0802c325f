//! Upload sessions (PROTOCOL.md §2, §2.1) into a mounted storage (§5: the bucket
//! is the storage's name, the key a path inside it), the same test code on a
//! local folder and on an S3 bucket (a real SeaweedFS). The bytes and their
//! SHA-256 are checked where they land: on disk, or through the S3 API. Also the
//! mount's name, reserved in the default storage, and what the raw API says
//! about paths inside a mount.

mod common;

use common::seaweed::{fresh_bucket, ACCESS_KEY, REGION, SECRET_KEY};
use common::uploads::{content_hash, part_of, pattern, sha256_hex};
use common::{client, expect_error, Fixture, TestServer};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use skiff_protocol::{
    BucketList, FileList, FileObject, UploadSession, COMPLETE_SEGMENT, METADATA_PATH,
    PARTS_SEGMENT, RAW_PATH, STORAGES_PATH, UPLOADS_PATH, UPLOAD_OFFSET_HEADER,
};
use tempfile::TempDir;

const ADMIN: &str = "uploads-admin-secret";
const NAME: &str = "archive-store";
const MOUNT: &str = "archive";
const MIB: usize = 1 << 20;

/// Where the mounted storage keeps its bytes, to check them there.
enum Backend {
    Local(TempDir),
    S3 { bucket: String, endpoint: String },
}

impl Backend {
    fn local() -> Self {
        Backend::Local(tempfile::tempdir().expect("temp dir"))
    }

    async fn s3() -> Self {
        let (bucket, seaweed) = fresh_bucket().await;
        Backend::S3 {
            bucket,
            endpoint: seaweed.endpoint.clone(),
        }
    }

    /// The `POST {storages}` body that mounts it at [`MOUNT`].
    fn create_body(&self) -> serde_json::Value {
        match self {
            Backend::Local(dir) => serde_json::json!({
                "name": NAME, "label": "Archive", "type": "local",
                "url": format!("file://{}", dir.path().display()), "mount": MOUNT,
            }),
            Backend::S3 { bucket, endpoint } => serde_json::json!({
                "name": NAME, "label": "Archive", "type": "s3",
                "url": format!("s3://{bucket}/team"), "endpoint": endpoint, "region": REGION,
                "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "mount": MOUNT,
            }),
        }
    }

    /// The stored bytes of `key` (relative to the storage), if any.
    async fn stored(&self, key: &str) -> Option<Vec<u8>> {
        match self {
            Backend::Local(dir) => std::fs::read(dir.path().join(key)).ok(),
            Backend::S3 { bucket, endpoint } => {
                let s3 = AmazonS3Builder::new()
                    .with_endpoint(endpoint)
                    .with_bucket_name(bucket)
                    .with_region(REGION)
                    .with_access_key_id(ACCESS_KEY)
                    .with_secret_access_key(SECRET_KEY)
                    .with_allow_http(true)
                    .build()
                    .expect("S3 client");
                let got = s3
                    .get(&ObjectPath::from(format!("team/{key}")))
                    .await
                    .ok()?;
                Some(got.bytes().await.expect("object bytes").to_vec())
            }
        }
    }
}

fn start(fixture: &Fixture) -> TestServer {
    let token = format!("admin:{ADMIN}:admin");
    TestServer::start_with(fixture.root(), &["--writable", "--token", &token])
}

/// A writable server with an admin token and `backend` mounted at [`MOUNT`].
async fn serve_mounted(fixture: &Fixture, backend: &Backend) -> TestServer {
    let server = start(fixture);
    let created = send(
        client()
            .post(server.url(STORAGES_PATH))
            .json(&backend.create_body()),
    )
    .await;
    let status = created.status();
    assert_eq!(status, 201, "{}", created.text().await.unwrap_or_default());
    server
}

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request
        .header("authorization", format!("Bearer {ADMIN}"))
        .send()
        .await
        .expect("send the request")
}

/// `POST {uploads}` for `key` in `bucket`; the raw response.
async fn create(
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
async fn session(
    server: &TestServer,
    key: &str,
    size: usize,
    extra: serde_json::Value,
) -> UploadSession {
    let response = create(server, NAME, key, size, extra, false).await;
    assert_eq!(response.status(), 201, "create {key}");
    response.json().await.expect("a session object")
}

async fn append(server: &TestServer, url: &str, offset: usize, chunk: &[u8]) -> reqwest::Response {
    let request = client()
        .post(server.url(url))
        .header(UPLOAD_OFFSET_HEADER, offset.to_string())
        .body(chunk.to_vec());
    send(request).await
}

async fn put_part(server: &TestServer, url: &str, data: &[u8], n: usize) -> u16 {
    let request = client()
        .put(server.url(&format!("{url}/{PARTS_SEGMENT}/{n}")))
        .body(part_of(data, MIB, n));
    send(request).await.status().as_u16()
}

async fn complete(server: &TestServer, url: &str, body: serde_json::Value) -> reqwest::Response {
    send(
        client()
            .post(server.url(&format!("{url}/{COMPLETE_SEGMENT}")))
            .json(&body),
    )
    .await
}

/// Sequential and parts sessions, digests, the bucket listings, `If-None-Match`.
async fn sessions_land_in_the_backend(backend: Backend) {
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;

    // Sequential, in two chunks, with the whole file's SHA-256 announced.
    let data = pattern(2 * MIB + 3, 7);
    let sha256 = sha256_hex(&data);
    let created = session(
        &server,
        "docs/seq.bin",
        data.len(),
        serde_json::json!({ "sha256": sha256 }),
    )
    .await;
    let first = append(&server, &created.url, 0, &data[..MIB]).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        backend.stored("docs/seq.bin").await,
        None,
        "nothing before the end"
    );
    let last = append(&server, &created.url, MIB, &data[MIB..]).await;
    assert_eq!(last.status(), 200);
    let file: FileObject = last.json().await.expect("a file object");
    assert_eq!(
        (file.key.as_str(), file.bucket.as_str(), file.bytes),
        ("docs/seq.bin", NAME, data.len() as u64)
    );
    assert_eq!(file.sha256.as_deref(), Some(sha256.as_str()));
    let stored = backend.stored("docs/seq.bin").await.expect("placed");
    assert_eq!(sha256_hex(&stored), sha256);

    // Parts, out of order, part 1 sent twice; no digest asked for.
    let data = pattern(2 * MIB + MIB / 2, 9);
    let parts = session(
        &server,
        "docs/parts.bin",
        data.len(),
        serde_json::json!({ "part_size": MIB }),
    )
    .await;
    for n in [3, 1, 1, 2] {
        assert_eq!(
            put_part(&server, &parts.url, &data, n).await,
            200,
            "part {n}"
        );
    }
    let body = serde_json::json!({ "content_hash": content_hash(&data, MIB) });
    let done = complete(&server, &parts.url, body.clone()).await;
    assert_eq!(done.status(), 200);
    let file: FileObject = done.json().await.expect("a file object");
    // A mounted file's SHA-256 is computed as it is streamed into the store.
    assert_eq!(file.sha256, Some(sha256_hex(&data)));
    let again: FileObject = complete(&server, &parts.url, body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, file, "a repeated complete answers the same file");
    assert_eq!(
        backend.stored("docs/parts.bin").await.as_deref(),
        Some(&data[..])
    );

    // The buckets, and the mounted one's files with what the server knows.
    let buckets: BucketList = send(client().get(server.url(UPLOADS_PATH)))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<_> = buckets.data.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["default", NAME]);
    let listed: FileList = send(client().get(server.url(&format!("{UPLOADS_PATH}/{NAME}"))))
        .await
        .json()
        .await
        .unwrap();
    let keys: Vec<_> = listed.data.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["docs/parts.bin", "docs/seq.bin"]);
    assert_eq!(listed.data[0].id, file.id, "the id the session reported");
    assert_eq!(listed.data[0].sha256, file.sha256);

    // `If-None-Match: *` on an existing key.
    let taken = create(
        &server,
        NAME,
        "docs/seq.bin",
        3,
        serde_json::json!({}),
        true,
    )
    .await;
    expect_error(taken, 412, "If-None-Match on an existing file").await;

    // A wrong content hash: 460, nothing in the backend.
    let bad = session(
        &server,
        "bad.bin",
        data.len(),
        serde_json::json!({ "part_size": MIB }),
    )
    .await;
    for n in 1..=3 {
        assert_eq!(put_part(&server, &bad.url, &data, n).await, 200);
    }
    let wrong = serde_json::json!({ "content_hash": "0".repeat(64) });
    let refused = complete(&server, &bad.url, wrong).await;
    assert_eq!(refused.status(), 460);
    assert_eq!(backend.stored("bad.bin").await, None);
}

#[tokio::test]
async fn sessions_land_in_a_local_mount() {
    sessions_land_in_the_backend(Backend::local()).await;
}

#[tokio::test]
async fn sessions_land_in_an_s3_mount() {
    sessions_land_in_the_backend(Backend::s3().await).await;
}

/// `kill -9` between parts: the parts are still there after the restart, and
/// the session completes into the store.
async fn parts_survive_kill_9(backend: Backend) {
    let fixture = Fixture::new();
    let mut server = serve_mounted(&fixture, &backend).await;
    let data = pattern(3 * MIB + 11, 5);
    let parts = session(
        &server,
        "big/a.bin",
        data.len(),
        serde_json::json!({ "part_size": MIB, "sha256": sha256_hex(&data) }),
    )
    .await;
    for n in [1, 3] {
        assert_eq!(put_part(&server, &parts.url, &data, n).await, 200);
    }
    server.kill();
    let server = start(&fixture);
    let now: UploadSession = send(client().get(server.url(&parts.url)))
        .await
        .json()
        .await
        .expect("the session after the restart");
    assert_eq!(now.parts, Some(vec![[1, 1], [3, 3]]));
    for n in [2, 4] {
        assert_eq!(put_part(&server, &parts.url, &data, n).await, 200);
    }
    let done = complete(&server, &parts.url, serde_json::json!({})).await;
    assert_eq!(done.status(), 200);
    let stored = backend.stored("big/a.bin").await.expect("placed");
    assert_eq!(sha256_hex(&stored), sha256_hex(&data));
}

#[tokio::test]
async fn parts_survive_kill_9_in_a_local_mount() {
    parts_survive_kill_9(Backend::local()).await;
}

#[tokio::test]
async fn parts_survive_kill_9_in_an_s3_mount() {
    parts_survive_kill_9(Backend::s3().await).await;
}

/// The mount's name belongs to its storage: the default bucket may not put a
/// file under it, an unknown bucket is 404, and the raw API says it does not
/// serve mounted paths (nothing changes in either storage).
#[tokio::test]
async fn mount_names_and_unknown_buckets() {
    let backend = Backend::local();
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;
    let under_mount = create(
        &server,
        "default",
        "archive/x.bin",
        3,
        serde_json::json!({}),
        false,
    );
    expect_error(under_mount.await, 403, "a default key under the mount").await;
    let unknown = create(&server, "nowhere", "x.bin", 3, serde_json::json!({}), false);
    expect_error(unknown.await, 404, "an unknown bucket").await;
    let listing = send(client().get(server.url(&format!("{UPLOADS_PATH}/nowhere")))).await;
    expect_error(listing, 404, "an unknown bucket's listing").await;
    let in_default = format!("{UPLOADS_PATH}/default/{MOUNT}/x.bin");
    let deleted = send(client().delete(server.url(&in_default))).await;
    expect_error(deleted, 403, "a default key under the mount, deleted").await;

    let mkdir = send(client().post(server.url(&format!("{RAW_PATH}/mkdir?ref=path:/{MOUNT}/new"))));
    let refused = expect_error(mkdir.await, 409, "raw mkdir in a mount").await;
    assert_eq!(refused.error.code, "not_on_mounted_storage");
    let copy = format!("{RAW_PATH}/copy?ref=path:/a.txt&to=path:/{MOUNT}/a.txt");
    fixture.write(&["a.txt"], b"local");
    let refused = expect_error(
        send(client().post(server.url(&copy))).await,
        409,
        "raw copy",
    )
    .await;
    assert_eq!(refused.error.code, "not_on_mounted_storage");
    let metadata = client()
        .post(server.url(&format!("{METADATA_PATH}/{MOUNT}/a.txt")))
        .json(&serde_json::json!({ "description": "x" }));
    let refused = expect_error(send(metadata).await, 409, "metadata in a mount").await;
    assert_eq!(refused.error.code, "not_on_mounted_storage");
    let Backend::Local(dir) = &backend else {
        unreachable!("a local backend")
    };
    assert!(!dir.path().join("new").exists() && !dir.path().join("a.txt").exists());
    assert!(
        !fixture.path(&[MOUNT]).exists(),
        "nothing made in the default storage"
    );
}

/// A TCP forwarder in front of SeaweedFS that the test cuts (every connection
/// dropped, nothing listening) and restores on the same port: the S3 endpoint
/// going away and coming back, for real, while the server runs.
struct Proxy {
    port: u16,
    target: std::net::SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        Self {
            port,
            target,
            task: Some(tokio::spawn(forward(listener, target))),
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    async fn restore(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the proxy again");
        self.task = Some(tokio::spawn(forward(listener, self.target)));
    }
}

/// Accepts and forwards until aborted; aborting drops the set, which aborts
/// every connection in flight.
async fn forward(listener: tokio::net::TcpListener, target: std::net::SocketAddr) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((mut inbound, _)) = listener.accept().await {
        connections.spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

/// An S3 endpoint that is down when a session completes: 503 with the session
/// intact (sequential and parts), and the same completion succeeds once it is back.
#[tokio::test]
async fn an_s3_outage_at_completion_is_503_and_the_session_survives() {
    let (bucket, seaweed) = fresh_bucket().await;
    let target = seaweed
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("SeaweedFS address");
    let mut proxy = Proxy::start(target).await;
    let backend = Backend::S3 {
        bucket,
        endpoint: proxy.endpoint(),
    };
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;

    let data = pattern(MIB + MIB / 2, 3);
    let sequential = session(&server, "seq.bin", data.len(), serde_json::json!({})).await;
    assert_eq!(
        append(&server, &sequential.url, 0, &data[..MIB])
            .await
            .status(),
        200
    );
    let parts = session(
        &server,
        "parts.bin",
        data.len(),
        serde_json::json!({ "part_size": MIB }),
    )
    .await;
    for n in [1, 2] {
        assert_eq!(put_part(&server, &parts.url, &data, n).await, 200);
    }

    proxy.cut();
    let last = append(&server, &sequential.url, MIB, &data[MIB..]).await;
    let refused = expect_error(last, 503, "the last chunk while S3 is down").await;
    assert_eq!(refused.error.code, "storage_unavailable");
    let now: UploadSession = send(client().get(server.url(&sequential.url)))
        .await
        .json()
        .await
        .expect("the session is still there");
    assert_eq!(now.offset, data.len() as u64, "every byte is kept");
    let done = complete(&server, &parts.url, serde_json::json!({})).await;
    expect_error(done, 503, "complete while S3 is down").await;

    proxy.restore().await;
    // The sequential completion is repeated with an empty chunk at the end.
    let finished = append(&server, &sequential.url, data.len(), b"").await;
    assert_eq!(finished.status(), 200);
    let file: FileObject = finished.json().await.expect("a file object");
    assert_eq!(file.sha256, Some(sha256_hex(&data)));
    let done = complete(&server, &parts.url, serde_json::json!({})).await;
    assert_eq!(done.status(), 200);
    assert_eq!(backend.stored("seq.bin").await.as_deref(), Some(&data[..]));
    assert_eq!(
        backend.stored("parts.bin").await.as_deref(),
        Some(&data[..])
    );
}
