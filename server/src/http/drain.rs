//! A refused request's body is read to its end (up to a bound) beside the answer.
//! A server that answers before reading a body and then closes the
//! connection leaves a client still sending that body with a broken pipe or a
//! reset instead of the answer (a part of the wrong length, a 412 on a
//! create-only `PUT`, a 401 on an upload): the client cannot tell why it failed.
//!
//! The layer hands the handler a body that shares the real one; once the answer
//! is an error and the handler has let go of an unread body, the answer goes and
//! the rest of the body is read beside it and dropped, at most [`DRAIN_LIMIT`]
//! bytes for at most [`DRAIN_TIME`] (then the connection closes). A body
//! announced as longer than that is not read: the connection closes at once.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};

/// The most a refused body is read for its answer to arrive (a part of
/// `--max-chunk`'s default).
pub const DRAIN_LIMIT: u64 = 16 << 20;
/// The longest a refused body is read.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The layer (`axum::middleware::from_fn`).
pub async fn drain_refused(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
    let worth_it = match announced {
        Some(len) => len > 0 && len <= DRAIN_LIMIT,
        None => chunked,
    };
    if !worth_it {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let shared = Arc::new(Mutex::new(Some(body)));
    let request = Request::from_parts(parts, Body::new(Shared(Arc::clone(&shared))));
    let response = next.run(request).await;
    let refused = response.status().is_client_error() || response.status().is_server_error();
    // The handler still holding the body (an answer streamed while reading) keeps
    // it: only a body nobody reads any more is drained.
    if refused && Arc::strong_count(&shared) == 1 {
        let left = shared.lock().ok().and_then(|mut body| body.take());
        if let Some(body) = left {
            // Beside the answer, which goes at once: a client still sending
            // reads it as soon as it looks, and one that sends nothing more
            // (a refusal on the headers alone) is not kept waiting.
            tokio::spawn(async move {
                let _ = tokio::time::timeout(DRAIN_TIME, drain(body)).await;
            });
        }
    }
    response
}

/// Reads `body` to its end or to [`DRAIN_LIMIT`] bytes, dropping what it reads.
async fn drain(body: Body) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut read = 0u64;
    while let Some(Ok(bytes)) = stream.next().await {
        read += bytes.len() as u64;
        if read > DRAIN_LIMIT {
            return;
        }
    }
}

/// The request body as the handler sees it: the real one, shared with the layer.
struct Shared(Arc<Mutex<Option<Body>>>);

impl HttpBody for Shared {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Ok(mut body) = self.0.lock() else {
            return Poll::Ready(None);
        };
        match body.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.0.lock().map_or(true, |body| {
            body.as_ref().is_none_or(HttpBody::is_end_stream)
        })
    }

    fn size_hint(&self) -> SizeHint {
        self.0
            .lock()
            .ok()
            .and_then(|body| body.as_ref().map(HttpBody::size_hint))
            .unwrap_or_default()
    }
}
