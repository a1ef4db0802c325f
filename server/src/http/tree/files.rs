//! What goes with a file's bytes (PROTOCOL.md §1 without the RFSAPI header), in
//! every storage: validators, conditional GETs, single byte ranges, the §6
//! safe-serving headers, and `Repr-Digest` where the server recorded the file's
//! SHA-256 when it wrote it ([`prepare`]); `mounted_bytes.rs` streams the bytes.

use std::time::SystemTime;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use skiff_protocol::REPR_DIGEST_HEADER;

use crate::disk::entry::{http_date, mime_for_name};
use crate::error::AppError;
use crate::http::conditional::{is_not_modified, requested_range, RangeRequest};
use crate::http::digest::{recorded, RecordedDigest};
use crate::services::Services;

/// What the store knows about a file, looked up before its bytes are served.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    /// Its §3 `_format`, which overrides the type guessed from the name.
    pub format: Option<String>,
    /// Its SHA-256 as recorded when the server wrote it (writable servers only).
    pub digest: Option<RecordedDigest>,
}

/// The [`FileFacts`] of the file at `key` (one blocking trip).
pub async fn facts(services: &Services, key: String) -> Result<FileFacts, AppError> {
    let state = services.clone();
    crate::blocking::blocking(move || facts_blocking(&state, &key)).await
}

/// The [`FileFacts`] of the file at `key` (blocking). A read-only server has no
/// uploads store, hence no digests.
pub fn facts_blocking(state: &Services, key: &str) -> Result<FileFacts, AppError> {
    Ok(FileFacts {
        format: state.ids().format_of(key)?,
        digest: match state.uploads() {
            Some(uploads) => recorded(uploads, key)?,
            None => None,
        },
    })
}

/// A file about to be served, whatever storage holds it.
#[derive(Debug, Clone)]
pub struct Described<'a> {
    /// The name it was requested by: picks the content type.
    pub name: &'a str,
    /// Its size in bytes.
    pub size: u64,
    /// Its quoted entity-tag.
    pub etag: String,
    /// Its last change.
    pub modified: SystemTime,
}

/// What [`prepare`] decided.
#[derive(Debug)]
pub enum Prepared {
    /// A complete answer without bytes (304).
    Done(Response),
    /// Headers and status set; the caller attaches bytes `[start, start + length)`
    /// as the body (unless the request is `HEAD`).
    Bytes {
        /// The response so far.
        response: Response,
        /// First byte to send.
        start: u64,
        /// How many bytes.
        length: u64,
    },
}

/// Validators, conditional GETs, the range, the content type and the §6
/// safe-serving headers for `file`, the same for every storage.
pub fn prepare(
    file: &Described<'_>,
    facts: FileFacts,
    headers: &HeaderMap,
) -> Result<Prepared, AppError> {
    let size = file.size;
    let etag = &file.etag;
    let modified = file.modified;
    let mut response = Response::new(Body::empty());
    let response_headers = response.headers_mut();
    insert(response_headers, header::ETAG, etag);
    insert(
        response_headers,
        header::LAST_MODIFIED,
        &http_date(modified),
    );
    // Files change in a file manager; the validators make revalidation cheap.
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Checked against the served file's ETag: a file changed behind our back
    // (or since the lookup) gets no digest rather than a wrong one. It describes
    // the whole file, so a 206 carries it too (RFC 9530 §3).
    if let Some(digest) = facts.digest.and_then(|digest| digest.for_etag(etag)) {
        response_headers.insert(REPR_DIGEST_HEADER, digest);
    }

    if is_not_modified(headers, etag, modified) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(Prepared::Done(response));
    }

    let (status, start, length) = match requested_range(headers, size, etag, modified) {
        RangeRequest::Full => (StatusCode::OK, 0, size),
        RangeRequest::Partial { start, end } => {
            let content_range = format!("bytes {start}-{end}/{size}");
            insert(
                response.headers_mut(),
                header::CONTENT_RANGE,
                &content_range,
            );
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeRequest::Unsatisfiable => return Err(AppError::RangeNotSatisfiable { size }),
    };
    *response.status_mut() = status;
    let response_headers = response.headers_mut();
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let content_type = facts.format.unwrap_or_else(|| mime_for_name(file.name));
    insert(response_headers, header::CONTENT_TYPE, &content_type);
    if !is_safe_inline(&content_type) {
        // PROTOCOL.md §6: user files must never run as the app's origin.
        response_headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox"),
        );
        let disposition = format!(
            "attachment; filename*=UTF-8''{}",
            skiff_protocol::encode_segment(file.name)
        );
        insert(response_headers, header::CONTENT_DISPOSITION, &disposition);
    }
    insert(
        response_headers,
        header::CONTENT_LENGTH,
        &length.to_string(),
    );
    Ok(Prepared::Bytes {
        response,
        start,
        length,
    })
}

/// Inserts a header whose value we built; values that cannot be headers are dropped.
fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(value) => {
            headers.insert(name, value);
        }
        Err(_) => tracing::warn!(%name, value, "dropping an invalid header value"),
    }
}

/// Types a browser may show inline without running anything (PROTOCOL.md §6): images
/// other than SVG, plain text, PDF, audio and video.
pub fn is_safe_inline(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("image", subtype)) => subtype != "svg+xml",
        Some(("audio" | "video", _)) => true,
        _ => essence == "text/plain" || essence == "application/pdf",
    }
}

#[cfg(test)]
mod tests {
    use super::is_safe_inline;

    #[test]
    fn only_passive_types_are_inline() {
        for safe in [
            "image/png",
            "text/plain",
            "text/plain; charset=utf-8",
            "application/pdf",
            "audio/ogg",
            "video/mp4",
        ] {
            assert!(is_safe_inline(safe), "{safe}");
        }
        for unsafe_type in [
            "text/html",
            "image/svg+xml",
            "application/xml",
            "text/xml",
            "application/octet-stream",
            "text/javascript",
            "application/xhtml+xml",
        ] {
            assert!(!is_safe_inline(unsafe_type), "{unsafe_type}");
        }
    }
}
