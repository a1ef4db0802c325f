//! A storage mounted in a test server's tree (PROTOCOL.md §5), the same code for a
//! local folder and a SeaweedFS bucket, with its bytes checked where they land; and
//! the admin's requests to that server.

use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use skiff_protocol::STORAGES_PATH;
use tempfile::TempDir;

use super::seaweed::{fresh_bucket, ACCESS_KEY, REGION, SECRET_KEY};
use super::{client, Fixture, TestServer};

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
    pub fn create_body(&self) -> serde_json::Value {
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
                let s3 = crate::common::seaweed::client(endpoint, bucket);
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
