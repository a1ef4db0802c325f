//! The directory tree's data: which folders are expanded, which children are
//! known, and the flattened list of visible rows the virtualised tree renders.

use skiff_protocol::TreePath;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What is known about a folder's sub-folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Children {
    /// A request for them is under way.
    Loading,
    /// Loaded: the sub-folder names, naturally sorted.
    Loaded(Arc<Vec<String>>),
    /// The request failed; the message says why.
    Failed(String),
}

/// Expanded folders and known children, keyed by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeState {
    children: HashMap<TreePath, Children>,
    expanded: HashSet<TreePath>,
}

/// One visible row of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    /// The folder this row stands for.
    pub path: TreePath,
    /// Nesting depth; the root is 0.
    pub depth: usize,
    /// Whether its children are shown.
    pub expanded: bool,
    /// Whether it may have children (false once loaded empty).
    pub expandable: bool,
    /// Whether its children are being loaded.
    pub loading: bool,
    /// Why loading its children failed, if it did.
    pub error: Option<String>,
    /// 1-based position among its siblings (ARIA `aria-posinset`).
    pub position: usize,
    /// Number of siblings including itself (ARIA `aria-setsize`).
    pub set_size: usize,
}

impl TreeState {
    /// A tree whose root is expanded (its children load first).
    pub fn new() -> Self {
        let mut state = Self::default();
        state.expanded.insert(TreePath::root());
        state
    }

    /// What is known of `path`'s children.
    pub fn children(&self, path: &TreePath) -> Option<&Children> {
        self.children.get(path)
    }

    /// Records `path`'s children.
    pub fn set_children(&mut self, path: &TreePath, children: Children) {
        self.children.insert(path.clone(), children);
    }

    /// Whether `path` is expanded.
    pub fn is_expanded(&self, path: &TreePath) -> bool {
        self.expanded.contains(path)
    }

    /// Expands or collapses `path`.
    pub fn set_expanded(&mut self, path: &TreePath, expanded: bool) {
        if expanded {
            self.expanded.insert(path.clone());
        } else {
            self.expanded.remove(path);
        }
    }

    /// Expands every ancestor of `path` (not `path` itself) so it becomes visible.
    /// Returns the ancestors whose children are not known yet (to be loaded).
    pub fn reveal(&mut self, path: &TreePath) -> Vec<TreePath> {
        let mut missing = Vec::new();
        let mut ancestor = path.parent();
        while let Some(dir) = ancestor {
            self.expanded.insert(dir.clone());
            if !self.children.contains_key(&dir) {
                missing.push(dir.clone());
            }
            ancestor = dir.parent();
        }
        missing.reverse();
        missing
    }

    /// The visible rows, depth first, starting with the root.
    pub fn rows(&self) -> Vec<TreeRow> {
        self.rows_with(&self.expanded)
    }

    /// The rows visible when `expanded` are the expanded folders: another view of the same
    /// folders (the Move/Copy picker) opens and closes folders of its own.
    pub fn rows_with(&self, expanded: &HashSet<TreePath>) -> Vec<TreeRow> {
        let mut rows = Vec::new();
        // Explicit stack instead of recursion: a deep tree must not overflow the wasm stack.
        let mut stack: Vec<(TreePath, usize, usize, usize)> = vec![(TreePath::root(), 0, 1, 1)];
        while let Some((path, depth, position, set_size)) = stack.pop() {
            let is_expanded = expanded.contains(&path);
            let known = self.children.get(&path);
            rows.push(TreeRow {
                depth,
                expanded: is_expanded,
                expandable: !matches!(known, Some(Children::Loaded(names)) if names.is_empty()),
                loading: matches!(known, Some(Children::Loading)),
                error: match known {
                    Some(Children::Failed(message)) => Some(message.clone()),
                    _ => None,
                },
                position,
                set_size,
                path: path.clone(),
            });
            if let (true, Some(Children::Loaded(names))) = (is_expanded, known) {
                let count = names.len();
                for (index, name) in names.iter().enumerate().rev() {
                    if let Ok(child) = path.child(name) {
                        stack.push((child, depth + 1, index + 1, count));
                    }
                }
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(segments: &[&str]) -> TreePath {
        TreePath::from_segments(segments.iter().copied()).expect("safe")
    }

    fn loaded(names: &[&str]) -> Children {
        Children::Loaded(Arc::new(names.iter().map(|n| n.to_string()).collect()))
    }

    #[test]
    fn flattens_expanded_folders_depth_first() {
        let mut tree = TreeState::new();
        tree.set_children(&TreePath::root(), loaded(&["a", "b"]));
        tree.set_children(&path(&["a"]), loaded(&["x"]));
        tree.set_expanded(&path(&["a"]), true);
        tree.set_children(&path(&["b"]), loaded(&[]));
        let rows = tree.rows();
        let shown: Vec<String> = rows.iter().map(|r| r.path.to_string()).collect();
        assert_eq!(shown, ["/", "/a", "/a/x", "/b"]);
        assert_eq!(
            (rows[1].depth, rows[1].position, rows[1].set_size),
            (1, 1, 2)
        );
        assert!(rows[1].expanded && !rows[3].expandable);
        assert!(
            rows[2].expandable,
            "children of /a/x are unknown, so it may have some"
        );
    }

    #[test]
    fn collapsing_hides_descendants_but_keeps_their_state() {
        let mut tree = TreeState::new();
        tree.set_children(&TreePath::root(), loaded(&["a"]));
        tree.set_children(&path(&["a"]), loaded(&["x"]));
        tree.set_expanded(&path(&["a"]), true);
        tree.set_expanded(&TreePath::root(), false);
        assert_eq!(tree.rows().len(), 1);
        tree.set_expanded(&TreePath::root(), true);
        assert_eq!(tree.rows().len(), 3, "/a stayed expanded underneath");
    }

    #[test]
    fn another_view_expands_folders_of_its_own() {
        let mut tree = TreeState::new();
        tree.set_children(&TreePath::root(), loaded(&["a", "b"]));
        tree.set_children(&path(&["b"]), loaded(&["inner"]));
        let picker: HashSet<TreePath> = [TreePath::root(), path(&["b"])].into();
        let shown: Vec<String> = tree
            .rows_with(&picker)
            .iter()
            .map(|r| r.path.to_string())
            .collect();
        assert_eq!(shown, ["/", "/a", "/b", "/b/inner"]);
        assert_eq!(tree.rows().len(), 3, "the app's own tree keeps /b closed");
    }

    #[test]
    fn reveal_expands_ancestors_and_lists_unknown_ones() {
        let mut tree = TreeState::new();
        tree.set_children(&TreePath::root(), Children::Loading);
        let missing = tree.reveal(&path(&["a", "b", "c"]));
        assert_eq!(missing, [path(&["a"]), path(&["a", "b"])]);
        assert!(tree.is_expanded(&path(&["a", "b"])));
        assert!(!tree.is_expanded(&path(&["a", "b", "c"])));
        assert!(tree.rows()[0].loading);
    }
}
