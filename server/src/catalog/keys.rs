//! Catalog keys: an entry's key in the whole tree (mounted storages included),
//! and the contiguous key ranges that make up a subtree, for the tables keyed by
//! path (ids, checksum records).

use redb::{AccessGuard, ReadableTable};
use skiff_protocol::TreePath;

use crate::error::store_error;
use crate::error::AppError;

/// `(key, id)` of `key` itself and of every key below it.
pub(super) fn subtree(
    table: &impl ReadableTable<&'static str, &'static str>,
    key: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let mut found = Vec::new();
    if key.is_empty() {
        for row in table.iter().map_err(store_error)? {
            let (path, id) = row.map_err(store_error)?;
            found.push((path.value().to_owned(), id.value().to_owned()));
        }
        return Ok(found);
    }
    if let Some(id) = table.get(key).map_err(store_error)? {
        found.push((key.to_owned(), id.value().to_owned()));
    }
    // Descendants are the keys from "key/" up to (not including) "key0": '0' follows '/'.
    let (start, end) = (format!("{key}/"), format!("{key}0"));
    for row in table
        .range::<&str>(start.as_str()..end.as_str())
        .map_err(store_error)?
    {
        let (path, id) = row.map_err(store_error)?;
        found.push((path.value().to_owned(), id.value().to_owned()));
    }
    Ok(found)
}

/// `(key, record)` of the digest records of `key` and of every key below it.
pub(super) fn file_subtree(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let mut found = Vec::new();
    let mut push = |row: Result<(AccessGuard<&str>, AccessGuard<&[u8]>), redb::StorageError>| {
        let (path, record) = row.map_err(store_error)?;
        found.push((path.value().to_owned(), record.value().to_vec()));
        Ok::<(), AppError>(())
    };
    if key.is_empty() {
        for row in table.iter().map_err(store_error)? {
            push(row)?;
        }
        return Ok(found);
    }
    for row in table.range::<&str>(key..=key).map_err(store_error)? {
        push(row)?;
    }
    // Descendants are the keys from "key/" up to (not including) "key0": '0' follows '/'.
    let (start, end) = (format!("{key}/"), format!("{key}0"));
    for row in table
        .range::<&str>(start.as_str()..end.as_str())
        .map_err(store_error)?
    {
        push(row)?;
    }
    Ok(found)
}

/// The tree key (ids' form: no leading `/`) of `key` inside the storage mounted at
/// `mount`: ids and file records of mounted entries live under it, so they never
/// collide with the default storage's keys. The default storage, seen through
/// the same code as a mount, has the empty `mount`: its keys are the tree keys.
pub fn tree_key(mount: &str, key: &TreePath) -> String {
    (!mount.is_empty())
        .then_some(mount)
        .into_iter()
        .chain(key.segments().iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tree_key_tests {
    use super::*;

    #[test]
    fn a_mount_prefixes_its_keys_and_the_default_storage_does_not() {
        let key = TreePath::from_segments(["a", "b"]).expect("path");
        assert_eq!(tree_key("m", &key), "m/a/b");
        assert_eq!(tree_key("m", &TreePath::root()), "m");
        assert_eq!(tree_key("", &key), "a/b");
        assert_eq!(tree_key("", &TreePath::root()), "");
    }
}
