//! Reading folders on a store that has none: delimited listings (common
//! prefixes are folders, a folder's own `key/` marker is never a child), stat
//! that falls back from an object to a prefix, what is at a key, and a
//! depth-first walk in key order (also what folder operations collect).

use std::borrow::Cow;
use std::time::SystemTime;

use object_store::list::{PaginatedListOptions, PaginatedListStore};
use skiff_protocol::TreePath;
use tokio::sync::mpsc;

use super::{folder_entry, keys, S3Store};
use crate::store::{sort_key, Entry, EntryStream, Page, StoreError};

/// The most keys S3 returns per listing request.
const MAX_KEYS: usize = 1000;
/// Walk entries buffered ahead of a slow consumer.
const WALK_BUFFER: usize = 256;

/// Some children of a folder, each with its S3 sort key (encoded name, `/`
/// after a folder's).
pub struct Listed {
    pub children: Vec<(String, Entry)>,
    /// Whether the folder's own marker object was seen.
    pub marker: bool,
    /// Whether more children follow.
    pub more: bool,
}

/// What is at a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    File,
    /// A folder with nothing but (maybe) its marker.
    EmptyFolder,
    Folder,
}

impl S3Store {
    /// Up to `limit` children of `dir` after cursor `after`, following S3's pages.
    pub(super) async fn list_raw(
        &self,
        dir: &TreePath,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Listed, StoreError> {
        let prefix = self.dir_prefix(dir);
        let own_key = self.object_key(dir);
        let mut listed = Listed {
            children: Vec::new(),
            marker: false,
            more: false,
        };
        let mut token = None;
        loop {
            let options = PaginatedListOptions {
                offset: after.map(|after| format!("{prefix}{after}")),
                delimiter: Some(Cow::Borrowed("/")),
                // One more than asked (to know if more follow), one for the marker,
                // one for a folder the cursor sits inside of.
                max_keys: Some((limit + 3).min(MAX_KEYS)),
                page_token: token,
                ..Default::default()
            };
            let page = self
                .inner
                .list_paginated((!prefix.is_empty()).then_some(prefix.as_str()), options)
                .await
                .map_err(|error| self.error(error))?;
            for folder in &page.result.common_prefixes {
                let Some(name) = folder.as_ref().strip_prefix(prefix.as_str()) else {
                    continue;
                };
                self.push_child(&mut listed, dir, after, name, None);
            }
            for object in &page.result.objects {
                let location = object.location.as_ref();
                if location == own_key {
                    listed.marker = true;
                    continue;
                }
                let Some(name) = location.strip_prefix(prefix.as_str()) else {
                    continue;
                };
                self.push_child(&mut listed, dir, after, name, Some(object));
            }
            token = page.page_token;
            // S3 caps a page at 1,000 keys, which eats the slack asked for above:
            // with `limit` children in hand, a continuation token is "more follow"
            // (at worst the next page is empty), never a reason to fetch a page
            // only to throw it away.
            if token.is_none() || listed.children.len() >= limit {
                break;
            }
        }
        listed.children.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        listed.more = token.is_some() || listed.children.len() > limit;
        listed.children.truncate(limit);
        Ok(listed)
    }

    /// Adds child `name` (encoded; a folder without `object`) unless the cursor
    /// is past it (S3 repeats the folder a cursor sits inside of).
    fn push_child(
        &self,
        listed: &mut Listed,
        dir: &TreePath,
        after: Option<&str>,
        name: &str,
        object: Option<&object_store::ObjectMeta>,
    ) {
        if name.is_empty() || name.contains('/') {
            return;
        }
        let order = sort_key(name, object.is_none());
        if after.is_some_and(|after| order.as_str() <= after) {
            return;
        }
        let Ok(key) = dir.child(&keys::decode(name)) else {
            return;
        };
        let entry = match object {
            Some(meta) => super::file_entry(key, meta),
            None => folder_entry(key, None),
        };
        listed.children.push((order, entry));
    }

    /// One page of `dir`; a folder that does not exist is `NotFound`, a file
    /// `WrongKind`.
    pub(super) async fn list_page(
        &self,
        dir: &TreePath,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let listed = self.list_raw(dir, after, limit).await?;
        if listed.children.is_empty() && !listed.marker && after.is_none() && !dir.is_root() {
            return Err(match self.head(dir).await? {
                Some(_) => StoreError::WrongKind("a file, not a folder"),
                None => StoreError::NotFound,
            });
        }
        let next = if listed.more {
            listed.children.last().map(|(order, _)| order.clone())
        } else {
            None
        };
        Ok(Page {
            entries: listed
                .children
                .into_iter()
                .map(|(_, entry)| entry)
                .collect(),
            next,
        })
    }

    /// The entry at `key`: its object, else the folder it is a prefix of.
    pub(super) async fn stat_entry(&self, key: &TreePath) -> Result<Entry, StoreError> {
        if let Some(meta) = self.head(key).await? {
            return Ok(super::file_entry(key.clone(), &meta));
        }
        let any = self.first_under(key).await?;
        match any {
            Some(first) => {
                let modified = (first.location.as_ref() == self.object_key(key))
                    .then(|| SystemTime::from(first.last_modified));
                Ok(folder_entry(key.clone(), modified))
            }
            None if key.is_root() => Ok(folder_entry(key.clone(), None)),
            None => Err(StoreError::NotFound),
        }
    }

    /// The file at `key`; a folder is `WrongKind`.
    pub(super) async fn stat_file(&self, key: &TreePath) -> Result<Entry, StoreError> {
        let entry = self.stat_entry(key).await?;
        if entry.is_dir {
            return Err(StoreError::WrongKind("a folder, not a file"));
        }
        Ok(entry)
    }

    /// The first object under folder `dir` in key order (its marker if it has
    /// one), if any. Also what proves the bucket answers.
    pub(super) async fn first_under(
        &self,
        dir: &TreePath,
    ) -> Result<Option<object_store::ObjectMeta>, StoreError> {
        Ok(self.objects_under(dir, 1).await?.into_iter().next())
    }

    /// Up to `limit` objects under folder `dir` (markers included), undelimited.
    async fn objects_under(
        &self,
        dir: &TreePath,
        limit: usize,
    ) -> Result<Vec<object_store::ObjectMeta>, StoreError> {
        let prefix = self.dir_prefix(dir);
        let options = PaginatedListOptions {
            max_keys: Some(limit),
            ..Default::default()
        };
        let page = self
            .inner
            .list_paginated((!prefix.is_empty()).then_some(prefix.as_str()), options)
            .await
            .map_err(|error| self.error(error))?;
        Ok(page.result.objects)
    }

    /// What is at `key`, if anything.
    pub(super) async fn found(&self, key: &TreePath) -> Result<Option<Found>, StoreError> {
        if self.head(key).await?.is_some() {
            return Ok(Some(Found::File));
        }
        let own_key = self.object_key(key);
        let objects = self.objects_under(key, 2).await?;
        Ok(match objects.as_slice() {
            [] => None,
            [only] if only.location.as_ref() == own_key => Some(Found::EmptyFolder),
            _ => Some(Found::Folder),
        })
    }

    /// Every file below `prefix` (or `prefix` itself), depth first in key order.
    pub(super) fn walk_files(&self, prefix: &TreePath) -> EntryStream {
        self.walk_with(prefix, false)
    }

    /// Every file and folder below `prefix` (or `prefix` itself if it is a
    /// file), depth first in key order, each folder just before its children.
    pub(super) fn walk_everything(&self, prefix: &TreePath) -> EntryStream {
        self.walk_with(prefix, true)
    }

    /// The walk as a stream fed by a task, `folders` included or not.
    fn walk_with(&self, prefix: &TreePath, folders: bool) -> EntryStream {
        let (sender, mut receiver) = mpsc::channel(WALK_BUFFER);
        let store = self.clone();
        let prefix = prefix.clone();
        tokio::spawn(async move {
            let walked = if folders {
                store.walk_everything_into(&prefix, &sender).await
            } else {
                store.walk_into(&prefix, &sender).await
            };
            if let Err(error) = walked {
                let _ = sender.send(Err(error)).await;
            }
        });
        Box::pin(futures_util::stream::poll_fn(move |cx| {
            receiver.poll_recv(cx)
        }))
    }

    async fn walk_everything_into(
        &self,
        prefix: &TreePath,
        sender: &mpsc::Sender<Result<Entry, StoreError>>,
    ) -> Result<(), StoreError> {
        let start = self.stat_entry(prefix).await?;
        if !start.is_dir {
            let _ = sender.send(Ok(start)).await;
            return Ok(());
        }
        let mut seen = Vec::new();
        let mut stack = vec![self.all_children(prefix, &mut seen).await?.into_iter()];
        while let Some(level) = stack.last_mut() {
            let Some(entry) = level.next() else {
                stack.pop();
                continue;
            };
            let folder = entry.is_dir.then(|| entry.key.clone());
            if sender.send(Ok(entry)).await.is_err() {
                return Ok(());
            }
            if let Some(folder) = folder {
                seen.clear();
                stack.push(self.all_children(&folder, &mut seen).await?.into_iter());
            }
        }
        Ok(())
    }

    async fn walk_into(
        &self,
        prefix: &TreePath,
        sender: &mpsc::Sender<Result<Entry, StoreError>>,
    ) -> Result<(), StoreError> {
        let start = self.stat_entry(prefix).await?;
        if !start.is_dir {
            let _ = sender.send(Ok(start)).await;
            return Ok(());
        }
        let (files, _) = self.tree(prefix, Some(sender)).await?;
        drop(files);
        Ok(())
    }

    /// Everything below folder `dir`, depth first in key order: its files (sent
    /// to `sender` as they come when given, else returned) and its folders,
    /// each with whether it has a marker (`dir` itself first).
    pub(super) async fn tree(
        &self,
        dir: &TreePath,
        sender: Option<&mpsc::Sender<Result<Entry, StoreError>>>,
    ) -> Result<(Vec<Entry>, Vec<(TreePath, bool)>), StoreError> {
        let mut files = Vec::new();
        let mut folders = Vec::new();
        let mut stack = vec![self.all_children(dir, &mut folders).await?.into_iter()];
        while let Some(level) = stack.last_mut() {
            let Some(entry) = level.next() else {
                stack.pop();
                continue;
            };
            if entry.is_dir {
                stack.push(
                    self.all_children(&entry.key, &mut folders)
                        .await?
                        .into_iter(),
                );
            } else if let Some(sender) = sender {
                if sender.send(Ok(entry)).await.is_err() {
                    break;
                }
            } else {
                files.push(entry);
            }
        }
        Ok((files, folders))
    }

    /// All children of `dir` in order, noting `dir` and its marker in `folders`.
    async fn all_children(
        &self,
        dir: &TreePath,
        folders: &mut Vec<(TreePath, bool)>,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut children = Vec::new();
        let mut marker = false;
        let mut after: Option<String> = None;
        loop {
            let listed = self.list_raw(dir, after.as_deref(), MAX_KEYS - 3).await?;
            marker |= listed.marker;
            after = listed.children.last().map(|(order, _)| order.clone());
            children.extend(listed.children.into_iter().map(|(_, entry)| entry));
            if !listed.more || after.is_none() {
                break;
            }
        }
        folders.push((dir.clone(), marker));
        Ok(children)
    }
}
