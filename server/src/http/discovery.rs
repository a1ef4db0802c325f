//! `GET /.well-known/skiff` (PROTOCOL.md §0): which features this server offers.

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use skiff_protocol::{
    AuthScheme, Discovery, Role, BATCH_PATH, METADATA_PATH, RAW_PATH, STORAGES_PATH, UPLOADS_PATH,
};

use crate::config::tokens::Grant;
use crate::error::AppError;
use crate::http::errors::TREE_METHODS;
use crate::http::json::json_response;
use crate::http::state::AppState;

/// Serves discovery; features not implemented yet, or switched off (uploads on a
/// read-only server), are absent, which means "off". Discovery is public; `roles`
/// says what the request's credentials (none, or a valid token) may do here.
pub async fn discovery(
    State(state): State<AppState>,
    grant: Option<Extension<Grant>>,
    method: Method,
) -> Response {
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
        // An `s3://` root's parts are S3 parts: 5 MiB at least.
        min_part: state
            .uploads()
            .map(|uploads| uploads.min_part())
            .filter(|min_part| state.max_chunk() >= *min_part),
        // Batches (many `PUT`s in one request) wherever `PUT` works.
        batch: state.writable().then(|| BATCH_PATH.to_owned()),
        zip: Some(true),
        sign: state.signs_urls().then_some(true),
        roles: Some(roles(&state, grant.map(|Extension(grant)| grant).as_ref())),
    };
    let mut response = json_response(StatusCode::OK, &discovery);
    // Features change with the server's flags; never let a client trust a stale copy.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// What these credentials may actually do on this server: writes and admin calls
/// need `--writable` as well as the right token; no valid token on a server with
/// tokens may do nothing.
fn roles(state: &AppState, grant: Option<&Grant>) -> Vec<Role> {
    let Some(grant) = grant else {
        return Vec::new();
    };
    let mut roles = vec![Role::Read];
    if state.writes_supported(grant) {
        roles.push(Role::Write);
    }
    if state.writable() && grant.is_admin() {
        roles.push(Role::Admin);
    }
    roles
}
