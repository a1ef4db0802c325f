//! Every storage's own `.skiff` folder is reserved (protocol notes, "Mounted
//! storages in the tree"), through every API that names a key inside a storage
//! besides the raw API (which `raw_api_mounts.rs` covers): the tree (`GET`,
//! RFSAPI listing, `PUT`, `DELETE`), upload sessions' targets, and the bucket
//! listing's files (§2). 404 to read, 403 `reserved` to write, nothing changes;
//! on the default storage (`local::`), an S3 mount (`s3::`) and a local mount
//! (`local_mount::`).

mod common;

use common::target::{on_each_storage, Kind, Target};
use common::uploads::post_create;
use common::{client, expect_error, rfsapi};
use reqwest::Method;
use skiff_protocol::{RFSAPI_HEADER, UPLOADS_PATH};

on_each_storage!(
    the_tree_refuses_the_reserved_folder,
    sessions_and_bucket_files_refuse_the_reserved_folder,
);

/// A file already in the reserved folder (put there behind the server's back).
const TAKEN: &[u8] = b"not the client's";

async fn setup(kind: Kind) -> Target {
    let target = Target::new(kind).await;
    target.write(&[".skiff", "taken"], TAKEN).await;
    target
}

/// `GET`, an RFSAPI listing, `PUT` and `DELETE` of paths in `.skiff`.
async fn the_tree_refuses_the_reserved_folder(kind: Kind) {
    let target = setup(kind).await;
    let server = target.serve_with(&["--writable"]);
    let send = |method: Method, path: String| {
        let mut request = client().request(method.clone(), server.url(&path));
        if method == Method::PUT {
            request = request.body("x");
        }
        request.send()
    };
    let taken = target.at("/.skiff/taken");
    let cases = [
        (Method::GET, taken.clone(), 404),
        (Method::PUT, target.at("/.skiff/x"), 403),
        (Method::PUT, taken.clone(), 403),
        (Method::DELETE, taken.clone(), 403),
        (Method::DELETE, target.at("/.skiff"), 403),
    ];
    for (method, path, status) in cases {
        let context = format!("{method} {path}");
        let response = send(method, path).await.expect("send");
        let error = expect_error(response, status, &context).await;
        if status == 403 {
            assert_eq!(error.error.code, "reserved", "{context}");
        }
    }
    let listing = client()
        .get(server.url(&target.at("/.skiff/")))
        .header(RFSAPI_HEADER, "1")
        .send()
        .await
        .expect("send");
    expect_error(listing, 404, "RFSAPI listing of .skiff").await;
    let top = rfsapi(&server, &target.url(&[])).await;
    assert!(
        top.files.iter().all(|entry| entry.name != ".skiff"),
        "the storage's top listing shows .skiff"
    );
    assert!(!target.exists(&[".skiff", "x"]).await, ".skiff/x was made");
    assert_eq!(
        target.read(&[".skiff", "taken"]).await.as_deref(),
        Some(TAKEN)
    );
}

/// A session whose key is in `.skiff` is refused at create (403), and the
/// bucket's file API (§2) neither shows nor deletes what is there.
async fn sessions_and_bucket_files_refuse_the_reserved_folder(kind: Kind) {
    let target = setup(kind).await;
    let server = target.serve_with(&["--writable"]);
    for key in [".skiff/x", ".skiff/taken", ".skiff"] {
        let body = serde_json::json!({
            "key": key, "bucket": target.bucket(),
            "mime_type": "application/octet-stream", "size": 1
        });
        let response = post_create(&server, &body, &[]).await;
        let error = expect_error(response, 403, &format!("create {key:?}")).await;
        assert_eq!(error.error.code, "reserved", "create {key:?}");
    }
    let file = server.url(&format!("{UPLOADS_PATH}/{}/.skiff/taken", target.bucket()));
    let read = client().get(&file).send().await.expect("send");
    expect_error(read, 404, "bucket file in .skiff").await;
    let delete = client().delete(&file).send().await.expect("send");
    let error = expect_error(delete, 403, "delete bucket file in .skiff").await;
    assert_eq!(error.error.code, "reserved");
    assert!(!target.exists(&[".skiff", "x"]).await, ".skiff/x was made");
    assert_eq!(
        target.read(&[".skiff", "taken"]).await.as_deref(),
        Some(TAKEN)
    );
}
