//! §3 metadata on records: the user keys and owner in `metadata/ID` (keyed by
//! id, so they follow moves for free), merged with a conditional update so two
//! instances writing one entry's metadata at once lose nothing; `_format` in
//! the entry's line of its folder's children map, where listings read it.

use super::records::{self, children, children_key, metadata_key, node_key, read, Children, Node};
use super::SharedCatalog;
use crate::catalog::metadata::{Change, Record};
use crate::error::AppError;

impl SharedCatalog {
    /// The record and `_format` of entry `id` (empty if none was ever written).
    pub async fn load_metadata(&self, id: &str) -> Result<(Record, Option<String>), AppError> {
        let record = read::<Record>(&self.state, &metadata_key(id))
            .await?
            .unwrap_or_default();
        let format = match read::<Node>(&self.state, &node_key(id)).await? {
            Some(node) => children(&self.state, &node.parent)
                .await?
                .remove(&node.name)
                .filter(|child| child.id == id)
                .and_then(|child| child.format),
            None => None,
        };
        Ok((record, format))
    }

    /// Merges `change` into entry `id`'s record (or replaces the user keys
    /// with `replace`); `owner` becomes the owner if there is none. Each write
    /// is conditional on the record read and retried on the latest one.
    pub async fn apply_metadata(
        &self,
        id: &str,
        change: Change,
        replace: bool,
        owner: Option<&str>,
    ) -> Result<(), AppError> {
        let Change { user, format } = change;
        records::update(&self.state, &metadata_key(id), |record: &mut Record| {
            if replace {
                record.user = user.clone();
            } else {
                record.user.extend(user.clone());
            }
            if record.owner.is_none() {
                record.owner = owner.map(str::to_owned);
            }
            true
        })
        .await?;
        let Some(format) = format else {
            return Ok(());
        };
        // The root has no node (nor a folder to show a type in): nothing to set.
        let Some(node) = read::<Node>(&self.state, &node_key(id)).await? else {
            return Ok(());
        };
        records::update(
            &self.state,
            &children_key(&node.parent),
            |map: &mut Children| match map.get_mut(&node.name) {
                Some(child) if child.id == id && child.format != format => {
                    child.format.clone_from(&format);
                    true
                }
                _ => false,
            },
        )
        .await
        .map(drop)
    }
}
