//! The metadata API over HTTP (PROTOCOL.md §3) at `{metadata}/{label}`: `GET`,
//! `POST` to merge user keys, `PUT` to replace them; the work is
//! `crate::metadata`'s.
//!
//! Labels are tree paths, parsed from the raw URL like the tree's; paths inside
//! a mounted storage are served too (through its store). Writes need a writable
//! server (the auth middleware has already refused read-only tokens).

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use skiff_protocol::{TreePath, METADATA_BODY_LIMIT, METADATA_PATH};

use super::json::json_response;
use super::state::AppState;
use crate::config::tokens::Grant;
use crate::error::AppError;
use crate::metadata;

/// The metadata routes (on every server; writes need `--writable`).
pub fn routes() -> Router<AppState> {
    super::router::under(METADATA_PATH, handle)
}

async fn handle(
    State(state): State<AppState>,
    Extension(grant): Extension<Grant>,
    method: Method,
    uri: Uri,
    body: Body,
) -> Response {
    serve(&state, &grant, &method, &uri, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn serve(
    state: &AppState,
    grant: &Grant,
    method: &Method,
    uri: &Uri,
    body: Body,
) -> Result<Response, AppError> {
    let rest = uri
        .path()
        .strip_prefix(METADATA_PATH)
        .ok_or(AppError::NotFound)?;
    let path = TreePath::parse_url_path(if rest.is_empty() { "/" } else { rest })?;
    let is_read = matches!(*method, Method::GET | Method::HEAD);
    crate::tree::refuse_reserved(&path, is_read)?;
    let replace = match *method {
        Method::GET | Method::HEAD => {
            let metadata = metadata::get(state, path).await?;
            return Ok(json_response(StatusCode::OK, &metadata));
        }
        Method::POST => false,
        Method::PUT => true,
        _ => {
            return Err(AppError::MethodNotAllowed {
                allow: "GET, HEAD, POST, PUT",
            })
        }
    };
    if !state.writable() {
        return Err(AppError::ReadOnly);
    }
    let bytes = axum::body::to_bytes(body, METADATA_BODY_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge {
            code: "body_too_large",
            message: format!("metadata bodies are limited to {METADATA_BODY_LIMIT} bytes"),
        })?;
    let metadata = metadata::write(state, path, &bytes, replace, grant.owner.clone()).await?;
    Ok(json_response(StatusCode::OK, &metadata))
}
