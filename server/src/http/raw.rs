//! The raw file API over HTTP (PROTOCOL.md §4) at `{raw}/{operation}?ref=…`:
//! the query and method decoded into a [`raw::Op`], the call made by
//! `crate::raw`, and its [`Answer`] written as a response (stat objects carry
//! their `ETag`; `data` bytes are served like the tree's, in every storage).
//!
//! References are `path:/a/b` or `id:<uuid>` (`to=` takes `path:` only), given as
//! form-encoded query values.

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use skiff_protocol::{RawStat, TreePath, RAW_PATH};

use super::digest::sha256_field;
use super::json::json_response;
use super::state::AppState;
use super::tree::facts;
use super::tree::mounted_bytes;
use super::tree::write::whole_write;
use crate::error::AppError;
use crate::raw::{self, bad_ref, Answer, Op};

/// The raw API routes (on every server).
pub fn routes() -> Router<AppState> {
    Router::new().route(&format!("{RAW_PATH}/{{operation}}"), any(handle))
}

/// The query parameters of one call.
#[derive(Debug, Default)]
struct Query {
    reference: Option<String>,
    /// Every `ref=` (a ZIP takes several; the other operations the last).
    references: Vec<String>,
    to: Option<String>,
    recursive: bool,
    overwrite: bool,
}

async fn handle(
    State(state): State<AppState>,
    UrlPath(operation): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    dispatch(&state, &operation, &method, uri.query(), headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn dispatch(
    state: &AppState,
    operation: &str,
    method: &Method,
    query: Option<&str>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let query = parse_query(query)?;
    let is_read = matches!(*method, Method::GET | Method::HEAD);
    if operation == "zip" {
        return zip(state, method, query.references).await;
    }
    let allow = match operation {
        "stat" | "list" => "GET, HEAD",
        "data" => "GET, HEAD, PUT, DELETE",
        "mkdir" | "move" | "copy" => "POST",
        _ => return Err(AppError::NotFound),
    };
    let path = raw::reference(state, query.reference.as_deref(), is_read).await?;
    let op = match (operation, method.clone()) {
        ("move", Method::POST) => Op::Move {
            to: raw::target(query.to.as_deref())?,
            overwrite: query.overwrite,
        },
        ("copy", Method::POST) => Op::Copy {
            to: raw::target(query.to.as_deref())?,
            overwrite: query.overwrite,
        },
        // `to=` is checked for a move or copy whatever the method.
        ("move" | "copy", _) => {
            unsupported(allow, is_read, Some(raw::target(query.to.as_deref())?))
        }
        ("stat", Method::GET | Method::HEAD) => Op::Stat,
        ("list", Method::GET | Method::HEAD) => Op::List,
        ("data", Method::GET | Method::HEAD) => Op::Data,
        ("data", Method::PUT) => {
            let (target, headers) = (path.clone(), headers.clone());
            Op::Put(Box::new(move || whole_write(&target, &headers, body)))
        }
        ("data", Method::DELETE) => Op::Delete {
            recursive: query.recursive,
        },
        ("mkdir", Method::POST) => Op::Mkdir,
        _ => unsupported(allow, is_read, None),
    };
    let response = match raw::call(state, path, op).await? {
        Answer::Stat(stat) => stat_response(StatusCode::OK, &stat),
        Answer::Created(stat) => stat_response(StatusCode::CREATED, &stat),
        Answer::List(list) => json_response(StatusCode::OK, &list),
        Answer::Bytes(mounted, entry) => {
            let with_body = method != Method::HEAD;
            let facts = facts(state, mounted.tree_key(&entry.key)).await?;
            mounted_bytes::serve(&mounted, &entry, facts, &headers, with_body).await?
        }
        Answer::Written(stored) => {
            let status = if stored.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let mut response = stat_response(status, &stored.stat);
            if let Some(value) = sha256_field(&stored.sha256) {
                response
                    .headers_mut()
                    .insert(skiff_protocol::REPR_DIGEST_HEADER, value);
            }
            response
        }
        Answer::Deleted => StatusCode::NO_CONTENT.into_response(),
    };
    Ok(response)
}

/// `GET zip`: the referenced entries as one ZIP, streamed (`HEAD`: its headers).
async fn zip(
    state: &AppState,
    method: &Method,
    references: Vec<String>,
) -> Result<Response, AppError> {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return Err(AppError::MethodNotAllowed { allow: "GET, HEAD" });
    }
    let mut paths = Vec::with_capacity(references.len());
    for reference in references.iter().take(raw::zip::MOST_REFS + 1) {
        paths.push(raw::reference(state, Some(reference), true).await?);
    }
    let archive = raw::zip::zip(state, paths).await?;
    let body = if *method == Method::HEAD {
        Body::empty()
    } else {
        Body::from_stream(archive.body)
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        skiff_protocol::encode_segment(&archive.name)
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn unsupported(allow: &'static str, is_read: bool, to: Option<TreePath>) -> Op {
    Op::Unsupported {
        allow,
        is_write: !is_read,
        to,
    }
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
            "ref" => {
                parsed.references.push(value.clone());
                parsed.reference = Some(value);
            }
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

/// A stat object as a JSON response with `status`.
fn stat_response(status: StatusCode, stat: &RawStat) -> Response {
    let mut response = json_response(status, stat);
    if let Ok(value) = HeaderValue::from_str(&stat.etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}
