//! The §2 upload API over HTTP: `{uploads}` (buckets, new sessions), a session's
//! url (status, append, abort), its `parts/{n}` and `complete` (§2.1), and the
//! buckets' file objects. Each handler parses the request, calls
//! `crate::uploads`, and turns the result into a response.
//!
//! URLs are parsed from the raw (percent-encoded) path, like the tree's, so a
//! key meets the same lexical checks as any tree path.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use skiff_protocol::{
    decode_segment, TreePath, COMPLETE_SEGMENT, PARTS_SEGMENT, SESSION_PREFIX, UPLOADS_PATH,
};

use super::digest::content_sha256;
use super::headers::{
    chunk_checksum, content_length, if_none_match_star, request_body, small_body, upload_offset,
};
use super::json::json_response;
use super::state::AppState;
use crate::disk::paths::is_reserved;
use crate::error::AppError;
use crate::uploads::append::{self, Chunk};
use crate::uploads::buckets::{self, Bucket};
use crate::uploads::complete::{self, COMPLETE_BODY_LIMIT};
use crate::uploads::parts::{self, Part};
use crate::uploads::{listing, mounted_listing, Uploads, CREATE_BODY_LIMIT};

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

/// 200 with `value` as JSON.
fn ok<T: serde::Serialize>(value: &T) -> Response {
    json_response(StatusCode::OK, value)
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
        Method::GET | Method::HEAD => Ok(ok(&listing::buckets(uploads))),
        Method::POST => create(uploads, &headers, body).await,
        _ => Err(AppError::MethodNotAllowed {
            allow: "GET, HEAD, POST",
        }),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST {uploads}`: 201 with the session and its url in `Location`.
async fn create(
    uploads: &Arc<Uploads>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let bytes = small_body(body, CREATE_BODY_LIMIT).await?;
    let session = crate::uploads::create(uploads, &bytes, if_none_match_star(headers)).await?;
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
            Method::GET | Method::HEAD => Ok(ok(&crate::uploads::status(uploads, id).await?)),
            Method::POST => {
                let chunk = Chunk {
                    offset: upload_offset(headers)?,
                    checksum: chunk_checksum(headers)?,
                    announced: content_length(headers),
                    body: request_body(body),
                };
                Ok(ok(&append::append(uploads, id, chunk).await?))
            }
            Method::DELETE => {
                crate::uploads::abort(uploads, id).await?;
                Ok(StatusCode::NO_CONTENT.into_response())
            }
            _ => Err(AppError::MethodNotAllowed {
                allow: "GET, HEAD, POST, DELETE",
            }),
        };
    }
    let target = buckets::bucket(uploads.buckets(), &first)?;
    if key.is_empty() {
        return match (method.clone(), &target) {
            (Method::GET | Method::HEAD, Bucket::Default) => {
                Ok(ok(&listing::files(uploads, uri.query()).await?))
            }
            (Method::GET | Method::HEAD, Bucket::Mounted(mounted)) => Ok(ok(
                &mounted_listing::files(uploads, &first, mounted, uri.query()).await?,
            )),
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
    let object = match (method.clone(), target) {
        (Method::GET | Method::HEAD, Bucket::Default) => listing::file(uploads, path).await?,
        (Method::DELETE, Bucket::Default) => listing::delete_file(uploads, path).await?,
        (Method::GET | Method::HEAD, Bucket::Mounted(mounted)) => {
            mounted_listing::file(uploads, &first, &mounted, path).await?
        }
        (Method::DELETE, Bucket::Mounted(mounted)) => {
            mounted_listing::delete_file(uploads, &first, &mounted, path).await?
        }
        _ => {
            return Err(AppError::MethodNotAllowed {
                allow: "GET, HEAD, DELETE",
            })
        }
    };
    Ok(ok(&object))
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
            Method::POST => {
                let bytes = small_body(body, COMPLETE_BODY_LIMIT).await?;
                Ok(ok(&complete::complete_parts(uploads, id, &bytes).await?))
            }
            _ => Err(AppError::MethodNotAllowed { allow: "POST" }),
        };
    }
    match rest.split_once('/') {
        Some((PARTS_SEGMENT, number)) if !number.contains('/') => match *method {
            Method::PUT => {
                let announced = content_length(headers);
                parts::check_part(uploads, number, announced)?;
                let part = Part {
                    number,
                    announced,
                    checksums: [chunk_checksum(headers)?, content_sha256(headers)?],
                    body: request_body(body),
                };
                Ok(ok(&parts::put_part(uploads, id, part).await?))
            }
            _ => Err(AppError::MethodNotAllowed { allow: "PUT" }),
        },
        _ => Err(AppError::UnknownSession),
    }
}
