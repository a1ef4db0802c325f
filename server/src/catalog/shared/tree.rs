//! The id tree on records (docs/design/scale-out.md, step 3): like inodes, each
//! id has a node (`ids/node/ID`: its folder's id and its name) and each folder a
//! children map (`ids/children/ID`: name → id), merged with conditional
//! updates. A path resolves to an id by walking down the children maps from the
//! root (one read per level), an id to its path by walking up the nodes, each
//! step checked against its folder's map, so a node left behind by a lost race,
//! a move or a delete names nothing. A move changes one node and two maps
//! (one when it stays in its folder): what is below a folder follows it untouched.

use std::collections::BTreeMap;

use futures_util::StreamExt;

use super::records::{
    self, children, children_key, metadata_key, node_key, read, Child, Children, Node, ROOT,
};
use super::SharedCatalog;
use crate::error::AppError;

/// Deeper than any real tree; a cycle in damaged records stops here.
const MAX_DEPTH: usize = 4096;
/// Node records written at once when a page of entries gets new ids.
const NODES_IN_FLIGHT: usize = 16;

/// `key`'s folder key and its own name (`"a/b"` → `("a", "b")`, `"a"` → `("", "a")`).
pub fn split(key: &str) -> (&str, &str) {
    key.rsplit_once('/').unwrap_or(("", key))
}

impl SharedCatalog {
    /// The root's id: read, or made by whichever instance came first.
    pub async fn root_id(&self) -> Result<String, AppError> {
        self.root
            .get_or_try_init(|| async {
                for _ in 0..3 {
                    if let Some(id) = read::<String>(&self.state, ROOT).await? {
                        return Ok(id);
                    }
                    let id = uuid::Uuid::new_v4().to_string();
                    let bytes = serde_json::to_vec(&id).map_err(|e| records::damaged(ROOT, e))?;
                    match self.state.create(ROOT, bytes).await {
                        Ok(_) => return Ok(id),
                        Err(crate::store::StoreError::Exists) => continue,
                        Err(error) => return Err(records::records_error(error)),
                    }
                }
                Err(AppError::Store(
                    "the root's id record in the bucket keeps changing".to_owned(),
                ))
            })
            .await
            .cloned()
    }

    /// The id of folder `key` (`""` is the root), walking down from the root;
    /// with `create`, names without an id get one on the way.
    pub async fn folder_id(&self, key: &str, create: bool) -> Result<Option<String>, AppError> {
        let mut id = self.root_id().await?;
        if key.is_empty() {
            return Ok(Some(id));
        }
        for name in key.split('/') {
            let found = children(&self.state, &id).await?.remove(name);
            id = match (found, create) {
                (Some(child), _) => child.id,
                (None, true) => self.add_names(&id, &[name.to_owned()]).await?.remove(0),
                (None, false) => return Ok(None),
            };
        }
        Ok(Some(id))
    }

    /// Where `key` is known: its folder's id and its entry there.
    pub async fn lookup(&self, key: &str) -> Result<Option<(String, Child)>, AppError> {
        if key.is_empty() {
            return Ok(None);
        }
        let (folder, name) = split(key);
        let Some(parent) = self.folder_id(folder, false).await? else {
            return Ok(None);
        };
        let found = children(&self.state, &parent).await?.remove(name);
        Ok(found.map(|child| (parent, child)))
    }

    /// The entries `keys` already have, in order, reading each folder's map once.
    pub async fn known(&self, keys: &[String]) -> Result<Vec<Option<Child>>, AppError> {
        let mut maps: BTreeMap<&str, Option<Children>> = BTreeMap::new();
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            if key.is_empty() {
                let id = self.root_id().await?;
                found.push(Some(Child { id, format: None }));
                continue;
            }
            let (folder, name) = split(key);
            if !maps.contains_key(folder) {
                let map = match self.folder_id(folder, false).await? {
                    Some(id) => Some(children(&self.state, &id).await?),
                    None => None,
                };
                maps.insert(folder, map);
            }
            let map = maps.get(folder).and_then(Option::as_ref);
            found.push(map.and_then(|map| map.get(name)).cloned());
        }
        Ok(found)
    }

    /// The id of each of `keys`, in order, made for those without one.
    pub async fn ids_for(&self, keys: &[String]) -> Result<Vec<String>, AppError> {
        let known = self.known(keys).await?;
        let mut ids: Vec<String> = Vec::with_capacity(keys.len());
        let mut missing: BTreeMap<&str, Vec<(usize, String)>> = BTreeMap::new();
        for (index, (key, child)) in keys.iter().zip(known).enumerate() {
            ids.push(child.map(|child| child.id).unwrap_or_default());
            if ids[index].is_empty() {
                let (folder, name) = split(key);
                missing
                    .entry(folder)
                    .or_default()
                    .push((index, name.to_owned()));
            }
        }
        for (folder, names) in missing {
            let parent = self
                .folder_id(folder, true)
                .await?
                .ok_or_else(|| AppError::Store("a folder's id was not made".to_owned()))?;
            let wanted: Vec<String> = names.iter().map(|(_, name)| name.clone()).collect();
            let made = self.add_names(&parent, &wanted).await?;
            for ((index, _), id) in names.into_iter().zip(made) {
                ids[index] = id;
            }
        }
        Ok(ids)
    }

    /// Gives `names` in folder `parent` ids: their nodes first, then one merge
    /// into the folder's map, keeping the id a racing instance gave a name
    /// first (whose node then stays ours alone, and is removed). In order.
    async fn add_names(&self, parent: &str, names: &[String]) -> Result<Vec<String>, AppError> {
        let fresh: Vec<(String, String)> = names
            .iter()
            .map(|name| (name.clone(), uuid::Uuid::new_v4().to_string()))
            .collect();
        let writes = fresh.iter().map(|(name, id)| {
            let node = Node {
                parent: parent.to_owned(),
                name: name.clone(),
            };
            self.create_node(id, node)
        });
        {
            let mut written = futures_util::stream::iter(writes).buffer_unordered(NODES_IN_FLIGHT);
            while let Some(outcome) = written.next().await {
                outcome?;
            }
        }
        let map: Children =
            records::update(&self.state, &children_key(parent), |map: &mut Children| {
                let mut changed = false;
                for (name, id) in &fresh {
                    if !map.contains_key(name) {
                        let child = Child {
                            id: id.clone(),
                            format: None,
                        };
                        map.insert(name.clone(), child);
                        changed = true;
                    }
                }
                changed
            })
            .await?;
        let mut ids = Vec::with_capacity(fresh.len());
        for (name, id) in fresh {
            let winner = map.get(&name).map(|child| child.id.clone());
            if winner.as_deref() != Some(id.as_str()) {
                self.remove_quietly(&node_key(&id)).await;
            }
            ids.push(winner.ok_or_else(|| AppError::Store("a new id was not kept".to_owned()))?);
        }
        Ok(ids)
    }

    /// Writes the node of `id`, which is new (a fresh UUID: nobody else writes it).
    async fn create_node(&self, id: &str, node: Node) -> Result<(), AppError> {
        let key = node_key(id);
        let bytes = serde_json::to_vec(&node).map_err(|error| records::damaged(&key, error))?;
        self.state
            .create(&key, bytes)
            .await
            .map(drop)
            .map_err(records::records_error)
    }

    /// Sets the node of `id` (whatever it said before).
    async fn write_node(&self, id: &str, node: Node) -> Result<(), AppError> {
        records::update(&self.state, &node_key(id), |current: &mut Option<Node>| {
            let changed = current.as_ref() != Some(&node);
            *current = Some(node.clone());
            changed
        })
        .await
        .map(drop)
    }

    /// The key `id` names now, or `None` (never given out, or deleted).
    pub async fn path_of(&self, id: &str) -> Result<Option<String>, AppError> {
        let root = self.root_id().await?;
        let mut names = Vec::new();
        let mut current = id.to_owned();
        for _ in 0..MAX_DEPTH {
            if current == root {
                names.reverse();
                return Ok(Some(names.join("/")));
            }
            let Some(node) = read::<Node>(&self.state, &node_key(&current)).await? else {
                return Ok(None);
            };
            let listed = children(&self.state, &node.parent)
                .await?
                .remove(&node.name);
            if listed.map(|child| child.id) != Some(current) {
                return Ok(None);
            }
            names.push(node.name);
            current = node.parent;
        }
        Ok(None)
    }

    /// Forgets `key` and everything below it: its name leaves its folder's map
    /// at once (so no path or id finds them); their records are removed after.
    pub async fn forget_tree(&self, key: &str) -> Result<(), AppError> {
        let (folder, name) = split(key);
        let (parent, names) = if key.is_empty() {
            (self.root_id().await?, None)
        } else {
            match self.folder_id(folder, false).await? {
                Some(parent) => (parent, Some(name)),
                None => return Ok(()),
            }
        };
        let mut gone = Vec::new();
        records::update(&self.state, &children_key(&parent), |map: &mut Children| {
            gone.clear();
            match names {
                Some(name) => gone.extend(map.remove(name)),
                None => gone.extend(std::mem::take(map).into_values()),
            }
            !gone.is_empty()
        })
        .await?;
        for child in gone {
            self.collect_later(child.id);
        }
        Ok(())
    }

    /// `from` (and everything below it) is now at `to`: its entry moves to the
    /// new folder's map under the new name (replacing whatever was recorded
    /// there), its node is rewritten, and it leaves the old map. Nothing is
    /// done when `from` has no id (e.g. a retried move that is already done).
    pub async fn move_tree(&self, from: &str, to: &str) -> Result<bool, AppError> {
        if from == to {
            return Ok(false);
        }
        let Some((old_parent, child)) = self.lookup(from).await? else {
            return Ok(false);
        };
        let (to_folder, to_name) = split(to);
        let new_parent = self
            .folder_id(to_folder, true)
            .await?
            .ok_or_else(|| AppError::Store("a folder's id was not made".to_owned()))?;
        let (_, from_name) = split(from);
        let mut replaced = None;
        records::update(
            &self.state,
            &children_key(&new_parent),
            |map: &mut Children| {
                replaced = map.insert(to_name.to_owned(), child.clone());
                if old_parent == new_parent && map.get(from_name) == Some(&child) {
                    map.remove(from_name);
                }
                true
            },
        )
        .await?;
        let node = Node {
            parent: new_parent.clone(),
            name: to_name.to_owned(),
        };
        self.write_node(&child.id, node).await?;
        if old_parent != new_parent {
            records::update(
                &self.state,
                &children_key(&old_parent),
                |map: &mut Children| {
                    let ours = map.get(from_name).is_some_and(|found| found.id == child.id);
                    ours && map.remove(from_name).is_some()
                },
            )
            .await?;
        }
        if let Some(replaced) = replaced.filter(|replaced| replaced.id != child.id) {
            self.collect_later(replaced.id);
        }
        Ok(true)
    }

    /// Removes the records of `id` and of everything below it, in the
    /// background: nothing names them any more, so this only frees space.
    fn collect_later(&self, id: String) {
        let catalog = self.clone();
        tokio::spawn(async move {
            let mut pending = vec![id];
            while let Some(id) = pending.pop() {
                match children(&catalog.state, &id).await {
                    Ok(map) => pending.extend(map.into_values().map(|child| child.id)),
                    Err(error) => tracing::warn!(%error, "cannot clear a forgotten folder's ids"),
                }
                for key in [children_key(&id), metadata_key(&id), node_key(&id)] {
                    catalog.remove_quietly(&key).await;
                }
            }
        });
    }

    async fn remove_quietly(&self, key: &str) {
        if let Err(error) = self.state.remove(key).await {
            tracing::warn!(%error, key, "cannot remove a record nobody names any more");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_splits_into_its_folder_and_name() {
        assert_eq!(super::split("a/b/c.txt"), ("a/b", "c.txt"));
        assert_eq!(super::split("top"), ("", "top"));
    }
}
