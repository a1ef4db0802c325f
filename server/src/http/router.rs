//! The router: which URL goes to which module, plus the layers every response gets.
//!
//! Discovery, the app's assets and one router per API (`uploads`, `batch`,
//! `metadata`, `raw`, `storages`, `signed`); every other path is the tree (`tree`).

use std::any::Any;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use skiff_protocol::DISCOVERY_PATH;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use super::app_shell::{self, ASSET_PREFIX};
use super::discovery::discovery;
use super::state::AppState;
use super::tree::listing::RFSAPI;
use super::{
    auth, batch, compression, drain, fresh_storages, metadata, raw, signed, storages, tree, uploads,
};
use crate::error::AppError;

/// The whole server as a `Router`, ready for `axum::serve` or `oneshot`.
pub fn app(state: AppState) -> Router {
    let cors = cors_layer(&state);
    let mut router = Router::new()
        .route(DISCOVERY_PATH, any(discovery))
        .route(&format!("{ASSET_PREFIX}/{{*file}}"), any(app_shell::asset))
        .merge(uploads::routes(&state))
        .merge(batch::routes(&state))
        .merge(metadata::routes())
        .merge(raw::routes())
        .merge(storages::routes())
        .merge(signed::routes())
        // `PUT P` streams its body to disk with no size limit but `--max-size`.
        .fallback(tree::tree)
        .layer(DefaultBodyLimit::disable())
        // Inside CORS, so preflights pass and refusals still carry CORS headers.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require,
        ));
    if state.services().shares_state() {
        router = router.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            fresh_storages::refresh,
        ));
    }
    let mut router = router
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response));
    if let Some(cors) = cors {
        router = router.layer(cors);
    }
    router
        // Outside auth and CORS: their refusals of an upload get its body read too.
        .layer(axum::middleware::from_fn(drain::drain_refused))
        .layer(compression::layer())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
}

/// §2 request headers, for CORS preflights.
const UPLOAD_OFFSET: header::HeaderName = header::HeaderName::from_static("upload-offset");
const UPLOAD_CHECKSUM: header::HeaderName = header::HeaderName::from_static("upload-checksum");
/// RFC 9530 `Content-Digest`: the app sends it on every small-file `PUT` (§2.2).
const CONTENT_DIGEST: header::HeaderName = header::HeaderName::from_static("content-digest");
const REPR_DIGEST: header::HeaderName = header::HeaderName::from_static("repr-digest");

/// CORS for the origins given with `--cors-origin`; none without the flag.
/// `handler` for every method on `prefix`, `prefix/` and everything below it (an API
/// whose handler reads the rest of the path itself).
pub fn under<H, T>(prefix: &str, handler: H) -> Router<AppState>
where
    H: axum::handler::Handler<T, AppState> + Clone,
    T: 'static,
{
    Router::new()
        .route(prefix, any(handler.clone()))
        .route(&format!("{prefix}/"), any(handler.clone()))
        .route(&format!("{prefix}/{{*rest}}"), any(handler))
}

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
                // Read by the app to tell a conflict with its own bytes (already there).
                REPR_DIGEST,
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
