//! Where tokens come from and what discovery says of them (PROTOCOL.md §6):
//! `--token-file`, bad tokens stopping the server, `roles` per token. These are
//! the server's, not a storage's, so they run once; the auth matrix on both
//! storage types is in auth.rs.

mod common;

use common::bearer::{check, send, Who, ADMIN, RO, RW};
use common::uploads::{create, serve_writable};
use common::{client, Fixture, TestServer, RFSAPI};
use reqwest::Method;
use skiff_protocol::{AuthScheme, Discovery, DISCOVERY_PATH};

fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture.write(&["plain.txt"], b"secret contents");
    fixture.write(&["folder", "inner.txt"], b"inner");
    fixture
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
    let discovery: Discovery = common::discovery(&server).await;
    assert_eq!(discovery.auth, Some(AuthScheme::None));
}

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
