//! An S3 endpoint that ignores conditional writes, for the tests that prove the
//! server refuses one: the real SeaweedFS behind a proxy that answers each of its
//! `412 Precondition Failed` with `200 OK` (and an ETag), which is what such an
//! endpoint answers. The client's `Host` header is passed on, so SeaweedFS
//! accepts its signatures.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The proxy's endpoint (`http://127.0.0.1:PORT`) to `upstream`; it runs for the
/// rest of the test on the test's runtime.
pub async fn proxy(upstream: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let address = listener.local_addr().expect("address");
    let client: Client<HttpConnector, Body> = Client::builder(TokioExecutor::new()).build_http();
    let upstream: Uri = upstream.parse().expect("upstream URL");
    let app = axum::Router::new()
        .fallback(forward)
        .with_state((client, upstream));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

async fn forward(
    State((client, upstream)): State<(Client<HttpConnector, Body>, Uri)>,
    mut request: Request,
) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    let authority = upstream.authority().map_or("", |a| a.as_str());
    *request.uri_mut() = format!("http://{authority}{path}").parse().expect("URI");
    match client.request(request).await {
        Ok(answer) if answer.status() == StatusCode::PRECONDITION_FAILED => {
            let mut ignored = StatusCode::OK.into_response();
            ignored
                .headers_mut()
                .insert("etag", HeaderValue::from_static("\"ignored\""));
            ignored
        }
        Ok(answer) => answer.map(Body::new),
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    }
}
