//! Helpers of the storage admin tests (`storages_admin.rs`,
//! `storages_admin_refusals.rs`): a server with an admin, a read-write and a
//! read-only token, calls with a token and a JSON body, and folders outside the root.
#![allow(dead_code)]

use std::path::Path;

use crate::common::uploads::serve_writable;
use crate::common::{client, Fixture, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use skiff_protocol::{Storage, STORAGES_PATH};

pub const ADMIN: &str = "admin-secret";
pub const RW: &str = "writer-secret";
pub const RO: &str = "reader-secret";

pub fn serve_with_tokens(fixture: &Fixture) -> TestServer {
    serve_writable(
        fixture,
        &[
            "--token",
            &format!("boss:{ADMIN}:admin"),
            "--token",
            &format!("writer:{RW}:rw"),
            "--token",
            &format!("reader:{RO}:ro"),
        ],
    )
}

/// `method path` with an optional token and JSON body.
pub async fn call(
    server: &TestServer,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = client().request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("send")
}

pub fn one(name: &str) -> String {
    format!("{STORAGES_PATH}/{name}")
}

pub async fn list(server: &TestServer, token: Option<&str>) -> Vec<Storage> {
    let response = call(server, token, Method::GET, STORAGES_PATH, None).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("storages")
}

/// A folder outside the served root, holding one file, as a `file://` URL.
pub fn outside_folder(fixture: &Fixture, name: &str) -> (std::path::PathBuf, String) {
    let folder = fixture.outside().join(name);
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(folder.join("kept.txt"), b"kept").expect("write");
    let folder = std::fs::canonicalize(folder).expect("canonical");
    let url = url::Url::from_file_path(&folder)
        .expect("absolute")
        .to_string();
    (folder, url)
}

pub fn local_body(name: &str, url: &str) -> Value {
    json!({"name": name, "label": format!("Label of {name}"), "type": "local", "url": url})
}

/// Every file under `folder` except the probe's `.skiff`, with contents.
pub fn files(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(folder)
        .expect("read")
        .flatten()
        .filter(|entry| entry.file_name() != ".skiff")
        .map(|entry| {
            let contents = std::fs::read(entry.path()).unwrap_or_default();
            (entry.file_name().to_string_lossy().into_owned(), contents)
        })
        .collect();
    out.sort();
    out
}
