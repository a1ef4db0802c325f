//! What a local folder may show of its entries (`crate::store::local`'s listings
//! and walks, and so every bucket listing and scrub of a local storage, use
//! these rules): no `.skiff` at the top, no names a URL cannot reach, no links
//! leaving the root, no special files. Symlinks to files inside the root count;
//! a walk does not follow symlinked folders (no cycles, no file met twice). Only
//! symlinks are `stat`ed by [`visible_name`]'s callers that need no metadata, so
//! a walk of 100,000 files costs little more than its `read_dir`s. Blocking.

use std::fs::{DirEntry, Metadata};
use std::path::Path;

use skiff_protocol::RESERVED_NAME;

use crate::disk::paths::check_contained;

/// A folder entry's name and metadata (a symlink's target's), or `None` for what
/// must stay invisible: `.skiff` in the root (`hide_reserved`), names no URL can
/// reach, links leaving the root, special files.
pub fn visible(root: &Path, hide_reserved: bool, entry: &DirEntry) -> Option<(String, Metadata)> {
    let name = visible_name(hide_reserved, entry)?;
    let metadata = match entry_metadata(root, entry) {
        Ok(metadata) => metadata,
        Err(reason) => {
            tracing::debug!(name, reason, "not listing an entry");
            return None;
        }
    };
    if !metadata.is_file() && !metadata.is_dir() {
        tracing::debug!(name, "not listing a special file");
        return None;
    }
    Some((name, metadata))
}

/// The entry's name if a listing may show it: not `.skiff` in the root
/// (`hide_reserved`), and reachable by a URL (UTF-8, no backslash).
pub fn visible_name(hide_reserved: bool, entry: &DirEntry) -> Option<String> {
    let file_name = entry.file_name();
    let Some(name) = file_name.to_str() else {
        tracing::debug!(name = ?file_name, "not listing a name that is not UTF-8");
        return None;
    };
    if hide_reserved && name == RESERVED_NAME {
        return None;
    }
    if name.contains('\\') {
        // Legal on Unix, but no URL can reach it (PROTOCOL.md forbids `\` in paths).
        tracing::debug!(name, "not listing a name with a backslash");
        return None;
    }
    Some(name.to_owned())
}

/// The entry's metadata; a symlink's target's, if that target stays inside the root.
pub fn entry_metadata(root: &Path, entry: &DirEntry) -> Result<Metadata, &'static str> {
    let file_type = entry.file_type().map_err(|_| "cannot read its type")?;
    if !file_type.is_symlink() {
        return entry.metadata().map_err(|_| "cannot stat it");
    }
    let target = std::fs::canonicalize(entry.path()).map_err(|_| "broken symlink")?;
    check_contained(root, &target).map_err(|_| "symlink leaves the root")?;
    std::fs::metadata(&target).map_err(|_| "cannot stat the symlink's target")
}

/// The key of `name` inside the folder whose key is `dir_key`.
pub fn child_key(dir_key: &str, name: &str) -> String {
    if dir_key.is_empty() {
        name.to_owned()
    } else {
        format!("{dir_key}/{name}")
    }
}
