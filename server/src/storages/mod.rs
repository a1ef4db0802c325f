//! Storages (PROTOCOL.md §5) at `{storages}`: the list, one storage, and its
//! scrub, `{storages}/{name}/checksums`.
//!
//! - `scrub.rs`: the streamed checksums of every file
//!
//! skiff-server has one storage, the served tree, named `default` like the upload
//! bucket (§2). Its record (a UUID and when it was made) lives in the server's
//! redb database, so the id survives restarts. Storages are the server's
//! configuration: no call creates or removes one (405).

mod scrub;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use skiff_protocol::{
    decode_segment, Storage, StorageKind, CHECKSUMS_SEGMENT, DEFAULT_BUCKET, STORAGES_PATH,
};

use crate::database::store_error;
use crate::error::{AppError, TREE_METHODS};
use crate::json::json_response;
use crate::state::AppState;

/// Storage records by name: JSON of [`StorageRecord`], so a field can be added later.
const STORAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("storages");

/// What is stored about a storage; the rest comes from the configuration.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
struct StorageRecord {
    /// Its stable UUID.
    id: String,
    /// When this record was made, Unix seconds.
    created_at: i64,
}

/// The storage routes (on every server: a scrub only reads).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(STORAGES_PATH, any(handle))
        .route(&format!("{STORAGES_PATH}/"), any(handle))
        .route(&format!("{STORAGES_PATH}/{{*rest}}"), any(handle))
}

/// The storages of a server serving the canonical `root`: the tree as `default`,
/// its record made now if `db` has none yet. Blocking; runs at startup. Writes
/// only the first time, so a read-only server writes nothing once a record exists.
pub fn configured(db: &Database, root: &Path) -> Result<Vec<Storage>, AppError> {
    let record = match stored(db, DEFAULT_BUCKET)? {
        Some(record) => record,
        None => create(db, DEFAULT_BUCKET)?,
    };
    let label = root.file_name().map_or_else(
        || "/".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    Ok(vec![Storage {
        id: record.id,
        name: DEFAULT_BUCKET.to_owned(),
        label,
        kind: StorageKind::Local,
        url: "/".to_owned(),
        created_at: record.created_at,
    }])
}

/// The record of storage `name`, if one was made.
fn stored(db: &Database, name: &str) -> Result<Option<StorageRecord>, AppError> {
    let txn = db.begin_read().map_err(store_error)?;
    let table = match txn.open_table(STORAGES) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(error) => return Err(store_error(error)),
    };
    let value = table.get(name).map_err(store_error)?;
    value
        .map(|value| serde_json::from_slice(value.value()).map_err(store_error))
        .transpose()
}

/// Makes the record of storage `name`, unless another process just did.
fn create(db: &Database, name: &str) -> Result<StorageRecord, AppError> {
    let txn = db.begin_write().map_err(store_error)?;
    let record = {
        let mut table = txn.open_table(STORAGES).map_err(store_error)?;
        let existing = table
            .get(name)
            .map_err(store_error)?
            .map(|value| serde_json::from_slice(value.value()).map_err(store_error))
            .transpose()?;
        match existing {
            Some(record) => record,
            None => {
                let record = StorageRecord {
                    id: uuid::Uuid::new_v4().to_string(),
                    created_at: SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |elapsed| {
                            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
                        }),
                };
                let bytes = serde_json::to_vec(&record).map_err(store_error)?;
                table.insert(name, bytes.as_slice()).map_err(store_error)?;
                record
            }
        }
    };
    txn.commit().map_err(store_error)?;
    Ok(record)
}

async fn handle(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    serve(&state, &method, &uri).unwrap_or_else(IntoResponse::into_response)
}

fn serve(state: &AppState, method: &Method, uri: &Uri) -> Result<Response, AppError> {
    let rest = uri
        .path()
        .strip_prefix(STORAGES_PATH)
        .ok_or(AppError::NotFound)?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let is_read = matches!(*method, Method::GET | Method::HEAD);
    // Every route here only reads: storages are created and removed by configuring
    // the server, never through a call (not even an authenticated one).
    let read_only = || AppError::MethodNotAllowed {
        allow: TREE_METHODS,
    };
    if rest.is_empty() {
        return if is_read {
            Ok(json_response(StatusCode::OK, &state.storages()))
        } else {
            Err(read_only())
        };
    }
    let (name, what) = rest.split_once('/').unwrap_or((rest, ""));
    let name = decode_segment(name)?;
    let storage = state
        .storages()
        .iter()
        .find(|storage| storage.name == name)
        .ok_or(AppError::UnknownStorage(name))?;
    if !what.is_empty() && what != CHECKSUMS_SEGMENT {
        return Err(AppError::NotFound);
    }
    if !is_read {
        return Err(read_only());
    }
    if what.is_empty() {
        Ok(json_response(StatusCode::OK, storage))
    } else {
        Ok(scrub::checksums(state, *method != Method::HEAD))
    }
}
