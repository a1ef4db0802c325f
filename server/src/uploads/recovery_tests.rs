//! Startup recovery of parts sessions (§2.1) at the two points of a completion
//! that a `kill -9` can hit but a black-box test can hardly time: after the
//! content hash is committed but before the rename, and after the rename but
//! before the bookkeeping (into the default storage, and into a mounted local
//! folder, whose staged files are renamed in too). The real store and files,
//! reopened as at a restart, inside a runtime as the server's are: the stores
//! are asked through it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use skiff_protocol::UploadCreate;

use super::body::hex;
use super::buckets::{Buckets, MountedBucket};
use super::parts::MIN_PART;
use super::session::{now_ms, Uploads};
use super::store::{SessionState, Write};
use crate::catalog::ids::Ids;
use crate::config::Config;
use crate::store::local::LocalStore;
use crate::store::Store;

const SIZE: u64 = MIN_PART + 10;

/// The server's storages, the default one alone.
fn open(root: &Path) -> Uploads {
    let db = crate::database::open(root, true).expect("open the database");
    let default = crate::storages::DefaultStorage::local(root).expect("the default storage");
    let storages = crate::storages::StorageRegistry::open(db.clone(), default, true, &[])
        .expect("open the storages");
    open_with(root, db, Arc::new(storages))
}

fn open_with(root: &Path, db: Arc<redb::Database>, buckets: Arc<dyn Buckets>) -> Uploads {
    let mut config = Config::new(root);
    config.writable = true;
    let store = LocalStore::open(root).expect("open the default store");
    Uploads::open(root, &config, Ids::new(db), buckets, Arc::new(store)).expect("open the uploads")
}

/// A local folder mounted as bucket `lm` beside the default storage.
#[derive(Debug)]
struct OneMount(Arc<dyn Store>);

impl Buckets for OneMount {
    fn names(&self) -> Vec<String> {
        vec!["default".to_owned(), "lm".to_owned()]
    }

    fn mounted(&self, name: &str) -> Option<MountedBucket> {
        (name == "lm").then(|| MountedBucket {
            store: Ok(Arc::clone(&self.0)),
            mount: "lm".to_owned(),
            writable: true,
        })
    }

    fn is_mount(&self, top: &str) -> bool {
        top == "lm"
    }
}

/// The runtime the stores are asked through, entered for the test's thread.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("a runtime")
}

fn data() -> Vec<u8> {
    (0..SIZE).map(|i| (i % 251) as u8).collect()
}

/// A parts session into `bucket` with both parts written and recorded, its
/// content hash committed as complete does just before the rename; returns its
/// id and bytes. A mounted storage's announces its SHA-256, so it stages here.
fn all_parts_recorded(uploads: &Uploads, bucket: &str) -> (String, Vec<u8>) {
    let data = data();
    let request = UploadCreate {
        key: "dir/a.bin".to_owned(),
        bucket: bucket.to_owned(),
        mime_type: "x/y".to_owned(),
        size: SIZE,
        sha256: (bucket != "default").then(|| hex(&Sha256::digest(&data))),
        part_size: Some(MIN_PART),
    };
    let id = uploads.create(request, false).expect("create").id;
    std::fs::write(uploads.partial_path(&id), &data).expect("write the parts");
    let mut over = Sha256::new();
    for (n, part) in data.chunks(MIN_PART as usize).enumerate() {
        let digest: [u8; 32] = Sha256::digest(part).into();
        over.update(digest);
        let write = Write::Part {
            id: id.clone(),
            n: n as u64 + 1,
            digest,
            tag: String::new(),
            touched_ms: now_ms(),
        };
        uploads
            .store()
            .commit_blocking(vec![write])
            .expect("record");
    }
    let mut record = uploads.store().session(&id).unwrap().expect("stored");
    record.content_hash = Some(hex(&over.finalize()));
    // An announced SHA-256 is checked against the bytes before the rename.
    record.digest = record.expected_sha256.clone();
    uploads
        .store()
        .commit_blocking(vec![Write::Session(record)])
        .expect("commit the content hash");
    (id, data)
}

fn root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    (dir, root)
}

#[test]
fn a_crash_before_the_rename_leaves_the_session_completable() {
    let runtime = runtime();
    let _entered = runtime.enter();
    let (_dir, root) = root();
    let (id, data) = all_parts_recorded(&open(&root), "default");
    let uploads = open(&root);
    let record = uploads.store().session(&id).unwrap().expect("kept");
    assert_eq!(record.state, SessionState::Open);
    assert_eq!(uploads.store().parts(&id).unwrap().len(), 2, "parts kept");
    assert_eq!(std::fs::read(uploads.partial_path(&id)).unwrap(), data);
    assert!(!root.join("dir/a.bin").exists());
}

#[test]
fn a_crash_after_the_rename_is_finished_at_startup() {
    let runtime = runtime();
    let _entered = runtime.enter();
    let (_dir, root) = root();
    let (id, data) = {
        let uploads = open(&root);
        let (id, data) = all_parts_recorded(&uploads, "default");
        std::fs::create_dir(root.join("dir")).unwrap();
        std::fs::rename(uploads.partial_path(&id), root.join("dir/a.bin")).unwrap();
        (id, data)
    };
    let uploads = open(&root);
    let record = uploads.store().session(&id).unwrap().expect("kept");
    assert!(matches!(record.state, SessionState::Completed { .. }));
    assert!(
        uploads.store().parts(&id).unwrap().is_empty(),
        "parts dropped"
    );
    let file = uploads
        .store()
        .file("dir/a.bin")
        .unwrap()
        .expect("file record");
    assert_eq!(file.content_hash, record.content_hash);
    assert_eq!((file.part_size, file.id), (Some(MIN_PART), record.file_id));
    assert_eq!(std::fs::read(root.join("dir/a.bin")).unwrap(), data);
}

#[test]
fn a_crash_after_the_rename_into_a_mounted_local_folder_is_finished_at_startup() {
    let runtime = runtime();
    let _entered = runtime.enter();
    let (_dir, root) = root();
    let (_outside, mounted) = self::root();
    let db = crate::database::open(&root, true).expect("open the database");
    let store: Arc<dyn Store> = Arc::new(LocalStore::open(&mounted).expect("open the mount"));
    let buckets = || Arc::new(OneMount(Arc::clone(&store))) as Arc<dyn Buckets>;
    let (id, data) = {
        let uploads = open_with(&root, Arc::clone(&db), buckets());
        let (id, data) = all_parts_recorded(&uploads, "lm");
        std::fs::create_dir(mounted.join("dir")).unwrap();
        std::fs::rename(uploads.partial_path(&id), mounted.join("dir/a.bin")).unwrap();
        (id, data)
    };
    // Opened on the thread that drives the runtime, as the server opens it.
    let uploads = runtime.block_on(async { open_with(&root, db, buckets()) });
    let record = uploads.store().session(&id).unwrap().expect("kept");
    assert!(matches!(record.state, SessionState::Completed { .. }));
    assert!(uploads.store().parts(&id).unwrap().is_empty());
    let file = uploads
        .store()
        .file("lm/dir/a.bin")
        .unwrap()
        .expect("file record under the tree key");
    assert_eq!(file.content_hash, record.content_hash);
    assert_eq!(file.sha256, record.digest, "the announced SHA-256, checked");
    assert_eq!(std::fs::read(mounted.join("dir/a.bin")).unwrap(), data);
}
