//! A skiff-server whose ROOT is a bucket (`s3://bucket/prefix`), reached with the
//! standard `AWS_*` variables, and its listings: shared by the S3-root and
//! scale-out suites.

use std::process::Command;

use serde_json::Value;

use super::logged::LoggedServer;
use super::seaweed::{ACCESS_KEY, REGION, SECRET_KEY};
use super::{client, RFSAPI};

/// `skiff-server serve ROOT --listen 127.0.0.1:0 EXTRA…` with the test identity for
/// the S3 server at `endpoint`.
pub fn command(endpoint: &str, root: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skiff-server"));
    command
        .arg("serve")
        .arg(root)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_ALLOW_HTTP", "true");
    command
}

/// The sorted names in `server`'s RFSAPI listing of `path` (with `token`, if given).
pub async fn names(server: &LoggedServer, path: &str, token: Option<&str>) -> Vec<String> {
    let mut request = client().get(server.url(path)).header(RFSAPI, "1");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("send");
    assert_eq!(response.status(), 200, "listing {path}");
    let listing: Value = response.json().await.expect("JSON");
    let mut names: Vec<String> = listing["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|file| file["name"].as_str().expect("a name").to_owned())
        .collect();
    names.sort();
    names
}
