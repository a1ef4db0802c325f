//! A file's bytes from its storage's store (every storage, the default one
//! too): validators, conditional GETs, single byte ranges, §3 `_format`,
//! `Repr-Digest` and the §6 safe-serving headers (`super::files::prepare`),
//! with the bytes streamed from the store only while they are still the ones
//! the validators describe.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::error::AppError;
use crate::http::tree::{prepare, Described, FileFacts, Prepared};
use crate::store::{Entry, StoreError};
use crate::tree::Mounted;

/// Times a file that changes between its `stat` and its reading is looked at
/// afresh before the client is asked to retry.
const ATTEMPTS: usize = 3;

/// Answers a `GET` (or, without `with_body`, a `HEAD`) of file `entry`, whose
/// `_format` and recorded digest are `facts`.
pub async fn serve(
    mounted: &Mounted,
    entry: &Entry,
    facts: FileFacts,
    headers: &HeaderMap,
    with_body: bool,
) -> Result<Response, AppError> {
    let mut entry = entry.clone();
    for _ in 0..ATTEMPTS {
        let described = Described {
            name: entry.key.name().unwrap_or_default(),
            size: entry.size,
            etag: entry.etag.clone(),
            modified: entry.modified,
        };
        let (mut response, start, length) = match prepare(&described, facts.clone(), headers)? {
            Prepared::Done(response) => return Ok(response),
            Prepared::Bytes {
                response,
                start,
                length,
            } => (response, start, length),
        };
        if !with_body || length == 0 {
            return Ok(response);
        }
        match mounted
            .store
            .read_entry(&entry, Some(start..start + length))
            .await
        {
            Ok(stream) => {
                *response.body_mut() = Body::from_stream(stream);
                return Ok(response);
            }
            // Replaced since its `stat`: the headers would describe other bytes.
            Err(StoreError::Precondition) => {
                entry = mounted.store.stat(&entry.key).await?;
                if entry.is_dir {
                    return Err(AppError::NotFound);
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(AppError::Unavailable(
        "the file kept changing while it was read; try again".to_owned(),
    ))
}
