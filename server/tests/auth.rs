//! Bearer tokens (PROTOCOL.md §6) against the real binary: the auth matrix of
//! no token, a wrong one, a read-only and a read-write one over every route
//! family, with refused writes leaving the disk untouched; admin tokens (all a
//! read-write token may, plus storages) and discovery's `roles`.

mod common;

use common::uploads::{create, serve_writable};
use common::{assert_error_body, client, Fixture, TestServer, BROWSER_ACCEPT, JSON_TYPE, RFSAPI};
use reqwest::Method;
use skiff_protocol::{
    AuthScheme, Discovery, FilesetData, DISCOVERY_PATH, METADATA_PATH, RAW_PATH, UPLOADS_PATH,
};

const RO: &str = "read-only-secret";
const RW: &str = "read:write:secret";

/// The credentials of one row of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    Wrong,
    ReadOnly,
    ReadWrite,
}

const EVERYONE: [Who; 4] = [Who::Nobody, Who::Wrong, Who::ReadOnly, Who::ReadWrite];

impl Who {
    fn secret(self) -> Option<&'static str> {
        match self {
            Who::Nobody => None,
            Who::Wrong => Some("not-a-token"),
            Who::ReadOnly => Some(RO),
            Who::ReadWrite => Some(RW),
        }
    }

    /// Status of a read: 401 without valid credentials, else `ok`.
    fn read(self, ok: u16) -> u16 {
        match self {
            Who::Nobody | Who::Wrong => 401,
            _ => ok,
        }
    }

    /// Status of a write: 401 without valid credentials, 403 read-only, else `ok`.
    fn write(self, ok: u16) -> u16 {
        match self {
            Who::Nobody | Who::Wrong => 401,
            Who::ReadOnly => 403,
            Who::ReadWrite => ok,
        }
    }
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

async fn send(
    server: &TestServer,
    who: Who,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Reply {
    let mut request = client().request(method, server.url(path)).body(body);
    if let Some(secret) = who.secret() {
        request = request.bearer_auth(secret);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("send the request");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("read the body").to_vec(),
    }
}

/// Asserts the status; a 401 must carry `WWW-Authenticate: Bearer` and only the JSON error.
fn check(reply: &Reply, status: u16, context: &str) {
    assert_eq!(
        reply.status,
        status,
        "{context}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    if status == 401 || status == 403 {
        let content_type = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        assert_error_body(content_type, &reply.body, context);
    }
    if status == 401 {
        assert_eq!(
            reply.headers.get("www-authenticate").map(|v| v.as_bytes()),
            Some(&b"Bearer"[..]),
            "{context}"
        );
    }
}

fn serve_with_tokens(fixture: &Fixture) -> TestServer {
    serve_writable(
        fixture,
        &[
            "--token",
            &format!("reader:{RO}:ro"),
            "--token",
            &format!("writer:{RW}:rw"),
        ],
    )
}

fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture.write(&["plain.txt"], b"secret contents");
    fixture.write(&["folder", "inner.txt"], b"inner");
    fixture
}

#[tokio::test]
async fn discovery_and_the_app_shell_are_public_and_reveal_nothing() {
    let fixture = fixture();
    let server = serve_with_tokens(&fixture);
    let mut shells = Vec::new();
    for who in EVERYONE {
        let reply = send(&server, who, Method::GET, DISCOVERY_PATH, &[], vec![]).await;
        check(&reply, 200, "discovery");
        let discovery: Discovery = serde_json::from_slice(&reply.body).expect("discovery");
        assert_eq!(discovery.auth, Some(AuthScheme::Bearer));

        let asset = send(&server, who, Method::GET, "/.skiff/app/x.js", &[], vec![]).await;
        assert_ne!(asset.status, 401, "app assets are public");

        if who
            .secret()
            .is_some_and(|secret| secret == RO || secret == RW)
        {
            continue;
        }
        for path in [
            "/",
            "/plain.txt",
            "/folder/",
            "/missing/path",
            "/folder/inner.txt",
        ] {
            let reply = send(
                &server,
                who,
                Method::GET,
                path,
                &[("accept", BROWSER_ACCEPT)],
                vec![],
            )
            .await;
            check(&reply, 200, &format!("{who:?} navigates to {path}"));
            assert!(
                reply.headers["content-type"]
                    .to_str()
                    .expect("ascii")
                    .starts_with("text/html"),
                "{path}"
            );
            shells.push(reply.body);
        }
    }
    assert!(
        shells.windows(2).all(|pair| pair[0] == pair[1]),
        "one shell for every path"
    );
    assert!(
        !shells[0].windows(6).any(|w| w == b"secret"),
        "the shell holds no file bytes"
    );
}

#[tokio::test]
async fn reads_need_a_valid_token() {
    let fixture = fixture();
    let server = serve_with_tokens(&fixture);
    let session = create_as_writer(&server, "new.bin").await;
    for who in EVERYONE {
        let listing = send(&server, who, Method::GET, "/", &[(RFSAPI, "1")], vec![]).await;
        check(&listing, who.read(200), &format!("{who:?} lists /"));
        if listing.status == 200 {
            assert_eq!(listing.headers["content-type"], JSON_TYPE);
            let fileset: FilesetData = serde_json::from_slice(&listing.body).expect("listing");
            assert_eq!(fileset.writes_supported, who == Who::ReadWrite, "{who:?}");
            let file = send(
                &server,
                who,
                Method::GET,
                "/plain.txt",
                &[(RFSAPI, "1")],
                vec![],
            )
            .await;
            let fileset: FilesetData = serde_json::from_slice(&file.body).expect("entry");
            assert_eq!(fileset.writes_supported, who == Who::ReadWrite, "{who:?}");
        }
        let bytes = send(&server, who, Method::GET, "/plain.txt", &[], vec![]).await;
        check(&bytes, who.read(200), &format!("{who:?} reads bytes"));
        if who.read(200) == 200 {
            assert_eq!(bytes.body, b"secret contents");
        }
        let head = send(&server, who, Method::HEAD, "/plain.txt", &[], vec![]).await;
        assert_eq!(head.status, who.read(200), "{who:?} HEAD");

        let buckets = send(&server, who, Method::GET, UPLOADS_PATH, &[], vec![]).await;
        check(&buckets, who.read(200), &format!("{who:?} lists buckets"));
        let files_url = format!("{UPLOADS_PATH}/default");
        let files = send(&server, who, Method::GET, &files_url, &[], vec![]).await;
        check(&files, who.read(200), &format!("{who:?} lists files"));
        let object_url = format!("{UPLOADS_PATH}/default/plain.txt");
        let object = send(&server, who, Method::GET, &object_url, &[], vec![]).await;
        check(
            &object,
            who.read(200),
            &format!("{who:?} reads a file object"),
        );
        let status = send(&server, who, Method::GET, &session, &[], vec![]).await;
        check(&status, who.read(200), &format!("{who:?} reads a session"));

        let metadata_url = format!("{METADATA_PATH}/plain.txt");
        let metadata = send(&server, who, Method::GET, &metadata_url, &[], vec![]).await;
        check(&metadata, who.read(200), &format!("{who:?} reads metadata"));
        for operation in ["stat", "list", "data"] {
            let target = if operation == "list" {
                "/"
            } else {
                "/plain.txt"
            };
            let url = format!("{RAW_PATH}/{operation}?ref=path:{target}");
            let raw = send(&server, who, Method::GET, &url, &[], vec![]).await;
            check(&raw, who.read(200), &format!("{who:?} raw {operation}"));
        }
    }
}

async fn create_as_writer(server: &TestServer, key: &str) -> String {
    let body = serde_json::json!({
        "key": key, "bucket": "default", "mime_type": "application/octet-stream", "size": 4
    });
    let reply = send(
        server,
        Who::ReadWrite,
        Method::POST,
        UPLOADS_PATH,
        &[("content-type", "application/json")],
        serde_json::to_vec(&body).expect("json"),
    )
    .await;
    check(&reply, 201, "the writer creates a session");
    let session: skiff_protocol::UploadSession =
        serde_json::from_slice(&reply.body).expect("session");
    session.url
}

/// Everything under the root except `.skiff`, with contents, to prove nothing changed.
fn snapshot(fixture: &Fixture) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &std::path::Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read").flatten().collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
            if name == "/.skiff" {
                continue;
            }
            if entry.path().is_dir() {
                out.push((format!("{name}/"), Vec::new()));
                walk(&entry.path(), &name, out);
            } else {
                out.push((name, std::fs::read(entry.path()).expect("read")));
            }
        }
    }
    let mut out = Vec::new();
    walk(fixture.root(), "", &mut out);
    out
}

#[tokio::test]
async fn writes_need_a_read_write_token_and_refusals_change_nothing() {
    let fixture = fixture();
    let server = serve_with_tokens(&fixture);
    let session = create_as_writer(&server, "new.bin").await;
    let before = snapshot(&fixture);
    for who in [Who::Nobody, Who::Wrong, Who::ReadOnly] {
        let context = |what: &str| format!("{who:?} {what}");
        let create = serde_json::json!({
            "key": "other.bin", "bucket": "default", "mime_type": "text/plain", "size": 1
        });
        let json = [("content-type", "application/json")];
        let body = serde_json::to_vec(&create).expect("json");
        let reply = send(&server, who, Method::POST, UPLOADS_PATH, &json, body).await;
        check(&reply, who.write(201), &context("creates a session"));
        let offset = [("upload-offset", "0")];
        let reply = send(
            &server,
            who,
            Method::POST,
            &session,
            &offset,
            b"data".to_vec(),
        )
        .await;
        check(&reply, who.write(200), &context("appends"));
        let reply = send(&server, who, Method::DELETE, &session, &[], vec![]).await;
        check(&reply, who.write(204), &context("aborts"));
        let reply = send(
            &server,
            who,
            Method::PUT,
            "/plain.txt",
            &[],
            b"overwritten".to_vec(),
        )
        .await;
        check(&reply, who.write(200), &context("PUTs a file"));
        let reply = send(
            &server,
            who,
            Method::PUT,
            "/fresh/new.txt",
            &[],
            b"new".to_vec(),
        )
        .await;
        check(&reply, who.write(201), &context("PUTs a new file"));
        let reply = send(
            &server,
            who,
            Method::DELETE,
            "/folder/inner.txt",
            &[],
            vec![],
        )
        .await;
        check(&reply, who.write(204), &context("DELETEs a file"));
        let object_url = format!("{UPLOADS_PATH}/default/plain.txt");
        let reply = send(&server, who, Method::DELETE, &object_url, &[], vec![]).await;
        check(&reply, who.write(200), &context("DELETEs a file object"));
        let metadata_url = format!("{METADATA_PATH}/plain.txt");
        for method in [Method::POST, Method::PUT] {
            let body = br#"{"a": 1}"#.to_vec();
            let reply = send(&server, who, method.clone(), &metadata_url, &json, body).await;
            check(
                &reply,
                who.write(200),
                &context(&format!("{method} metadata")),
            );
        }
        for (method, operation, query, ok) in [
            (Method::PUT, "data", "ref=path:/plain.txt", 200),
            (
                Method::DELETE,
                "data",
                "ref=path:/folder&recursive=true",
                204,
            ),
            (Method::POST, "mkdir", "ref=path:/made", 201),
            (
                Method::POST,
                "move",
                "ref=path:/plain.txt&to=path:/moved.txt",
                200,
            ),
            (
                Method::POST,
                "copy",
                "ref=path:/plain.txt&to=path:/copied.txt",
                201,
            ),
        ] {
            let url = format!("{RAW_PATH}/{operation}?{query}");
            let reply = send(&server, who, method, &url, &[], b"raw".to_vec()).await;
            check(&reply, who.write(ok), &context(&format!("raw {operation}")));
        }
        assert_eq!(
            snapshot(&fixture),
            before,
            "{who:?}: nothing changed on disk"
        );
    }
    let metadata_url = format!("{METADATA_PATH}/plain.txt");
    let metadata = send(
        &server,
        Who::ReadOnly,
        Method::GET,
        &metadata_url,
        &[],
        vec![],
    )
    .await;
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.body).expect("metadata");
    assert!(
        metadata.get("a").is_none(),
        "refused metadata writes stored nothing"
    );
    // The session survived every refused write: the writer can still finish it.
    let status = send(&server, Who::ReadOnly, Method::GET, &session, &[], vec![]).await;
    let session_object: skiff_protocol::UploadSession =
        serde_json::from_slice(&status.body).expect("session");
    assert_eq!(session_object.offset, 0);
    let offset = [("upload-offset", "0")];
    let reply = send(
        &server,
        Who::ReadWrite,
        Method::POST,
        &session,
        &offset,
        b"data".to_vec(),
    )
    .await;
    check(&reply, 200, "the writer appends");
    assert_eq!(
        std::fs::read(fixture.path(&["new.bin"])).expect("completed"),
        b"data"
    );
    let reply = send(
        &server,
        Who::ReadWrite,
        Method::PUT,
        "/plain.txt",
        &[],
        b"new".to_vec(),
    )
    .await;
    check(&reply, 200, "the writer PUTs");
    let reply = send(
        &server,
        Who::ReadWrite,
        Method::DELETE,
        "/folder/inner.txt",
        &[],
        vec![],
    )
    .await;
    check(&reply, 204, "the writer DELETEs");
}

#[tokio::test]
async fn a_read_only_server_never_lets_a_token_write() {
    let fixture = fixture();
    let server = TestServer::start_with(fixture.root(), &["--token", &format!("writer:{RW}:rw")]);
    let listing = send(
        &server,
        Who::ReadWrite,
        Method::GET,
        "/",
        &[(RFSAPI, "1")],
        vec![],
    )
    .await;
    let fileset: FilesetData = serde_json::from_slice(&listing.body).expect("listing");
    assert!(
        !fileset.writes_supported,
        "a read-only server supports no writes"
    );
    let reply = send(
        &server,
        Who::ReadWrite,
        Method::PUT,
        "/plain.txt",
        &[],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 405);
    let reply = send(
        &server,
        Who::Nobody,
        Method::PUT,
        "/plain.txt",
        &[],
        b"x".to_vec(),
    )
    .await;
    check(&reply, 401, "no token on a read-only server");
}

#[tokio::test]
async fn tokens_come_from_a_file_and_bad_ones_stop_the_server() {
    let fixture = fixture();
    let file = fixture.outside().join("tokens");
    std::fs::write(
        &file,
        format!("# readers\n\n  reader:{RO}:ro  \nwriter:{RW}:rw\n"),
    )
    .expect("write");
    let path = file.to_str().expect("utf-8 path");
    let server = serve_writable(&fixture, &["--token-file", path]);
    let reply = send(
        &server,
        Who::ReadOnly,
        Method::GET,
        "/",
        &[(RFSAPI, "1")],
        vec![],
    )
    .await;
    check(&reply, 200, "a token from the file reads");
    let reply = send(
        &server,
        Who::ReadOnly,
        Method::PUT,
        "/x.txt",
        &[],
        b"x".to_vec(),
    )
    .await;
    check(&reply, 403, "a read-only token from the file cannot write");
    let reply = send(
        &server,
        Who::ReadWrite,
        Method::PUT,
        "/x.txt",
        &[],
        b"x".to_vec(),
    )
    .await;
    check(&reply, 201, "a read-write token from the file writes");
    drop(server);

    for bad in [
        vec!["--token", "name-only"],
        vec!["--token", "a:b:root"],
        vec!["--token", "a:b:Admin"],
        vec!["--token-file", "/nonexistent/tokens"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_skiff-server"))
            .arg("serve")
            .arg(fixture.root())
            .args(["--listen", "127.0.0.1:0"])
            .args(&bad)
            .output()
            .expect("run skiff-server");
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
    }
}

#[tokio::test]
async fn the_writer_session_helper_still_works_without_tokens() {
    // Guard for the harness: with no `--token`, nothing needs credentials.
    let fixture = fixture();
    let server = serve_writable(&fixture, &[]);
    create(&server, "free.bin", 1, None).await;
    let discovery: Discovery = client()
        .get(server.url(DISCOVERY_PATH))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("discovery");
    assert_eq!(discovery.auth, Some(AuthScheme::None));
}

const ADMIN: &str = "admin:secret";

/// `GET /.well-known/skiff` with `token`: the roles it reports.
async fn roles(server: &TestServer, token: Option<&str>) -> Vec<skiff_protocol::Role> {
    let mut request = client().get(server.url(DISCOVERY_PATH));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let discovery: Discovery = request
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("discovery");
    discovery.roles.expect("skiff-server always says its roles")
}

#[tokio::test]
async fn discovery_says_what_each_token_may_do() {
    use skiff_protocol::Role::{Admin, Read, Write};
    let fixture = fixture();
    let tokens = [
        "--token".to_owned(),
        format!("reader:{RO}:ro"),
        "--token".to_owned(),
        format!("writer:{RW}:rw"),
        "--token".to_owned(),
        format!("boss:{ADMIN}:admin"),
    ];
    let args: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let server = serve_writable(&fixture, &args);
    assert_eq!(roles(&server, None).await, []);
    assert_eq!(roles(&server, Some("wrong")).await, []);
    assert_eq!(roles(&server, Some(RO)).await, [Read]);
    assert_eq!(roles(&server, Some(RW)).await, [Read, Write]);
    assert_eq!(roles(&server, Some(ADMIN)).await, [Read, Write, Admin]);
    drop(server);

    // Without --writable nobody writes or manages storages, whatever the token.
    let server = TestServer::start_with(fixture.root(), &args);
    assert_eq!(roles(&server, Some(ADMIN)).await, [Read]);
    assert_eq!(roles(&server, Some(RW)).await, [Read]);
    drop(server);

    // Without tokens anyone may do what the flags allow.
    let server = serve_writable(&fixture, &[]);
    assert_eq!(roles(&server, None).await, [Read, Write, Admin]);
    drop(server);
    let server = fixture.serve();
    assert_eq!(roles(&server, None).await, [Read]);
}

#[tokio::test]
async fn admin_tokens_can_do_everything_read_write_tokens_can() {
    let fixture = fixture();
    let server = serve_writable(&fixture, &["--token", &format!("boss:{ADMIN}:admin")]);
    let as_admin = |method: Method, path: &'static str, body: &'static [u8]| {
        let request = client()
            .request(method, server.url(path))
            .bearer_auth(ADMIN)
            .body(body);
        async move { request.send().await.expect("send").status().as_u16() }
    };
    assert_eq!(
        as_admin(Method::PUT, "/made-by-admin.txt", b"admin").await,
        201
    );
    assert_eq!(
        std::fs::read(fixture.path(&["made-by-admin.txt"])).expect("written"),
        b"admin"
    );
    let listing = client()
        .get(server.url("/"))
        .header(RFSAPI, "1")
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("send");
    let fileset: FilesetData = listing.json().await.expect("listing");
    assert!(fileset.writes_supported);
    let mkdir = format!("{RAW_PATH}/mkdir?ref=path:/admin-folder");
    let status = client()
        .post(server.url(&mkdir))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("send")
        .status();
    assert_eq!(status, 201);
    assert_eq!(
        as_admin(Method::DELETE, "/folder/inner.txt", b"").await,
        204
    );
    assert!(!fixture.path(&["folder", "inner.txt"]).exists());
}
