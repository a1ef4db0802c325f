//! Where a black-box suite's files live, so the same test code runs against the
//! default local storage (the tree's `/`), an S3 storage on a real SeaweedFS
//! mounted at `/s3`, and a local folder mounted at `/lm` (PROTOCOL.md §5): a base
//! path for URLs, a bucket for upload sessions (§2: bucket = storage name), and
//! the stored bytes read where they landed (the disk, or the bucket through the
//! S3 API).
//!
//! A mounted storage is fixed by a `--config` file (S3 credentials by variable name),
//! so a suite keeps its own flags and tokens; the SeaweedFS is the one shared by
//! the test binary, with a fresh bucket per test. Files are seeded straight into
//! the bucket under the documented key mapping (protocol-notes "Storage backends":
//! names are the keys, ASCII control characters escaped `%0A`), as another S3
//! client would have written them.

use std::path::PathBuf;
use std::time::SystemTime;

use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use skiff_protocol::DEFAULT_BUCKET;

use axum::http::Method;

use super::s3_keys::key_segment;
use super::seaweed::{client, fresh_bucket, seaweed, ACCESS_KEY, REGION, SECRET_KEY};
use super::{hostile_files, NESTED, RESERVED_CONTENTS, RESERVED_FILE, UNICODE_DIR, UNICODE_SUBDIR};
use super::{url_path, Fixture, TestServer, DEEP_CONTENTS, DEEP_FILE, EMPTY_DIR, LEAF_CONTENTS};

/// The S3 storage's name: its upload bucket (§2) and its mount.
pub const S3_NAME: &str = "s3";
/// The mounted local storage's name: its upload bucket and its mount.
pub const LOCAL_MOUNT_NAME: &str = "lm";
/// The prefix inside the SeaweedFS bucket under which the storage keeps its files.
const PREFIX: &str = "team";
/// The variables the config file names for the credentials.
const KEY_VAR: &str = "SKIFF_TEST_S3_KEY_ID";
const SECRET_VAR: &str = "SKIFF_TEST_S3_SECRET";

/// Which storage a case runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The default storage: the served root folder, at `/`.
    Local,
    /// An S3 storage on SeaweedFS, mounted at `/s3`.
    S3,
    /// A local folder (beside the served root) mounted at `/lm`: the mounted
    /// storages' code on the local store.
    LocalMount,
}

/// A served root plus the storage a case works in.
pub struct Target {
    /// Which storage this is.
    pub kind: Kind,
    fixture: Fixture,
    /// The folder holding the storage's files (not used for S3).
    disk: PathBuf,
    /// The `--config` file that mounts the storage, if it is not the default.
    config: Option<PathBuf>,
    s3: Option<S3Place>,
}

struct S3Place {
    bucket: String,
    /// One client for every fixture write and read (a client per request costs
    /// a connection each: ten times slower on SeaweedFS).
    store: object_store::aws::AmazonS3,
}

/// What the backend says about one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// A folder (a directory, or an S3 prefix or marker).
    pub is_dir: bool,
    /// A file's length in bytes (0 for a folder).
    pub len: u64,
    /// When it last changed, where the backend keeps such a time (an S3 prefix has none).
    pub modified: Option<SystemTime>,
}

impl Target {
    /// An empty storage of `kind` (the served root is empty too).
    pub async fn new(kind: Kind) -> Self {
        let fixture = Fixture::new();
        let mut disk = fixture.root().to_path_buf();
        let mut config = None;
        let s3 = match kind {
            Kind::Local => None,
            Kind::LocalMount => {
                disk = fixture.outside().join("mounted folder");
                std::fs::create_dir(&disk).expect("create the mounted folder");
                let file = fixture.outside().join("local-storage.toml");
                let url = url::Url::from_directory_path(&disk).expect("an absolute folder");
                let text = format!(
                    "[[storage]]\nname = \"{LOCAL_MOUNT_NAME}\"\nlabel = \"Mounted\"\n\
                     type = \"local\"\nurl = \"{url}\"\n"
                );
                std::fs::write(&file, text).expect("write the storage's config file");
                config = Some(file);
                None
            }
            Kind::S3 => {
                let (bucket, seaweed) = fresh_bucket().await;
                let file = fixture.outside().join("s3-storage.toml");
                let text = format!(
                    "[[storage]]\nname = \"{S3_NAME}\"\nlabel = \"S3\"\ntype = \"s3\"\n\
                     url = \"s3://{bucket}/{PREFIX}\"\nendpoint = \"{}\"\nregion = \"{REGION}\"\n\
                     access_key_id_env = \"{KEY_VAR}\"\nsecret_access_key_env = \"{SECRET_VAR}\"\n",
                    seaweed.endpoint
                );
                std::fs::write(&file, text).expect("write the storage's config file");
                config = Some(file);
                Some(S3Place {
                    store: client(&seaweed.endpoint, &bucket),
                    bucket,
                })
            }
        };
        Self {
            kind,
            fixture,
            disk,
            config,
            s3,
        }
    }

    /// The standard tree of hostile names ([`Fixture::hostile`]) in the storage,
    /// including `.skiff/state.json`, which must never be served.
    pub async fn hostile(kind: Kind) -> Self {
        let target = Self::new(kind).await;
        for (name, contents) in hostile_files() {
            target.write(&[&name], &contents).await;
        }
        target
            .write(&[UNICODE_DIR, UNICODE_SUBDIR, DEEP_FILE], DEEP_CONTENTS)
            .await;
        target.mkdir(&[EMPTY_DIR]).await;
        target.write(&NESTED, LEAF_CONTENTS).await;
        target
            .write(&[".skiff", RESERVED_FILE], RESERVED_CONTENTS)
            .await;
        target
    }

    /// The served root (the server's own state lives in its `.skiff`).
    pub fn fixture(&self) -> &Fixture {
        &self.fixture
    }

    /// Starts the real server with the storage.
    pub fn serve(&self) -> TestServer {
        self.serve_with(&[])
    }

    /// Starts the real server with the storage, `--writable` and `extra_args`.
    pub fn serve_writable(&self, extra_args: &[&str]) -> TestServer {
        let mut args = vec!["--writable"];
        args.extend_from_slice(extra_args);
        self.serve_with(&args)
    }

    /// Starts the real server with the storage and `extra_args`.
    pub fn serve_with(&self, extra_args: &[&str]) -> TestServer {
        match &self.config {
            None => TestServer::start_with(self.fixture.root(), extra_args),
            Some(config) => {
                let config = config.to_str().expect("a UTF-8 temp path");
                let mut args = vec!["--config", config];
                args.extend_from_slice(extra_args);
                TestServer::start_with_env(
                    self.fixture.root(),
                    &args,
                    &[(KEY_VAR, ACCESS_KEY), (SECRET_VAR, SECRET_KEY)],
                )
            }
        }
    }

    /// The storage's folder in the tree: `""` for the root, `/s3` for the mount.
    pub fn base(&self) -> String {
        match self.kind {
            Kind::Local => String::new(),
            Kind::S3 => format!("/{S3_NAME}"),
            Kind::LocalMount => format!("/{LOCAL_MOUNT_NAME}"),
        }
    }

    /// Whether the storage's top folder is the tree's root (`is_root` in RFSAPI).
    pub fn top_is_root(&self) -> bool {
        self.kind == Kind::Local
    }

    /// The smallest part size a parts session here takes: S3's 5 MiB, 1 MiB
    /// elsewhere (discovery's `min_part`).
    pub fn min_part(&self) -> usize {
        match self.kind {
            Kind::S3 => 5 << 20,
            Kind::Local | Kind::LocalMount => 1 << 20,
        }
    }

    /// Where sequential session `id` keeps its unsent bytes on the server, and the
    /// file offset they start at: the whole partial file for the default storage;
    /// for a mounted one the tail after the 8 MiB parts already in the storage,
    /// `<id>.t<parts>` (protocol notes, "Upload sessions into mounted storages").
    pub fn partial(&self, id: &str) -> (PathBuf, u64) {
        let dir = self.fixture.path(&[".skiff", "partial"]);
        if self.kind == Kind::Local {
            return (dir.join(id), 0);
        }
        let prefix = format!("{id}.t");
        let sent = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.strip_prefix(&prefix)?.parse::<u64>().ok()
            })
            .max()
            .unwrap_or(0);
        (dir.join(format!("{prefix}{sent}")), sent * (8 << 20))
    }

    /// The upload bucket of the storage (§2).
    pub fn bucket(&self) -> &'static str {
        match self.kind {
            Kind::Local => DEFAULT_BUCKET,
            Kind::S3 => S3_NAME,
            Kind::LocalMount => LOCAL_MOUNT_NAME,
        }
    }

    /// The encoded URL path of `segments` inside the storage (`/` or `/s3/` for none).
    pub fn url(&self, segments: &[&str]) -> String {
        if segments.is_empty() {
            return self.at("/");
        }
        format!("{}{}", self.base(), url_path(segments))
    }

    /// An already encoded `path` (starting with `/`) inside the storage.
    pub fn at(&self, path: &str) -> String {
        assert!(path.starts_with('/'), "a path inside the storage: {path:?}");
        format!("{}{path}", self.base())
    }

    /// A file's bytes, written as a fixture (on disk, or as an object in the bucket).
    pub async fn write(&self, segments: &[&str], contents: &[u8]) {
        match &self.s3 {
            None => self.disk_write(segments, contents),
            Some(place) => {
                let key = object_key(segments);
                place
                    .store()
                    .put(&key, PutPayload::from(contents.to_vec()))
                    .await
                    .unwrap_or_else(|error| panic!("put {key}: {error}"));
            }
        }
    }

    /// Many files at once (`concurrency` writes in flight, one S3 client), for
    /// the suites that need big folders.
    pub async fn write_many(&self, files: Vec<(Vec<String>, Vec<u8>)>, concurrency: usize) {
        let store = self.s3.as_ref().map(S3Place::store);
        futures_util::stream::iter(files)
            .for_each_concurrent(concurrency, |(segments, contents)| async move {
                let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
                match store {
                    None => self.disk_write(&segments, &contents),
                    Some(store) => {
                        let key = object_key(&segments);
                        store
                            .put(&key, PutPayload::from(contents))
                            .await
                            .unwrap_or_else(|error| panic!("put {key}: {error}"));
                    }
                }
            })
            .await;
    }

    /// A file beside the storage's top, out of its reach: next to the served root
    /// on disk, or an object beside the storage's prefix in its bucket.
    pub async fn write_beside(&self, name: &str, contents: &[u8]) {
        match &self.s3 {
            None => {
                let beside = self
                    .disk
                    .parent()
                    .expect("the storage's folder has a parent");
                std::fs::write(beside.join(name), contents).expect("write beside the storage")
            }
            Some(place) => {
                let key = ObjectPath::parse(name).expect("a plain key");
                place
                    .store()
                    .put(&key, PutPayload::from(contents.to_vec()))
                    .await
                    .unwrap_or_else(|error| panic!("put {key}: {error}"));
            }
        }
    }

    /// Removes a file behind the server's back (from the disk, or the bucket).
    pub async fn remove(&self, segments: &[&str]) {
        match &self.s3 {
            None => std::fs::remove_file(self.disk_path(segments)).expect("remove a file"),
            Some(place) => {
                let key = object_key(segments);
                place
                    .store()
                    .delete(&key)
                    .await
                    .unwrap_or_else(|error| panic!("delete {key}: {error}"));
            }
        }
    }

    /// A folder (and its parents), as a fixture: a directory, or an S3 folder marker.
    pub async fn mkdir(&self, segments: &[&str]) {
        match &self.s3 {
            None => std::fs::create_dir_all(self.disk_path(segments)).expect("create a folder"),
            Some(place) => {
                // A zero-byte `key/` object, as S3 consoles (and the server's
                // mkdir) write; object_store cannot name a key ending in `/`.
                let encoded: Vec<String> = segments.iter().map(|name| key_segment(name)).collect();
                let encoded: Vec<&str> = encoded.iter().map(String::as_str).collect();
                let path = format!("/{}/{PREFIX}{}/", place.bucket, url_path(&encoded));
                let status = seaweed()
                    .await
                    .signed(Method::PUT, &path)
                    .await
                    .unwrap_or_else(|error| panic!("put marker {path}: {error}"));
                assert!(status < 300, "put marker {path}: HTTP {status}");
            }
        }
    }

    /// A file's stored bytes, `None` if there is no such file.
    pub async fn read(&self, segments: &[&str]) -> Option<Vec<u8>> {
        match &self.s3 {
            None => {
                let path = self.disk_path(segments);
                path.is_file()
                    .then(|| std::fs::read(path).expect("read a file"))
            }
            Some(place) => {
                let got = place.store().get(&object_key(segments)).await.ok()?;
                Some(got.bytes().await.expect("object bytes").to_vec())
            }
        }
    }

    /// What the backend has at `segments`, if anything.
    pub async fn facts(&self, segments: &[&str]) -> Option<Facts> {
        match &self.s3 {
            None => {
                let metadata = std::fs::metadata(self.disk_path(segments)).ok()?;
                Some(Facts {
                    is_dir: metadata.is_dir(),
                    len: if metadata.is_dir() { 0 } else { metadata.len() },
                    modified: Some(metadata.modified().expect("an mtime")),
                })
            }
            Some(place) => {
                // Listing the parent gives what the server's listing sees (a
                // HEAD's Last-Modified has whole seconds only).
                let (_, parent) = segments.split_last()?;
                let key = object_key(segments);
                let listed = place
                    .store()
                    .list_with_delimiter(Some(&object_key(parent)))
                    .await
                    .expect("list the parent prefix");
                if let Some(meta) = listed.objects.iter().find(|meta| meta.location == key) {
                    return Some(Facts {
                        is_dir: false,
                        len: meta.size,
                        modified: Some(SystemTime::from(meta.last_modified)),
                    });
                }
                // A folder is a common prefix (its marker `key/` lists as one too).
                listed.common_prefixes.contains(&key).then_some(Facts {
                    is_dir: true,
                    len: 0,
                    modified: None,
                })
            }
        }
    }

    /// Every file and folder of the storage but its `.skiff`, with contents, in
    /// order: to prove that refused requests changed nothing.
    pub async fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        match &self.s3 {
            None => super::s3_keys::walk(&self.disk, "", &mut out),
            Some(place) => {
                let store = place.store();
                let prefix = ObjectPath::parse(PREFIX).expect("the prefix");
                let mut listed: Vec<object_store::ObjectMeta> = store
                    .list(Some(&prefix))
                    .try_collect()
                    .await
                    .expect("list the storage's objects");
                listed.sort_by(|a, b| a.location.cmp(&b.location));
                let reserved = format!("{PREFIX}/.skiff/");
                for meta in listed {
                    let key = meta.location.to_string();
                    if key.starts_with(&reserved) {
                        continue;
                    }
                    // A folder marker (`key/`) lists without its slash and cannot
                    // be fetched by that name; it has no bytes anyway.
                    if meta.size == 0 {
                        out.push((key, Vec::new()));
                        continue;
                    }
                    let got = store.get(&meta.location).await.expect("get an object");
                    out.push((key, got.bytes().await.expect("object bytes").to_vec()));
                }
            }
        }
        out
    }

    /// Whether anything (file or folder) is at `segments`.
    pub async fn exists(&self, segments: &[&str]) -> bool {
        self.facts(segments).await.is_some()
    }

    /// Whether a folder is at `segments`.
    pub async fn is_dir(&self, segments: &[&str]) -> bool {
        self.facts(segments).await.is_some_and(|facts| facts.is_dir)
    }
}

impl Target {
    /// `segments` under the storage's folder on disk.
    fn disk_path(&self, segments: &[&str]) -> PathBuf {
        let mut path = self.disk.clone();
        path.extend(segments);
        path
    }

    /// Writes a file under the storage's folder, creating its folders.
    fn disk_write(&self, segments: &[&str], contents: &[u8]) {
        let path = self.disk_path(segments);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the file's folders");
        }
        std::fs::write(&path, contents).expect("write a fixture file");
    }
}

impl S3Place {
    fn store(&self) -> &object_store::aws::AmazonS3 {
        &self.store
    }
}

/// The object key of tree segments inside the storage's prefix.
fn object_key(segments: &[&str]) -> ObjectPath {
    let mut key = PREFIX.to_owned();
    for segment in segments {
        key.push('/');
        key.push_str(&key_segment(segment));
    }
    // `parse` keeps the key as written (`from` would percent-encode it again).
    ObjectPath::parse(&key).unwrap_or_else(|error| panic!("object key {key:?}: {error}"))
}

/// Runs each named `async fn case(kind: Kind)` once per storage: `local::case`
/// on the default storage, `s3::case` on the mounted S3 storage and
/// `local_mount::case` on the mounted local folder. Cases after `local_only:`
/// run on the default storage alone (each says why where it is written:
/// `// S3 mounts: <what is missing>`, which mounted local folders lack too).
#[allow(unused_macros)]
macro_rules! on_each_storage {
    ($($case:ident),* $(,)? $(; local_only: $($local:ident),* $(,)?)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::common::target::Kind::Local).await;
                }
            )*
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $local() {
                    super::$local($crate::common::target::Kind::Local).await;
                }
            )*)?
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::common::target::Kind::S3).await;
                }
            )*
        }
        mod local_mount {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::common::target::Kind::LocalMount).await;
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_each_storage;
