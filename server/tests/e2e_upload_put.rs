//! End-to-end: against a plain RFSAPI server (no discovery, so no upload sessions) that says
//! `writes_supported`, the app uploads whole files with `PUT` and says it cannot resume.
//!
//! The server is the real skiff-server; a small HTTP proxy written here answers 404 for
//! `/.well-known/skiff`, as a plain RFSAPI server would, and forwards everything else.

mod browser;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use browser::uploads::*;
use browser::{Browser, Server};

/// Forwards `request` to `upstream`, streaming both bodies.
async fn forward(State(upstream): State<String>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let client = reqwest::Client::new();
    let mut outgoing = client
        .request(parts.method.clone(), format!("{upstream}{path}"))
        .body(reqwest::Body::wrap_stream(body.into_data_stream()));
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST {
            outgoing = outgoing.header(name, value);
        }
    }
    match outgoing.send().await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status());
            for (name, value) in answer.headers() {
                response = response.header(name, value);
            }
            response
                .body(Body::from_stream(answer.bytes_stream()))
                .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// Starts the discovery-hiding proxy in front of `upstream`; returns its URL.
async fn plain_rfsapi_front(upstream: &str) -> String {
    let app = Router::new()
        .route(
            "/.well-known/skiff",
            any(|| async {
                (
                    StatusCode::NOT_FOUND,
                    [("content-type", "application/json")],
                    r#"{"error":{"code":"not_found","message":"no discovery here"}}"#,
                )
            }),
        )
        .fallback(forward)
        .with_state(upstream.to_owned());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let addr = listener.local_addr().expect("the proxy's address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn without_sessions_whole_files_go_up_with_put() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    std::fs::write(tree.path().join("taken.bin"), "already here").expect("write");
    let file = write_source(sources.path(), "whole ☀.bin", 5 * 1024 * 1024 + 3, 17);
    let server = Server::start(tree.path(), &["--writable"]);
    let front = plain_rfsapi_front(&server.url).await;
    let browser = Browser::start().await;
    browser.open(&format!("{front}/")).await;
    wait_for_uploads_enabled(&browser).await;

    pick_files(&browser, "files", &file).await;
    wait_for_status(&browser, "whole ☀.bin", "Done").await;
    assert_eq!(
        sha256_of(&tree.path().join("whole ☀.bin")),
        sha256_of(&file)
    );
    browser
        .wait_until(
            "the note that uploads cannot resume",
            "document.querySelector('section[aria-label=Uploads]').innerText
                .includes('whole files only')",
        )
        .await;
    // No session was used: nothing was ever remembered for resuming.
    assert!(
        !tree.path().join(".skiff/partial").exists()
            || std::fs::read_dir(tree.path().join(".skiff/partial")).map_or(0, |d| d.count()) == 0
    );

    // `PUT` conflicts are asked about too (If-None-Match: *).
    drop_generated(&browser, &[("taken.bin", 64)]).await;
    answer_conflict(&browser, "taken.bin", "Keep both", false).await;
    wait_for_status(&browser, "taken.bin", "Done").await;
    assert_eq!(
        std::fs::read(tree.path().join("taken.bin")).expect("read"),
        b"already here"
    );
    assert_eq!(
        std::fs::read(tree.path().join("taken (1).bin")).expect("read"),
        generated(64)
    );
    browser.close().await;
}
