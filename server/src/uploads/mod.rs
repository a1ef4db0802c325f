//! Resumable chunked uploads (PROTOCOL.md §2) and the plain RFSAPI writes, all
//! of which exist only with `--writable`.
//!
//! - `session.rs`: the sessions (create, lock, remove)
//! - `locks.rs`: a live session's gate, per-part locks and in-memory state
//! - `append.rs`: a chunk of a sequential session
//! - `parts.rs`: a part of a parallel-parts session (§2.1)
//! - `complete.rs`: completing a parts session, and placing any finished file
//! - `partial.rs`: where unfinished uploads keep their bytes
//! - `committer.rs`: group commit of the hot upload state writes
//! - `recovery.rs`: startup reconciliation and the expiry sweep
//! - `store.rs`: the redb database that makes sessions survive a crash
//! - `listing.rs`: buckets and file objects
//! - `buckets.rs`: the storages as buckets (§2, §5)
//! - `mounted.rs`, `mounted_listing.rs`: completing into, and listing, a mounted storage
//! - `tree_write.rs`: `PUT P` and `DELETE P` on the tree
//! - `target.rs`, `body.rs`: placing files in the tree, streaming bodies to disk
//!
//! URLs are parsed from the raw (percent-encoded) path, like the tree's, so a
//! key meets the same lexical checks as any tree path.

mod append;
pub mod body;
pub mod buckets;
mod committer;
mod complete;
mod listing;
mod locks;
mod mounted;
mod mounted_listing;
mod partial;
mod parts;
mod recovery;
#[cfg(test)]
mod recovery_tests;
mod session;
pub(crate) mod store;
pub mod target;
pub mod tree_write;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use skiff_protocol::{
    decode_segment, TreePath, UploadCreate, COMPLETE_SEGMENT, PARTS_SEGMENT, SESSION_PREFIX,
    UPLOADS_PATH,
};

pub use parts::MIN_PART;
pub use recovery::spawn_sweeper;
pub use session::{blocking, Uploads};

use buckets::Bucket;

use crate::error::AppError;
use crate::http::json::json_response;
use crate::http::state::AppState;
use crate::paths::is_reserved;

/// Largest JSON body accepted when creating a session.
const CREATE_BODY_LIMIT: usize = 64 * 1024;

/// The upload routes; none on a read-only server, where `{uploads}` stays part
/// of the reserved name (reads 404, writes 403).
pub fn routes(state: &AppState) -> Router<AppState> {
    if state.uploads().is_none() {
        return Router::new();
    }
    Router::new()
        .route(UPLOADS_PATH, any(collection))
        .route(&format!("{UPLOADS_PATH}/{{*rest}}"), any(item))
        // Handlers stream `Body` themselves and enforce their own limits (max_chunk
        // for appends, checked up front and while streaming; 64 KiB for create).
        .layer(DefaultBodyLimit::disable())
}

/// `{uploads}` itself: the buckets (GET) or a new session (POST).
async fn collection(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(uploads) = state.uploads() else {
        return AppError::NotFound.into_response();
    };
    let result = match method {
        Method::GET | Method::HEAD => Ok(listing::buckets(uploads)),
        Method::POST => create(uploads, &headers, body).await,
        _ => Err(AppError::MethodNotAllowed {
            allow: "GET, HEAD, POST",
        }),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn create(
    uploads: &Arc<Uploads>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let bytes = axum::body::to_bytes(body, CREATE_BODY_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge {
            code: "body_too_large",
            message: format!("the request body is over {CREATE_BODY_LIMIT} bytes"),
        })?;
    let request: UploadCreate =
        serde_json::from_slice(&bytes).map_err(|error| AppError::BadRequest {
            code: "bad_json",
            message: format!("the body is not an upload request: {error}"),
        })?;
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes().trim_ascii() == b"*");
    let creator = Arc::clone(uploads);
    let session = session::blocking(move || creator.create(request, if_none_match)).await?;
    let mut response = json_response(StatusCode::CREATED, &session);
    if let Ok(location) = HeaderValue::from_str(&session.url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Everything below `{uploads}/`: a session, a bucket, or a file in a bucket.
async fn item(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(uploads) = state.uploads() else {
        return AppError::NotFound.into_response();
    };
    route_item(uploads, &method, &uri, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn route_item(
    uploads: &Arc<Uploads>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let rest = uri
        .path()
        .strip_prefix(UPLOADS_PATH)
        .and_then(|rest| rest.strip_prefix('/'))
        .ok_or(AppError::NotFound)?;
    let (first, key) = rest.split_once('/').unwrap_or((rest, ""));
    let first = decode_segment(first)?;
    if let Some(id) = first.strip_prefix(SESSION_PREFIX) {
        if !key.is_empty() {
            return session_item(uploads, id, key, method, headers, body).await;
        }
        return match *method {
            Method::GET | Method::HEAD => status(uploads, id).await,
            Method::POST => append::append(uploads, id, headers, body).await,
            Method::DELETE => abort(uploads, id).await,
            _ => Err(AppError::MethodNotAllowed {
                allow: "GET, HEAD, POST, DELETE",
            }),
        };
    }
    let target = buckets::bucket(uploads.buckets(), &first)?;
    if key.is_empty() {
        return match (method.clone(), &target) {
            (Method::GET | Method::HEAD, Bucket::Default) => {
                listing::files(uploads, uri.query()).await
            }
            (Method::GET | Method::HEAD, Bucket::Mounted(mounted)) => {
                mounted_listing::files(uploads, &first, mounted, uri.query()).await
            }
            _ => Err(AppError::MethodNotAllowed { allow: "GET, HEAD" }),
        };
    }
    let path = TreePath::parse_url_path(&format!("/{key}"))?;
    let is_read = matches!(*method, Method::GET | Method::HEAD);
    // `.skiff` in any storage, and a mount's name in the default storage.
    let hidden = match target {
        Bucket::Default => buckets::under_mount(uploads.buckets(), &path),
        Bucket::Mounted(_) => false,
    };
    if is_reserved(&path) || hidden {
        return Err(if is_read {
            AppError::NotFound
        } else {
            AppError::Reserved
        });
    }
    match (method.clone(), target) {
        (Method::GET | Method::HEAD, Bucket::Default) => listing::file(uploads, path).await,
        (Method::DELETE, Bucket::Default) => listing::delete_file(uploads, path).await,
        (Method::GET | Method::HEAD, Bucket::Mounted(mounted)) => {
            mounted_listing::file(uploads, &first, &mounted, path).await
        }
        (Method::DELETE, Bucket::Mounted(mounted)) => {
            mounted_listing::delete_file(uploads, &first, &mounted, path).await
        }
        _ => Err(AppError::MethodNotAllowed {
            allow: "GET, HEAD, DELETE",
        }),
    }
}

/// Below a session's url (§2.1): `parts/{n}` (PUT) and `complete` (POST).
async fn session_item(
    uploads: &Arc<Uploads>,
    id: &str,
    rest: &str,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    if rest == COMPLETE_SEGMENT {
        return match *method {
            Method::POST => complete::complete_parts(uploads, id, body).await,
            _ => Err(AppError::MethodNotAllowed { allow: "POST" }),
        };
    }
    match rest.split_once('/') {
        Some((PARTS_SEGMENT, number)) if !number.contains('/') => match *method {
            Method::PUT => parts::put_part(uploads, id, number, headers, body).await,
            _ => Err(AppError::MethodNotAllowed { allow: "PUT" }),
        },
        _ => Err(AppError::UnknownSession),
    }
}

/// `GET {url}`: the durable state, without waiting for an append in flight.
async fn status(uploads: &Arc<Uploads>, id: &str) -> Result<Response, AppError> {
    if !session::is_session_id(id) {
        return Err(AppError::UnknownSession);
    }
    let reader = Arc::clone(uploads);
    let owned = id.to_owned();
    let found = session::blocking(move || {
        let Some(record) = reader.store().session(&owned)? else {
            return Ok(None);
        };
        let parts = match record.part_size {
            Some(_) => Some(parts::PartSet::from_sorted(
                reader.store().parts(&owned)?.into_iter().map(|(n, _)| n),
            )),
            None => None,
        };
        Ok(Some((record, parts)))
    })
    .await?;
    match found {
        Some((record, parts)) if !uploads.is_expired(&record) => Ok(json_response(
            StatusCode::OK,
            &session::session_object(&record, parts.as_ref()),
        )),
        _ => Err(AppError::UnknownSession),
    }
}

/// `DELETE {url}`: the session and its partial data are gone; 204.
async fn abort(uploads: &Arc<Uploads>, id: &str) -> Result<Response, AppError> {
    let (_guard, record) = uploads.lock(id).await?;
    let remover = Arc::clone(uploads);
    session::blocking(move || remover.remove(&record.id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
