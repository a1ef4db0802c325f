//! The router: which URL goes to which module, plus the layers every response gets.
//!
//! Only discovery and the app's assets are routes of their own; every other path
//! is the tree, parsed from the raw (still percent-encoded) path so encoded
//! tricks meet the same lexical checks as literal ones.

use std::any::Any;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Router};
use skiff_protocol::DISCOVERY_PATH;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::app_shell::{self, ASSET_PREFIX};
use crate::auth::{self, Grant};
use crate::discovery::discovery;
use crate::error::{AppError, TREE_METHODS, WRITABLE_TREE_METHODS};
use crate::files::serve_file;
use crate::listing::{self, RFSAPI};
use crate::paths::{is_reserved, parse_tree_path, resolve};
use crate::state::AppState;
use crate::tree;
use crate::uploads::{self, tree_write};
use skiff_protocol::TreePath;

/// The whole server as a `Router`, ready for `axum::serve` or `oneshot`.
pub fn app(state: AppState) -> Router {
    let cors = cors_layer(&state);
    let mut router = Router::new()
        .route(DISCOVERY_PATH, any(discovery))
        .route(&format!("{ASSET_PREFIX}/{{*file}}"), any(app_shell::asset))
        .merge(uploads::routes(&state))
        .merge(crate::metadata::routes())
        .merge(crate::raw::routes())
        .merge(crate::storages::routes())
        // `PUT P` streams its body to disk with no size limit but `--max-size`.
        .fallback(tree)
        .layer(DefaultBodyLimit::disable())
        // Inside CORS, so preflights pass and refusals still carry CORS headers.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require,
        ))
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response));
    if let Some(cors) = cors {
        router = router.layer(cors);
    }
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
}

/// Every tree path: RFSAPI, bytes, or the app shell.
async fn tree(
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

async fn serve_tree(
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
    if method != Method::GET && method != Method::HEAD {
        // A read-only server answers writes with 405 (the tree has no such method
        // here), as it always has; `--writable` adds PUT and DELETE.
        return match (state.uploads(), method) {
            (Some(uploads), &Method::PUT) => tree_write::put(uploads, path, headers, body).await,
            (Some(uploads), &Method::DELETE) => tree_write::delete(uploads, path).await,
            (Some(_), _) => Err(AppError::MethodNotAllowed {
                allow: WRITABLE_TREE_METHODS,
            }),
            (None, _) => Err(AppError::MethodNotAllowed {
                allow: TREE_METHODS,
            }),
        };
    }
    let rfsapi = wants_rfsapi(headers);
    let canonical = match resolve(state.root(), &path).await {
        Ok(canonical) => canonical,
        // A browser navigating to a path that does not exist (yet) gets the app,
        // which shows its own "not found" at that deep link.
        Err(AppError::NotFound) if !rfsapi && accepts_html(headers) => {
            return Ok(app_shell::shell(state, method).await);
        }
        Err(error) => return Err(error),
    };
    let metadata = tokio::fs::metadata(&canonical)
        .await
        .map_err(AppError::from_fs)?;
    let mut response = if metadata.is_dir() {
        if rfsapi {
            let is_root = path.is_root();
            let with_body = method != Method::HEAD;
            listing::directory(
                state.root(),
                state.ids(),
                path.segments().join("/"),
                canonical,
                is_root,
                if is_root {
                    mount_entries(state)
                } else {
                    Vec::new()
                },
                state.writes_supported(grant),
                with_body,
            )
            .await?
        } else {
            app_shell::shell(state, method).await
        }
    } else if metadata.is_file() {
        // The root is a directory, so a file always has a name.
        let name = path.name().ok_or(AppError::NotFound)?;
        let ids = state.ids().clone();
        let key = path.segments().join("/");
        if rfsapi {
            // A file's own entry is a "first sight": it gets its id now.
            let known = crate::uploads::blocking(move || ids.known_or_new(&key)).await?;
            listing::file_entry(name, &metadata, Some(known), state.writes_supported(grant))
        } else {
            let facts = crate::files::facts(state, key).await?;
            serve_file(&canonical, name, facts, method, headers).await?
        }
    } else {
        // FIFOs, sockets and devices: reading them could block or never end.
        return Err(AppError::NotFound);
    };
    // One URL, three representations (listing, bytes or shell): caches must key on both.
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("x-raw-filesystem-api, accept"),
    );
    Ok(response)
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
    let allowed = tree::Allowed {
        writable: state.writable() && storage.writable,
        writes_supported: state.writes_supported(grant) && storage.writable,
        max_size: state
            .uploads()
            .map_or(u64::MAX, |uploads| uploads.max_size()),
    };
    let rfsapi = wants_rfsapi(headers);
    let mounted = tree::Mounted {
        store,
        mount: storage.mount.clone(),
        ids: state.ids().clone(),
    };
    match tree::serve(&mounted, allowed, key, method, headers, rfsapi, body).await {
        // As in the default storage: a browser navigating to a folder, or to a
        // path that does not exist (yet), gets the app.
        Err(AppError::NotFound) if !rfsapi && accepts_html(headers) => {
            Ok(app_shell::shell(state, method).await)
        }
        other => other,
    }
}

/// The root listing's entries for the mounted storages.
fn mount_entries(state: &AppState) -> Vec<skiff_protocol::RawFileData> {
    state
        .storages()
        .list()
        .iter()
        .filter(|storage| storage.name != skiff_protocol::DEFAULT_BUCKET)
        .map(tree::mount_entry)
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

/// §2 request headers, for CORS preflights.
const UPLOAD_OFFSET: header::HeaderName = header::HeaderName::from_static("upload-offset");
const UPLOAD_CHECKSUM: header::HeaderName = header::HeaderName::from_static("upload-checksum");
/// RFC 9530 `Content-Digest`: the app sends it on every small-file `PUT` (§2.2).
const CONTENT_DIGEST: header::HeaderName = header::HeaderName::from_static("content-digest");

/// CORS for the origins given with `--cors-origin`; none without the flag.
fn cors_layer(state: &AppState) -> Option<CorsLayer> {
    let origins = if state.cors_any() {
        AllowOrigin::any()
    } else if state.cors_origins().is_empty() {
        return None;
    } else {
        AllowOrigin::list(state.cors_origins().iter().cloned())
    };
    Some(
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::OPTIONS,
                Method::POST,
                Method::PUT,
                Method::DELETE,
                // The storages admin API (§5) renames and relabels with PATCH.
                Method::PATCH,
            ])
            .allow_headers([
                RFSAPI,
                header::RANGE,
                header::IF_NONE_MATCH,
                header::IF_MATCH,
                header::IF_MODIFIED_SINCE,
                header::IF_RANGE,
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                UPLOAD_OFFSET,
                UPLOAD_CHECKSUM,
                CONTENT_DIGEST,
            ])
            .expose_headers([
                header::ETAG,
                RFSAPI,
                header::CONTENT_RANGE,
                header::CONTENT_LENGTH,
                header::LAST_MODIFIED,
                header::LOCATION,
                header::WWW_AUTHENTICATE,
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// A bug must still answer with the JSON error body, not a dropped connection.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(detail, "handler panicked");
    AppError::Io(std::io::Error::other("handler panicked")).into_response()
}
