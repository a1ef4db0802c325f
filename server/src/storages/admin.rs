//! The admin calls of §5: `POST {storages}`, `PATCH {storages}/{name}`,
//! `DELETE {storages}/{name}`. Only admin tokens (or anyone, on a server without
//! tokens) on a `--writable` server; everyone else is refused before anything
//! is read or changed. Bodies are read here, bounded, so a bad one is a JSON 400.

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use skiff_protocol::{encode_segment, ErrorBody, StorageCreate, StoragePatch, STORAGES_PATH};

use super::spec::{check_mount, check_name, BackendInput, BackendSpec, StorageSpec};
use crate::error::AppError;
use crate::http::json::json_response;
use crate::http::state::AppState;
use crate::tokens::Grant;

/// Largest admin request body.
const BODY_LIMIT: usize = 64 * 1024;

/// `POST {storages}` → 201 with the storage.
pub async fn create(state: &AppState, grant: &Grant, body: Body) -> Response {
    let result = async {
        admit(state, grant)?;
        let request: StorageCreate = read_json(body).await?;
        let spec = checked(request)?;
        Ok::<_, Refusal>(state.storages().create(spec).await?)
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
pub async fn patch(state: &AppState, grant: &Grant, name: &str, body: Body) -> Response {
    let result = async {
        admit(state, grant)?;
        let request: StoragePatch = read_json(body).await?;
        Ok::<_, Refusal>(
            state
                .storages()
                .patch(name, request.name, request.label, request.url)
                .await?,
        )
    }
    .await;
    match result {
        Ok(storage) => json_response(StatusCode::OK, &storage),
        Err(refusal) => refusal.into_response(),
    }
}

/// `DELETE {storages}/{name}` → 204.
pub async fn remove(state: &AppState, grant: &Grant, name: &str) -> Response {
    let result = async {
        admit(state, grant)?;
        Ok::<_, Refusal>(state.storages().remove(name).await?)
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

async fn read_json<T: DeserializeOwned>(body: Body) -> Result<T, AppError> {
    let bytes = to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge {
            code: "body_too_large",
            message: format!("the request body is over {BODY_LIMIT} bytes"),
        })?;
    serde_json::from_slice(&bytes).map_err(|error| AppError::BadRequest {
        code: "bad_json",
        message: format!("the body is not a valid storage request: {error}"),
    })
}

/// The request's fields, checked.
fn checked(request: StorageCreate) -> Result<StorageSpec, AppError> {
    let bad = |message: String| AppError::BadRequest {
        code: "bad_storage",
        message,
    };
    check_name(&request.name).map_err(bad)?;
    let label = super::checked_label(request.label.as_deref().unwrap_or(&request.name))?;
    let mount = request.mount.unwrap_or_else(|| request.name.clone());
    check_mount(&mount).map_err(bad)?;
    let backend = BackendSpec::parse(
        BackendInput {
            kind: request.kind,
            url: request.url,
            endpoint: request.endpoint,
            region: request.region,
            access_key_id: request.access_key_id,
            secret_access_key: request.secret_access_key,
        },
        None,
    )
    .map_err(bad)?;
    Ok(StorageSpec {
        name: request.name,
        label,
        mount,
        backend,
    })
}
