//! `PUT P` and `DELETE P` with `--writable` (PROTOCOL.md §0, §2.2): the request's
//! conditions and digest read into plain values, the write done by
//! `crate::uploads::tree_write` (default storage) or `crate::tree::write` (a
//! mounted one), and the answer (201 created or 200 replaced, the RFSAPI entry,
//! `Repr-Digest`; 204 for a delete).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use skiff_protocol::{TreePath, REPR_DIGEST_HEADER};

use super::listing::fileset_response;
use super::mounted::Allowed;
use crate::error::AppError;
use crate::http::digest::{content_sha256, sha256_field};
use crate::http::headers::{content_length, if_match, if_none_match_star, request_body};
use crate::listing::local::file as file_fileset;
use crate::listing::mounted::file as mounted_fileset;
use crate::tree::{self, Mounted};
use crate::uploads::tree_write::{self, refuse_root, WholeWrite, Written};
use crate::uploads::Uploads;

/// The whole-file write a request asks for at `path` (the root is refused
/// before any header is read, as it always was).
pub fn whole_write(
    path: &TreePath,
    headers: &HeaderMap,
    body: Body,
) -> Result<WholeWrite, AppError> {
    refuse_root(path)?;
    let if_match = if_match(headers);
    let promised = content_sha256(headers)?;
    Ok(WholeWrite {
        if_match,
        if_none_match: if_none_match_star(headers),
        promised,
        announced: content_length(headers),
        body: request_body(body),
    })
}

/// 201 for a new file, 200 for a replaced one.
pub fn written_status(written: &Written) -> StatusCode {
    if written.existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

/// `Repr-Digest` of what was stored, on the write's response.
pub fn add_repr_digest(written: &Written, response: &mut Response) {
    if let Some(value) = sha256_field(&written.sha256) {
        response.headers_mut().insert(REPR_DIGEST_HEADER, value);
    }
}

/// `PUT P`: the whole body becomes the file at `path`.
pub async fn put(
    uploads: &Arc<Uploads>,
    path: TreePath,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let name = path.name().unwrap_or_default().to_owned();
    let write = whole_write(&path, headers, body)?;
    let written = tree_write::write_whole(uploads, path, write).await?;
    let fileset = file_fileset(&name, &written.metadata, Some(written.known.clone()), true);
    let mut response = fileset_response(&fileset);
    *response.status_mut() = written_status(&written);
    add_repr_digest(&written, &mut response);
    Ok(response)
}

/// `DELETE P`: 204 once the file (or empty folder) is gone.
pub async fn delete(uploads: &Arc<Uploads>, path: TreePath) -> Result<Response, AppError> {
    tree_write::delete(uploads, path).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT P` into a mounted storage.
pub async fn mounted_put(
    mounted: &Mounted,
    allowed: Allowed,
    key: TreePath,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    tree::write::check_put(&key, content_length(headers), allowed.max_size)?;
    let put = tree::write::Put {
        promised: content_sha256(headers)?,
        create_only: if_none_match_star(headers),
        if_match: if_match(headers),
        max_size: allowed.max_size,
        body: request_body(body),
    };
    let written = tree::write::put(mounted, key, put).await?;
    let fileset = mounted_fileset(
        &written.entry,
        Some(written.known),
        allowed.writes_supported,
    );
    let mut response = fileset_response(&fileset);
    *response.status_mut() = if written.replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    if let Some(value) = sha256_field(&written.sha256) {
        response.headers_mut().insert(REPR_DIGEST_HEADER, value);
    }
    Ok(response)
}

/// `DELETE P` in a mounted storage: 204 once the file (or empty folder) is gone.
pub async fn mounted_delete(mounted: &Mounted, key: TreePath) -> Result<Response, AppError> {
    tree::write::delete(mounted, key).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
