//! Storage records in the server's redb database (table `storages`, keyed by
//! name): every storage's id and creation time, and for storages made through
//! the API everything needed to bring them back after a restart.
//!
//! Values are JSON so fields can be added: a record written before the admin
//! API (`{"id", "created_at"}`) still reads, as one without an API definition.

use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::spec::BackendSpec;
use crate::error::store_error;
use crate::error::AppError;

/// Storage records by name: JSON of [`StorageRecord`].
const STORAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("storages");

/// What the database keeps about one storage.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct StorageRecord {
    /// Its stable UUID.
    pub id: String,
    /// When it was first set up, Unix seconds.
    pub created_at: i64,
    /// Present for storages made through the API (the default storage and
    /// `--config` storages are defined by the command line and the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made: Option<MadeByApi>,
}

/// The definition of a storage made through the API.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct MadeByApi {
    /// For people.
    pub label: String,
    /// Its top-level folder.
    pub mount: String,
    /// The URL it was created with (what `PATCH` last set).
    pub default_url: String,
    /// Where the bytes are, credentials included.
    pub backend: BackendSpec,
}

impl StorageRecord {
    /// A new identity made now.
    pub fn new(made: Option<MadeByApi>) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            created_at: now(),
            made,
        }
    }
}

/// Unix seconds now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// Every record, by name. Blocking.
pub fn load_all(db: &Database) -> Result<Vec<(String, StorageRecord)>, AppError> {
    let txn = db.begin_read().map_err(store_error)?;
    let table = match txn.open_table(STORAGES) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(error) => return Err(store_error(error)),
    };
    let mut records = Vec::new();
    for row in table.iter().map_err(store_error)? {
        let (name, value) = row.map_err(store_error)?;
        match serde_json::from_slice(value.value()) {
            Ok(record) => records.push((name.value().to_owned(), record)),
            // One unreadable row must not take the server down with it.
            Err(error) => tracing::warn!(name = name.value(), %error, "storage record skipped"),
        }
    }
    Ok(records)
}

/// The record of `name`, made now (without an API definition) if there is none.
/// Writes only the first time. Blocking.
pub fn identity(db: &Database, name: &str) -> Result<StorageRecord, AppError> {
    if let Some(record) = load_all(db)?
        .into_iter()
        .find_map(|(stored, record)| (stored == name).then_some(record))
    {
        return Ok(record);
    }
    let txn = db.begin_write().map_err(store_error)?;
    let record = {
        let mut table = txn.open_table(STORAGES).map_err(store_error)?;
        let existing = table
            .get(name)
            .map_err(store_error)?
            .and_then(|value| serde_json::from_slice(value.value()).ok());
        match existing {
            Some(record) => record,
            None => {
                let record = StorageRecord::new(None);
                put(&mut table, name, &record)?;
                record
            }
        }
    };
    txn.commit().map_err(store_error)?;
    Ok(record)
}

/// Writes `record` under `name`, removing `old_name` in the same commit (a rename). Blocking.
pub fn save(
    db: &Database,
    name: &str,
    record: &StorageRecord,
    old_name: Option<&str>,
) -> Result<(), AppError> {
    let txn = db.begin_write().map_err(store_error)?;
    {
        let mut table = txn.open_table(STORAGES).map_err(store_error)?;
        if let Some(old_name) = old_name.filter(|old| *old != name) {
            table.remove(old_name).map_err(store_error)?;
        }
        put(&mut table, name, record)?;
    }
    txn.commit().map_err(store_error)
}

/// Forgets `name`. Blocking.
pub fn remove(db: &Database, name: &str) -> Result<(), AppError> {
    let txn = db.begin_write().map_err(store_error)?;
    {
        let mut table = txn.open_table(STORAGES).map_err(store_error)?;
        table.remove(name).map_err(store_error)?;
    }
    txn.commit().map_err(store_error)
}

fn put(
    table: &mut redb::Table<'_, &str, &[u8]>,
    name: &str,
    record: &StorageRecord,
) -> Result<(), AppError> {
    let bytes = serde_json::to_vec(record).map_err(store_error)?;
    table.insert(name, bytes.as_slice()).map_err(store_error)?;
    Ok(())
}
