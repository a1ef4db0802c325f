//! Request headers turned into the plain values the services take: lengths,
//! conditions, §2 offsets and checksums, and the body as a [`RequestBody`].

use axum::body::Body;
use axum::http::{header, HeaderMap};
use base64::Engine;
use futures_util::TryStreamExt;
use skiff_protocol::{UPLOAD_CHECKSUM_HEADER, UPLOAD_OFFSET_HEADER};

use crate::error::AppError;
use crate::uploads::body::RequestBody;

/// The body as a stream of frames; a cut body ends in an error.
pub fn request_body(body: Body) -> RequestBody {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

/// The whole body, refused with 413 `body_too_large` past `limit` bytes (the
/// small JSON bodies: session create, complete).
pub async fn small_body(body: Body, limit: usize) -> Result<axum::body::Bytes, AppError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::TooLarge {
            code: "body_too_large",
            message: format!("the request body is over {limit} bytes"),
        })
}

/// The request's `Content-Length`, if it sent a valid one.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `If-None-Match: *`: create only, never replace.
pub fn if_none_match_star(headers: &HeaderMap) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes().trim_ascii() == b"*")
}

/// The ETags listed in `If-Match` (`*` kept as is), if the header is there.
pub fn if_match(headers: &HeaderMap) -> Option<Vec<String>> {
    let values: Vec<String> = headers
        .get_all(header::IF_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(|tag| tag.trim().to_owned())
        .filter(|tag| !tag.is_empty())
        .collect();
    (headers.contains_key(header::IF_MATCH)).then_some(values)
}

/// `Upload-Offset`: required, a non-negative integer.
pub fn upload_offset(headers: &HeaderMap) -> Result<u64, AppError> {
    let value = headers
        .get(UPLOAD_OFFSET_HEADER)
        .ok_or(AppError::BadRequest {
            code: "missing_offset",
            message: format!("{UPLOAD_OFFSET_HEADER} is required"),
        })?;
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .ok_or(AppError::BadRequest {
            code: "bad_offset",
            message: format!("{UPLOAD_OFFSET_HEADER} must be a non-negative integer"),
        })
}

/// `Upload-Checksum: sha256 <base64>`, decoded to the 32-byte digest.
pub fn chunk_checksum(headers: &HeaderMap) -> Result<Option<[u8; 32]>, AppError> {
    let Some(value) = headers.get(UPLOAD_CHECKSUM_HEADER) else {
        return Ok(None);
    };
    let bad = || AppError::BadRequest {
        code: "bad_checksum",
        message: format!("{UPLOAD_CHECKSUM_HEADER} must be `sha256 <base64 digest>`"),
    };
    let text = value.to_str().map_err(|_| bad())?;
    let (algorithm, encoded) = text.trim().split_once(' ').ok_or_else(bad)?;
    if !algorithm.eq_ignore_ascii_case("sha256") {
        return Err(bad());
    }
    let digest = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    <[u8; 32]>::try_from(digest).map(Some).map_err(|_| bad())
}
