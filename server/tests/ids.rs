//! Stable ids (PROTOCOL.md §4, §1 extension) against the real binary: an entry
//! gets its id when it is first looked at on its own (a file's RFSAPI entry, a
//! file object); listings then carry it with the `etag`. The id is the same
//! everywhere, survives a restart and a replacing `PUT`, and dies with a delete
//! made through the server. Each case runs on the default storage (`local::`) and
//! in an S3 storage mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`), whose ids are kept under the tree
//! key.

mod common;

use std::collections::HashMap;

use common::target::{on_each_storage, Kind, Target};
use common::uploads::{append, create_in};
use common::{client, rfsapi, TestServer};
use skiff_protocol::{FileObject, UPLOADS_PATH};

/// name → id of the files listed at `path` (folder URL ending in `/`), after
/// looking at each file on its own so each has an id; every entry has an etag.
async fn ids(server: &TestServer, path: &str) -> HashMap<String, String> {
    for entry in rfsapi(server, path).await.files {
        assert!(entry.etag.is_some(), "{} has an etag", entry.name);
        if entry.is_file {
            let own = rfsapi(server, &format!("{path}{}", common::enc(&entry.name))).await;
            assert!(own.files[0].id.is_some(), "a file's own entry has an id");
        }
    }
    rfsapi(server, path)
        .await
        .files
        .into_iter()
        .filter(|entry| entry.is_file)
        .map(|entry| {
            let id = entry
                .id
                .unwrap_or_else(|| panic!("{} has an id", entry.name));
            assert!(uuid_like(&id), "{id} is a UUID");
            (entry.name, id)
        })
        .collect()
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.bytes().filter(|b| *b == b'-').count() == 4
}

on_each_storage!(
    ids_are_stable_across_listings_entries_file_objects_and_restarts,
    a_replaced_file_keeps_its_id_and_a_deleted_one_loses_it,
    a_file_deleted_behind_the_servers_back_does_not_pass_its_id_on,
    a_read_only_server_gives_ids_without_writing_to_the_tree,
);

async fn fixture(kind: Kind) -> Target {
    let target = Target::new(kind).await;
    target.write(&["a b.txt"], b"one").await;
    target.write(&["second.txt"], b"second").await;
    target.write(&["folder", "inner.txt"], b"two").await;
    target
}

async fn ids_are_stable_across_listings_entries_file_objects_and_restarts(kind: Kind) {
    let target = fixture(kind).await;
    let top_url = target.url(&[]);
    let mut server = target.serve_writable(&[]);
    let top = ids(&server, &top_url).await;
    assert_eq!(top.len(), 2);
    assert_ne!(top["a b.txt"], top["second.txt"]);
    assert_eq!(
        ids(&server, &top_url).await,
        top,
        "the same ids on the next listing"
    );
    let entry = rfsapi(&server, &target.at("/a%20b.txt"))
        .await
        .files
        .remove(0);
    assert_eq!(entry.id.as_ref(), Some(&top["a b.txt"]));
    let object: FileObject = client()
        .get(server.url(&format!("{UPLOADS_PATH}/{}/a%20b.txt", target.bucket())))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("file object");
    assert_eq!(object.id, top["a b.txt"]);
    let inner = ids(&server, &target.at("/folder/")).await;

    server.kill();
    let server = target.serve_writable(&[]);
    assert_eq!(ids(&server, &top_url).await, top, "ids survive a restart");
    assert_eq!(ids(&server, &target.at("/folder/")).await, inner);
}

async fn a_replaced_file_keeps_its_id_and_a_deleted_one_loses_it(kind: Kind) {
    let target = fixture(kind).await;
    let top_url = target.url(&[]);
    let server = target.serve_writable(&[]);
    let before = ids(&server, &top_url).await["a b.txt"].clone();
    let put = client()
        .put(server.url(&target.at("/a%20b.txt")))
        .body("replaced")
        .send()
        .await
        .expect("send");
    assert_eq!(put.status(), 200);
    assert_eq!(
        ids(&server, &top_url).await["a b.txt"],
        before,
        "PUT keeps the id"
    );

    // An upload that replaces the file reports (and keeps) the same id.
    let session = create_in(&server, target.bucket(), "a b.txt", 3, None).await;
    let done = append(&server, &session.url, 0, b"new".to_vec(), false).await;
    let object: FileObject = done.json().await.expect("file object");
    assert_eq!(
        object.id, before,
        "the completed upload reports the stable id"
    );

    let deleted = client()
        .delete(server.url(&target.at("/a%20b.txt")))
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), 204);
    target.write(&["a b.txt"], b"a new file").await;
    assert_ne!(
        ids(&server, &top_url).await["a b.txt"],
        before,
        "a new file, a new id"
    );
}

async fn a_file_deleted_behind_the_servers_back_does_not_pass_its_id_on(kind: Kind) {
    let target = fixture(kind).await;
    let top_url = target.url(&[]);
    let server = target.serve_writable(&[]);
    let before = ids(&server, &top_url).await["a b.txt"].clone();
    target.remove(&["a b.txt"]).await;
    let put = client()
        .put(server.url(&target.at("/a%20b.txt")))
        .body("new")
        .send()
        .await
        .expect("send");
    assert_eq!(put.status(), 201);
    assert_ne!(
        ids(&server, &top_url).await["a b.txt"],
        before,
        "a new file, a new id"
    );

    let second = ids(&server, &top_url).await["second.txt"].clone();
    target.remove(&["second.txt"]).await;
    let session = create_in(&server, target.bucket(), "second.txt", 2, None).await;
    let done = append(&server, &session.url, 0, b"up".to_vec(), false).await;
    let object: FileObject = done.json().await.expect("file object");
    assert_ne!(object.id, second, "an uploaded new file gets a new id");
}

async fn a_read_only_server_gives_ids_without_writing_to_the_tree(kind: Kind) {
    let target = fixture(kind).await;
    let top_url = target.url(&[]);
    let server = target.serve();
    let first = ids(&server, &top_url).await;
    assert_eq!(ids(&server, &top_url).await, first);
    assert!(
        !target.fixture().path(&[".skiff"]).exists(),
        "nothing written"
    );
}
