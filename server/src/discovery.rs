//! `GET /.well-known/skiff` (PROTOCOL.md §0): which features this server offers.

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use skiff_protocol::{AuthScheme, Discovery, METADATA_PATH, RAW_PATH, STORAGES_PATH, UPLOADS_PATH};

use crate::error::{AppError, TREE_METHODS};
use crate::json::json_response;
use crate::state::AppState;
use crate::uploads::MIN_PART;

/// Serves discovery; features not implemented yet, or switched off (uploads on a
/// read-only server), are absent, which means "off".
pub async fn discovery(State(state): State<AppState>, method: Method) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return AppError::MethodNotAllowed {
            allow: TREE_METHODS,
        }
        .into_response();
    }
    let discovery = Discovery {
        version: 1,
        tree: "/".to_owned(),
        uploads: state.writable().then(|| UPLOADS_PATH.to_owned()),
        metadata: Some(METADATA_PATH.to_owned()),
        raw: Some(RAW_PATH.to_owned()),
        storages: Some(STORAGES_PATH.to_owned()),
        auth: Some(if state.tokens().is_empty() {
            AuthScheme::None
        } else {
            AuthScheme::Bearer
        }),
        max_chunk: state.writable().then(|| state.max_chunk()),
        // Parallel parts (§2.1) need room for at least one part per request.
        min_part: (state.writable() && state.max_chunk() >= MIN_PART).then_some(MIN_PART),
    };
    let mut response = json_response(StatusCode::OK, &discovery);
    // Features change with the server's flags; never let a client trust a stale copy.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
