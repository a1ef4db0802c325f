//! Metadata (PROTOCOL.md §3, CKAN FileStore style) at `{metadata}/{label}`:
//! `GET` the server's `_` fields and the user keys, `POST` to merge user keys,
//! `PUT` to replace them; `_format` may be set and then becomes the served
//! `Content-Type` and the RFSAPI `mime_type`.
//!
//! - `crate::catalog::metadata`: the stored record and the rules for a client's body
//!
//! Labels are tree paths, parsed from the raw URL like the tree's. Writes need a
//! writable server (the auth middleware has already refused read-only tokens).

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Router};
use skiff_protocol::{
    encode_tree_path, FileMetadata, MetadataValue, TreePath, DEFAULT_BUCKET, DIRECTORY_MIME,
    METADATA_BODY_LIMIT, METADATA_PATH,
};

use crate::catalog::metadata as record;
use crate::entry::{etag, http_date, mime_for_name, modified};
use crate::error::AppError;
use crate::http::json::json_response;
use crate::http::state::AppState;
use crate::paths::{find_blocking, is_reserved, Found};
use crate::tokens::Grant;
use crate::uploads::blocking;
use crate::uploads::buckets::refuse_mounted;

/// The metadata routes (on every server; writes need `--writable`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(METADATA_PATH, any(handle))
        .route(&format!("{METADATA_PATH}/"), any(handle))
        .route(&format!("{METADATA_PATH}/{{*label}}"), any(handle))
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
    if is_reserved(&path) {
        return Err(if is_read {
            AppError::NotFound
        } else {
            AppError::Reserved
        });
    }
    refuse_mounted(state.storages(), &path, "metadata API")?;
    let replace = match *method {
        Method::GET | Method::HEAD => return get(state, path).await,
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
    let change = record::parse_change(&bytes)?;
    let owner = grant.owner.clone();
    let writer = state.clone();
    let metadata = blocking(move || {
        let found = find_blocking(writer.root(), path)?;
        let id = writer.ids().id_for(&found.key())?;
        record::apply(writer.ids(), &id, change, replace, owner.as_deref())?;
        describe(&writer, &found, id)
    })
    .await?;
    Ok(json_response(StatusCode::OK, &metadata))
}

/// `GET {metadata}/{label}`.
async fn get(state: &AppState, path: TreePath) -> Result<Response, AppError> {
    let reader = state.clone();
    let metadata = blocking(move || {
        let found = find_blocking(reader.root(), path)?;
        let id = reader.ids().id_for(&found.key())?;
        describe(&reader, &found, id)
    })
    .await?;
    Ok(json_response(StatusCode::OK, &metadata))
}

/// The whole metadata object of `found`, whose id is `id` (blocking).
fn describe(state: &AppState, found: &Found, id: String) -> Result<FileMetadata, AppError> {
    let (record, format) = record::load(state.ids(), &id)?;
    let is_file = found.metadata.is_file();
    let etag = etag(&found.metadata);
    let key = found.key();
    let sha256 = match state.uploads() {
        Some(uploads) if is_file => uploads
            .store()
            .file(&key)?
            .filter(|known| known.etag == etag)
            .and_then(|known| known.sha256),
        _ => None,
    };
    let guessed = if is_file {
        mime_for_name(found.path.name().unwrap_or_default())
    } else {
        DIRECTORY_MIME.to_owned()
    };
    let user = record
        .user
        .into_iter()
        // Stored values were checked on the way in; a value that does not fit is skipped.
        .filter_map(|(key, value)| {
            Some((key, serde_json::from_value::<MetadataValue>(value).ok()?))
        })
        .collect();
    Ok(FileMetadata {
        bucket: DEFAULT_BUCKET.to_owned(),
        content_length: if is_file { found.metadata.len() } else { 0 },
        format: format.filter(|_| is_file).unwrap_or(guessed),
        label: found.label(),
        last_modified: http_date(modified(&found.metadata)),
        location: if is_file {
            encode_tree_path(found.path.segments())
        } else {
            found.path.to_dir_url_path()
        },
        owner: record.owner,
        id,
        etag,
        sha256,
        user,
    })
}
