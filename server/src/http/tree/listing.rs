//! RFSAPI responses (PROTOCOL.md §1): a folder's listing streamed from
//! `crate::listing`, or a single file's entry, with `X-Raw-Filesystem-API: 1`
//! and `no-cache`.

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use skiff_protocol::FilesetData;

use crate::http::json::{json_response, JSON_CONTENT_TYPE};
use crate::listing::ListingChunks;

/// `X-Raw-Filesystem-API` as a header name (`skiff_protocol::RFSAPI_HEADER`, lowercased).
pub const RFSAPI: HeaderName = HeaderName::from_static("x-raw-filesystem-api");

/// A file's own RFSAPI answer (200).
pub fn fileset_response(fileset: &FilesetData) -> Response {
    let mut response = json_response(StatusCode::OK, fileset);
    add_rfsapi_headers(&mut response);
    response
}

/// A folder's RFSAPI answer: its listing streamed, or (`None`, for HEAD) only
/// the headers.
pub fn listing_response(chunks: Option<ListingChunks>) -> Response {
    let body = chunks.map_or_else(Body::empty, Body::from_stream);
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, JSON_CONTENT_TYPE);
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
