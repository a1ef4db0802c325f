//! The tree API (PROTOCOL.md §1, §2.2, §5): every path that is not discovery,
//! the app's assets or another API is the tree, parsed from the raw (still
//! percent-encoded) path so encoded tricks meet the same lexical checks as
//! literal ones. One URL has three representations: an RFSAPI listing or entry
//! (`X-Raw-Filesystem-API: 1`), the bytes, or the app shell for a browser.
//!
//! - `listing.rs`: RFSAPI answers from `crate::listing`
//! - `mounted.rs` with `mounted_bytes.rs`: reads of every storage (the default
//!   one too) through the [`crate::store::Store`] seam, and a mounted storage's
//!   writes
//! - `write.rs`: `PUT`/`DELETE` in every storage, through `crate::tree::write`
//! - `files.rs`: the validators, ranges and safe-serving headers of a file's
//!   bytes ([`prepare`])

mod files;
pub mod listing;
mod mounted;
pub(crate) mod mounted_bytes;
pub mod write;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use skiff_protocol::TreePath;

pub use files::{facts, prepare, Described, FileFacts, Prepared};
pub use listing::RFSAPI;

use super::app_shell;
use super::first_screen;
use super::state::AppState;
use crate::config::tokens::Grant;
use crate::disk::paths::{is_reserved, parse_tree_path};
use crate::error::AppError;
use crate::listing::mount_entry;

/// Every tree path: RFSAPI, bytes, or the app shell.
pub async fn tree(
    State(state): State<AppState>,
    Extension(grant): Extension<Grant>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match serve_tree(&state, &grant, &method, &uri, &headers, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// The tree's answer to one request (also each item of a batch, `super::batch`).
pub(crate) async fn serve_tree(
    state: &AppState,
    grant: &Grant,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    // Lexical checks first: a bad path is refused before the disk is touched.
    let path = parse_tree_path(uri.path())?;
    let is_read = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if is_reserved(&path) {
        return Err(if is_read {
            AppError::NotFound
        } else if state.uploads().is_none() && is_uploads_path(&path) {
            // Say why, so an upload client knows to stop rather than retry.
            AppError::ReadOnly
        } else {
            AppError::Reserved
        });
    }
    if let Some((storage, store)) = path
        .segments()
        .first()
        .and_then(|top| state.storages().mounted(top))
    {
        return serve_mounted(state, grant, storage, store, &path, method, headers, body).await;
    }
    // The default storage is served through its store, as the mounted ones are
    // (a read-only server answers its writes with 405, `--writable` adds PUT and
    // DELETE, as it always has).
    let root = state.root_mounted();
    let mounts = if path.is_root() {
        mount_entries(state)
    } else {
        Vec::new()
    };
    let place = mounted::Place {
        mounted: &root,
        allowed: allowed(state, grant, true),
        tree_root: Some(mounts),
    };
    // A browser navigating to a folder gets the app, as it always has here
    // even without `Accept: text/html`.
    serve_in(state, place, path, method, headers, body, true).await
}

/// What `grant` may do in a storage that is itself `writable`.
fn allowed(state: &AppState, grant: &Grant, writable: bool) -> mounted::Allowed {
    mounted::Allowed {
        writable: state.writable() && writable,
        writes_supported: state.writes_supported(grant) && writable,
        max_size: state
            .uploads()
            .map_or(u64::MAX, |uploads| uploads.max_size()),
    }
}

/// A path inside a mounted storage (§5): served through its store.
#[allow(clippy::too_many_arguments)]
async fn serve_mounted(
    state: &AppState,
    grant: &Grant,
    storage: skiff_protocol::Storage,
    store: crate::storages::StoreSlot,
    path: &TreePath,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    // A storage whose backend could not be opened stays listed so an admin can
    // fix it; its files are unavailable meanwhile.
    let store = store.map_err(AppError::Unavailable)?;
    let key = TreePath::from_segments(path.segments().iter().skip(1))?;
    let mounted = crate::tree::Mounted {
        store,
        mount: storage.mount.clone(),
        ids: state.ids().clone(),
    };
    let place = mounted::Place {
        mounted: &mounted,
        allowed: allowed(state, grant, storage.writable),
        tree_root: None,
    };
    serve_in(state, place, key, method, headers, body, false).await
}

/// One request in `place`, with the app shell for a browser navigating to a
/// folder or to a path that does not exist (yet), which the app shows as "not
/// found" at that deep link. `any_folder_shell`: a folder gets the shell even
/// without `Accept: text/html`, as the default storage has always answered.
async fn serve_in(
    state: &AppState,
    place: mounted::Place<'_>,
    key: TreePath,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
    any_folder_shell: bool,
) -> Result<Response, AppError> {
    let rfsapi = wants_rfsapi(headers);
    let browser = !rfsapi && accepts_html(headers);
    let (mounted, mounts, folder) = (place.mounted, place.tree_root.clone(), key.clone());
    match mounted::serve(state, place, key, method, headers, rfsapi, body).await {
        Ok(mounted::Served::Response(response)) => Ok(response),
        Ok(mounted::Served::Folder) if browser || any_folder_shell => {
            // Only a server open to all shows a folder in its public page.
            let first = if state.tokens().is_empty() {
                first_screen::of_folder(mounted, &folder, mounts).await
            } else {
                None
            };
            let mut response = app_shell::shell(state, method, headers, first).await;
            vary_by_representation(response.headers_mut());
            Ok(response)
        }
        Ok(mounted::Served::Folder) => Err(AppError::NotFound),
        Err(AppError::NotFound) if browser => {
            Ok(app_shell::shell(state, method, headers, None).await)
        }
        Err(error) => Err(error),
    }
}

/// One URL, three representations (listing, bytes or shell): caches must key
/// on both headers, first, before what else the response varies with (its
/// `Accept-Encoding`).
pub(crate) fn vary_by_representation(headers: &mut HeaderMap) {
    let others: Vec<HeaderValue> = headers.get_all(header::VARY).iter().cloned().collect();
    headers.insert(
        header::VARY,
        HeaderValue::from_static("x-raw-filesystem-api, accept"),
    );
    for other in others {
        headers.append(header::VARY, other);
    }
}

/// The root listing's entries for the mounted storages.
fn mount_entries(state: &AppState) -> Vec<skiff_protocol::RawFileData> {
    state
        .storages()
        .list()
        .iter()
        .filter(|storage| storage.name != skiff_protocol::DEFAULT_BUCKET)
        .map(mount_entry)
        .collect()
}

/// Whether `path` is `{uploads}` or below it.
fn is_uploads_path(path: &skiff_protocol::TreePath) -> bool {
    let uploads =
        skiff_protocol::TreePath::parse_url_path(skiff_protocol::UPLOADS_PATH).unwrap_or_default();
    path.starts_with(&uploads)
}

/// `X-Raw-Filesystem-API: 1` asks for RFSAPI JSON instead of bytes or the app.
fn wants_rfsapi(headers: &HeaderMap) -> bool {
    headers
        .get(RFSAPI)
        .is_some_and(|value| value.as_bytes().trim_ascii() == b"1")
}

/// Whether this looks like a browser navigation.
pub(crate) fn accepts_html(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|value| {
        value
            .as_bytes()
            .windows(b"text/html".len())
            .any(|w| w.eq_ignore_ascii_case(b"text/html"))
    })
}
