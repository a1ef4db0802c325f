//! The server's one embedded database, `ROOT/.skiff/state.redb` (redb): upload
//! sessions (`crate::uploads`), stable ids and metadata (`crate::ids`) all live
//! in it, so one commit can change several of them and one file holds the state.

use std::path::Path;
use std::sync::Arc;

use redb::Database;

use crate::error::AppError;

/// Opens the server's database. A writable server creates `ROOT/.skiff/state.redb`;
/// a read-only one never creates anything in the tree: it opens that file if a
/// writable run left one (so ids stay the same), else keeps ids in memory.
pub fn open(root: &Path, writable: bool) -> Result<Arc<Database>, AppError> {
    let state_dir = root.join(skiff_protocol::RESERVED_NAME);
    let file = state_dir.join("state.redb");
    let db = if writable {
        std::fs::create_dir_all(&state_dir)?;
        Database::create(&file).map_err(store_error)?
    } else {
        let existing = file
            .is_file()
            .then(|| Database::create(&file))
            .and_then(|opened| {
                opened
                    .inspect_err(|error| tracing::warn!(%error, "ids kept in memory"))
                    .ok()
            });
        match existing {
            Some(db) => db,
            None => Database::builder()
                .create_with_backend(redb::backends::InMemoryBackend::new())
                .map_err(store_error)?,
        }
    };
    crate::ids::create_tables(&db)?;
    Ok(Arc::new(db))
}

/// Store failures are the server's fault: 500, with the detail kept for the log.
pub fn store_error(error: impl std::fmt::Display) -> AppError {
    AppError::Store(error.to_string())
}
