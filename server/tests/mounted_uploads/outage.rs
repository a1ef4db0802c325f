//! An S3 endpoint that goes away when a session completes, and comes back.

use skiff_protocol::{FileObject, UploadSession};

use crate::common::seaweed::fresh_bucket;
use crate::common::uploads::{pattern, sha256_hex};
use crate::common::{client, expect_error, Fixture};
use crate::helpers::{append, complete, put_part, send, serve_mounted, session, Backend, MIB};

/// A TCP forwarder in front of SeaweedFS that the test cuts (every connection
/// dropped, nothing listening) and restores on the same port: the S3 endpoint
/// going away and coming back, for real, while the server runs.
struct Proxy {
    port: u16,
    target: std::net::SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        Self {
            port,
            target,
            task: Some(tokio::spawn(forward(listener, target))),
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    async fn restore(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the proxy again");
        self.task = Some(tokio::spawn(forward(listener, self.target)));
    }
}

/// Accepts and forwards until aborted; aborting drops the set, which aborts
/// every connection in flight.
async fn forward(listener: tokio::net::TcpListener, target: std::net::SocketAddr) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((mut inbound, _)) = listener.accept().await {
        connections.spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

/// An S3 endpoint that is down when a session completes: 503 with the session
/// intact (sequential and parts), and the same completion succeeds once it is back.
#[tokio::test]
async fn an_s3_outage_at_completion_is_503_and_the_session_survives() {
    let (bucket, seaweed) = fresh_bucket().await;
    let target = seaweed
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("SeaweedFS address");
    let mut proxy = Proxy::start(target).await;
    let backend = Backend::S3 {
        bucket,
        endpoint: proxy.endpoint(),
    };
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;

    let data = pattern(MIB + MIB / 2, 3);
    let sequential = session(&server, "seq.bin", data.len(), serde_json::json!({})).await;
    assert_eq!(
        append(&server, &sequential.url, 0, &data[..MIB])
            .await
            .status(),
        200
    );
    let parts = session(
        &server,
        "parts.bin",
        data.len(),
        serde_json::json!({ "part_size": MIB }),
    )
    .await;
    for n in [1, 2] {
        assert_eq!(put_part(&server, &parts.url, &data, n).await, 200);
    }

    proxy.cut();
    let last = append(&server, &sequential.url, MIB, &data[MIB..]).await;
    let refused = expect_error(last, 503, "the last chunk while S3 is down").await;
    assert_eq!(refused.error.code, "storage_unavailable");
    let now: UploadSession = send(client().get(server.url(&sequential.url)))
        .await
        .json()
        .await
        .expect("the session is still there");
    assert_eq!(now.offset, data.len() as u64, "every byte is kept");
    let done = complete(&server, &parts.url, serde_json::json!({})).await;
    expect_error(done, 503, "complete while S3 is down").await;

    proxy.restore().await;
    // The sequential completion is repeated with an empty chunk at the end.
    let finished = append(&server, &sequential.url, data.len(), b"").await;
    assert_eq!(finished.status(), 200);
    let file: FileObject = finished.json().await.expect("a file object");
    assert_eq!(file.sha256, Some(sha256_hex(&data)));
    let done = complete(&server, &parts.url, serde_json::json!({})).await;
    assert_eq!(done.status(), 200);
    assert_eq!(backend.stored("seq.bin").await.as_deref(), Some(&data[..]));
    assert_eq!(
        backend.stored("parts.bin").await.as_deref(),
        Some(&data[..])
    );
}
