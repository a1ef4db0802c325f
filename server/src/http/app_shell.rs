//! The Skiff app itself: the shell page (`index.html`) returned for browser
//! navigations, and its hashed assets under `/.skiff/app/`.
//!
//! Sources: `--app DIR` (read at request time, for development), else the
//! `dist` embedded by `build.rs`, else a small page explaining how to build it.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use skiff_protocol::TreePath;
use tokio_util::io::ReaderStream;

use crate::disk::entry::mime_for_name;
use crate::error::AppError;
use crate::http::state::AppState;

include!(concat!(env!("OUT_DIR"), "/embedded_app.rs"));

/// URL prefix of the app's assets; Trunk builds with this `--public-url`.
pub const ASSET_PREFIX: &str = "/.skiff/app";

/// The page served when no app is available.
const NOT_BUILT_PAGE: &str = include_str!("app_not_built.html");

/// Where the app's files come from.
#[derive(Debug, Clone)]
pub enum AppSource {
    /// `--app DIR`, canonicalised.
    Dir(PathBuf),
    /// Compiled in by `build.rs` (possibly empty).
    Embedded,
}

/// Whether this binary was built with an app `dist` that has an `index.html`.
pub fn embedded_app_has_index() -> bool {
    embedded("index.html").is_some()
}

fn embedded(name: &str) -> Option<&'static [u8]> {
    EMBEDDED_APP
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, bytes)| *bytes)
}

/// The app shell: `index.html` for any deep link. Public and identical for every
/// path, so it reveals nothing about the tree.
pub async fn shell(state: &AppState, method: &Method) -> Response {
    let index = match state.app_source() {
        AppSource::Dir(dir) => match tokio::fs::read(dir.join("index.html")).await {
            Ok(bytes) => Some(Body::from(bytes)),
            Err(error) => {
                tracing::warn!(%error, dir = %dir.display(), "no index.html in --app DIR");
                None
            }
        },
        AppSource::Embedded => embedded("index.html").map(Body::from),
    };
    let body = index.unwrap_or_else(|| Body::from(NOT_BUILT_PAGE));
    let mut response = Response::new(if method == Method::HEAD {
        Body::empty()
    } else {
        body
    });
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // A new release must reach users on their next visit.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `/.skiff/app/{file}`: one of the app's static files.
pub async fn asset(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    match serve_asset(&state, &method, &uri).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn serve_asset(state: &AppState, method: &Method, uri: &Uri) -> Result<Response, AppError> {
    if method != Method::GET && method != Method::HEAD {
        return Err(AppError::Reserved);
    }
    // Same lexical checks as the tree: no `..`, encoded `/`, NUL or backslash.
    let rest = uri
        .path()
        .strip_prefix(ASSET_PREFIX)
        .ok_or(AppError::NotFound)?;
    let path = TreePath::parse_url_path(rest)?;
    let name = path.segments().join("/");
    if path.is_root() {
        return Err(AppError::NotFound);
    }
    let body = match state.app_source() {
        AppSource::Dir(dir) => Some(read_from_dir(dir, &path).await?),
        AppSource::Embedded => embedded(&name).map(Body::from),
    }
    .ok_or(AppError::NotFound)?;

    let mut response = Response::new(if method == Method::HEAD {
        Body::empty()
    } else {
        body
    });
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&mime_for_name(&name))
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if is_hashed(&name) {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    Ok(response)
}

/// Streams `path` from the `--app` directory, refusing anything that canonicalises out of it.
async fn read_from_dir(dir: &Path, path: &TreePath) -> Result<Body, AppError> {
    let mut joined = dir.to_path_buf();
    joined.extend(path.segments());
    let canonical = tokio::fs::canonicalize(&joined)
        .await
        .map_err(AppError::from_fs)?;
    if !canonical.starts_with(dir) {
        return Err(AppError::OutsideRoot);
    }
    let file = tokio::fs::File::open(&canonical)
        .await
        .map_err(AppError::from_fs)?;
    if !file.metadata().await.map_err(AppError::from_fs)?.is_file() {
        return Err(AppError::NotFound);
    }
    Ok(Body::from_stream(ReaderStream::new(file)))
}

/// Whether Trunk fingerprinted the name (`skiff-1a2b3c4d5e6f7a8b_bg.wasm`): such a
/// file never changes under its name, so browsers may cache it for good.
fn is_hashed(name: &str) -> bool {
    // Any path component counts: wasm-bindgen snippets live in hashed folders.
    name.split(['/', '-', '_', '.'])
        .any(|piece| piece.len() >= 16 && piece.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_hashes_are_recognised() {
        assert!(is_hashed("skiff-1a2b3c4d5e6f7a8b_bg.wasm"));
        assert!(is_hashed("skiff-1a2b3c4d5e6f7a8b.js"));
        assert!(is_hashed("snippets/x-0123456789abcdef/inline0.js"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("favicon.ico"));
    }

    #[test]
    fn wasm_is_served_as_wasm() {
        assert_eq!(
            mime_for_name("skiff-1a2b3c4d5e6f7a8b_bg.wasm"),
            "application/wasm"
        );
    }
}
