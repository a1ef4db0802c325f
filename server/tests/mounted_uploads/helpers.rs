//! What every case here shares: the mounted storage's backend (a local folder
//! or a SeaweedFS bucket) with its bytes checked where they land, a server with
//! it mounted, and the §2 requests with the admin's credentials.

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use skiff_protocol::{
    UploadSession, COMPLETE_SEGMENT, PARTS_SEGMENT, STORAGES_PATH, UPLOADS_PATH,
    UPLOAD_OFFSET_HEADER,
};
use tempfile::TempDir;

use crate::common::seaweed::{fresh_bucket, ACCESS_KEY, REGION, SECRET_KEY};
use crate::common::uploads::part_of;
use crate::common::{client, Fixture, TestServer};

pub const ADMIN: &str = "uploads-admin-secret";
pub const NAME: &str = "archive-store";
pub const MOUNT: &str = "archive";
pub const MIB: usize = 1 << 20;

/// Where the mounted storage keeps its bytes, to check them there.
pub enum Backend {
    /// A folder on this machine.
    Local(TempDir),
    /// A bucket of the shared SeaweedFS, under the prefix `team/`.
    S3 {
        /// Its name.
        bucket: String,
        /// The S3 endpoint the storage is created with.
        endpoint: String,
    },
}

impl Backend {
    pub fn local() -> Self {
        Backend::Local(tempfile::tempdir().expect("temp dir"))
    }

    pub async fn s3() -> Self {
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
    pub async fn stored(&self, key: &str) -> Option<Vec<u8>> {
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

pub fn start(fixture: &Fixture) -> TestServer {
    let token = format!("admin:{ADMIN}:admin");
    TestServer::start_with(fixture.root(), &["--writable", "--token", &token])
}

/// A writable server with an admin token and `backend` mounted at [`MOUNT`].
pub async fn serve_mounted(fixture: &Fixture, backend: &Backend) -> TestServer {
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

pub async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request
        .header("authorization", format!("Bearer {ADMIN}"))
        .send()
        .await
        .expect("send the request")
}

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

pub async fn put_part(server: &TestServer, url: &str, data: &[u8], n: usize) -> u16 {
    let request = client()
        .put(server.url(&format!("{url}/{PARTS_SEGMENT}/{n}")))
        .body(part_of(data, MIB, n));
    send(request).await.status().as_u16()
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
