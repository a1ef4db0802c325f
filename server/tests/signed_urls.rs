//! Signed URLs (PROTOCOL.md §6, v1.1; format in docs/protocol-notes.md) against the
//! real binary: a token's holder asks `POST /.skiff/api/sign` for a URL that reads
//! one resource without the `Authorization` header (file bytes, raw `data`, a ZIP),
//! read-only, exactly that URL, until it expires, while the token still exists;
//! the key survives a restart. Bad sign requests change nothing and say why;
//! `--no-signed-urls` signs nothing and honours no link signed before.

mod common;

use common::{client, expect_error, Fixture, TestServer};

const READER: &str = "reader-secret-0123456789";
const WRITER: &str = "writer-secret-0123456789";

fn serve(fixture: &Fixture, tokens: &[&str]) -> TestServer {
    let mut args = vec!["--writable"];
    for token in tokens {
        args.extend(["--token", token]);
    }
    TestServer::start_with(fixture.root(), &args)
}

fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture.write(&["docs", "report.txt"], b"the report");
    fixture.write(&["docs", "notes.txt"], b"notes");
    fixture
}

/// Signs `url` with `secret`'s token; the signed URL.
async fn sign(server: &TestServer, secret: &str, url: &str, expires_in: Option<u64>) -> String {
    let mut body = serde_json::json!({ "url": url });
    if let Some(seconds) = expires_in {
        body["expires_in"] = seconds.into();
    }
    let response = client()
        .post(server.url("/.skiff/api/sign"))
        .bearer_auth(secret)
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let signed: serde_json::Value = response.json().await.expect("JSON");
    assert!(signed["expires_at"].as_u64().is_some(), "{signed}");
    signed["url"].as_str().expect("a url").to_owned()
}

async fn status_of(server: &TestServer, method: reqwest::Method, url: &str) -> (u16, Vec<u8>) {
    let response = client()
        .request(method, server.url(url))
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_url_reads_exactly_its_resource_without_a_header() {
    let fixture = fixture();
    let server = serve(
        &fixture,
        &[
            &format!("reader:{READER}:ro"),
            &format!("writer:{WRITER}:rw"),
        ],
    );
    let discovery = common::discovery(&server).await;
    assert_eq!(discovery.sign, Some(true));

    // Unsigned, the file is refused; signed, its bytes come without a header.
    assert_eq!(
        status_of(&server, reqwest::Method::GET, "/docs/report.txt")
            .await
            .0,
        401
    );
    let url = sign(&server, READER, "/docs/report.txt", None).await;
    assert!(url.starts_with("/docs/report.txt?skiff-exp="), "{url}");
    assert_eq!(
        status_of(&server, reqwest::Method::GET, &url).await,
        (200, b"the report".to_vec())
    );
    assert_eq!(status_of(&server, reqwest::Method::HEAD, &url).await.0, 200);

    // Raw data and a ZIP, query and all.
    let data = sign(
        &server,
        READER,
        "/.skiff/raw/data?ref=path%3A%2Fdocs%2Fnotes.txt",
        None,
    )
    .await;
    assert_eq!(
        status_of(&server, reqwest::Method::GET, &data).await,
        (200, b"notes".to_vec())
    );
    let zip = sign(
        &server,
        READER,
        "/.skiff/raw/zip?ref=path%3A%2Fdocs",
        Some(60),
    )
    .await;
    let (status, archive) = status_of(&server, reqwest::Method::GET, &zip).await;
    assert_eq!(status, 200);
    assert!(archive.starts_with(b"PK\x03\x04"), "a ZIP");

    // Exactly that URL, and only to read: another path, another query, a changed
    // signature, or a write are refused, and nothing changes.
    let other = url.replace("report.txt", "notes.txt");
    assert_eq!(
        status_of(&server, reqwest::Method::GET, &other).await.0,
        401
    );
    let widened = data.replace("notes.txt", "report.txt");
    assert_eq!(
        status_of(&server, reqwest::Method::GET, &widened).await.0,
        401
    );
    let mut tampered = url.clone();
    let last = tampered.pop().expect("a signature");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        status_of(&server, reqwest::Method::GET, &tampered).await.0,
        401
    );
    let writer_url = sign(&server, WRITER, "/docs/report.txt", None).await;
    let put = client()
        .put(server.url(&writer_url))
        .body("overwritten")
        .send()
        .await
        .expect("send");
    assert_eq!(put.status(), 401);
    let delete = client()
        .delete(server.url(&writer_url))
        .send()
        .await
        .expect("send");
    assert_eq!(delete.status(), 401);
    assert_eq!(
        std::fs::read(fixture.path(&["docs", "report.txt"])).expect("read"),
        b"the report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_urls_expire_survive_restarts_and_die_with_their_token() {
    let fixture = fixture();
    let reader = format!("reader:{READER}:ro");
    let writer = format!("writer:{WRITER}:rw");
    let mut server = serve(&fixture, &[&reader, &writer]);
    let short = sign(&server, READER, "/docs/report.txt", Some(1)).await;
    let long = sign(&server, READER, "/docs/notes.txt", None).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        status_of(&server, reqwest::Method::GET, &short).await.0,
        401
    );
    assert_eq!(status_of(&server, reqwest::Method::GET, &long).await.0, 200);

    // The key is kept: the same link works after a restart…
    server.kill();
    drop(server);
    let server = serve(&fixture, &[&reader, &writer]);
    assert_eq!(status_of(&server, reqwest::Method::GET, &long).await.0, 200);
    // …until its token is gone.
    drop(server);
    let server = serve(&fixture, &[&writer]);
    assert_eq!(status_of(&server, reqwest::Method::GET, &long).await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sign_requests_are_refused() {
    let fixture = fixture();
    let server = serve(&fixture, &[&format!("reader:{READER}:ro")]);
    let ask = |body: &'static str, secret: Option<&'static str>| {
        let mut request = client()
            .post(server.url("/.skiff/api/sign"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(secret) = secret {
            request = request.bearer_auth(secret);
        }
        request.send()
    };
    expect_error(
        ask(r#"{"url":"/docs"}"#, None).await.expect("send"),
        401,
        "no token",
    )
    .await;
    let cases = [
        ("not json", 400, "bad_json"),
        (r#"{"path":"/docs"}"#, 400, "bad_json"),
        (r#"{"url":"docs/report.txt"}"#, 400, "bad_url"),
        (r#"{"url":"//evil.example/x"}"#, 400, "bad_url"),
        (r#"{"url":"/docs","expires_in":0}"#, 400, "bad_url"),
        (r#"{"url":"/docs","expires_in":99999999}"#, 400, "bad_url"),
        (r#"{"url":"/docs?skiff-sig=x"}"#, 400, "bad_url"),
    ];
    for (body, status, code) in cases {
        let error = expect_error(ask(body, Some(READER)).await.expect("send"), status, body).await;
        assert_eq!(error.error.code, code, "{body}");
    }
    let get = client()
        .get(server.url("/.skiff/api/sign"))
        .bearer_auth(READER)
        .send()
        .await
        .expect("send");
    assert_eq!(get.status(), 405);

    // A server without tokens has nothing to sign.
    let elsewhere = Fixture::new();
    let open = TestServer::start_with(elsewhere.root(), &["--writable"]);
    let discovery = common::discovery(&open).await;
    assert_eq!(discovery.sign, None);
    let refused = client()
        .post(open.url("/.skiff/api/sign"))
        .json(&serde_json::json!({"url": "/docs"}))
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_signed_urls_signs_nothing_and_honours_no_old_link() {
    let fixture = fixture();
    let reader = format!("reader:{READER}:ro");
    let mut server = serve(&fixture, &[&reader]);
    let old = sign(&server, READER, "/docs/report.txt", None).await;
    server.kill();
    drop(server);

    let server = TestServer::start_with(fixture.root(), &["--token", &reader, "--no-signed-urls"]);
    let discovery = common::discovery(&server).await;
    assert_eq!(discovery.sign, None);
    let refused = client()
        .post(server.url("/.skiff/api/sign"))
        .bearer_auth(READER)
        .json(&serde_json::json!({"url": "/docs/report.txt"}))
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 404);
    // A link signed while signing was on reads nothing now…
    assert_eq!(status_of(&server, reqwest::Method::GET, &old).await.0, 401);
    // …while the token itself still reads.
    let read = client()
        .get(server.url("/docs/report.txt"))
        .bearer_auth(READER)
        .send()
        .await
        .expect("send");
    assert_eq!(read.status(), 200);
    assert_eq!(read.bytes().await.expect("body").as_ref(), b"the report");
}
