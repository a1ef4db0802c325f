//! Stable ids (PROTOCOL.md §4, §1 extension) against the real binary: an entry
//! gets its id when it is first looked at on its own (a file's RFSAPI entry, a
//! file object); listings then carry it with the `etag`. The id is the same
//! everywhere, survives a restart and a replacing `PUT`, and dies with a delete
//! made through the server.

mod common;

use std::collections::HashMap;

use common::uploads::{append, create, serve_writable};
use common::{client, rfsapi, Fixture, TestServer};
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

fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture.write(&["a b.txt"], b"one");
    fixture.write(&["second.txt"], b"second");
    fixture.write(&["folder", "inner.txt"], b"two");
    fixture
}

#[tokio::test]
async fn ids_are_stable_across_listings_entries_file_objects_and_restarts() {
    let fixture = fixture();
    let mut server = serve_writable(&fixture, &[]);
    let top = ids(&server, "/").await;
    assert_eq!(top.len(), 2);
    assert_ne!(top["a b.txt"], top["second.txt"]);
    assert_eq!(
        ids(&server, "/").await,
        top,
        "the same ids on the next listing"
    );
    let entry = rfsapi(&server, "/a%20b.txt").await.files.remove(0);
    assert_eq!(entry.id.as_ref(), Some(&top["a b.txt"]));
    let object: FileObject = client()
        .get(server.url(&format!("{UPLOADS_PATH}/default/a%20b.txt")))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("file object");
    assert_eq!(object.id, top["a b.txt"]);
    let inner = ids(&server, "/folder/").await;

    server.kill();
    let server = serve_writable(&fixture, &[]);
    assert_eq!(ids(&server, "/").await, top, "ids survive a restart");
    assert_eq!(ids(&server, "/folder/").await, inner);
}

#[tokio::test]
async fn a_replaced_file_keeps_its_id_and_a_deleted_one_loses_it() {
    let fixture = fixture();
    let server = serve_writable(&fixture, &[]);
    let before = ids(&server, "/").await["a b.txt"].clone();
    let put = client()
        .put(server.url("/a%20b.txt"))
        .body("replaced")
        .send()
        .await
        .expect("send");
    assert_eq!(put.status(), 200);
    assert_eq!(
        ids(&server, "/").await["a b.txt"],
        before,
        "PUT keeps the id"
    );

    // An upload that replaces the file reports (and keeps) the same id.
    let session = create(&server, "a b.txt", 3, None).await;
    let done = append(&server, &session.url, 0, b"new".to_vec(), false).await;
    let object: FileObject = done.json().await.expect("file object");
    assert_eq!(
        object.id, before,
        "the completed upload reports the stable id"
    );

    let deleted = client()
        .delete(server.url("/a%20b.txt"))
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), 204);
    fixture.write(&["a b.txt"], b"a new file");
    assert_ne!(
        ids(&server, "/").await["a b.txt"],
        before,
        "a new file, a new id"
    );
}

#[tokio::test]
async fn a_file_deleted_behind_the_servers_back_does_not_pass_its_id_on() {
    let fixture = fixture();
    let server = serve_writable(&fixture, &[]);
    let before = ids(&server, "/").await["a b.txt"].clone();
    std::fs::remove_file(fixture.path(&["a b.txt"])).expect("delete outside the server");
    let put = client()
        .put(server.url("/a%20b.txt"))
        .body("new")
        .send()
        .await
        .expect("send");
    assert_eq!(put.status(), 201);
    assert_ne!(
        ids(&server, "/").await["a b.txt"],
        before,
        "a new file, a new id"
    );

    let second = ids(&server, "/").await["second.txt"].clone();
    std::fs::remove_file(fixture.path(&["second.txt"])).expect("delete outside the server");
    let session = create(&server, "second.txt", 2, None).await;
    let done = append(&server, &session.url, 0, b"up".to_vec(), false).await;
    let object: FileObject = done.json().await.expect("file object");
    assert_ne!(object.id, second, "an uploaded new file gets a new id");
}

#[tokio::test]
async fn a_read_only_server_gives_ids_without_writing_to_the_tree() {
    let fixture = fixture();
    let server = fixture.serve();
    let first = ids(&server, "/").await;
    assert_eq!(ids(&server, "/").await, first);
    assert!(!fixture.path(&[".skiff"]).exists(), "nothing written");
}
