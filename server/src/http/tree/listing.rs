//! RFSAPI responses (PROTOCOL.md §1): a folder's listing from `crate::listing`
//! with its ETag (a `304` when `If-None-Match` names it), or a single file's
//! entry, with `X-Raw-Filesystem-API: 1` and `no-cache`.

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use skiff_protocol::FilesetData;

use crate::error::AppError;
use crate::http::compression::OwnJson;
use crate::http::json::{json_response, JSON_CONTENT_TYPE};
use crate::listing::ListingChunks;

/// `X-Raw-Filesystem-API` as a header name (`skiff_protocol::RFSAPI_HEADER`, lowercased).
pub const RFSAPI: HeaderName = HeaderName::from_static("x-raw-filesystem-api");

/// Listing JSON held to hash before the headers go out: a folder of up to about
/// 1,500 entries gets an ETag (and its 304s); a bigger listing streams on without
/// one, so its first rows leave at once (a 100,000-entry folder's whole listing,
/// 16 MiB, takes ~300 ms to make: a client paints its first screenful from the
/// first chunk, docs/protocol-notes.md "Listings stream") and memory stays
/// bounded for a folder of any size.
const HELD_FOR_ETAG: usize = 256 << 10;

/// A file's own RFSAPI answer (200).
pub fn fileset_response(fileset: &FilesetData) -> Response {
    let mut response = json_response(StatusCode::OK, fileset);
    add_rfsapi_headers(&mut response);
    response
}

/// A folder's listing, read ahead of its headers.
pub enum Listed {
    /// All of it, with its ETag.
    Whole {
        /// Weak (`W/"…"`): the same listing sent compressed is not the same bytes.
        etag: HeaderValue,
        /// The JSON.
        chunks: Vec<Bytes>,
    },
    /// Past [`HELD_FOR_ETAG`]: what was read, then the rest as it comes, no ETag.
    Streamed(ListingChunks),
}

impl Listed {
    /// Reads `chunks` whole (up to [`HELD_FOR_ETAG`]) and tags them with a hash of
    /// their bytes, so the tag changes with anything a listing shows: names,
    /// sizes, dates, ids, `writes_supported`. A listing its storage failed to
    /// finish is an error (its status is not sent yet), not a short body.
    pub async fn read(mut chunks: ListingChunks) -> Result<Self, AppError> {
        let mut held = Vec::new();
        let mut size = 0;
        let mut hasher = Sha256::new();
        while let Some(Ok(chunk)) = chunks.next().await {
            hasher.update(&chunk);
            size += chunk.len();
            held.push(chunk);
            if size > HELD_FOR_ETAG {
                let rest = futures_util::stream::iter(held.into_iter().map(Ok)).chain(chunks);
                return Ok(Self::Streamed(Box::pin(rest)));
            }
        }
        // Only the last chunk closes the `files` array; an entry never ends in `]}`.
        if !held.last().is_some_and(|chunk| chunk.ends_with(b"]}")) {
            return Err(AppError::Io(std::io::Error::other(
                "the storage failed in the middle of a listing",
            )));
        }
        let digest = hasher.finalize();
        let hex: String = digest[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let etag = HeaderValue::from_str(&format!("W/\"{hex}\""))
            .map_err(|error| AppError::Io(std::io::Error::other(error)))?;
        Ok(Self::Whole { etag, chunks: held })
    }

    /// The listing's ETag, if it was held whole.
    pub fn etag(&self) -> Option<&HeaderValue> {
        match self {
            Self::Whole { etag, .. } => Some(etag),
            Self::Streamed(_) => None,
        }
    }
}

/// A folder's RFSAPI answer: its listing, or (`with_body` false, for HEAD) only
/// the headers.
pub fn listing_response(listed: Listed, with_body: bool) -> Response {
    let etag = listed.etag().cloned();
    let body = match listed {
        _ if !with_body => Body::empty(),
        Listed::Whole { chunks, .. } => Body::from_stream(futures_util::stream::iter(
            chunks.into_iter().map(Ok::<_, std::io::Error>),
        )),
        Listed::Streamed(chunks) => Body::from_stream(chunks),
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, JSON_CONTENT_TYPE);
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    // Said here, not only by the compression layer: HEAD's empty body is never
    // compressed, but it describes the GET that would be.
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response.extensions_mut().insert(OwnJson);
    add_rfsapi_headers(&mut response);
    response
}

/// `304 Not Modified` for a listing the client already has.
pub fn listing_not_modified(etag: HeaderValue) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag);
    // What the 200 would have said (the compression layer adds it there).
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    add_rfsapi_headers(&mut response);
    response
}

/// `X-Raw-Filesystem-API: 1` and `no-cache` on an RFSAPI answer.
fn add_rfsapi_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(RFSAPI, HeaderValue::from_static("1"));
    // Listings change under the client's feet; always revalidate.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_name_is_the_protocol_constant() {
        assert!(RFSAPI
            .as_str()
            .eq_ignore_ascii_case(skiff_protocol::RFSAPI_HEADER));
    }
}
