//! The single steps a journaled folder job (`crate::jobs`) is made of, each
//! idempotent so a job resumed by another instance may repeat the last ones:
//! the files under a folder in key order, one server-side copy (copying again
//! writes the same bytes), a bulk delete (deleting again is a no-op), and the
//! folders' markers once every file is done.

use skiff_protocol::TreePath;

use super::S3Store;
use crate::store::{Entry, StoreError};

impl S3Store {
    /// Every file under folder `dir`, with its key relative to `dir` (names
    /// joined by `/`), sorted by that key. A missing folder has none.
    pub(crate) async fn files_in_order(
        &self,
        dir: &TreePath,
    ) -> Result<Vec<(String, Entry)>, StoreError> {
        if self.found(dir).await?.is_none() {
            return Ok(Vec::new());
        }
        let (files, _) = self.tree(dir, None).await?;
        let depth = dir.segments().len();
        let mut files: Vec<(String, Entry)> = files
            .into_iter()
            .map(|entry| (entry.key.segments()[depth..].join("/"), entry))
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    /// Server-side copy of file `from` to `to` (overwriting: the same bytes again).
    pub(crate) async fn copy_file(&self, from: &TreePath, to: &TreePath) -> Result<(), StoreError> {
        self.copy_object(from, to).await
    }

    /// Deletes files (already gone is fine).
    pub(crate) async fn delete_files(&self, keys: &[TreePath]) -> Result<(), StoreError> {
        let paths = keys
            .iter()
            .map(|key| self.path(key))
            .collect::<Result<Vec<_>, _>>()?;
        self.delete_objects(paths).await
    }

    /// Once `dir` holds no file: its folders' markers recreated under `to` (a
    /// move) and removed at `dir`, and `dir`'s parent kept as a folder.
    pub(crate) async fn finish_folder(
        &self,
        dir: &TreePath,
        to: Option<&TreePath>,
    ) -> Result<(), StoreError> {
        // Listed even when no object is left: servers with real directories
        // (SeaweedFS) still list the emptied ones, and removing a marker removes them.
        let (_, folders) = self.tree(dir, None).await?;
        if let Some(to) = to {
            for (folder, marker) in &folders {
                // An emptied directory may list as a marker: only a folder that
                // is empty at the target needs one.
                let moved = super::folders::moved(folder, dir, to);
                if *marker && self.first_under(&moved).await?.is_none() {
                    self.markers.put(&self.object_key(&moved)).await?;
                }
            }
        }
        for (folder, _) in folders.iter().rev() {
            self.markers.delete(&self.object_key(folder)).await?;
        }
        self.keep_parent(dir).await
    }
}
