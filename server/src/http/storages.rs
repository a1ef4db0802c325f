//! The storages API over HTTP (PROTOCOL.md §5) at `{storages}`: the list, one
//! storage, its scrub (`{storages}/{name}/checksums`, streamed NDJSON), and the
//! admin calls (`POST`, `PATCH`, `DELETE`). Only admin tokens (or anyone, on a
//! server without tokens) on a `--writable` server may call the admin ones;
//! everyone else is refused before anything is read or changed.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use skiff_protocol::{
    decode_segment, encode_segment, ErrorBody, CHECKSUMS_SEGMENT, NDJSON_CONTENT_TYPE,
    STORAGES_PATH,
};

use super::headers::small_body;
use super::json::json_response;
use super::state::AppState;
use crate::config::tokens::Grant;
use crate::error::AppError;
use crate::scrub::Scrub;
use crate::storages::admin::{self, BODY_LIMIT};

/// The storage routes (on every server: reads for everyone allowed to read).
pub fn routes() -> Router<AppState> {
    super::router::under(STORAGES_PATH, handle)
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
            Method::POST => Ok(create(state, grant, body).await),
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
            Method::PATCH => Ok(patch(state, grant, &name, body).await),
            Method::DELETE => Ok(remove(state, grant, &name).await),
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
    let scrub = Scrub::of(state, &storage)?;
    let mut response = if *method == Method::HEAD {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from_stream(scrub.start()))
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(NDJSON_CONTENT_TYPE),
    );
    // A scrub describes the bytes right now: never answer one from a cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST {storages}` → 201 with the storage.
async fn create(state: &AppState, grant: &Grant, body: Body) -> Response {
    let result = async {
        admit(state, grant)?;
        let bytes = small_body(body, BODY_LIMIT).await?;
        Ok::<_, Refusal>(admin::create(state.storages(), &bytes).await?)
    }
    .await;
    match result {
        Ok(storage) => {
            let mut response = json_response(StatusCode::CREATED, &storage);
            let location = format!("{STORAGES_PATH}/{}", encode_segment(&storage.name));
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// `PATCH {storages}/{name}` → 200 with the storage.
async fn patch(state: &AppState, grant: &Grant, name: &str, body: Body) -> Response {
    let result = async {
        admit(state, grant)?;
        let bytes = small_body(body, BODY_LIMIT).await?;
        Ok::<_, Refusal>(admin::patch(state.storages(), name, &bytes).await?)
    }
    .await;
    match result {
        Ok(storage) => json_response(StatusCode::OK, &storage),
        Err(refusal) => refusal.into_response(),
    }
}

/// `DELETE {storages}/{name}` → 204.
async fn remove(state: &AppState, grant: &Grant, name: &str) -> Response {
    let result = async {
        admit(state, grant)?;
        Ok::<_, Refusal>(admin::remove(state.storages(), name).await?)
    }
    .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// Why an admin call is refused before it looks at anything.
enum Refusal {
    NotAdmin,
    ReadOnlyServer,
    Error(AppError),
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Self::Error(error)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let forbidden =
            |code, message| json_response(StatusCode::FORBIDDEN, &ErrorBody::new(code, message));
        match self {
            Self::NotAdmin => forbidden("admin_only", "managing storages needs an admin token"),
            Self::ReadOnlyServer => forbidden(
                "read_only",
                "this server is read-only: storages can be managed only when it runs with --writable",
            ),
            Self::Error(error) => error.into_response(),
        }
    }
}

/// Admin credentials on a writable server (without tokens anyone is admin, as
/// anyone may already write; a read-only server keeps no state to add storages to).
fn admit(state: &AppState, grant: &Grant) -> Result<(), Refusal> {
    if !grant.is_admin() {
        return Err(Refusal::NotAdmin);
    }
    if !state.writable() {
        return Err(Refusal::ReadOnlyServer);
    }
    Ok(())
}
