//! Startup recovery of parts sessions (§2.1) at the two points of a completion
//! that a `kill -9` can hit but a black-box test can hardly time: after the
//! content hash is committed but before the rename, and after the rename but
//! before the bookkeeping. The real store and files, reopened as at a restart.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use skiff_protocol::UploadCreate;

use super::body::hex;
use super::parts::MIN_PART;
use super::session::{now_ms, Uploads};
use super::store::{SessionState, Write};
use crate::catalog::ids::Ids;
use crate::config::Config;

const SIZE: u64 = MIN_PART + 10;

fn open(root: &Path) -> Uploads {
    let mut config = Config::new(root);
    config.writable = true;
    let db = crate::database::open(root, true).expect("open the database");
    let storages = crate::storages::StorageRegistry::open(db.clone(), root, true, &[])
        .expect("open the storages");
    let store = crate::store::local::LocalStore::open(root).expect("open the default store");
    Uploads::open(
        root,
        &config,
        Ids::new(db),
        std::sync::Arc::new(storages),
        std::sync::Arc::new(store),
    )
    .expect("open the uploads")
}

/// A parts session with both parts written and recorded, its content hash
/// committed as complete does just before the rename; returns its id and bytes.
fn all_parts_recorded(uploads: &Uploads) -> (String, Vec<u8>) {
    let request = UploadCreate {
        key: "dir/a.bin".to_owned(),
        bucket: "default".to_owned(),
        mime_type: "x/y".to_owned(),
        size: SIZE,
        sha256: None,
        part_size: Some(MIN_PART),
    };
    let id = uploads.create(request, false).expect("create").id;
    let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
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
    let (_dir, root) = root();
    let (id, data) = all_parts_recorded(&open(&root));
    let uploads = open(&root);
    let record = uploads.store().session(&id).unwrap().expect("kept");
    assert_eq!(record.state, SessionState::Open);
    assert_eq!(uploads.store().parts(&id).unwrap().len(), 2, "parts kept");
    assert_eq!(std::fs::read(uploads.partial_path(&id)).unwrap(), data);
    assert!(!root.join("dir/a.bin").exists());
}

#[test]
fn a_crash_after_the_rename_is_finished_at_startup() {
    let (_dir, root) = root();
    let (id, data) = {
        let uploads = open(&root);
        let (id, data) = all_parts_recorded(&uploads);
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
