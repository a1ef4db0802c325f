//! A mounted storage's file bytes: the same validators, ranges, §3 `_format`,
//! `Repr-Digest` and §6 safe-serving headers as the local tree
//! (`super::files::prepare`), with the bytes streamed from the store.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::error::AppError;
use crate::http::tree::{prepare, Described, FileFacts, Prepared};
use crate::store::Entry;
use crate::tree::Mounted;

/// Answers a `GET` (or, without `with_body`, a `HEAD`) of file `entry`, whose
/// `_format` and recorded digest are `facts`.
pub async fn serve(
    mounted: &Mounted,
    entry: &Entry,
    facts: FileFacts,
    headers: &HeaderMap,
    with_body: bool,
) -> Result<Response, AppError> {
    let described = Described {
        name: entry.key.name().unwrap_or_default(),
        size: entry.size,
        etag: entry.etag.clone(),
        modified: entry.modified,
    };
    match prepare(&described, facts, headers)? {
        Prepared::Done(response) => Ok(response),
        Prepared::Bytes {
            mut response,
            start,
            length,
        } => {
            if with_body && length > 0 {
                let range = start..start + length;
                let stream = mounted.store.read(&entry.key, Some(range)).await?;
                *response.body_mut() = Body::from_stream(stream);
            }
            Ok(response)
        }
    }
}
