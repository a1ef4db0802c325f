//! `move` and `copy` between two storages (PROTOCOL.md §4, §5) against the real
//! binary and a real SeaweedFS: a file and a nested folder (an empty subfolder,
//! a 20 MiB file) from the default storage into an S3 mount, from the S3 mount
//! into a mounted local folder, and from there back into the default storage.
//! The bytes and their SHA-256 are checked where they land (the disk, or the
//! bucket through the S3 API); a move leaves no source, keeps ids and carries
//! metadata, a copy leaves the source whole and gets new ids. A move that stops
//! midway (the target's disk full) leaves the source whole and removes what it
//! made at the target. Then the rules: an
//! existing target and `overwrite`, a read-only server, the reserved `.skiff`
//! at either end, and a storage's top folder.

mod common;
#[path = "raw_api_across/world.rs"]
mod world;

use reqwest::Method;
use serde_json::json;
use skiff_protocol::RawStat;

use common::raw::path_ref;
use common::uploads::content_digest_header;
use common::{expect_error, header};
use world::{
    assert_tree, big, metadata, mkdir, put, raw, set_metadata, stat, transfer, Storage, World,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_the_default_storage_into_an_s3_mount() {
    moves_and_copies_between(Storage::Root, Storage::S3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_an_s3_mount_into_a_local_mount() {
    moves_and_copies_between(Storage::S3, Storage::Lm).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_local_mount_into_the_default_storage() {
    moves_and_copies_between(Storage::Lm, Storage::Root).await;
}

/// Seeds `from` through the server, then copies and moves a file and a folder
/// into `to`, checking both ends after each.
async fn moves_and_copies_between(from: Storage, to: Storage) {
    let world = World::new().await;
    let server = world.serve(true);
    let big = big();
    put(&server, &from.at("/doc.txt"), b"hello across".to_vec()).await;
    put(&server, &from.at("/tree/big.bin"), big.clone()).await;
    put(&server, &from.at("/tree/sub/deep.txt"), b"deep".to_vec()).await;
    mkdir(&server, &from.at("/tree/empty")).await;
    set_metadata(&server, &from.at("/doc.txt"), json!({"colour": "blue"})).await;
    set_metadata(&server, &from.at("/tree/sub/deep.txt"), json!({"n": 7})).await;
    let doc_id = stat(&server, &from.at("/doc.txt")).await.id;
    let tree_id = stat(&server, &from.at("/tree")).await.id;
    let deep_id = stat(&server, &from.at("/tree/sub/deep.txt")).await.id;

    // A file, copied: new id, no metadata, the source whole.
    let copied = transfer(
        &server,
        "copy",
        &from.at("/doc.txt"),
        &to.at("/in/c.txt"),
        "",
    )
    .await;
    assert_eq!(copied.status(), 201);
    let copied: RawStat = copied.json().await.expect("a stat object");
    assert_eq!(
        (copied.path.as_str(), copied.size),
        (to.at("/in/c.txt").as_str(), 12)
    );
    assert_ne!(copied.id, doc_id, "a copy is a new entry");
    let landed = world.read(to, &["in", "c.txt"]).await;
    assert_eq!(landed.as_deref(), Some(&b"hello across"[..]));
    let source = world.read(from, &["doc.txt"]).await;
    assert_eq!(source.as_deref(), Some(&b"hello across"[..]));
    assert_eq!(
        metadata(&server, &to.at("/in/c.txt")).await.get("colour"),
        None
    );

    // A file, moved: its id and metadata go with it, the source is gone.
    let moved = transfer(
        &server,
        "move",
        &from.at("/doc.txt"),
        &to.at("/moved.txt"),
        "",
    )
    .await;
    assert_eq!(moved.status(), 200);
    let moved: RawStat = moved.json().await.expect("a stat object");
    assert_eq!(
        (moved.path.as_str(), moved.id.as_str()),
        (to.at("/moved.txt").as_str(), doc_id.as_str())
    );
    let landed = world.read(to, &["moved.txt"]).await;
    assert_eq!(landed.as_deref(), Some(&b"hello across"[..]));
    assert!(
        !world.exists(from, &["doc.txt"]).await,
        "the moved file's source stayed"
    );
    let carried = metadata(&server, &to.at("/moved.txt")).await;
    assert_eq!(
        (carried["colour"].as_str(), carried["_id"].as_str()),
        (Some("blue"), Some(doc_id.as_str()))
    );

    // A folder, copied: every file and folder, the empty one too.
    let copied = transfer(&server, "copy", &from.at("/tree"), &to.at("/tree copy"), "").await;
    assert_eq!(copied.status(), 201);
    let copied: RawStat = copied.json().await.expect("a stat object");
    assert_ne!(copied.id, tree_id);
    assert_tree(&world, to, "tree copy", &big).await;
    assert_tree(&world, from, "tree", &big).await;
    assert_eq!(
        metadata(&server, &to.at("/tree copy/sub/deep.txt"))
            .await
            .get("n"),
        None
    );

    // A folder, moved: ids and metadata below it follow.
    let moved = transfer(&server, "move", &from.at("/tree"), &to.at("/tree"), "").await;
    assert_eq!(moved.status(), 200);
    assert_eq!(
        moved.json::<RawStat>().await.expect("a stat object").id,
        tree_id
    );
    assert_tree(&world, to, "tree", &big).await;
    assert!(
        !world.exists(from, &["tree"]).await,
        "the moved folder's source stayed"
    );
    assert!(!world.exists(from, &["tree", "big.bin"]).await);
    assert_eq!(
        stat(&server, &to.at("/tree/sub/deep.txt")).await.id,
        deep_id
    );
    assert_eq!(
        metadata(&server, &to.at("/tree/sub/deep.txt")).await["n"],
        json!(7)
    );
    // The bytes are served from their new storage, whole, with the SHA-256
    // computed on the way (`Repr-Digest`), after a copy and after a move.
    let served = raw(&server, Method::GET, "data", &format!("ref=id:{deep_id}")).await;
    assert_eq!(
        header(&served, "repr-digest"),
        content_digest_header(b"deep")
    );
    assert_eq!(served.bytes().await.expect("body").as_ref(), b"deep");
    let big_digest = content_digest_header(&big);
    for folder in ["tree", "tree copy"] {
        let path = to.at(&format!("/{folder}/big.bin"));
        let served = raw(
            &server,
            Method::HEAD,
            "data",
            &format!("ref={}", path_ref(&path)),
        )
        .await;
        assert_eq!(header(&served, "repr-digest"), big_digest, "{path}");
        assert_eq!(header(&served, "content-length"), (20u32 << 20).to_string());
    }
}

/// A move whose target fills up after the first file stops there: 507 saying
/// how far it got, the source whole with its ids, and the target as it was
/// before: the file copied so far, the folder and the missing parent the move
/// made are removed again; what was there stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_that_stops_midway_leaves_the_source_whole_and_the_target_as_it_was() {
    let world = World::new().await;
    let _disk = world.small_local_mount("3m");
    let two_mib = vec![7u8; 2 << 20];
    world
        .write(Storage::Root, &["tree", "a.bin"], &two_mib)
        .await;
    world
        .write(Storage::Root, &["tree", "b.bin"], &two_mib)
        .await;
    world
        .write(Storage::Lm, &["kept.txt"], b"there before")
        .await;
    let server = world.serve(true);
    let id = stat(&server, "/tree").await.id;
    let stopped = transfer(&server, "move", "/tree", "/lm/made/tree", "").await;
    let error = expect_error(stopped, 507, "a move onto a full disk").await;
    assert!(
        error.error.message.contains("stopped after 1 file")
            && error
                .error
                .message
                .contains("nothing of it stays at the target"),
        "{}",
        error.error.message
    );
    for name in ["a.bin", "b.bin"] {
        let source = world.read(Storage::Root, &["tree", name]).await;
        assert_eq!(source.as_deref(), Some(two_mib.as_slice()), "{name}");
    }
    assert_eq!(
        stat(&server, "/tree").await.id,
        id,
        "the ids stay with the source"
    );
    assert!(!world.exists(Storage::Lm, &["made"]).await, "nothing new");
    let kept = world.read(Storage::Lm, &["kept.txt"]).await;
    assert_eq!(kept.as_deref(), Some(&b"there before"[..]));
}

/// An existing target is 412 `already_exists` and stays as it was, unless
/// `overwrite=true`: then a file replaces a file, a folder replaces a file,
/// and a file replaces a folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_target_is_replaced_only_with_overwrite() {
    let world = World::new().await;
    let server = world.serve(true);
    let (root, s3, lm) = (Storage::Root, Storage::S3, Storage::Lm);
    world.write(root, &["new.txt"], b"new bytes").await;
    world
        .write(root, &["folder", "inside.txt"], b"inside")
        .await;
    world.write(s3, &["old.txt"], b"old").await;
    world.write(lm, &["taken", "kept.txt"], b"kept").await;

    for operation in ["move", "copy"] {
        let refused = transfer(&server, operation, "/new.txt", "/s3/old.txt", "").await;
        expect_error(refused, 412, operation).await;
        let refused = transfer(&server, operation, "/folder", "/lm/taken", "").await;
        expect_error(refused, 412, operation).await;
    }
    assert_eq!(
        world.read(s3, &["old.txt"]).await.as_deref(),
        Some(&b"old"[..])
    );
    assert_eq!(
        world.read(lm, &["taken", "kept.txt"]).await.as_deref(),
        Some(&b"kept"[..])
    );
    assert!(world.read(root, &["new.txt"]).await.is_some());

    let replaced = transfer(
        &server,
        "copy",
        "/new.txt",
        "/s3/old.txt",
        "&overwrite=true",
    )
    .await;
    assert_eq!(replaced.status(), 201);
    assert_eq!(
        world.read(s3, &["old.txt"]).await.as_deref(),
        Some(&b"new bytes"[..])
    );
    // A folder over a folder: what was there is gone, not merged.
    let replaced = transfer(&server, "move", "/folder", "/lm/taken", "&overwrite=true").await;
    assert_eq!(replaced.status(), 200);
    assert_eq!(
        world.read(lm, &["taken", "inside.txt"]).await.as_deref(),
        Some(&b"inside"[..])
    );
    assert!(
        !world.exists(lm, &["taken", "kept.txt"]).await,
        "the old folder was merged"
    );
    // A file over a folder, and a folder over a file.
    let replaced = transfer(
        &server,
        "copy",
        "/s3/old.txt",
        "/lm/taken",
        "&overwrite=true",
    )
    .await;
    assert_eq!(replaced.status(), 201);
    assert_eq!(
        world.read(lm, &["taken"]).await.as_deref(),
        Some(&b"new bytes"[..])
    );
    let replaced = transfer(
        &server,
        "copy",
        "/lm/taken",
        "/s3/old.txt",
        "&overwrite=true",
    )
    .await;
    assert_eq!(replaced.status(), 201);
    world.write(lm, &["dir", "x.txt"], b"x").await;
    let replaced = transfer(&server, "move", "/lm/dir", "/s3/old.txt", "&overwrite=true").await;
    assert_eq!(replaced.status(), 200);
    assert_eq!(
        world.read(s3, &["old.txt", "x.txt"]).await.as_deref(),
        Some(&b"x"[..])
    );
    assert!(!world.exists(lm, &["dir"]).await);
}

/// A read-only server moves and copies nothing between storages (403
/// `read_only`); a missing source is 404; nothing changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_target_and_a_missing_source_are_refused() {
    let world = World::new().await;
    world.write(Storage::Root, &["a.txt"], b"a").await;
    world.write(Storage::S3, &["b.txt"], b"b").await;
    let server = world.serve(false);
    for (operation, from, to) in [
        ("copy", "/a.txt", "/s3/a.txt"),
        ("move", "/a.txt", "/lm/a.txt"),
        ("copy", "/s3/b.txt", "/b.txt"),
        ("move", "/s3/b.txt", "/lm/b.txt"),
    ] {
        let refused = transfer(&server, operation, from, to, "").await;
        assert_eq!(
            expect_error(refused, 403, operation).await.error.code,
            "read_only"
        );
    }
    drop(server);
    let server = world.serve(true);
    for operation in ["move", "copy"] {
        let missing = transfer(&server, operation, "/absent.txt", "/s3/x.txt", "").await;
        expect_error(missing, 404, operation).await;
        let missing = transfer(&server, operation, "/s3/absent", "/x", "").await;
        expect_error(missing, 404, operation).await;
    }
    assert!(!world.exists(Storage::S3, &["a.txt"]).await);
    assert!(!world.exists(Storage::Lm, &["a.txt"]).await);
    assert!(!world.exists(Storage::Root, &["b.txt"]).await);
    assert!(!world.exists(Storage::S3, &["x.txt"]).await);
    assert_eq!(
        world.read(Storage::Root, &["a.txt"]).await.as_deref(),
        Some(&b"a"[..])
    );
    assert_eq!(
        world.read(Storage::S3, &["b.txt"]).await.as_deref(),
        Some(&b"b"[..])
    );
}

/// Each storage's `.skiff` is refused at either end (403 `reserved`, never 412),
/// and a storage's top folder or the root cannot be moved, copied or replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_names_and_storage_tops_are_refused() {
    let world = World::new().await;
    world.write(Storage::Root, &["a.txt"], b"a").await;
    world
        .write(Storage::S3, &[".skiff", "taken"], b"taken")
        .await;
    world
        .write(Storage::Lm, &[".skiff", "taken"], b"taken")
        .await;
    let server = world.serve(true);
    for (operation, from, to) in [
        ("copy", "/a.txt", "/s3/.skiff/x"),
        ("move", "/a.txt", "/lm/.skiff/taken"),
        ("copy", "/a.txt", "/s3/.skiff"),
        ("move", "/s3/.skiff/taken", "/x"),
        ("copy", "/lm/.skiff/taken", "/s3/x"),
        ("copy", "/.skiff/state.redb", "/s3/x"),
        ("move", "/lm/.skiff", "/x"),
        ("copy", "/s3/.skiff/taken", "/.skiff/x"),
    ] {
        let refused = transfer(&server, operation, from, to, "").await;
        let error = expect_error(refused, 403, &format!("{operation} {from} {to}")).await;
        assert_eq!(error.error.code, "reserved", "{operation} {from} {to}");
    }
    for (operation, from, to, code) in [
        ("move", "/s3", "/lm/s3", "storage_root"),
        ("copy", "/lm", "/copy", "storage_root"),
        ("copy", "/a.txt", "/s3", "storage_root"),
        ("copy", "/lm/taken", "/", "is_root"),
    ] {
        let refused = transfer(&server, operation, from, to, "").await;
        let error = expect_error(refused, 409, &format!("{operation} {from} {to}")).await;
        assert_eq!(error.error.code, code, "{operation} {from} {to}");
    }
    assert!(!world.exists(Storage::S3, &[".skiff", "x"]).await);
    assert!(!world.exists(Storage::S3, &["x"]).await);
    assert!(!world.exists(Storage::Root, &["x"]).await);
    assert!(!world.exists(Storage::Lm, &["s3"]).await);
    assert_eq!(
        world
            .read(Storage::Lm, &[".skiff", "taken"])
            .await
            .as_deref(),
        Some(&b"taken"[..])
    );
    assert_eq!(
        world.read(Storage::Root, &["a.txt"]).await.as_deref(),
        Some(&b"a"[..])
    );
}
