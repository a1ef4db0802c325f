//! `PUT P` and `DELETE P` with `--writable` (PROTOCOL.md §0, §2.2): the request's
//! conditions and digest read into plain values, the write done by
//! `crate::tree::write` through the storage's store (the default storage is the
//! mount with the empty name), and the answer (201 created or 200 replaced, the
//! RFSAPI entry, `Repr-Digest`; 204 for a delete). [`whole_write`] reads the
//! same request for the raw API.

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
use crate::listing::file as mounted_fileset;
use crate::tree::write::{refuse_root, WholeWrite};
use crate::tree::{self, Mounted};
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

/// `PUT P` on the default storage: as in a mounted one (`uploads.root_mounted`),
/// after refusing (507) a `Content-Length` its disk cannot take, before any
/// byte of the body is read.
pub async fn root_put(
    uploads: &Arc<Uploads>,
    mounted: &Mounted,
    allowed: Allowed,
    key: TreePath,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let announced = content_length(headers);
    tree::write::check_put(&key, announced, allowed.max_size)?;
    uploads.ensure_room_for(announced).await?;
    mounted_put(mounted, allowed, key, headers, body).await
}

/// `PUT P` into a storage through its store.
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

/// `DELETE P` in a storage (the default one too): 204 once the file (or empty folder) is gone.
pub async fn mounted_delete(mounted: &Mounted, key: TreePath) -> Result<Response, AppError> {
    tree::write::delete(mounted, key).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
