//! `POST {batch}`: many small files in one request (a Skiff extension of §2.2,
//! `docs/protocol-notes.md`). Each item is exactly a `PUT P`: its header line
//! becomes the request line and headers, its bytes the body, and the tree's own
//! `PUT` handler ([`super::tree::serve_tree`]) writes it, in the default storage
//! or a mounted one, with every check, condition, digest and durability promise
//! of a single `PUT`. Items run one after another; the answer lists each item's
//! status and entry (or error) once every stored file is durable.
//!
//! Item bytes stream from the request into the write through a small channel:
//! nothing holds a whole file. An item refused before its body is read (a
//! reserved path, a failed condition) has its bytes skipped, so the next item's
//! header is found where it should be.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Router};
use std::collections::VecDeque;

use futures_util::StreamExt;
use skiff_protocol::{
    BatchAnswer, BatchItem, BatchResult, ErrorBody, ErrorDetail, FilesetData, BATCH_HEADER_LIMIT,
    BATCH_MAX_ITEMS, BATCH_PATH, CONTENT_DIGEST_HEADER, REPR_DIGEST_HEADER,
};
use tokio::sync::mpsc;

use super::json::json_response;
use super::state::AppState;
use super::tree::serve_tree;
use crate::config::tokens::Grant;
use crate::error::AppError;

/// Largest answer of one item's `PUT` read back (an RFSAPI entry or an error).
const ANSWER_LIMIT: usize = 64 * 1024;
/// Chunks of one item's bytes queued between the request and the write.
const QUEUE: usize = 4;

/// The batch route; none on a read-only server (the path stays reserved there).
pub fn routes(state: &AppState) -> Router<AppState> {
    if state.uploads().is_none() {
        return Router::new();
    }
    Router::new().route(BATCH_PATH, any(batch))
}

async fn batch(
    State(state): State<AppState>,
    Extension(grant): Extension<Grant>,
    method: Method,
    body: Body,
) -> Response {
    if method != Method::POST {
        return AppError::MethodNotAllowed { allow: "POST" }.into_response();
    }
    match run(&state, &grant, body).await {
        Ok(answer) => json_response(StatusCode::OK, &answer),
        Err(error) => error.into_response(),
    }
}

/// Every item of the body, in order. Item bytes are read one item after
/// another, but each item's write finishes (fsync, rename, record) while the
/// next items stream in: up to [`IN_FLIGHT`] writes at once share the group
/// commit, as concurrent `PUT`s would. Two items for one path never overlap, so
/// the later one wins as it would one after the other.
async fn run(state: &AppState, grant: &Grant, body: Body) -> Result<BatchAnswer, AppError> {
    let mut frames = Frames::new(body);
    let mut pending: VecDeque<Pending> = VecDeque::new();
    let mut results = Vec::new();
    let read = async {
        let mut count = 0usize;
        while let Some(line) = frames.header().await? {
            count += 1;
            let item: BatchItem = serde_json::from_slice(&line).map_err(|error| {
                bad_batch(format!("item {count} has no valid header line: {error}"))
            })?;
            if pending.iter().any(|p| p.path == item.path) {
                // Keep results in order: finish everything before a repeated path.
                while let Some(done) = pending.pop_front() {
                    results.push(done.finish().await);
                }
            } else if pending.len() >= IN_FLIGHT {
                // Full: wait for the oldest only, so the rest stay in flight.
                if let Some(done) = pending.pop_front() {
                    results.push(done.finish().await);
                }
            }
            let write = if count > BATCH_MAX_ITEMS {
                frames.skip(item.size).await?;
                Write::Done(refused(
                    &item,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "batch_too_large",
                    format!(
                        "a batch holds at most {BATCH_MAX_ITEMS} files; send the rest in another"
                    ),
                ))
            } else {
                start(state, grant, &mut frames, &item).await?
            };
            pending.push_back(Pending {
                path: item.path,
                write,
            });
        }
        Ok::<(), AppError>(())
    };
    let outcome = read.await;
    // Whatever was read whole is written and durable before the answer, even
    // when the batch itself is refused for what came after.
    while let Some(done) = pending.pop_front() {
        results.push(done.finish().await);
    }
    outcome.map(|()| BatchAnswer { results })
}

/// Writes at once within one batch.
const IN_FLIGHT: usize = 32;

/// An item whose bytes were read, and its write.
struct Pending {
    path: String,
    write: Write,
}

enum Write {
    Done(BatchResult),
    Running(tokio::task::JoinHandle<BatchResult>, BatchItem),
}

impl Pending {
    async fn finish(self) -> BatchResult {
        match self.write {
            Write::Done(result) => result,
            Write::Running(task, item) => match task.await {
                Ok(result) => result,
                Err(error) => {
                    tracing::error!(%error, "a batch item's write ended without an answer");
                    failed(
                        &item,
                        AppError::Io(std::io::Error::other("the write failed")),
                    )
                    .await
                }
            },
        }
    }
}

/// Starts one item's `PUT` and feeds it the item's bytes; the write may still be
/// finishing when this returns.
async fn start(
    state: &AppState,
    grant: &Grant,
    frames: &mut Frames,
    item: &BatchItem,
) -> Result<Write, AppError> {
    let (uri, headers) = match request_of(item) {
        Ok(request) => request,
        Err(error) => {
            frames.skip(item.size).await?;
            return Ok(Write::Done(failed(item, error).await));
        }
    };
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(QUEUE);
    let body = Body::from_stream(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|chunk| (chunk, receiver)) },
    ));
    let (state, grant, owned) = (state.clone(), grant.clone(), item.clone());
    let task = tokio::spawn(async move {
        match serve_tree(&state, &grant, &Method::PUT, &uri, &headers, body).await {
            Ok(response) => result_of(&owned, response).await,
            Err(error) => failed(&owned, error).await,
        }
    });
    let mut left = item.size;
    let mut sender = Some(sender);
    while left > 0 {
        let Some(chunk) = frames.take(left).await? else {
            if let Some(sender) = sender.take() {
                let cut = std::io::Error::other("the batch ended inside a file");
                let _ = sender.send(Err(cut)).await;
            }
            // The write sees its body fail and places nothing; wait for that.
            let _ = task.await;
            return Err(bad_batch(format!(
                "the batch ended {left} bytes short of {:?}",
                item.path
            )));
        };
        left -= chunk.len() as u64;
        // A write that stopped reading (refused) drops the receiver: skip the rest.
        if let Some(open) = &sender {
            if open.send(Ok(chunk)).await.is_err() {
                sender = None;
            }
        }
    }
    Ok(Write::Running(task, item.clone()))
}

/// The request line and headers of the item's `PUT`.
fn request_of(item: &BatchItem) -> Result<(Uri, HeaderMap), AppError> {
    // Only a path: a `?` or `#` would make part of it a query the tree ignores.
    if !item.path.starts_with('/') || item.path.contains(['?', '#']) {
        return Err(AppError::BadRequest {
            code: "bad_path",
            message: format!("{:?} is not a URL path starting with /", item.path),
        });
    }
    let uri: Uri = item.path.parse().map_err(|_| AppError::BadRequest {
        code: "bad_path",
        message: format!("{:?} is not a URL path", item.path),
    })?;
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(item.size));
    if item.create_only {
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
    }
    let text = |value: &str, what: &str| {
        HeaderValue::from_str(value).map_err(|_| AppError::BadRequest {
            code: "bad_header",
            message: format!("the item's {what} is not a valid header value"),
        })
    };
    if let Some(tags) = &item.if_match {
        headers.insert(header::IF_MATCH, text(tags, "if_match")?);
    }
    if let Some(digest) = &item.digest {
        headers.insert(
            HeaderName::from_static("content-digest"),
            text(digest, CONTENT_DIGEST_HEADER)?,
        );
    }
    Ok((uri, headers))
}

/// The item's result from what its `PUT` answered.
async fn result_of(item: &BatchItem, response: Response) -> BatchResult {
    let status = response.status();
    let digest = response
        .headers()
        .get(REPR_DIGEST_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = axum::body::to_bytes(response.into_body(), ANSWER_LIMIT)
        .await
        .unwrap_or_default();
    if status.is_success() {
        let file = serde_json::from_slice::<FilesetData>(&body)
            .ok()
            .and_then(|fileset| fileset.files.into_iter().next());
        return BatchResult {
            path: item.path.clone(),
            status: status.as_u16(),
            file,
            digest,
            error: None,
        };
    }
    let error = serde_json::from_slice::<ErrorBody>(&body)
        .map(|body| body.error)
        .unwrap_or_else(|_| ErrorDetail {
            code: "internal".to_owned(),
            message: format!("the write answered {status}"),
        });
    BatchResult {
        path: item.path.clone(),
        status: status.as_u16(),
        file: None,
        digest: None,
        error: Some(error),
    }
}

/// The item's result for an error, with the status and body a `PUT` would get.
async fn failed(item: &BatchItem, error: AppError) -> BatchResult {
    result_of(item, error.into_response()).await
}

fn refused(item: &BatchItem, status: StatusCode, code: &str, message: String) -> BatchResult {
    BatchResult {
        path: item.path.clone(),
        status: status.as_u16(),
        file: None,
        digest: None,
        error: Some(ErrorDetail {
            code: code.to_owned(),
            message,
        }),
    }
}

fn bad_batch(message: String) -> AppError {
    AppError::BadRequest {
        code: "bad_batch",
        message,
    }
}

/// The request body read as header lines and counted bytes.
struct Frames {
    stream: axum::body::BodyDataStream,
    buffer: bytes::BytesMut,
}

impl Frames {
    fn new(body: Body) -> Self {
        Self {
            stream: body.into_data_stream(),
            buffer: bytes::BytesMut::new(),
        }
    }

    /// Reads more of the body into the buffer; `false` at its end.
    async fn fill(&mut self) -> Result<bool, AppError> {
        match self.stream.next().await {
            Some(Ok(chunk)) => {
                self.buffer.extend_from_slice(&chunk);
                Ok(true)
            }
            Some(Err(error)) => Err(bad_batch(format!("the batch could not be read: {error}"))),
            None => Ok(false),
        }
    }

    /// The next header line without its `\n`; `None` where the body ends between items.
    async fn header(&mut self) -> Result<Option<Vec<u8>>, AppError> {
        loop {
            if let Some(end) = self.buffer.iter().position(|byte| *byte == b'\n') {
                let line = self.buffer.split_to(end + 1);
                return Ok(Some(line[..end].to_vec()));
            }
            if self.buffer.len() >= BATCH_HEADER_LIMIT {
                return Err(bad_batch(format!(
                    "an item's header line is longer than {BATCH_HEADER_LIMIT} bytes"
                )));
            }
            if !self.fill().await? {
                return if self.buffer.iter().all(u8::is_ascii_whitespace) {
                    Ok(None)
                } else {
                    Err(bad_batch("the batch ends inside a header line".to_owned()))
                };
            }
        }
    }

    /// Up to `most` bytes of an item; `None` if the body ended.
    async fn take(&mut self, most: u64) -> Result<Option<Bytes>, AppError> {
        if self.buffer.is_empty() && !self.fill().await? {
            return Ok(None);
        }
        let len = self
            .buffer
            .len()
            .min(usize::try_from(most).unwrap_or(usize::MAX));
        Ok(Some(self.buffer.split_to(len).freeze()))
    }

    /// Reads past `size` bytes of an item nobody wants.
    async fn skip(&mut self, size: u64) -> Result<(), AppError> {
        let mut left = size;
        while left > 0 {
            let chunk = self
                .take(left)
                .await?
                .ok_or_else(|| bad_batch("the batch ended inside a file".to_owned()))?;
            left -= chunk.len() as u64;
        }
        Ok(())
    }
}
