//! Mounted storages (PROTOCOL.md §5) seen by any RFSAPI client: a storage added
//! through the admin API appears as a top-level folder of the tree, and browsing,
//! bytes with ranges, digest-checked `PUT` (conditional too) and `DELETE` work in
//! it the same on a local folder and on an S3 bucket (a real SeaweedFS). The bytes
//! are checked where they land: on disk, or in the bucket through the S3 API.

mod common;

use base64::Engine;
use common::mounted::{serve_mounted, Backend, ADMIN, MOUNT};
use common::{client, Fixture, TestServer};
use sha2::{Digest, Sha256};
use skiff_protocol::{FilesetData, CONTENT_DIGEST_HEADER, RAW_PATH, RFSAPI_HEADER};

fn bearer() -> String {
    format!("Bearer {ADMIN}")
}

/// `POST {raw}/{call}`: the status and the JSON answer.
async fn raw(server: &TestServer, call: &str) -> (u16, serde_json::Value) {
    let response = client()
        .post(server.url(&format!("{RAW_PATH}/{call}")))
        .header("authorization", bearer())
        .send()
        .await
        .expect("raw call");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// `GET {raw}/{call}` as JSON (asserting 200).
async fn raw_get(server: &TestServer, call: &str) -> serde_json::Value {
    let response = client()
        .get(server.url(&format!("{RAW_PATH}/{call}")))
        .header("authorization", bearer())
        .send()
        .await
        .expect("raw call");
    assert_eq!(response.status(), 200, "{call}");
    response.json().await.expect("JSON")
}

async fn raw_stat(server: &TestServer, path: &str) -> serde_json::Value {
    raw_get(server, &format!("stat?ref=path:{path}")).await
}

fn digest_field(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes));
    format!("sha-256=:{encoded}:")
}

async fn put(
    server: &TestServer,
    path: &str,
    body: &'static [u8],
    headers: &[(&str, String)],
) -> u16 {
    let mut request = client()
        .put(server.url(path))
        .header("authorization", bearer())
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.expect("PUT").status().as_u16()
}

async fn get(server: &TestServer, path: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = client()
        .get(server.url(path))
        .header("authorization", bearer());
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.expect("GET")
}

async fn delete(server: &TestServer, path: &str) -> u16 {
    let response = client()
        .delete(server.url(path))
        .header("authorization", bearer())
        .send()
        .await
        .expect("DELETE");
    response.status().as_u16()
}

async fn listing_names(server: &TestServer, path: &str) -> Vec<(String, bool, u64)> {
    let response = client()
        .get(server.url(path))
        .header("authorization", bearer())
        .header(RFSAPI_HEADER, "1")
        .send()
        .await
        .expect("RFSAPI GET");
    assert_eq!(response.status(), 200, "RFSAPI GET {path}");
    let listing: FilesetData = response.json().await.expect("RFSAPI JSON");
    let mut names: Vec<_> = listing
        .files
        .into_iter()
        .map(|entry| (entry.name, entry.is_file, entry.size))
        .collect();
    names.sort();
    names
}

/// The ids (§4) the listing of `path` shows, by name.
async fn listing_ids(server: &TestServer, path: &str) -> Vec<(String, Option<String>)> {
    let response = client()
        .get(server.url(path))
        .header("authorization", bearer())
        .header(RFSAPI_HEADER, "1")
        .send()
        .await
        .expect("RFSAPI GET");
    let listing: FilesetData = response.json().await.expect("RFSAPI JSON");
    listing
        .files
        .into_iter()
        .map(|entry| (entry.name, entry.id))
        .collect()
}

/// Everything a client does in a mounted storage, checked at the backend.
async fn browse_and_write(backend: Backend) {
    let fixture = Fixture::new();
    fixture.write(&["local.txt"], b"on the default storage");
    let server = serve_mounted(&fixture, &backend).await;

    let root = listing_names(&server, "/").await;
    assert!(
        root.contains(&(MOUNT.to_owned(), false, 0)),
        "the mount is a folder of the root: {root:?}"
    );
    assert!(root.iter().any(|(name, ..)| name == "local.txt"));

    let body: &'static [u8] = b"0123456789 in the archive";
    let digest = digest_field(body);
    let created = put(
        &server,
        "/archive/notes/a%20b.txt",
        body,
        &[(CONTENT_DIGEST_HEADER, digest.clone())],
    )
    .await;
    assert_eq!(created, 201);
    assert_eq!(backend.stored("notes/a b.txt").await.as_deref(), Some(body));
    assert_eq!(
        listing_names(&server, "/archive/").await,
        [("notes".to_owned(), false, 0)]
    );
    assert_eq!(
        listing_names(&server, "/archive/notes/").await,
        [("a b.txt".to_owned(), true, body.len() as u64)]
    );

    let whole = get(&server, "/archive/notes/a%20b.txt", None).await;
    assert_eq!(whole.status(), 200);
    let etag = whole.headers()["etag"].to_str().expect("etag").to_owned();
    assert_eq!(whole.bytes().await.expect("bytes").as_ref(), body);
    let part = get(&server, "/archive/notes/a%20b.txt", Some("bytes=2-4")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.expect("bytes").as_ref(), b"234");

    // Refusals change nothing.
    let wrong = put(
        &server,
        "/archive/notes/bad.txt",
        b"not what was promised",
        &[(CONTENT_DIGEST_HEADER, digest.clone())],
    )
    .await;
    assert_eq!(wrong, 460);
    assert_eq!(backend.stored("notes/bad.txt").await, None);
    let taken = put(
        &server,
        "/archive/notes/a%20b.txt",
        b"second",
        &[("if-none-match", "*".to_owned())],
    )
    .await;
    assert_eq!(taken, 412);
    let stale = put(
        &server,
        "/archive/notes/a%20b.txt",
        b"second",
        &[("if-match", "\"not-the-etag\"".to_owned())],
    )
    .await;
    assert_eq!(stale, 412);
    assert_eq!(backend.stored("notes/a b.txt").await.as_deref(), Some(body));
    let replaced = put(
        &server,
        "/archive/notes/a%20b.txt",
        b"second",
        &[("if-match", etag)],
    )
    .await;
    assert_eq!(replaced, 200);
    assert_eq!(
        backend.stored("notes/a b.txt").await.as_deref(),
        Some(&b"second"[..])
    );
    // Stable ids (§4): the written file has one, listed; a file written again
    // after a delete starts afresh.
    let ids = listing_ids(&server, "/archive/notes/").await;
    let [(name, Some(id))] = ids.as_slice() else {
        panic!("the written file is listed with an id: {ids:?}");
    };
    assert_eq!(name, "a b.txt");
    let id = id.clone();

    assert_eq!(delete(&server, "/archive/notes").await, 409, "not empty");
    assert_eq!(delete(&server, "/archive/notes/a%20b.txt").await, 204);
    assert_eq!(
        put(&server, "/archive/notes/a%20b.txt", b"anew", &[]).await,
        201
    );
    let ids = listing_ids(&server, "/archive/notes/").await;
    assert!(
        matches!(ids.as_slice(), [(_, Some(fresh))] if *fresh != id),
        "a new file gets a new id: {ids:?}"
    );
    assert_eq!(delete(&server, "/archive/notes/a%20b.txt").await, 204);
    assert_eq!(backend.stored("notes/a b.txt").await, None);
    assert_eq!(
        get(&server, "/archive/notes/a%20b.txt", None)
            .await
            .status(),
        404
    );
    assert_eq!(delete(&server, "/archive").await, 409, "the mount itself");

    // The raw API inside the storage: mkdir, move, copy, stat, list, delete, with ids
    // following a move.
    assert_eq!(
        put(&server, "/archive/notes/a%20b.txt", b"kept", &[]).await,
        201
    );
    let made = raw(&server, "mkdir?ref=path:/archive/made").await;
    assert_eq!(made.0, 201, "{:?}", made.1);
    assert_eq!(raw(&server, "mkdir?ref=path:/archive/made").await.0, 409);
    let before = raw_stat(&server, "/archive/notes/a%20b.txt").await;
    let moved = raw(
        &server,
        "move?ref=path:/archive/notes/a%20b.txt&to=path:/archive/made/c.txt",
    )
    .await;
    assert_eq!(moved.0, 200, "{:?}", moved.1);
    assert_eq!(moved.1["id"], before["id"], "the id follows the move");
    assert_eq!(moved.1["path"], "/archive/made/c.txt");
    assert_eq!(
        backend.stored("made/c.txt").await.as_deref(),
        Some(&b"kept"[..])
    );
    assert_eq!(backend.stored("notes/a b.txt").await, None);
    let copied = raw(&server, "copy?ref=path:/archive/made&to=path:/archive/copy").await;
    assert_eq!(copied.0, 201, "{:?}", copied.1);
    assert_eq!(
        backend.stored("copy/c.txt").await.as_deref(),
        Some(&b"kept"[..])
    );
    assert_eq!(
        raw(&server, "copy?ref=path:/archive/made&to=path:/archive/copy")
            .await
            .0,
        412,
        "the target exists"
    );
    let listed = raw_get(&server, "list?ref=path:/archive/made").await;
    assert_eq!(listed["entries"][0]["name"], "c.txt");
    let gone = client()
        .delete(server.url(&format!(
            "{RAW_PATH}/data?ref=path:/archive/copy&recursive=true"
        )))
        .header("authorization", bearer())
        .send()
        .await
        .expect("raw delete");
    assert_eq!(gone.status(), 204);
    assert_eq!(backend.stored("copy/c.txt").await, None);

    // The storage's own `.skiff` (where the server may keep state) is reserved.
    assert_eq!(get(&server, "/archive/.skiff/", None).await.status(), 404);
    assert_eq!(put(&server, "/archive/.skiff/x", b"x", &[]).await, 403);
    assert!(!listing_names(&server, "/archive/")
        .await
        .iter()
        .any(|(name, ..)| name == ".skiff"));
}

#[tokio::test]
async fn a_local_storage_mounted_in_the_tree() {
    browse_and_write(Backend::local()).await;
}

#[tokio::test]
async fn an_s3_storage_mounted_in_the_tree() {
    browse_and_write(Backend::s3().await).await;
}

/// The root listing (§1, §5): the default storage's own entries in name order (a
/// folder as if its name ended in `/`, as every storage pages them), then the
/// mounts; a local entry named like a mount stays hidden behind it.
#[tokio::test]
async fn the_root_lists_its_entries_by_name_then_the_mounts() {
    let fixture = Fixture::new();
    for name in ["b.txt", "a.txt", "Z"] {
        fixture.write(&[name], name.as_bytes());
    }
    fixture.write(&["a", "inside.txt"], b"in a");
    let backend = Backend::local();
    let server = serve_mounted(&fixture, &backend).await;
    // Mounting refuses a taken name; one made on the disk later is hidden.
    fixture.write(&[MOUNT, "hidden.txt"], b"behind the mount");

    let response = client()
        .get(server.url("/"))
        .header("authorization", bearer())
        .header(RFSAPI_HEADER, "1")
        .send()
        .await
        .expect("RFSAPI GET");
    assert_eq!(response.status(), 200);
    let listing: FilesetData = response.json().await.expect("RFSAPI JSON");
    assert!(listing.is_root);
    let names: Vec<&str> = listing.files.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Z", "a.txt", "a", "b.txt", MOUNT]);
    let mount = listing.files.last().expect("the mount");
    assert!(!mount.is_file);
    assert_eq!(mount.etag, None, "the mount, not the local folder");
    // The local folder stays unreachable: its path is the mount's.
    assert_eq!(
        get(&server, "/archive/hidden.txt", None).await.status(),
        404
    );

    // A browser navigating to a folder of either storage gets the app, which
    // caches keep apart from the listing and the bytes of the same URL.
    for path in ["/", "/a", "/archive/"] {
        let shell = client()
            .get(server.url(path))
            .header("authorization", bearer())
            .header("accept", common::BROWSER_ACCEPT)
            .send()
            .await
            .expect("GET");
        assert_eq!(shell.status(), 200, "{path}");
        assert_eq!(shell.headers()["vary"], "x-raw-filesystem-api, accept");
    }
}
