//! Stable ids (PROTOCOL.md §4): every entry gets a UUID on first sight, kept in
//! redb as `path → id` and `id → path`, moved along with the entry when it is
//! moved through the server and forgotten (with its metadata, §3) when it is
//! deleted through the server.
//!
//! Paths are keys in upload-key form (segments joined with `/`, no leading `/`;
//! the root is `""`), so an entry's descendants are one contiguous key range.
//! Ids are created lazily where a single entry is looked at (a file's RFSAPI
//! entry, file objects, metadata, the raw API); RFSAPI folder listings only show
//! the ids that already exist, in one read transaction, because creating 100,000
//! ids made a big listing several times slower. Batches of new ids are created
//! in one write transaction; whole-file writes share commits (`group_commit.rs`).
//! Checksum records (`checksums.rs`) and metadata (`metadata.rs`) are kept in
//! step here: a move carries a whole subtree's, a delete forgets them all.
//! On an `s3://` ROOT the ids are records in the bucket instead (`super::shared`),
//! behind these same calls; redb then keeps only the recorded digests.
//! All calls block: run them on a blocking thread.

use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition, WriteTransaction};

use super::checksums::FILES;
use super::group_commit::{GroupCommit, WrittenFile};
use super::keys::{file_subtree, subtree};
use super::shared::{self, Child, SharedCatalog};
pub use crate::error::store_error;
use crate::error::AppError;

const ID_BY_PATH: TableDefinition<&str, &str> = TableDefinition::new("id_by_path");
const PATH_BY_ID: TableDefinition<&str, &str> = TableDefinition::new("path_by_id");
/// §3 user metadata, keyed by id so it follows moves for free (JSON object bytes).
pub const METADATA: TableDefinition<&str, &[u8]> = TableDefinition::new("metadata");
/// §3 `_format` set by a client, keyed by id; apart from [`METADATA`] so listings
/// and file serving read a short string, not a JSON record.
pub const FORMATS: TableDefinition<&str, &str> = TableDefinition::new("formats");

/// What the store holds about an entry that has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// Its stable id.
    pub id: String,
    /// The content type set through `_format`, if any.
    pub format: Option<String>,
}

/// The ids of one server: redb tables, or on an `s3://` ROOT records in the
/// bucket shared with every instance (`super::shared`), behind the same calls.
#[derive(Debug, Clone)]
pub struct Ids {
    db: Arc<Database>,
    /// Shares one commit among the whole-file writes in flight.
    group: Arc<GroupCommit>,
    /// An `s3://` ROOT's ids and metadata; `db` then keeps only this instance's
    /// own records (recorded digests).
    shared: Option<Arc<SharedCatalog>>,
}

/// Creates the id and metadata tables now, so read transactions never meet a
/// missing one.
pub fn create_tables(db: &Database) -> Result<(), AppError> {
    let txn = db.begin_write().map_err(store_error)?;
    txn.open_table(ID_BY_PATH).map_err(store_error)?;
    txn.open_table(PATH_BY_ID).map_err(store_error)?;
    txn.open_table(METADATA).map_err(store_error)?;
    txn.open_table(FORMATS).map_err(store_error)?;
    txn.commit().map_err(store_error)
}

impl Ids {
    /// The id tables in `db` (opened by `crate::database::open`).
    pub fn new(db: Arc<Database>) -> Self {
        Self {
            db,
            group: Arc::default(),
            shared: None,
        }
    }

    /// Ids and metadata as records in an `s3://` ROOT's bucket; `db` keeps the
    /// rest (recorded digests).
    pub fn shared(db: Arc<Database>, catalog: SharedCatalog) -> Self {
        Self {
            shared: Some(Arc::new(catalog)),
            ..Self::new(db)
        }
    }

    /// The records catalog, on an `s3://` ROOT.
    pub fn records(&self) -> Option<&SharedCatalog> {
        self.shared.as_deref()
    }

    /// Records a file just placed in the tree — its id, kept if it replaced a
    /// file, else new (see [`written_in`]), and the caller's rows — in a commit
    /// shared with the other writes in flight; returns its id and `_format`
    /// once durable.
    pub fn commit_written(&self, file: WrittenFile) -> Result<Known, AppError> {
        let Some(shared) = &self.shared else {
            return self.group.commit(&self.db, file);
        };
        let known = shared::run(async {
            let mut kept = None;
            if file.replaced {
                kept = shared
                    .known(std::slice::from_ref(&file.key))
                    .await?
                    .pop()
                    .flatten();
            } else {
                shared.forget_tree(&file.key).await?;
            }
            let child = match kept {
                Some(child) => child,
                None => Child {
                    id: shared
                        .ids_for(std::slice::from_ref(&file.key))
                        .await?
                        .remove(0),
                    format: None,
                },
            };
            Ok(Known {
                id: child.id,
                format: child.format,
            })
        })?;
        let txn = self.db.begin_write().map_err(store_error)?;
        if !file.replaced {
            forget_in(&txn, &file.key)?;
        }
        (file.extra)(&txn, &known)?;
        txn.commit().map_err(store_error)?;
        Ok(known)
    }

    /// The shared database, for the other tables.
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// The ids (and `_format`s) `keys` already have, in order, without creating
    /// any (one read transaction): what RFSAPI listings and file bytes use.
    pub fn known(&self, keys: &[String]) -> Result<Vec<Option<Known>>, AppError> {
        if let Some(shared) = &self.shared {
            let found = shared::run(shared.known(keys))?;
            return Ok(found
                .into_iter()
                .map(|child| child.map(|Child { id, format }| Known { id, format }))
                .collect());
        }
        let txn = self.db.begin_read().map_err(store_error)?;
        let table = txn.open_table(ID_BY_PATH).map_err(store_error)?;
        let formats = txn.open_table(FORMATS).map_err(store_error)?;
        keys.iter()
            .map(|key| {
                let Some(id) = table.get(key.as_str()).map_err(store_error)? else {
                    return Ok(None);
                };
                let id = id.value().to_owned();
                let format = formats
                    .get(id.as_str())
                    .map_err(store_error)?
                    .map(|format| format.value().to_owned());
                Ok(Some(Known { id, format }))
            })
            .collect()
    }

    /// The id (created if missing) and `_format` of the entry at `key`, which
    /// the caller has just seen exist.
    pub fn known_or_new(&self, key: &str) -> Result<Known, AppError> {
        let id = self.id_for(key)?;
        let format = self
            .known(&[key.to_owned()])?
            .pop()
            .flatten()
            .and_then(|known| known.format);
        Ok(Known { id, format })
    }

    /// The `_format` set for the entry at `key`, if any.
    pub fn format_of(&self, key: &str) -> Result<Option<String>, AppError> {
        let mut known = self.known(&[key.to_owned()])?;
        Ok(known.pop().flatten().and_then(|known| known.format))
    }

    /// The id of each of `keys`, in order, creating the missing ones (one read
    /// transaction; one write transaction only if some are new).
    pub fn ids_for(&self, keys: &[String]) -> Result<Vec<String>, AppError> {
        if let Some(shared) = &self.shared {
            return shared::run(shared.ids_for(keys));
        }
        let mut ids = Vec::with_capacity(keys.len());
        let mut missing = Vec::new();
        {
            let txn = self.db.begin_read().map_err(store_error)?;
            let table = txn.open_table(ID_BY_PATH).map_err(store_error)?;
            for (index, key) in keys.iter().enumerate() {
                match table.get(key.as_str()).map_err(store_error)? {
                    Some(id) => ids.push(id.value().to_owned()),
                    None => {
                        ids.push(String::new());
                        missing.push(index);
                    }
                }
            }
        }
        if missing.is_empty() {
            return Ok(ids);
        }
        // B-tree inserts in key order touch each page once: far faster for big folders.
        missing.sort_unstable_by(|a, b| keys[*a].cmp(&keys[*b]));
        let txn = self.db.begin_write().map_err(store_error)?;
        {
            let mut by_path = txn.open_table(ID_BY_PATH).map_err(store_error)?;
            let mut by_id = txn.open_table(PATH_BY_ID).map_err(store_error)?;
            for index in missing {
                let key = keys[index].as_str();
                // Another listing may have named it since our read: keep its id.
                let existing = by_path
                    .get(key)
                    .map_err(store_error)?
                    .map(|id| id.value().to_owned());
                ids[index] = match existing {
                    Some(id) => id,
                    None => {
                        let id = uuid::Uuid::new_v4().to_string();
                        by_path.insert(key, id.as_str()).map_err(store_error)?;
                        by_id.insert(id.as_str(), key).map_err(store_error)?;
                        id
                    }
                };
            }
        }
        txn.commit().map_err(store_error)?;
        Ok(ids)
    }

    /// The id of `key`, created if it has none.
    pub fn id_for(&self, key: &str) -> Result<String, AppError> {
        let mut ids = self.ids_for(&[key.to_owned()])?;
        ids.pop().ok_or_else(|| store_error("no id returned"))
    }

    /// The key an id names, if any.
    pub fn path_of(&self, id: &str) -> Result<Option<String>, AppError> {
        if let Some(shared) = &self.shared {
            return shared::run(shared.path_of(id));
        }
        let txn = self.db.begin_read().map_err(store_error)?;
        let table = txn.open_table(PATH_BY_ID).map_err(store_error)?;
        Ok(table
            .get(id)
            .map_err(store_error)?
            .map(|key| key.value().to_owned()))
    }

    /// Forgets `key` and everything below it, with their metadata: the entry was
    /// deleted (or is about to be replaced by a move or copy onto it).
    pub fn forget_tree(&self, key: &str) -> Result<(), AppError> {
        if let Some(shared) = &self.shared {
            shared::run(shared.forget_tree(key))?;
        }
        let txn = self.db.begin_write().map_err(store_error)?;
        forget_in(&txn, key)?;
        txn.commit().map_err(store_error)
    }

    /// `from` (and everything below it) now lives at `to`: ids, metadata and the
    /// recorded digests follow, in one commit. Whatever was recorded at `to` is
    /// forgotten first (an overwriting move). A moved file keeps its inode and
    /// mtime, hence its ETag, so its recorded digest stays valid.
    pub fn move_tree(&self, from: &str, to: &str) -> Result<(), AppError> {
        // On records a move whose source has no id (e.g. done already) changes
        // nothing, not even at `to`, so a retried move cannot undo the first.
        if let Some(shared) = &self.shared {
            if !shared::run(shared.move_tree(from, to))? {
                return Ok(());
            }
        }
        let txn = self.db.begin_write().map_err(store_error)?;
        forget_in(&txn, to)?;
        {
            let mut files = txn.open_table(FILES).map_err(store_error)?;
            for (key, record) in file_subtree(&files, from)? {
                let new_key = format!("{to}{}", &key[from.len()..]);
                files.remove(key.as_str()).map_err(store_error)?;
                files
                    .insert(new_key.as_str(), record.as_slice())
                    .map_err(store_error)?;
            }
        }
        {
            let mut by_path = txn.open_table(ID_BY_PATH).map_err(store_error)?;
            let mut by_id = txn.open_table(PATH_BY_ID).map_err(store_error)?;
            let moved = subtree(&by_path, from)?;
            for (key, id) in moved {
                let new_key = format!("{to}{}", &key[from.len()..]);
                by_path.remove(key.as_str()).map_err(store_error)?;
                by_path
                    .insert(new_key.as_str(), id.as_str())
                    .map_err(store_error)?;
                by_id
                    .insert(id.as_str(), new_key.as_str())
                    .map_err(store_error)?;
            }
        }
        txn.commit().map_err(store_error)
    }
}

/// Inside `txn`, settles the ids of a file just written at `key`: a file that
/// replaced another keeps its id and metadata; a new one starts afresh (even
/// where a file deleted behind our back left its id) and gets its id now.
/// Returns its id and `_format`. Lets a whole-file write record everything in
/// one commit (one fsync) rather than three.
pub fn written_in(txn: &WriteTransaction, key: &str, replaced: bool) -> Result<Known, AppError> {
    if !replaced {
        forget_in(txn, key)?;
    }
    let mut by_path = txn.open_table(ID_BY_PATH).map_err(store_error)?;
    let existing = by_path
        .get(key)
        .map_err(store_error)?
        .map(|id| id.value().to_owned());
    let id = match existing {
        Some(id) => id,
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            by_path.insert(key, id.as_str()).map_err(store_error)?;
            let mut by_id = txn.open_table(PATH_BY_ID).map_err(store_error)?;
            by_id.insert(id.as_str(), key).map_err(store_error)?;
            id
        }
    };
    let formats = txn.open_table(FORMATS).map_err(store_error)?;
    let format = formats
        .get(id.as_str())
        .map_err(store_error)?
        .map(|format| format.value().to_owned());
    Ok(Known { id, format })
}

/// Removes `key`'s subtree from the id tables, its metadata and its recorded
/// digests, inside `txn`.
fn forget_in(txn: &WriteTransaction, key: &str) -> Result<(), AppError> {
    {
        let mut files = txn.open_table(FILES).map_err(store_error)?;
        for (path, _) in file_subtree(&files, key)? {
            files.remove(path.as_str()).map_err(store_error)?;
        }
    }
    let mut by_path = txn.open_table(ID_BY_PATH).map_err(store_error)?;
    let mut by_id = txn.open_table(PATH_BY_ID).map_err(store_error)?;
    let mut metadata = txn.open_table(METADATA).map_err(store_error)?;
    let mut formats = txn.open_table(FORMATS).map_err(store_error)?;
    for (path, id) in subtree(&by_path, key)? {
        by_path.remove(path.as_str()).map_err(store_error)?;
        by_id.remove(id.as_str()).map_err(store_error)?;
        metadata.remove(id.as_str()).map_err(store_error)?;
        formats.remove(id.as_str()).map_err(store_error)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;
