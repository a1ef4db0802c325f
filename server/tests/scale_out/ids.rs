//! Ids (PROTOCOL.md §4) on an `s3://` ROOT served by three instances
//! (docs/design/scale-out.md step 3): an entry has the same id on every
//! instance (raw `stat`, raw `list`, RFSAPI listings, `ref=id:`), also when
//! three instances see it first at once; the id follows a rename made on
//! another instance, and a folder moved as a journaled job keeps its
//! descendants' ids; a delete ends the id, and a new file at that path gets a
//! new one.

use bytes::Bytes;
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::common::client;
use super::common::logged::LoggedServer;
use super::{writable_instances, WRITER};

/// `/.skiff/raw/CALL` on `server`: status and JSON body (Null if none).
pub async fn raw(
    server: &LoggedServer,
    method: Method,
    call: &str,
    body: &[u8],
) -> (StatusCode, Value) {
    let response = client()
        .request(method, server.url(&format!("/.skiff/raw/{call}")))
        .bearer_auth(WRITER)
        .body(body.to_vec())
        .send()
        .await
        .expect("send");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The id `server` gives the entry at `path` (raw `stat`).
pub async fn id_at(server: &LoggedServer, path: &str) -> String {
    let (status, stat) = raw(server, Method::GET, &format!("stat?ref=path:{path}"), b"").await;
    assert_eq!(status, StatusCode::OK, "stat {path}: {stat}");
    stat["id"].as_str().expect("an id").to_owned()
}

/// The path `server` resolves `id` to, or the status it answered instead.
async fn path_of(server: &LoggedServer, id: &str) -> Result<String, StatusCode> {
    let (status, stat) = raw(server, Method::GET, &format!("stat?ref=id:{id}"), b"").await;
    if status != StatusCode::OK {
        return Err(status);
    }
    Ok(stat["path"].as_str().expect("a path").to_owned())
}

/// The ids in `server`'s RFSAPI listing of folder `path`, by name.
async fn listed_ids(server: &LoggedServer, path: &str) -> Vec<(String, Option<String>)> {
    let response = client()
        .get(server.url(path))
        .header("X-Raw-Filesystem-API", "1")
        .bearer_auth(WRITER)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK, "listing {path}");
    let listing: Value = response.json().await.expect("JSON");
    let mut entries: Vec<(String, Option<String>)> = listing["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|file| {
            let name = file["name"].as_str().expect("a name").to_owned();
            (name, file["id"].as_str().map(str::to_owned))
        })
        .collect();
    entries.sort();
    entries
}

async fn put(server: &LoggedServer, path: &str, bytes: &[u8]) {
    let (status, body) = raw(server, Method::PUT, &format!("data?ref=path:{path}"), bytes).await;
    assert!(status.is_success(), "PUT {path}: {status} {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_shared_by_every_instance_and_follow_moves() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let bucket_client = super::common::seaweed::client(&cluster.endpoint, &bucket);
    let (servers, _client) = writable_instances(&cluster.endpoint, &bucket);
    let [a, b, c] = [&servers[0], &servers[1], &servers[2]];
    put(a, "/docs/a.txt", b"alpha").await;
    put(a, "/docs/sub/deep/c.txt", b"gamma").await;

    // One id per entry, whichever instance is asked and however.
    let file = id_at(a, "/docs/a.txt").await;
    let folder = id_at(b, "/docs/sub").await;
    let deep = id_at(c, "/docs/sub/deep/c.txt").await;
    assert_eq!(id_at(b, "/docs/a.txt").await, file);
    assert_eq!(id_at(c, "/docs/a.txt").await, file);
    assert_eq!(id_at(a, "/docs/sub").await, folder);
    assert_eq!(id_at(a, "/docs/sub/deep/c.txt").await, deep);
    let (status, list) = raw(c, Method::GET, "list?ref=path:/docs", b"").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let listed: Vec<(&str, &str)> = list["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            (
                entry["name"].as_str().expect("a name"),
                entry["id"].as_str().expect("an id"),
            )
        })
        .collect();
    assert!(listed.contains(&("a.txt", file.as_str())), "{list}");
    assert!(listed.contains(&("sub", folder.as_str())), "{list}");
    for server in [a, b, c] {
        assert_eq!(
            path_of(server, &deep).await,
            Ok("/docs/sub/deep/c.txt".to_owned())
        );
        let ids = listed_ids(server, "/docs/").await;
        assert!(
            ids.contains(&("a.txt".to_owned(), Some(file.clone()))),
            "{ids:?}"
        );
    }

    // Seen first by three instances at once: one id for all three.
    bucket_client
        .put(
            &Key::from("team/docs/fresh.txt"),
            PutPayload::from(Bytes::from_static(b"new")),
        )
        .await
        .expect("put straight into the bucket");
    let (x, y, z) = tokio::join!(
        id_at(a, "/docs/fresh.txt"),
        id_at(b, "/docs/fresh.txt"),
        id_at(c, "/docs/fresh.txt"),
    );
    assert_eq!((&x, &y), (&z, &z), "three instances, three ids");

    // A rename on B: A's next listing shows the same id at the new name.
    let (status, moved) = raw(
        b,
        Method::POST,
        "move?ref=path:/docs/a.txt&to=path:/docs/renamed.txt",
        b"",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["id"], file.as_str());
    let ids = listed_ids(a, "/docs/").await;
    assert!(
        ids.contains(&("renamed.txt".to_owned(), Some(file.clone()))),
        "{ids:?}"
    );
    assert!(!ids.iter().any(|(name, _)| name == "a.txt"), "{ids:?}");
    assert_eq!(path_of(c, &file).await, Ok("/docs/renamed.txt".to_owned()));

    // A folder moved (a journaled job) into a folder that is new: what is below keeps its ids.
    let (status, moved) = raw(
        a,
        Method::POST,
        "move?ref=path:/docs/sub&to=path:/moved/sub",
        b"",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["id"], folder.as_str());
    assert_eq!(id_at(b, "/moved/sub/deep/c.txt").await, deep);
    assert_eq!(id_at(c, "/moved/sub").await, folder);
    assert_eq!(
        path_of(b, &deep).await,
        Ok("/moved/sub/deep/c.txt".to_owned())
    );

    // A delete on C ends the id everywhere; a new file at that path gets a new one.
    let (status, body) = raw(
        c,
        Method::DELETE,
        "data?ref=path:/moved/sub/deep/c.txt",
        b"",
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(path_of(a, &deep).await, Err(StatusCode::NOT_FOUND));
    put(b, "/moved/sub/deep/c.txt", b"gamma again").await;
    let again = id_at(a, "/moved/sub/deep/c.txt").await;
    assert_ne!(
        again, deep,
        "a new file at a deleted one's path kept its id"
    );
    assert_eq!(id_at(c, "/moved/sub/deep/c.txt").await, again);

    // A recursive delete of a folder ends the ids below it too.
    let (status, body) = raw(
        a,
        Method::DELETE,
        "data?ref=path:/moved&recursive=true",
        b"",
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(path_of(b, &again).await, Err(StatusCode::NOT_FOUND));
    assert_eq!(path_of(c, &folder).await, Err(StatusCode::NOT_FOUND));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_made_and_moved_at_once_in_one_folder_are_all_kept() {
    use futures_util::StreamExt;
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let (servers, _client) = writable_instances(&cluster.endpoint, &bucket);
    // 30 new files in one folder, written through the three instances at once:
    // every new id is a merge into the folder's one children map.
    let servers = &servers;
    let writes = (0..30).map(|i| async move {
        put(
            &servers[i % 3],
            &format!("/crowd/f{i:02}.txt"),
            format!("{i}").as_bytes(),
        )
        .await;
    });
    futures_util::stream::iter(writes)
        .buffer_unordered(12)
        .collect::<Vec<()>>()
        .await;
    let mut ids = Vec::new();
    for i in 0..30 {
        let path = format!("/crowd/f{i:02}.txt");
        let id = id_at(&servers[0], &path).await;
        assert_eq!(id_at(&servers[1], &path).await, id, "{path}");
        assert_eq!(id_at(&servers[2], &path).await, id, "{path}");
        ids.push(id);
    }
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 30, "two files share an id");

    // Ten of them renamed in that folder at once through the three instances:
    // each keeps its id under its new name, and the others are untouched.
    let renames = (0..10).map(|i| async move {
        let call = format!("move?ref=path:/crowd/f{i:02}.txt&to=path:/crowd/renamed-{i:02}.txt");
        let (status, body) = raw(&servers[(i + 1) % 3], Method::POST, &call, b"").await;
        assert_eq!(status, StatusCode::OK, "{call}: {body}");
    });
    futures_util::stream::iter(renames)
        .buffer_unordered(10)
        .collect::<Vec<()>>()
        .await;
    let listed = listed_ids(&servers[2], "/crowd/").await;
    assert_eq!(listed.len(), 30, "{listed:?}");
    for (i, id) in ids.iter().enumerate() {
        let name = if i < 10 {
            format!("renamed-{i:02}.txt")
        } else {
            format!("f{i:02}.txt")
        };
        assert!(
            listed.contains(&(name.clone(), Some(id.clone()))),
            "{name}: {listed:?}"
        );
    }
}
