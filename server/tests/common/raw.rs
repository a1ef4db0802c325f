//! The raw API suites' shared requests (PROTOCOL.md §4): the standard fixture
//! in a [`Target`], `path:` references moved inside its storage, and the calls.

use reqwest::Method;
use skiff_protocol::{RawStat, RAW_PATH};

use super::target::{Kind, Target};
use super::{client, TestServer};

/// The raw suites' tree: two files at the top, a folder with a subfolder, unsafe
/// types, a picture and an empty folder.
pub async fn fixture(kind: Kind) -> Target {
    let target = Target::new(kind).await;
    target.write(&["a b.txt"], b"hello raw").await;
    target.write(&["folder", "one.txt"], b"one").await;
    target.write(&["folder", "sub", "two.txt"], b"two").await;
    target
        .write(&["evil.html"], b"<script>alert(1)</script>")
        .await;
    target
        .write(
            &["evil.svg"],
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        )
        .await;
    target.write(&["pic.png"], b"\x89PNG\r\n\x1a\n").await;
    target.mkdir(&["empty"]).await;
    target
}

/// `query` with every `path:/…` reference moved inside the target's storage.
pub fn inside(target: &Target, query: &str) -> String {
    query.replace("path:/", &format!("path:{}/", target.base()))
}

/// A form-encoded `path:` reference.
pub fn path_ref(path: &str) -> String {
    format!("path:{path}")
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'/' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The URL of raw `operation` with `query` (as given: see [`inside`]).
pub fn raw_url(server: &TestServer, operation: &str, query: &str) -> String {
    server.url(&format!("{RAW_PATH}/{operation}?{query}"))
}

/// A raw `operation` by `method`, with `query`'s references inside the storage.
pub async fn call(
    target: &Target,
    server: &TestServer,
    method: Method,
    operation: &str,
    query: &str,
) -> reqwest::Response {
    client()
        .request(method, raw_url(server, operation, &inside(target, query)))
        .send()
        .await
        .expect("send")
}

/// The stat of `reference` (inside the storage), asserting 200.
pub async fn stat(target: &Target, server: &TestServer, reference: &str) -> RawStat {
    let response = call(
        target,
        server,
        Method::GET,
        "stat",
        &format!("ref={reference}"),
    )
    .await;
    assert_eq!(response.status(), 200, "stat {reference}");
    response.json().await.expect("a stat object")
}

/// A raw `PUT data` of `body` to `path` inside the storage, with `headers`.
pub async fn put(
    target: &Target,
    server: &TestServer,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client()
        .put(raw_url(
            server,
            "data",
            &format!("ref={}", path_ref(&target.at(path))),
        ))
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("send")
}
