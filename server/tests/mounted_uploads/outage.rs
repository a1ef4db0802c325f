//! An S3 endpoint that goes away (at completion, between parts, inside a part,
//! in the middle of a big folder's listing) and comes back.

use skiff_protocol::{FileObject, UploadSession};

use crate::common::seaweed::fresh_bucket;
use crate::common::uploads::{pattern, sha256_hex};
use crate::common::{client, expect_error, Fixture};
use crate::helpers::{
    append, complete, part_for, put_part, send, serve_mounted, session, Backend, MIB,
};

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

/// A server with an S3 mount whose endpoint goes through a [`Proxy`].
async fn behind_a_proxy() -> (Proxy, Backend, Fixture, crate::common::TestServer) {
    let (bucket, seaweed) = fresh_bucket().await;
    let target = seaweed
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("SeaweedFS address");
    let proxy = Proxy::start(target).await;
    let backend = Backend::S3 {
        bucket,
        endpoint: proxy.endpoint(),
    };
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;
    (proxy, backend, fixture, server)
}

/// An S3 endpoint that is down when a session completes: 503 with the session
/// intact (sequential and parts), and the same completion succeeds once it is back.
#[tokio::test]
async fn an_s3_outage_at_completion_is_503_and_the_session_survives() {
    let (mut proxy, backend, _fixture, server) = behind_a_proxy().await;
    let part = part_for(&backend);
    // Sequential: its first chunk fills the first 8 MiB store part.
    let data = pattern(2 * part, 3);
    let sequential = session(&server, "seq.bin", data.len(), serde_json::json!({})).await;
    assert_eq!(
        append(&server, &sequential.url, 0, &data[..9 * MIB])
            .await
            .status(),
        200
    );
    let parts = session(
        &server,
        "parts.bin",
        data.len(),
        serde_json::json!({ "part_size": part }),
    )
    .await;
    for n in [1, 2] {
        assert_eq!(put_part(&server, &parts.url, &data, part, n).await, 200);
    }

    proxy.cut();
    let last = append(&server, &sequential.url, 9 * MIB, &data[9 * MIB..]).await;
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

/// An S3 endpoint that goes away between parts and in the middle of one: that
/// part or chunk is 503 and recorded nowhere; once S3 is back the sessions
/// resume where they were and complete byte for byte.
#[tokio::test]
async fn an_s3_outage_between_and_inside_parts_is_503_and_the_session_resumes() {
    let (mut proxy, backend, _fixture, server) = behind_a_proxy().await;
    let part = part_for(&backend);
    let data = pattern(3 * part + 7, 8);
    let parts = session(
        &server,
        "parts.bin",
        data.len(),
        serde_json::json!({ "part_size": part }),
    )
    .await;
    let sequential = session(&server, "seq.bin", data.len(), serde_json::json!({})).await;
    assert_eq!(put_part(&server, &parts.url, &data, part, 1).await, 200);
    assert_eq!(
        append(&server, &sequential.url, 0, &data[..6 * MIB])
            .await
            .status(),
        200
    );

    // Between parts: the endpoint is gone.
    proxy.cut();
    assert_eq!(put_part(&server, &parts.url, &data, part, 2).await, 503);
    // This chunk completes the first 8 MiB store part, which cannot go.
    let crossing = append(&server, &sequential.url, 6 * MIB, &data[6 * MIB..12 * MIB]).await;
    expect_error(crossing, 503, "a chunk whose part cannot reach S3").await;
    proxy.restore().await;

    // Inside a part: the endpoint goes while the part's body is on its way.
    let whole = crate::common::uploads::part_of(&data, part, 2);
    let (head, tail) = (whole[..part / 2].to_vec(), whole[part / 2..].to_vec());
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let stream = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) }),
        futures_util::stream::once(async move {
            let _ = released.await;
            Ok(tail)
        }),
    );
    let slow = send(
        client()
            .put(server.url(&format!("{}/parts/2", parts.url)))
            .header("content-length", part.to_string())
            .body(reqwest::Body::wrap_stream(stream)),
    );
    let slow = tokio::spawn(slow);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    proxy.cut();
    release.send(()).expect("the part is still sending");
    let cut = slow.await.expect("the request task");
    assert_eq!(cut.status(), 503, "a part sent while S3 went away");

    let now: UploadSession = send(client().get(server.url(&parts.url)))
        .await
        .json()
        .await
        .expect("the parts session");
    assert_eq!(now.parts, Some(vec![[1, 1]]), "nothing recorded for part 2");
    let now: UploadSession = send(client().get(server.url(&sequential.url)))
        .await
        .json()
        .await
        .expect("the sequential session");
    assert_eq!(
        now.offset,
        6 * MIB as u64,
        "the refused chunk left no trace"
    );

    proxy.restore().await;
    for n in [2, 3, 4] {
        assert_eq!(put_part(&server, &parts.url, &data, part, n).await, 200);
    }
    let done = complete(&server, &parts.url, serde_json::json!({})).await;
    assert_eq!(done.status(), 200);
    let mut offset = 6 * MIB;
    for end in [12 * MIB, data.len()] {
        let response = append(&server, &sequential.url, offset, &data[offset..end]).await;
        assert_eq!(response.status(), 200, "chunk at {offset}");
        offset = end;
    }
    assert_eq!(
        backend.stored("parts.bin").await.as_deref(),
        Some(&data[..])
    );
    assert_eq!(backend.stored("seq.bin").await.as_deref(), Some(&data[..]));
}

/// Objects in the folder listed while its S3 endpoint goes away: 12 of the
/// store's 1,000-key pages, ~2 MiB of listing, more than the sockets take in
/// while the client does not read, so the server is still paging when it is cut.
const LISTED: usize = 12_000;

/// An S3 endpoint that goes away in the middle of a big listing (one that streams,
/// its 200 already sent): the response is broken off, so the client sees a failed
/// transfer (and the app retries), never a well-formed body with part of the folder.
#[tokio::test]
async fn an_s3_outage_in_the_middle_of_a_listing_breaks_the_response_off() {
    use futures_util::StreamExt;
    use object_store::ObjectStoreExt;

    let (mut proxy, backend, _fixture, server) = behind_a_proxy().await;
    let Backend::S3 { bucket, .. } = &backend else {
        unreachable!("behind_a_proxy mounts S3")
    };
    let seaweed = crate::common::seaweed::seaweed().await;
    let s3 = crate::common::seaweed::client(&seaweed.endpoint, bucket);
    futures_util::stream::iter(0..LISTED)
        .for_each_concurrent(32, |index| {
            let s3 = &s3;
            async move {
                let key = object_store::path::Path::from(format!("team/big/f{index:05}"));
                s3.put(&key, object_store::PutPayload::from_static(b"x"))
                    .await
                    .unwrap_or_else(|error| panic!("put {key}: {error}"));
            }
        })
        .await;

    let url = server.url(&format!("/{}/big/", crate::common::mounted::MOUNT));
    let whole = send(client().get(&url).header("x-raw-filesystem-api", "1")).await;
    assert_eq!(whole.status(), 200);
    let body = whole.bytes().await.expect("the whole listing, endpoint up");
    let listing: skiff_protocol::FilesetData =
        serde_json::from_slice(&body).expect("one FilesetData");
    assert_eq!(listing.files.len(), LISTED);

    let response = send(client().get(&url).header("x-raw-filesystem-api", "1")).await;
    assert_eq!(response.status(), 200, "the listing's first pages came");
    assert!(response.headers().get("etag").is_none(), "it streams");
    proxy.cut();
    let mut chunks = response.bytes_stream();
    let mut read = Vec::new();
    let broken = loop {
        match chunks.next().await {
            Some(Ok(chunk)) => read.extend_from_slice(&chunk),
            Some(Err(_)) => break true,
            None => break false,
        }
    };
    assert!(
        broken,
        "the body ended cleanly after {} bytes, though the endpoint went away",
        read.len()
    );
    assert!(
        serde_json::from_slice::<skiff_protocol::FilesetData>(&read).is_err(),
        "what came is a whole listing"
    );

    proxy.restore().await;
    let again = send(client().get(&url).header("x-raw-filesystem-api", "1")).await;
    let body = again.bytes().await.expect("the whole listing again");
    let listing: skiff_protocol::FilesetData =
        serde_json::from_slice(&body).expect("one FilesetData again");
    assert_eq!(listing.files.len(), LISTED, "the endpoint is back");
}
