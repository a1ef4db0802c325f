//! CORS for an app hosted on another origin (README "Hosting the app as static files"):
//! the preflight of every upload request the app sends must allow its headers, or the
//! browser never sends the request.

mod common;

use common::{client, TestServer};

/// `OPTIONS` preflight for `method` with `headers`, from `origin`: the allowed headers.
async fn preflight(server: &TestServer, method: &str, headers: &str) -> (u16, String) {
    let answer = client()
        .request(reqwest::Method::OPTIONS, server.url("/a.txt"))
        .header("Origin", "http://app.example")
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
        .await
        .expect("preflight");
    let allowed = answer
        .headers()
        .get("access-control-allow-headers")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    (answer.status().as_u16(), allowed)
}

#[tokio::test]
async fn upload_headers_pass_the_preflight_from_another_origin() {
    let root = tempfile::tempdir().expect("a temp folder");
    let server = TestServer::start_with(
        root.path(),
        &["--writable", "--cors-origin", "http://app.example"],
    );
    // A small file's verified PUT (§2.2), a part (§2.1), a sequential chunk (§2).
    for (method, headers) in [
        ("PUT", "content-digest,if-none-match"),
        ("PUT", "upload-checksum,content-type"),
        ("POST", "upload-offset,upload-checksum,content-type"),
    ] {
        let (status, allowed) = preflight(&server, method, headers).await;
        assert!((200..300).contains(&status), "{method} {headers}: {status}");
        for header in headers.split(',') {
            assert!(
                allowed.contains(header),
                "{method}: {header} not allowed (allowed: {allowed})"
            );
        }
    }
}
