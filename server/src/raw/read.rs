//! Raw API reads: `stat`, `list` (ids created for the whole folder in one
//! transaction) and `data` (which file's bytes; the HTTP layer serves them with
//! the tree's validators, ranges, §6 safe-serving headers and `Repr-Digest`).

use skiff_protocol::{EntryKind, RawList, RawListEntry, RawStat, TreePath};

use super::stat_of;
use crate::blocking::blocking;
use crate::disk::entry::etag;
use crate::disk::paths::{find_blocking, Found};
use crate::disk::walk::{child_key, visible};
use crate::error::AppError;
use crate::services::Services;

/// `GET {raw}/stat?ref=`.
pub async fn stat(services: &Services, path: TreePath) -> Result<RawStat, AppError> {
    let state = services.clone();
    blocking(move || {
        let found = find_blocking(state.root(), path)?;
        stat_of(state.ids(), &found)
    })
    .await
}

/// `GET {raw}/list?ref=`: a folder's children; a file is 409 `not_a_folder`.
pub async fn list(services: &Services, path: TreePath) -> Result<RawList, AppError> {
    let state = services.clone();
    blocking(move || {
        let found = find_blocking(state.root(), path)?;
        if !found.metadata.is_dir() {
            return Err(AppError::Conflict {
                code: "not_a_folder",
                message: "only folders can be listed".to_owned(),
            });
        }
        let dir_key = found.key();
        let hide_reserved = found.path.is_root();
        let mut children = Vec::new();
        for entry in std::fs::read_dir(&found.canonical).map_err(AppError::from_fs)? {
            let Ok(entry) = entry else { continue };
            children.extend(visible(state.root(), hide_reserved, &entry));
        }
        let keys: Vec<String> = children
            .iter()
            .map(|(name, _)| child_key(&dir_key, name))
            .collect();
        let ids = state.ids().ids_for(&keys)?;
        let entries = children
            .into_iter()
            .zip(ids)
            .map(|((name, metadata), id)| {
                let is_file = metadata.is_file();
                RawListEntry {
                    name,
                    size: if is_file { metadata.len() } else { 0 },
                    etag: etag(&metadata),
                    kind: if is_file {
                        EntryKind::File
                    } else {
                        EntryKind::Directory
                    },
                    id,
                }
            })
            .collect();
        Ok(RawList { entries })
    })
    .await
}

/// `GET {raw}/data?ref=`: the file whose bytes to serve, exactly as the tree
/// serves them (including `_format` and the §6 headers); a folder is 409
/// `is_a_folder`.
pub async fn data(services: &Services, path: TreePath) -> Result<Found, AppError> {
    let reader = services.clone();
    let found = blocking(move || find_blocking(reader.root(), path)).await?;
    if !found.metadata.is_file() {
        return Err(AppError::Conflict {
            code: "is_a_folder",
            message: "a folder has no bytes; list it instead".to_owned(),
        });
    }
    Ok(found)
}
