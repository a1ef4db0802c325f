//! From a [`BackendSpec`] to a working [`Store`]: opening it, and proving it can
//! be listed and written before the API accepts it (§5), with the reason in words.

use std::path::Path;
use std::sync::Arc;

use skiff_protocol::StorageKind;

use super::spec::{BackendSpec, Location};
use crate::store::local::LocalStore;
use crate::store::s3::{S3Spec, S3Store};
use crate::store::{Store, StoreError};

/// Opens the backend without touching the network (an S3 client is only built).
pub fn open(spec: &BackendSpec) -> Result<Arc<dyn Store>, String> {
    match spec.location()? {
        Location::Local(path) => open_local(&path),
        Location::S3 { bucket, prefix } => {
            let s3 = S3Spec {
                bucket,
                prefix,
                allow_http: spec
                    .endpoint
                    .as_deref()
                    .is_some_and(|endpoint| endpoint.starts_with("http://")),
                endpoint: spec.endpoint.clone(),
                region: spec
                    .region
                    .clone()
                    .unwrap_or_else(|| super::spec::DEFAULT_REGION.to_owned()),
                access_key_id: spec.access_key_id.clone(),
                secret_access_key: spec.secret_access_key.clone(),
            };
            let store = S3Store::connect(&s3).map_err(|error| describe(spec, &error))?;
            Ok(Arc::new(store))
        }
    }
}

/// The served root (or any local folder) as a store.
pub fn open_local(path: &Path) -> Result<Arc<dyn Store>, String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(format!("{} is not a folder", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("the folder {} does not exist", path.display()))
        }
        Err(error) => {
            return Err(format!(
                "the folder {} cannot be read: {error}",
                path.display()
            ))
        }
    }
    let store = LocalStore::open(path)
        .map_err(|error| format!("the folder {} cannot be used: {error}", path.display()))?;
    Ok(Arc::new(store))
}

/// Opens the backend and proves it can be listed and written.
pub async fn open_and_probe(spec: &BackendSpec) -> Result<Arc<dyn Store>, String> {
    let store = open(spec)?;
    store
        .probe()
        .await
        .map_err(|error| describe(spec, &error))?;
    Ok(store)
}

/// Why a backend cannot be used, in words that name the backend but never its
/// credentials (even should a backend's error message echo them).
fn describe(spec: &BackendSpec, error: &StoreError) -> String {
    let mut message = words(spec, error);
    for secret in [&spec.access_key_id, &spec.secret_access_key]
        .into_iter()
        .flatten()
        .filter(|secret| !secret.is_empty())
    {
        message = message.replace(secret.as_str(), "…");
    }
    message
}

fn words(spec: &BackendSpec, error: &StoreError) -> String {
    match (spec.kind, error) {
        (StorageKind::Local, StoreError::Denied(_) | StoreError::Forbidden) => {
            format!(
                "the folder {} is not writable by the server",
                local_name(spec)
            )
        }
        (StorageKind::Local, StoreError::NotFound) => {
            format!("the folder {} does not exist", local_name(spec))
        }
        (StorageKind::Local, other) => {
            format!("the folder {} cannot be used: {other}", local_name(spec))
        }
        (StorageKind::S3, StoreError::Denied(detail)) => {
            format!("{} refused the credentials: {detail}", spec.url)
        }
        (StorageKind::S3, StoreError::NotFound) => format!("{}: no such bucket", spec.url),
        // The store's own words: "no bucket named …", "cannot reach http://…".
        (StorageKind::S3, StoreError::Unavailable(detail)) => {
            format!("{} cannot be used: {detail}", spec.url)
        }
        (StorageKind::S3, other) => format!("{} cannot be used: {other}", spec.url),
    }
}

fn local_name(spec: &BackendSpec) -> String {
    match spec.location() {
        Ok(Location::Local(path)) => path.display().to_string(),
        _ => spec.url.clone(),
    }
}
