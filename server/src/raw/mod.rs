//! The raw file API (PROTOCOL.md §4, CS3 Raw style) at `{raw}/{operation}?ref=…`.
//!
//! - `read.rs`: `stat`, `list`, and `data` bytes (served like the tree, §6 rules)
//! - `write.rs`: `data` writes and deletes, `mkdir`
//! - `tree_ops.rs`: `move` and `copy`
//! - `mounted.rs`: the same inside a mounted storage, through its store
//!
//! References are `path:/a/b` or `id:<uuid>` (`to=` takes `path:` only), given as
//! form-encoded query values. Reads work on every server; writes need
//! `--writable` (403 `read_only` otherwise).

mod mounted;
mod read;
mod tree_ops;
mod write;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use skiff_protocol::{EntryKind, RawStat, TreePath, DIRECTORY_MIME, RAW_PATH};

use crate::entry::{etag, mime_for_name, modified, rfc3339};
use crate::error::AppError;
use crate::http::state::AppState;
use crate::paths::{is_reserved, Found};
use crate::uploads::Uploads;

/// The raw API routes (on every server).
pub fn routes() -> Router<AppState> {
    Router::new().route(&format!("{RAW_PATH}/{{operation}}"), any(handle))
}

/// The query parameters of one call.
#[derive(Debug, Default)]
struct Query {
    reference: Option<String>,
    to: Option<String>,
    recursive: bool,
    overwrite: bool,
}

async fn handle(
    State(state): State<AppState>,
    UrlPath(operation): UrlPath<String>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    dispatch(&state, &operation, &method, uri.query(), &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn dispatch(
    state: &AppState,
    operation: &str,
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let query = parse_query(query)?;
    let is_read = matches!(*method, Method::GET | Method::HEAD);
    let allow = match operation {
        "stat" | "list" => "GET, HEAD",
        "data" => "GET, HEAD, PUT, DELETE",
        "mkdir" | "move" | "copy" => "POST",
        _ => return Err(AppError::NotFound),
    };
    let path = reference(state, query.reference.as_deref(), is_read).await?;
    let to = match operation {
        "move" | "copy" => Some(target(query.to.as_deref())?),
        _ => None,
    };
    if let Some(answer) =
        mounted::dispatch(state, operation, method, &path, to.as_ref(), &query).await
    {
        return answer;
    }
    match (operation, method.clone()) {
        ("stat", Method::GET | Method::HEAD) => read::stat(state, path).await,
        ("list", Method::GET | Method::HEAD) => read::list(state, path).await,
        ("data", Method::GET | Method::HEAD) => read::data(state, path, method, headers).await,
        ("data", Method::PUT) => write::put(writer(state)?, path, headers, body).await,
        ("data", Method::DELETE) => write::delete(writer(state)?, path, query.recursive).await,
        ("mkdir", Method::POST) => write::mkdir(writer(state)?, path).await,
        ("move" | "copy", Method::POST) => {
            let uploads = writer(state)?;
            let to = target(query.to.as_deref())?;
            if operation == "move" {
                tree_ops::move_entry(uploads, path, to, query.overwrite).await
            } else {
                tree_ops::copy_entry(uploads, path, to, query.overwrite).await
            }
        }
        _ => Err(AppError::MethodNotAllowed { allow }),
    }
}

/// The uploads state, which every write needs; 403 on a read-only server.
fn writer(state: &AppState) -> Result<&Arc<Uploads>, AppError> {
    state.uploads().ok_or(AppError::ReadOnly)
}

/// `ref`, `to`, `recursive` and `overwrite` from the query (form-encoded values).
fn parse_query(query: Option<&str>) -> Result<Query, AppError> {
    let mut parsed = Query::default();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = skiff_protocol::decode_segment(&value.replace('+', " "))?;
        match name {
            "ref" => parsed.reference = Some(value),
            "to" => parsed.to = Some(value),
            "recursive" => parsed.recursive = flag(name, &value)?,
            "overwrite" => parsed.overwrite = flag(name, &value)?,
            _ => {}
        }
    }
    Ok(parsed)
}

fn flag(name: &str, value: &str) -> Result<bool, AppError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        _ => Err(bad_ref(format!("{name} must be true or false"))),
    }
}

/// Resolves `ref=` to a tree path: `path:` lexically, `id:` through the store
/// (unknown ids are 404). `.skiff` is 404 to read and 403 to write.
async fn reference(
    state: &AppState,
    reference: Option<&str>,
    is_read: bool,
) -> Result<TreePath, AppError> {
    let reference = reference.ok_or_else(|| bad_ref("ref= is required".to_owned()))?;
    let path = if let Some(id) = reference.strip_prefix("id:") {
        let ids = state.ids().clone();
        let id = id.to_owned();
        let key = crate::uploads::blocking(move || ids.path_of(&id))
            .await?
            .ok_or(AppError::NotFound)?;
        key_to_path(&key)?
    } else {
        path_ref(reference)?
    };
    if is_reserved(&path) {
        return Err(if is_read {
            AppError::NotFound
        } else {
            AppError::Reserved
        });
    }
    Ok(path)
}

/// `to=path:/…`, which must not be the reserved name.
fn target(to: Option<&str>) -> Result<TreePath, AppError> {
    let to = to.ok_or_else(|| bad_ref("to= is required".to_owned()))?;
    let path = path_ref(to)?;
    if is_reserved(&path) {
        return Err(AppError::Reserved);
    }
    Ok(path)
}

/// `path:/a/b` (decoded) as a tree path, with the lexical checks of URL paths.
fn path_ref(reference: &str) -> Result<TreePath, AppError> {
    let path = reference
        .strip_prefix("path:")
        .ok_or_else(|| bad_ref(format!("{reference:?} is not path:/… or id:…")))?;
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| bad_ref("a path: reference starts with /".to_owned()))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    key_to_path(rest)
}

/// A key (segments joined with `/`; `""` is the root) as a tree path.
fn key_to_path(key: &str) -> Result<TreePath, AppError> {
    if key.is_empty() {
        return Ok(TreePath::root());
    }
    Ok(TreePath::from_segments(key.split('/'))?)
}

fn bad_ref(message: String) -> AppError {
    AppError::BadRequest {
        code: "bad_ref",
        message,
    }
}

/// The stat object of `found` (blocking: may create its id).
fn stat_of(state_ids: &crate::catalog::ids::Ids, found: &Found) -> Result<RawStat, AppError> {
    let known = state_ids.known_or_new(&found.key())?;
    let is_file = found.metadata.is_file();
    let name = found.path.name().unwrap_or_default().to_owned();
    Ok(RawStat {
        id: known.id,
        path: found.label(),
        kind: if is_file {
            EntryKind::File
        } else {
            EntryKind::Directory
        },
        size: if is_file { found.metadata.len() } else { 0 },
        etag: etag(&found.metadata),
        mime_type: if is_file {
            known.format.unwrap_or_else(|| mime_for_name(&name))
        } else {
            DIRECTORY_MIME.to_owned()
        },
        last_modified: rfc3339(modified(&found.metadata)),
        name,
    })
}

/// A stat object as a JSON response with `status`.
fn stat_response(status: StatusCode, stat: &RawStat) -> Response {
    let mut response = crate::http::json::json_response(status, stat);
    if let Ok(value) = axum::http::HeaderValue::from_str(&stat.etag) {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, value);
    }
    response
}
