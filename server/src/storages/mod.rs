//! Storages (PROTOCOL.md §5) at `{storages}`: the list, one storage, its scrub
//! (`{storages}/{name}/checksums`), and the admin calls that add, change and
//! remove storages.
//!
//! - `spec.rs`: what defines a storage, checked (API bodies and `--config` alike)
//! - `registry.rs`: every storage with its `Store`; the only code that changes them
//! - `record.rs`: storage records in the server's redb database
//! - `backend.rs`: opening a backend and proving it can be listed and written
//! - `admin.rs`: `POST`, `PATCH`, `DELETE` (admin tokens only)
//! - `scrub.rs`: the streamed checksums of every file
//! - `scrub_mounted.rs`: the same for a mounted storage, through its store
//!
//! The default storage is the served tree, named `default` like the upload
//! bucket (§2). Its record (a UUID and when it was made) lives in redb, so the
//! id survives restarts.

mod admin;
mod backend;
mod record;
mod registry;
mod scrub;
mod scrub_mounted;
pub mod spec;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Router};
use skiff_protocol::{decode_segment, CHECKSUMS_SEGMENT, DEFAULT_BUCKET, STORAGES_PATH};

pub use registry::{StorageRegistry, StoreSlot};

use crate::error::AppError;
use crate::http::json::json_response;
use crate::http::state::AppState;
use crate::tokens::Grant;

/// Longest label, in characters.
const LABEL_MAX: usize = 255;

/// The storage routes (on every server: reads for everyone allowed to read).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(STORAGES_PATH, any(handle))
        .route(&format!("{STORAGES_PATH}/"), any(handle))
        .route(&format!("{STORAGES_PATH}/{{*rest}}"), any(handle))
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
        .strip_prefix(STORAGES_PATH)
        .ok_or(AppError::NotFound)?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let is_read = matches!(*method, Method::GET | Method::HEAD);
    if rest.is_empty() {
        return match *method {
            Method::GET | Method::HEAD => {
                Ok(json_response(StatusCode::OK, &state.storages().list()))
            }
            Method::POST => Ok(admin::create(state, grant, body).await),
            _ => Err(AppError::MethodNotAllowed {
                allow: "GET, HEAD, POST",
            }),
        };
    }
    let (name, what) = rest.split_once('/').unwrap_or((rest, ""));
    let name = decode_segment(name)?;
    let storage = state
        .storages()
        .get(&name)
        .ok_or(AppError::UnknownStorage(name.clone()))?;
    if what.is_empty() {
        return match *method {
            Method::GET | Method::HEAD => Ok(json_response(StatusCode::OK, &storage)),
            Method::PATCH => Ok(admin::patch(state, grant, &name, body).await),
            Method::DELETE => Ok(admin::remove(state, grant, &name).await),
            _ => Err(AppError::MethodNotAllowed {
                allow: "GET, HEAD, PATCH, DELETE",
            }),
        };
    }
    if what != CHECKSUMS_SEGMENT {
        return Err(AppError::NotFound);
    }
    if !is_read {
        return Err(AppError::MethodNotAllowed { allow: "GET, HEAD" });
    }
    if storage.name != DEFAULT_BUCKET {
        let store = state
            .storages()
            .store(&storage.name)
            .ok_or_else(|| AppError::UnknownStorage(storage.name.clone()))?
            .map_err(AppError::Unavailable)?;
        return Ok(scrub_mounted::checksums(
            store,
            state.ids().clone(),
            storage.mount.clone(),
            *method != Method::HEAD,
        ));
    }
    Ok(scrub::checksums(state, *method != Method::HEAD))
}

/// A label for people: not blank, no control characters, at most 255 characters.
pub(crate) fn checked_label(label: &str) -> Result<String, AppError> {
    checked_label_text(label).map_err(|message| AppError::BadRequest {
        code: "bad_storage",
        message,
    })
}

/// [`checked_label`] in words, for `--config`.
pub fn checked_label_text(label: &str) -> Result<String, String> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > LABEL_MAX || label.chars().any(char::is_control)
    {
        return Err(format!(
            "the label must be 1 to {LABEL_MAX} characters, without control characters"
        ));
    }
    Ok(label.to_owned())
}
