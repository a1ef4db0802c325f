//! `GET /.well-known/skiff` (PROTOCOL.md §0): which features this server offers.

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use skiff_protocol::{AuthScheme, Discovery};

use crate::error::{AppError, TREE_METHODS};
use crate::json::json_response;

/// Serves discovery; features not implemented yet are absent, which means "off".
pub async fn discovery(method: Method) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return AppError::MethodNotAllowed {
            allow: TREE_METHODS,
        }
        .into_response();
    }
    let discovery = Discovery {
        version: 1,
        tree: "/".to_owned(),
        uploads: None,
        metadata: None,
        raw: None,
        storages: None,
        auth: Some(AuthScheme::None),
        max_chunk: None,
    };
    let mut response = json_response(StatusCode::OK, &discovery);
    // Features change with the server's flags; never let a client trust a stale copy.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
