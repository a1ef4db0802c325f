//! One served root with two storages mounted beside the default one: an S3
//! bucket on the test SeaweedFS at `/s3` and a local folder at `/lm`, so a move
//! or copy can go between any two; each storage's bytes read where they land
//! (the disk, or the bucket through the S3 API), and the raw and metadata calls.

use std::path::PathBuf;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};
use skiff_protocol::{RawStat, METADATA_PATH, RAW_PATH};

use crate::common::raw::path_ref;
use crate::common::s3_keys::key_segment;
use crate::common::seaweed::{client, fresh_bucket, ACCESS_KEY, REGION, SECRET_KEY};
use crate::common::{client as http, Fixture, TestServer};

/// The prefix inside the bucket the S3 storage keeps its files under.
const PREFIX: &str = "team";
const KEY_VAR: &str = "SKIFF_TEST_S3_KEY_ID";
const SECRET_VAR: &str = "SKIFF_TEST_S3_SECRET";

/// Which storage a path is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// The default storage: the served root, at `/`.
    Root,
    /// The S3 bucket mounted at `/s3`.
    S3,
    /// The local folder mounted at `/lm`.
    Lm,
}

impl Storage {
    /// Its folder in the tree: `""` for the root.
    pub fn base(self) -> &'static str {
        match self {
            Storage::Root => "",
            Storage::S3 => "/s3",
            Storage::Lm => "/lm",
        }
    }

    /// The tree path of `path` (starting with `/`) inside it.
    pub fn at(self, path: &str) -> String {
        format!("{}{path}", self.base())
    }
}

/// The served root, the mounted folder, the bucket and the config naming them.
pub struct World {
    fixture: Fixture,
    mounted: PathBuf,
    s3: object_store::aws::AmazonS3,
    config: PathBuf,
}

impl World {
    pub async fn new() -> Self {
        let fixture = Fixture::new();
        let mounted = fixture.outside().join("mounted folder");
        std::fs::create_dir(&mounted).expect("create the mounted folder");
        let (bucket, seaweed) = fresh_bucket().await;
        let folder = url::Url::from_directory_path(&mounted).expect("an absolute folder");
        let text = format!(
            "[[storage]]\nname = \"s3\"\nlabel = \"S3\"\ntype = \"s3\"\n\
             url = \"s3://{bucket}/{PREFIX}\"\nendpoint = \"{}\"\nregion = \"{REGION}\"\n\
             access_key_id_env = \"{KEY_VAR}\"\nsecret_access_key_env = \"{SECRET_VAR}\"\n\n\
             [[storage]]\nname = \"lm\"\nlabel = \"Mounted\"\ntype = \"local\"\nurl = \"{folder}\"\n",
            seaweed.endpoint
        );
        let config = fixture.outside().join("storages.toml");
        std::fs::write(&config, text).expect("write the config file");
        World {
            s3: client(&seaweed.endpoint, &bucket),
            fixture,
            mounted,
            config,
        }
    }

    /// The real server with both storages; `--writable` if `writable`.
    pub fn serve(&self, writable: bool) -> TestServer {
        let config = self.config.to_str().expect("a UTF-8 temp path");
        let mut args = vec!["--config", config];
        if writable {
            args.push("--writable");
        }
        TestServer::start_with_env(
            self.fixture.root(),
            &args,
            &[(KEY_VAR, ACCESS_KEY), (SECRET_VAR, SECRET_KEY)],
        )
    }

    /// A tmpfs of `size` over the mounted folder (before the server starts), so
    /// a write into it can run out of space for real.
    pub fn small_local_mount(&self, size: &str) -> crate::common::tmpfs::Tmpfs {
        crate::common::tmpfs::Tmpfs::mount(&self.mounted, size)
    }

    /// The disk path of `segments` in a local storage.
    fn disk(&self, storage: Storage, segments: &[&str]) -> PathBuf {
        let mut path = match storage {
            Storage::Root => self.fixture.root().to_path_buf(),
            Storage::Lm => self.mounted.clone(),
            Storage::S3 => unreachable!("an S3 storage has no disk"),
        };
        path.extend(segments);
        path
    }

    /// A file written behind the server's back, where the storage keeps it.
    pub async fn write(&self, storage: Storage, segments: &[&str], contents: &[u8]) {
        if storage == Storage::S3 {
            let payload = object_store::PutPayload::from(contents.to_vec());
            self.s3
                .put(&object_key(segments), payload)
                .await
                .expect("put an object");
            return;
        }
        let path = self.disk(storage, segments);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(path, contents).expect("write a file");
    }

    /// A file's stored bytes, `None` if there is no such file.
    pub async fn read(&self, storage: Storage, segments: &[&str]) -> Option<Vec<u8>> {
        if storage == Storage::S3 {
            let got = self.s3.get(&object_key(segments)).await.ok()?;
            return Some(got.bytes().await.expect("object bytes").to_vec());
        }
        let path = self.disk(storage, segments);
        path.is_file().then(|| std::fs::read(path).expect("read"))
    }

    /// Whether a folder is at `segments` (S3: a common prefix or a marker).
    pub async fn is_dir(&self, storage: Storage, segments: &[&str]) -> bool {
        if storage != Storage::S3 {
            return self.disk(storage, segments).is_dir();
        }
        let (_, parent) = segments.split_last().expect("not the top");
        let listed = self
            .s3
            .list_with_delimiter(Some(&object_key(parent)))
            .await
            .expect("list the parent");
        listed.common_prefixes.contains(&object_key(segments))
    }

    /// Whether anything is at `segments`.
    pub async fn exists(&self, storage: Storage, segments: &[&str]) -> bool {
        self.read(storage, segments).await.is_some() || self.is_dir(storage, segments).await
    }
}

/// The object key of tree segments inside the storage's prefix.
fn object_key(segments: &[&str]) -> ObjectPath {
    let mut key = PREFIX.to_owned();
    for segment in segments {
        key.push('/');
        key.push_str(&key_segment(segment));
    }
    ObjectPath::parse(&key).expect("an object key")
}

/// 20 MiB that are not one repeated block.
pub fn big() -> Vec<u8> {
    (0..20u32 << 20)
        .map(|at| (at.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// The seeded folder `name` in `storage`: the 20 MiB file by its SHA-256, the
/// nested file, the empty folder.
pub async fn assert_tree(world: &World, storage: Storage, name: &str, big: &[u8]) {
    let stored = world.read(storage, &[name, "big.bin"]).await;
    let stored = stored.unwrap_or_else(|| panic!("{storage:?}: {name}/big.bin is missing"));
    assert_eq!(stored.len(), big.len(), "{storage:?}: {name}/big.bin");
    assert_eq!(sha256(&stored), sha256(big), "{storage:?}: {name}/big.bin");
    let deep = world.read(storage, &[name, "sub", "deep.txt"]).await;
    assert_eq!(
        deep.as_deref(),
        Some(&b"deep"[..]),
        "{storage:?}: {name}/sub/deep.txt"
    );
    assert!(
        world.is_dir(storage, &[name, "empty"]).await,
        "{storage:?}: {name}/empty"
    );
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A raw call `operation` with `query` (references already form-encoded).
pub async fn raw(
    server: &TestServer,
    method: Method,
    operation: &str,
    query: &str,
) -> reqwest::Response {
    http()
        .request(
            method,
            server.url(&format!("{RAW_PATH}/{operation}?{query}")),
        )
        .send()
        .await
        .expect("send")
}

/// `move` or `copy` of tree path `from` to `to`, with `extra` query parameters.
pub async fn transfer(
    server: &TestServer,
    operation: &str,
    from: &str,
    to: &str,
    extra: &str,
) -> reqwest::Response {
    let query = format!("ref={}&to={}{extra}", path_ref(from), path_ref(to));
    raw(server, Method::POST, operation, &query).await
}

/// The stat of tree path `path`, asserting 200.
pub async fn stat(server: &TestServer, path: &str) -> RawStat {
    let response = raw(
        server,
        Method::GET,
        "stat",
        &format!("ref={}", path_ref(path)),
    )
    .await;
    assert_eq!(response.status(), 200, "stat {path}");
    response.json().await.expect("a stat object")
}

/// A raw `PUT data` of `body` at tree path `path`, asserting it was written.
pub async fn put(server: &TestServer, path: &str, body: Vec<u8>) {
    let url = server.url(&format!("{RAW_PATH}/data?ref={}", path_ref(path)));
    let response = http().put(url).body(body).send().await.expect("send");
    assert!(
        response.status().is_success(),
        "PUT {path}: {}",
        response.status()
    );
}

/// A raw `mkdir` of tree path `path`, asserting 201.
pub async fn mkdir(server: &TestServer, path: &str) {
    let response = raw(
        server,
        Method::POST,
        "mkdir",
        &format!("ref={}", path_ref(path)),
    )
    .await;
    assert_eq!(response.status(), 201, "mkdir {path}");
}

/// The metadata URL of tree path `path`.
fn metadata_url(server: &TestServer, path: &str) -> String {
    let encoded: Vec<String> = path.split('/').map(crate::common::enc).collect();
    server.url(&format!("{METADATA_PATH}{}", encoded.join("/")))
}

/// The metadata object of tree path `path`, asserting 200.
pub async fn metadata(server: &TestServer, path: &str) -> Value {
    let response = http()
        .get(metadata_url(server, path))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200, "metadata of {path}");
    response.json().await.expect("a metadata object")
}

/// Merges `body` into the metadata of tree path `path`, asserting 200.
pub async fn set_metadata(server: &TestServer, path: &str, body: Value) {
    let response = http()
        .post(metadata_url(server, path))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200, "POST metadata of {path}");
}
