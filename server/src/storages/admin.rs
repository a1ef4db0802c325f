//! The admin calls of §5 as a service: add a storage from a `POST {storages}`
//! body, change one from a `PATCH {storages}/{name}` body, remove one. Who may
//! call them (admin tokens on a `--writable` server) is the HTTP layer's check
//! (`crate::http::storages`), made before anything is read.

use serde::de::DeserializeOwned;
use skiff_protocol::{Storage, StorageCreate, StoragePatch};

use super::spec::{check_mount, check_name, BackendInput, BackendSpec, StorageSpec};
use super::StorageRegistry;
use crate::error::AppError;

/// Largest admin request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// `POST {storages}` with the body's bytes: the new storage.
pub async fn create(storages: &StorageRegistry, body: &[u8]) -> Result<Storage, AppError> {
    let request: StorageCreate = parse(body)?;
    let spec = checked(request)?;
    storages.create(spec).await
}

/// `PATCH {storages}/{name}` with the body's bytes: the storage afterwards.
pub async fn patch(
    storages: &StorageRegistry,
    name: &str,
    body: &[u8],
) -> Result<Storage, AppError> {
    let request: StoragePatch = parse(body)?;
    storages
        .patch(name, request.name, request.label, request.url)
        .await
}

/// `DELETE {storages}/{name}`: unmounted and forgotten (its bytes stay).
pub async fn remove(storages: &StorageRegistry, name: &str) -> Result<(), AppError> {
    storages.remove(name).await
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(bytes).map_err(|error| AppError::BadRequest {
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
