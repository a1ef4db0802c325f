//! The records behind the shared catalog, and reading and writing them: the
//! root's id, one node per id (its parent and name) and one children map per
//! folder (name → id and `_format`), all JSON in the bucket's `.skiff/state`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bucket_state::BucketState;
use crate::error::AppError;
use crate::store::StoreError;

/// The record holding the tree root's id, made once by the first instance.
pub const ROOT: &str = "ids/root";

/// Where an id lives: its folder's id and its name there.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub parent: String,
    pub name: String,
}

/// One name in a folder's children map.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub id: String,
    /// The `_format` (§3) set for it, if any: kept here so a listing page reads
    /// one record for its entries' ids and types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// A folder's children that have ids, by name.
pub type Children = BTreeMap<String, Child>;

pub fn node_key(id: &str) -> String {
    format!("ids/node/{id}")
}

pub fn children_key(id: &str) -> String {
    format!("ids/children/{id}")
}

pub fn metadata_key(id: &str) -> String {
    format!("metadata/{id}")
}

/// A record-level failure, in words a log reader can act on.
pub fn records_error(error: StoreError) -> AppError {
    AppError::Store(format!(
        "the ids and metadata records in the bucket (.skiff/state) could not be used: {error}"
    ))
}

/// A record that does not parse: named, so an operator can find it.
pub fn damaged(key: &str, error: impl std::fmt::Display) -> AppError {
    AppError::Store(format!(
        "the record {key} in the bucket's .skiff/state is damaged: {error}"
    ))
}

/// Record `key` as `T`, or `None` if there is none.
pub async fn read<T: for<'de> Deserialize<'de>>(
    state: &BucketState,
    key: &str,
) -> Result<Option<T>, AppError> {
    let Some(record) = state.get(key).await.map_err(records_error)? else {
        return Ok(None);
    };
    serde_json::from_slice(&record.bytes)
        .map(Some)
        .map_err(|error| damaged(key, error))
}

/// The children map of folder `id` (empty if it has none yet).
pub async fn children(state: &BucketState, id: &str) -> Result<Children, AppError> {
    Ok(read(state, &children_key(id)).await?.unwrap_or_default())
}

/// Changes record `key` (parsed as `T`, default if absent) with `change`,
/// conditionally and retried on a lost race (`BucketState::update`), so two
/// instances changing one record lose nothing. `change` returns false to leave
/// the record as it is. Returns the record as it stands afterwards.
pub async fn update<T>(
    state: &BucketState,
    key: &str,
    mut change: impl FnMut(&mut T) -> bool,
) -> Result<T, AppError>
where
    T: Serialize + for<'de> Deserialize<'de> + Default,
{
    let outcome = state
        .update(key, |current| {
            let mut value: T = match current {
                Some(bytes) => {
                    serde_json::from_slice(bytes).map_err(|error| damaged(key, error))?
                }
                None => T::default(),
            };
            if !change(&mut value) {
                return Ok(None);
            }
            serde_json::to_vec(&value)
                .map(Some)
                .map_err(|error| damaged(key, error))
        })
        .await
        .map_err(records_error)?;
    match outcome? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|error| damaged(key, error)),
        None => Ok(T::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_children_map_is_the_json_the_docs_describe() {
        let mut map = Children::new();
        map.insert(
            "a b.txt".to_owned(),
            Child {
                id: "1".to_owned(),
                format: Some("text/markdown".to_owned()),
            },
        );
        map.insert(
            "sub".to_owned(),
            Child {
                id: "2".to_owned(),
                format: None,
            },
        );
        let json = serde_json::to_string(&map).expect("JSON");
        assert_eq!(
            json,
            r#"{"a b.txt":{"id":"1","format":"text/markdown"},"sub":{"id":"2"}}"#
        );
        assert_eq!(serde_json::from_str::<Children>(&json).expect("back"), map);
        assert_eq!(node_key("x"), "ids/node/x");
        assert_eq!(children_key("x"), "ids/children/x");
        assert_eq!(metadata_key("x"), "metadata/x");
    }
}
