//! Raw API reads: `stat`, `list` (ids created for the whole folder in one
//! transaction) and `data` (bytes, with the tree's validators, ranges, §6
//! safe-serving headers and `Repr-Digest`).

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use skiff_protocol::{EntryKind, RawList, RawListEntry, TreePath};

use super::{stat_of, stat_response};
use crate::entry::etag;
use crate::error::AppError;
use crate::http::json::json_response;
use crate::http::state::AppState;
use crate::http::tree::{facts_blocking, serve_file};
use crate::paths::find_blocking;
use crate::uploads::blocking;
use crate::walk::{child_key, visible};

/// `GET {raw}/stat?ref=`.
pub async fn stat(state: &AppState, path: TreePath) -> Result<Response, AppError> {
    let state = state.clone();
    let stat = blocking(move || {
        let found = find_blocking(state.root(), path)?;
        stat_of(state.ids(), &found)
    })
    .await?;
    Ok(stat_response(StatusCode::OK, &stat))
}

/// `GET {raw}/list?ref=`: a folder's children; a file is 409 `not_a_folder`.
pub async fn list(state: &AppState, path: TreePath) -> Result<Response, AppError> {
    let state = state.clone();
    let list = blocking(move || {
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
    .await?;
    Ok(json_response(StatusCode::OK, &list))
}

/// `GET {raw}/data?ref=`: the file's bytes, exactly as the tree serves them
/// (including `_format` and the §6 headers); a folder is 409 `is_a_folder`.
pub async fn data(
    state: &AppState,
    path: TreePath,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let reader = state.clone();
    let (found, facts) = blocking(move || {
        let found = find_blocking(reader.root(), path)?;
        let facts = facts_blocking(&reader, &found.key())?;
        Ok((found, facts))
    })
    .await?;
    if !found.metadata.is_file() {
        return Err(AppError::Conflict {
            code: "is_a_folder",
            message: "a folder has no bytes; list it instead".to_owned(),
        });
    }
    let name = found.path.name().unwrap_or_default();
    serve_file(&found.canonical, name, facts, method, headers).await
}
