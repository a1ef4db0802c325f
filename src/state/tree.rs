//! The folder tree beside the files: folders expanded, their children loaded on
//! first sight and again after a change.

use super::Browser;
use crate::api::{self, Fetched};
use crate::tree_state::Children;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;
use std::sync::Arc;

impl Browser {
    /// Expands or collapses a tree folder, loading its children the first time.
    pub fn set_tree_expanded(self, path: &TreePath, expanded: bool) {
        self.tree.update(|tree| tree.set_expanded(path, expanded));
        let unknown = self
            .tree
            .with_untracked(|tree| tree.children(path).is_none());
        if expanded && unknown {
            self.load_tree_children(path.clone());
        }
    }

    /// Fetches a tree folder's children again if the tree has them (after a move, copy or
    /// rename changed them).
    pub fn refresh_tree(self, path: &TreePath) {
        let known = self.tree.with_untracked(|tree| {
            matches!(
                tree.children(path),
                Some(Children::Loaded(_) | Children::Failed(_))
            )
        });
        if known {
            self.load_tree_children(path.clone());
        }
    }

    pub(super) fn reveal_in_tree(self, dir: &TreePath) {
        let missing = self
            .tree
            .try_update(|tree| tree.reveal(dir))
            .unwrap_or_default();
        for path in missing {
            self.load_tree_children(path);
        }
    }

    /// Loads a tree folder's children unless they are known or on their way (the Move/Copy
    /// folder picker expands folders of its own).
    pub fn ensure_tree_children(self, path: &TreePath) {
        let unknown = self
            .tree
            .with_untracked(|tree| tree.children(path).is_none());
        if unknown {
            self.load_tree_children(path.clone());
        }
    }

    /// Fetches a tree folder's children (again).
    pub fn load_tree_children(self, path: TreePath) {
        self.tree
            .update(|tree| tree.set_children(&path, Children::Loading));
        let config = self.config.get_value();
        spawn_local(async move {
            let children = match api::fetch_listing(&config, &path, None, None).await {
                Ok(Fetched::Directory(listing)) => {
                    Children::Loaded(Arc::new(listing.directory_names()))
                }
                Ok(Fetched::File(_)) => Children::Loaded(Arc::default()),
                Err(error) => Children::Failed(error.to_string()),
            };
            self.tree.update(|tree| tree.set_children(&path, children));
        });
    }
}
