//! Checksum records: what the server learnt about a file it wrote (its SHA-256,
//! id, declared type, §2.1 content hash), in the `files` table keyed by tree key.
//! A record is valid while the file still has the ETag it had right after the
//! write; `ids.rs` moves and forgets records together with the entry's id.

use redb::{Database, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::error::store_error;
use crate::error::AppError;

/// Tree key → a JSON [`FileRecord`].
pub const FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files");

/// What we know about a file we wrote, valid while the file still has `etag`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// The file's ETag right after it was written.
    pub etag: String,
    /// Lowercase hex SHA-256 of its bytes; `None` while a file uploaded in parts
    /// is still being hashed in the background.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Its id.
    pub id: String,
    /// Content type declared by the uploader.
    pub mime_type: String,
    /// When it was written, Unix seconds.
    pub created_at: i64,
    /// §2.1 content hash of a file uploaded in parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// The part size `content_hash` was computed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
}

/// For each `(key, id)`, the SHA-256 recorded when the server last wrote the
/// file at `key`, if that write gave the file the id it has now (one read
/// transaction). Unlike file objects this ignores the ETag: a scrub (§5) compares
/// the record with bytes that may have changed since. The id keeps a record that
/// outlived its file (a folder deleted or a file copied over through the server
/// gives the entry a new id) from posing as the checksum of a newer file. Works
/// on read-only servers too: no `files` table means nothing is known.
pub fn recorded_sha256s(
    db: &Database,
    entries: &[(String, String)],
) -> Result<Vec<Option<String>>, AppError> {
    let txn = db.begin_read().map_err(store_error)?;
    let table = match txn.open_table(FILES) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(vec![None; entries.len()]),
        Err(error) => return Err(store_error(error)),
    };
    entries
        .iter()
        .map(|(key, id)| {
            let Some(value) = table.get(key.as_str()).map_err(store_error)? else {
                return Ok(None);
            };
            let record: FileRecord = serde_json::from_slice(value.value()).map_err(store_error)?;
            Ok(record.sha256.filter(|_| record.id == *id))
        })
        .collect()
}

/// The rows of a whole-file write's [`FileRecord`] (its `id` filled in once the
/// shared commit knows it), for [`super::group_commit::WrittenFile::extra`]: the
/// file's id and its checksum record land in one commit, in any storage (`key`
/// is the tree key).
pub fn record_rows(key: String, record: FileRecord) -> super::group_commit::ExtraRows {
    Box::new(move |txn, known| {
        let record = FileRecord {
            id: known.id.clone(),
            ..record.clone()
        };
        let bytes = serde_json::to_vec(&record).map_err(store_error)?;
        let mut files = txn.open_table(FILES).map_err(store_error)?;
        files
            .insert(key.as_str(), bytes.as_slice())
            .map_err(store_error)?;
        Ok(())
    })
}
