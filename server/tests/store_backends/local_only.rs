//! What only a local folder has: symlinks (inside the root they work, leaving it
//! they do not exist), a disk that fills up, the server's own `.skiff`, and
//! adopting a staged file by rename (`Store::adopt`).

use futures_util::StreamExt;
use skiff_protocol::TreePath;
use skiff_server::store::local::LocalStore;
use skiff_server::store::{PutMode, Store, StoreError};

use crate::fixtures::{body, key, listing, local, put, read, stat};

#[tokio::test]
async fn local_symlinks_leaving_the_root_are_outside_and_unlisted() {
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("secret"), b"s").expect("write");
    let backend = local().await;
    let store = backend.store.as_ref();
    let root = backend.dir.as_ref().expect("local dir").path();
    std::os::unix::fs::symlink(outside.path(), root.join("out")).expect("symlink");
    std::os::unix::fs::symlink(outside.path().join("secret"), root.join("out-file"))
        .expect("symlink");
    put(store, "inside", b"i").await;
    std::os::unix::fs::symlink(root.join("inside"), root.join("link-in")).expect("symlink");

    assert_eq!(listing(store, "", 10).await, ["inside", "link-in"]);
    for at in ["out", "out/secret", "out-file"] {
        assert!(
            matches!(stat(store, at).await, Err(StoreError::Outside)),
            "{at}"
        );
    }
    assert!(matches!(
        store
            .put(&key("out/new"), PutMode::Overwrite, body(b"x"))
            .await,
        Err(StoreError::Outside)
    ));
    assert!(
        !outside.path().join("new").exists(),
        "nothing written outside"
    );
    assert_eq!(
        read(store, "link-in", None).await,
        b"i",
        "links inside work"
    );
    let walked: Vec<_> = store.walk(&TreePath::root()).collect().await;
    assert_eq!(walked.len(), 2, "the walk sees inside and link-in only");
}

#[tokio::test]
async fn local_full_disk_is_no_space_and_places_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _tmpfs = crate::common::tmpfs::Tmpfs::mount(dir.path(), "4m");
    let store = LocalStore::open(dir.path()).expect("open");
    let big = vec![7u8; 8 * 1024 * 1024];
    let put = store.put(&key("big"), PutMode::Overwrite, body(&big)).await;
    assert!(matches!(put, Err(StoreError::NoSpace)), "{put:?}");
    assert!(matches!(
        stat(&store, "big").await,
        Err(StoreError::NotFound)
    ));
    let staged = std::fs::read_dir(dir.path().join(".skiff/store"))
        .expect("staging folder")
        .count();
    assert_eq!(staged, 0, "the staged bytes are gone");
    let id = store
        .multipart_create(&key("parts"), 8 << 20)
        .await
        .expect("create");
    let part = store
        .multipart_put(&key("parts"), &id, 0, 8 << 20, body(&big))
        .await;
    assert!(matches!(part, Err(StoreError::NoSpace)), "{part:?}");
    store
        .multipart_abort(&key("parts"), &id)
        .await
        .expect("abort");
}

#[tokio::test]
async fn local_reserved_name_is_never_the_tree() {
    let backend = local().await;
    let store = backend.store.as_ref();
    store.probe().await.expect("probe");
    put(store, "a", b"a").await;
    assert_eq!(listing(store, "", 10).await, ["a"], ".skiff stays hidden");
    assert!(stat(store, ".skiff").await.is_err());
    assert!(matches!(
        store
            .put(&key(".skiff/x"), PutMode::Overwrite, body(b"x"))
            .await,
        Err(StoreError::Outside)
    ));
}

#[tokio::test]
async fn local_multipart_writes_survive_the_server_starting_on_the_same_root() {
    let backend = local().await;
    let store = backend.store.as_ref();
    let root = backend.dir.as_ref().expect("local dir").path();
    let at = key("resumed");
    let id = store.multipart_create(&at, 4).await.expect("create");
    let first = store
        .multipart_put(&at, &id, 0, 4, body(b"abcd"))
        .await
        .expect("part 0");
    // The server's startup sweeps its own staging folder of unknown files.
    drop(crate::common::TestServer::start_with(root, &["--writable"]));
    let second = store
        .multipart_put(&at, &id, 1, 2, body(b"ef"))
        .await
        .expect("part 1 after the server started");
    store
        .multipart_complete(&at, &id, vec![first, second], PutMode::Create)
        .await
        .expect("complete");
    assert_eq!(read(store, "resumed", None).await, b"abcdef");
}

/// A file staged on the same file system, as an upload session stages it.
fn staged(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("stage");
    path
}

#[tokio::test]
async fn local_adopt_renames_a_staged_file_in_under_its_put_mode() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("tree");
    std::fs::create_dir(&root).expect("root");
    let store = LocalStore::open(&root).expect("open");
    let first = staged(dir.path(), "first", b"one");
    let inode = std::fs::metadata(&first).expect("staged").ino();

    let entry = store
        .adopt(&first, &key("a/b/file"), PutMode::Create)
        .await
        .expect("adopt");
    assert_eq!(entry.size, 3);
    assert!(!first.exists(), "renamed, not copied");
    let placed = std::fs::metadata(root.join("a/b/file")).expect("placed");
    assert_eq!(placed.ino(), inode, "the very file, not a copy");

    // Create over a file: Exists, and the staged file stays the caller's.
    let second = staged(dir.path(), "second", b"two");
    let refused = store
        .adopt(&second, &key("a/b/file"), PutMode::Create)
        .await;
    assert!(matches!(refused, Err(StoreError::Exists)), "{refused:?}");
    let refused = store
        .adopt(
            &second,
            &key("a/b/file"),
            PutMode::Update("\"nope\"".into()),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Precondition)),
        "{refused:?}"
    );
    assert!(second.exists(), "a refused adopt leaves the staged file");
    assert_eq!(read(&store, "a/b/file", None).await, b"one");

    store
        .adopt(&second, &key("a/b/file"), PutMode::Update(entry.etag))
        .await
        .expect("update");
    assert_eq!(read(&store, "a/b/file", None).await, b"two");
    let third = staged(dir.path(), "third", b"3");
    for reserved in [".skiff/x", "a/b/file/below"] {
        assert!(
            store
                .adopt(&third, &key(reserved), PutMode::Overwrite)
                .await
                .is_err(),
            "{reserved}"
        );
    }
    assert!(third.exists());
}

#[tokio::test]
async fn local_adopt_from_another_file_system_is_unsupported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(dir.path()).expect("open");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let _tmpfs = crate::common::tmpfs::Tmpfs::mount(elsewhere.path(), "1m");
    let file = staged(elsewhere.path(), "staged", b"bytes");
    let adopted = store.adopt(&file, &key("file"), PutMode::Overwrite).await;
    assert!(
        matches!(adopted, Err(StoreError::Unsupported)),
        "{adopted:?}"
    );
    assert!(file.exists(), "left for the caller to stream in");
    assert!(matches!(
        stat(&store, "file").await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn local_read_entry_refuses_a_file_replaced_since_its_stat() {
    let backend = local().await;
    let store = backend.store.as_ref();
    let old = put(store, "f", b"old bytes").await;
    let new = put(store, "f", b"new").await;
    assert_ne!(old.etag, new.etag, "a replaced file has a new entity-tag");
    // The validators of `old` must never go out with the bytes of `new`.
    assert!(matches!(
        store.read_entry(&old, None).await,
        Err(StoreError::Precondition)
    ));
    let mut stream = store.read_entry(&new, Some(1..3)).await.expect("read");
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.expect("a chunk"));
    }
    assert_eq!(bytes, b"ew");
}
