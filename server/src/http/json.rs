//! JSON responses with the protocol's exact `Content-Type`, marked for
//! on-the-fly compression (`compression.rs`).

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;

use super::compression::OwnJson;

/// `Content-Type` of every JSON body (PROTOCOL.md, general rules).
pub const JSON_CONTENT_TYPE: HeaderValue =
    HeaderValue::from_static("application/json; charset=utf-8");

/// Serialises `value` into a response with `status`.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    // Our wire types always serialise; the fallback keeps the "never panic" promise anyway.
    let (status, body) = match serde_json::to_vec(value) {
        Ok(body) => (status, body),
        Err(error) => {
            tracing::error!(%error, "cannot serialise a JSON response");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"error":{"code":"internal","message":"internal server error"}}"#.to_vec(),
            )
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, JSON_CONTENT_TYPE);
    response.extensions_mut().insert(OwnJson);
    response
}
