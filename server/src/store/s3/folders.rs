//! Folder operations on S3, built from per-object requests: delete (a file, an
//! empty folder, or recursively), `mkdir -p` (one marker), and rename and copy
//! (server-side copies object by object, then deletes for a move). On an
//! `s3://` ROOT a folder's move or delete is instead a journaled job made of the
//! steps in `steps.rs` (`crate::jobs`).
//!
//! A folder that loses its last child keeps existing, as on a disk: its marker
//! is written when a delete or move empties it.

use futures_util::StreamExt;
use object_store::path::Path;
use object_store::{CopyMode, CopyOptions, GetOptions, ObjectStore, PutOptions};
use skiff_protocol::TreePath;

use super::tree::Found;
use super::S3Store;
use crate::store::{check_move, StoreError};

impl S3Store {
    /// Removes a file, an empty folder, or with `recursive` a whole folder.
    pub(super) async fn delete_entry(
        &self,
        key: &TreePath,
        recursive: bool,
    ) -> Result<(), StoreError> {
        if key.is_root() {
            return Err(StoreError::WrongKind("the root cannot be deleted"));
        }
        match self.found(key).await? {
            None => return Err(StoreError::NotFound),
            Some(Found::File) => self.delete_objects(vec![self.path(key)?]).await?,
            Some(Found::Folder) if !recursive => return Err(StoreError::NotEmpty),
            Some(Found::EmptyFolder) => self.markers.delete(&self.object_key(key)).await?,
            Some(Found::Folder) => {
                let (files, folders) = self.tree(key, None).await?;
                let paths = files
                    .iter()
                    .map(|file| self.path(&file.key))
                    .collect::<Result<Vec<_>, _>>()?;
                self.delete_objects(paths).await?;
                self.delete_folders(&folders).await?;
            }
        }
        self.keep_parent(key).await
    }

    /// Deletes objects in bulk (S3 DeleteObjects, 1,000 a request).
    pub(super) async fn delete_objects(&self, paths: Vec<Path>) -> Result<(), StoreError> {
        let locations = futures_util::stream::iter(paths.into_iter().map(Ok)).boxed();
        let mut deleted = self.inner.delete_stream(locations);
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(self.error(error)),
            }
        }
        Ok(())
    }

    /// Removes the folders a [`S3Store::tree`] found, deepest first: their
    /// markers, and on servers with real directories (SeaweedFS lists an
    /// emptied directory as a common prefix) the directories themselves.
    async fn delete_folders(&self, folders: &[(TreePath, bool)]) -> Result<(), StoreError> {
        for (folder, _) in folders.iter().rev() {
            self.markers.delete(&self.object_key(folder)).await?;
        }
        Ok(())
    }

    /// Keeps `key`'s folder after `key` left it: a marker if nothing else is there.
    pub(super) async fn keep_parent(&self, key: &TreePath) -> Result<(), StoreError> {
        let Some(parent) = key.parent().filter(|parent| !parent.is_root()) else {
            return Ok(());
        };
        if self.first_under(&parent).await?.is_none() {
            self.markers.put(&self.object_key(&parent)).await?;
        }
        Ok(())
    }

    /// `mkdir -p`: one marker for the folder (its parents are its prefixes).
    pub(super) async fn make_folder(&self, key: &TreePath) -> Result<(), StoreError> {
        if key.is_root() {
            return Ok(());
        }
        match self.found(key).await? {
            Some(Found::File) => Err(StoreError::WrongKind("a file is in the way of a folder")),
            Some(_) => Ok(()),
            None => self.markers.put(&self.object_key(key)).await,
        }
    }

    /// Makes folder `key` only if nothing is there: its marker is written with
    /// `If-None-Match: *`, so two instances making it at once have one winner
    /// and the other gets [`StoreError::Exists`].
    pub(super) async fn make_new_folder(&self, key: &TreePath) -> Result<(), StoreError> {
        match self.found(key).await? {
            _ if key.is_root() => Err(StoreError::Exists),
            Some(_) => Err(StoreError::Exists),
            None => self.markers.create(&self.object_key(key)).await,
        }
    }

    /// Copies (and with `remove`, moves) `from` to `to`, object by object.
    pub(super) async fn transfer(
        &self,
        from: &TreePath,
        to: &TreePath,
        overwrite: bool,
        remove: bool,
    ) -> Result<(), StoreError> {
        if check_move(from, to)? {
            self.found(from).await?.ok_or(StoreError::NotFound)?;
            return if overwrite {
                Ok(())
            } else {
                Err(StoreError::Exists)
            };
        }
        let source = self.found(from).await?.ok_or(StoreError::NotFound)?;
        let target = self.found(to).await?;
        match target {
            Some(_) if !overwrite => return Err(StoreError::Exists),
            Some(Found::Folder) => return Err(StoreError::NotEmpty),
            Some(Found::EmptyFolder) => self.markers.delete(&self.object_key(to)).await?,
            Some(Found::File) if source != Found::File => {
                self.delete_objects(vec![self.path(to)?]).await?
            }
            _ => {}
        }
        if source == Found::File {
            if overwrite {
                self.copy_object(from, to).await?;
            } else {
                self.copy_create(from, to).await?;
            }
            if remove {
                self.delete_objects(vec![self.path(from)?]).await?;
            }
        } else {
            let (files, folders) = self.tree(from, None).await?;
            for file in &files {
                self.copy_object(&file.key, &moved(&file.key, from, to))
                    .await?;
            }
            for (folder, marker) in &folders {
                if *marker {
                    self.markers
                        .put(&self.object_key(&moved(folder, from, to)))
                        .await?;
                }
            }
            if remove {
                let paths = files
                    .iter()
                    .map(|file| self.path(&file.key))
                    .collect::<Result<Vec<_>, _>>()?;
                self.delete_objects(paths).await?;
                self.delete_folders(&folders).await?;
            }
        }
        if remove {
            self.keep_parent(from).await?;
        }
        Ok(())
    }

    /// Server-side copy of one object (S3 CopyObject).
    pub(super) async fn copy_object(
        &self,
        from: &TreePath,
        to: &TreePath,
    ) -> Result<(), StoreError> {
        let options = CopyOptions::new().with_mode(CopyMode::Overwrite);
        self.inner
            .copy_opts(&self.path(from)?, &self.path(to)?, options)
            .await
            .map_err(|error| self.error(error))
    }
}

impl S3Store {
    /// A copy of the file `from` to `to` only if nothing is at `to`: two files
    /// moved onto one target at once through two instances have one winner
    /// (the other gets [`StoreError::Exists`]). A file up to one part is read
    /// and written with `If-None-Match: *` (S3 CopyObject takes no such
    /// condition everywhere); a bigger one is checked just before a plain copy
    /// (a race in that moment is possible, as for multipart writes).
    async fn copy_create(&self, from: &TreePath, to: &TreePath) -> Result<(), StoreError> {
        let source = self.path(from)?;
        let meta = self.head(from).await?.ok_or(StoreError::NotFound)?;
        if meta.size > super::write::PART_SIZE as u64 {
            return match self.head(to).await? {
                Some(_) => Err(StoreError::Exists),
                None => self.copy_object(from, to).await,
            };
        }
        let bytes = self
            .inner
            .get_opts(&source, GetOptions::default())
            .await
            .map_err(|error| self.error(error))?
            .bytes()
            .await
            .map_err(|error| self.error(error))?;
        let options = PutOptions::from(object_store::PutMode::Create);
        match self
            .inner
            .put_opts(&self.path(to)?, bytes.into(), options)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => match self.error(error) {
                StoreError::Precondition | StoreError::Exists => Err(StoreError::Exists),
                other => Err(other),
            },
        }
    }
}

/// Where `key` (at or under `from`) lands when `from` moves to `to`.
pub(super) fn moved(key: &TreePath, from: &TreePath, to: &TreePath) -> TreePath {
    let below = &key.segments()[from.segments().len()..];
    let mut segments = to.segments().to_vec();
    segments.extend(below.iter().cloned());
    TreePath::from_segments(segments).unwrap_or_else(|_| to.clone())
}
