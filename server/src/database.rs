//! The server's one embedded database, `ROOT/.skiff/state.redb` (redb): upload
//! sessions (`crate::uploads`), stable ids and metadata (`crate::catalog::ids`) all live
//! in it, so one commit can change several of them and one file holds the state.

use std::path::Path;
use std::sync::Arc;

use redb::Database;

use crate::error::{store_error, AppError};

/// Opens the server's database. A writable server creates `ROOT/.skiff/state.redb`;
/// a read-only one never creates anything in the tree: it opens that file if a
/// writable run left one (so ids stay the same), else keeps ids in memory.
pub fn open(root: &Path, writable: bool) -> Result<Arc<Database>, AppError> {
    let state_dir = root.join(skiff_protocol::RESERVED_NAME);
    let file = state_dir.join("state.redb");
    let db = if writable {
        std::fs::create_dir_all(&state_dir)?;
        let db = Database::create(&file).map_err(store_error)?;
        // It holds the credentials of storages added through the API: only the
        // server's own user may read it, whatever the umask.
        restrict_to_owner(&state_dir, 0o700)?;
        restrict_to_owner(&file, 0o600)?;
        db
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
    crate::catalog::ids::create_tables(&db)?;
    Ok(Arc::new(db))
}

/// A database that lives in memory only (an `s3://` root keeps nothing on the
/// instance's disk).
pub fn in_memory() -> Result<Arc<Database>, AppError> {
    let db = Database::builder()
        .create_with_backend(redb::backends::InMemoryBackend::new())
        .map_err(store_error)?;
    crate::catalog::ids::create_tables(&db)?;
    Ok(Arc::new(db))
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path, mode: u32) -> Result<(), AppError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(AppError::from)
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path, _mode: u32) -> Result<(), AppError> {
    Ok(())
}
