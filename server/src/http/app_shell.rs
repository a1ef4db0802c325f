//! The Skiff app itself: the shell page (`index.html`) returned for browser
//! navigations, and its hashed assets under `/.skiff/app/`, each sent in the
//! precompressed encoding the browser accepts (`app_files.rs`).
//!
//! Sources: `--app DIR` (read at request time, for development), else the
//! `dist` embedded by `build.rs`, else a small page explaining how to build it.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use skiff_protocol::TreePath;
use tokio_util::io::ReaderStream;

use crate::disk::entry::mime_for_name;
use crate::error::AppError;
use crate::http::app_files::{acceptable, etag_of, is_hashed};
use crate::http::compression::OwnPage;
use crate::http::conditional::if_none_match;
use crate::http::first_screen::FirstScreen;
use crate::http::state::AppState;

include!(concat!(env!("OUT_DIR"), "/embedded_app.rs"));

/// URL prefix of the app's assets; Trunk builds with this `--public-url`.
pub const ASSET_PREFIX: &str = "/.skiff/app";

/// The shell's file in `dist`.
const SHELL: &str = "index.html";

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
    embedded(SHELL).is_some()
}

fn embedded(name: &str) -> Option<&'static [u8]> {
    EMBEDDED_APP
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, bytes)| *bytes)
}

/// The app shell: `index.html` for any deep link, with the folder's `first` screen
/// in it where the caller gives one (a server open to all, `first_screen.rs`);
/// else identical for every path, so it reveals nothing about the tree. `no-cache`
/// with a validator: a new release (or a changed folder) reaches users on their
/// next visit, an unchanged one costs a `304`.
pub async fn shell(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    first: Option<FirstScreen>,
) -> Response {
    let index = match state.app_source() {
        AppSource::Dir(dir) => match tokio::fs::read(dir.join(SHELL)).await {
            Ok(bytes) => Some(Cow::Owned(bytes)),
            Err(error) => {
                tracing::warn!(%error, dir = %dir.display(), "no index.html in --app DIR");
                None
            }
        },
        AppSource::Embedded => embedded(SHELL).map(Cow::Borrowed),
    };
    let built = index.is_some();
    let plain = index.unwrap_or(Cow::Borrowed(NOT_BUILT_PAGE.as_bytes()));
    // A page with a folder in it is made here, and compressed on the fly.
    let page = first
        .filter(|_| built)
        .and_then(|first| first.put_into(&plain));
    let made = page.is_some();
    let plain = page.map_or(plain, Cow::Owned);
    let etag = etag_of(&plain);
    let mut response = if if_none_match(headers, etag.to_str().unwrap_or_default()) {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
    } else {
        let variant = if built && !made {
            read_variant(state, SHELL, headers).await
        } else {
            None
        };
        let (body, encoding) = variant.map_or_else(
            || (Body::from(plain.into_owned()), None),
            |(body, encoding)| (body, Some(encoding)),
        );
        sent(method, body, encoding)
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::ETAG, etag);
    if made {
        response.extensions_mut().insert(OwnPage);
    }
    response
}

/// `/.skiff/app/{file}`: one of the app's static files.
pub async fn asset(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match serve_asset(&state, &method, &uri, &headers).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn serve_asset(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    if method != Method::GET && method != Method::HEAD {
        return Err(AppError::Reserved);
    }
    // Same lexical checks as the tree: no `..`, encoded `/`, NUL or backslash.
    let rest = uri
        .path()
        .strip_prefix(ASSET_PREFIX)
        .ok_or(AppError::NotFound)?;
    let path = TreePath::parse_url_path(rest)?;
    if path.is_root() {
        return Err(AppError::NotFound);
    }
    let name = path.segments().join("/");
    let (body, encoding) = match read_variant(state, &name, headers).await {
        Some((body, encoding)) => (body, Some(encoding)),
        None => (read(state, &name).await?, None),
    };
    let mut response = sent(method, body, encoding);
    let headers = response.headers_mut();
    // The original's type, whichever encoding carries it.
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

/// A 200 with `body` (none for HEAD) in `encoding`; it varies with `Accept-Encoding`
/// either way.
fn sent(method: &Method, body: Body, encoding: Option<&'static str>) -> Response {
    let mut response = Response::new(if method == Method::HEAD {
        Body::empty()
    } else {
        body
    });
    let headers = response.headers_mut();
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// The precompressed variant of app file `name` that `headers` accept, with its
/// `Content-Encoding`, if the build made one.
async fn read_variant(
    state: &AppState,
    name: &str,
    headers: &HeaderMap,
) -> Option<(Body, &'static str)> {
    for (encoding, suffix) in acceptable(headers) {
        match read(state, &format!("{name}.{suffix}")).await {
            Ok(body) => return Some((body, encoding)),
            Err(AppError::NotFound) => {}
            Err(error) => {
                tracing::warn!(%error, name, suffix, "cannot read a precompressed app file");
            }
        }
    }
    None
}

/// App file `name` (`/`-joined segments that passed the lexical checks).
async fn read(state: &AppState, name: &str) -> Result<Body, AppError> {
    match state.app_source() {
        AppSource::Dir(dir) => read_from_dir(dir, name).await,
        AppSource::Embedded => embedded(name).map(Body::from).ok_or(AppError::NotFound),
    }
}

/// Streams `name` from the `--app` directory, refusing anything that canonicalises out of it.
async fn read_from_dir(dir: &Path, name: &str) -> Result<Body, AppError> {
    let canonical = tokio::fs::canonicalize(dir.join(name))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_is_served_as_wasm() {
        assert_eq!(
            mime_for_name("skiff-1a2b3c4d5e6f7a8b_bg.wasm"),
            "application/wasm"
        );
    }
}
