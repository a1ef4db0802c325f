//! Every file of the served tree, depth first, in key byte order: what the §2
//! bucket listing goes through (the §5 scrub walks the store, whose local walk
//! applies the same [`visible`] rules).
//!
//! Entries are filtered as RFSAPI listings filter them (the [`visible`] rules
//! below, which the listings use too): no `.skiff` at the top, no names a URL
//! cannot reach, no links leaving the root, no special files. Symlinks to files inside the root count; symlinked folders
//! are not followed (no cycles, no file met twice). Only symlinks are `stat`ed:
//! for the rest the type comes with the directory entry, so a walk of 100,000
//! files costs little more than its `read_dir`s.
//!
//! Siblings are visited sorted by name, a folder as if its name ended in `/`:
//! since no name holds a `/`, that makes the keys come out in exactly the byte
//! order of the whole keys, so callers can stream sorted results without
//! collecting the tree first. Blocking: run it on a blocking thread.

use std::fs::{DirEntry, Metadata};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use skiff_protocol::RESERVED_NAME;

use crate::disk::paths::check_contained;

/// What the walk meets.
#[derive(Debug)]
pub enum Walked {
    /// A regular file, or a symlink to one inside the root.
    File {
        /// Its key (tree path without the leading `/`).
        key: String,
    },
    /// A folder that could not be read: nothing below it was visited.
    Unreadable,
}

/// One child kept for the walk, sorted by `order`: its name, plus `/` for a folder.
struct Child {
    order: String,
    is_dir: bool,
    path: PathBuf,
}

impl Child {
    fn name(&self) -> &str {
        if self.is_dir {
            self.order.strip_suffix('/').unwrap_or(&self.order)
        } else {
            &self.order
        }
    }
}

/// One folder being walked.
struct Level {
    key: String,
    children: std::vec::IntoIter<Child>,
}

/// Calls `visit` for every file below the canonical `root`, in key byte order,
/// until it breaks (then returns `Break`). An explicit stack, not recursion, so
/// no tree is too deep for a blocking thread's stack.
pub fn files(root: &Path, mut visit: impl FnMut(Walked) -> ControlFlow<()>) -> ControlFlow<()> {
    let mut stack = Vec::new();
    match children(root, root, true) {
        Ok(children) => stack.push(Level {
            key: String::new(),
            children: children.into_iter(),
        }),
        Err(error) => {
            tracing::debug!(%error, "cannot read the root");
            return visit(Walked::Unreadable);
        }
    }
    while let Some(level) = stack.last_mut() {
        let Some(child) = level.children.next() else {
            stack.pop();
            continue;
        };
        let key = child_key(&level.key, child.name());
        if !child.is_dir {
            visit(Walked::File { key })?;
            continue;
        }
        match children(root, &child.path, false) {
            Ok(children) => stack.push(Level {
                key,
                children: children.into_iter(),
            }),
            Err(error) => {
                tracing::debug!(%error, key, "cannot read a folder");
                visit(Walked::Unreadable)?;
            }
        }
    }
    ControlFlow::Continue(())
}

/// The walkable children of `dir`, sorted; `.skiff` is hidden in the root.
fn children(root: &Path, dir: &Path, is_root: bool) -> std::io::Result<Vec<Child>> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let Some(name) = visible_name(is_root, &entry) else {
            continue;
        };
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let is_dir = if file_type.is_symlink() {
            // Only links to files inside the root; linked folders are not followed.
            match entry_metadata(root, &entry) {
                Ok(target) if target.is_file() => false,
                _ => continue,
            }
        } else if file_type.is_dir() {
            true
        } else if file_type.is_file() {
            false
        } else {
            continue;
        };
        let order = if is_dir { format!("{name}/") } else { name };
        children.push(Child {
            order,
            is_dir,
            path: entry.path(),
        });
    }
    children.sort_unstable_by(|a, b| a.order.cmp(&b.order));
    Ok(children)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(root: &Path) -> Vec<String> {
        let mut keys = Vec::new();
        let _ = files(root, |walked| {
            if let Walked::File { key } = walked {
                keys.push(key);
            }
            ControlFlow::Continue(())
        });
        keys
    }

    #[test]
    fn keys_come_in_byte_order_and_hidden_entries_stay_out() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        for key in [
            "a/b", "a/c/d", "a.txt", "a-b", "a0", "ab", "a b/x", "z", "é", ".skiff2",
        ] {
            let path = root.join(key);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, key).expect("write");
        }
        std::fs::create_dir_all(root.join(".skiff")).expect("mkdir");
        std::fs::write(root.join(".skiff/state"), "x").expect("write");
        std::fs::create_dir_all(root.join("a/.skiff")).expect("mkdir");
        std::fs::write(root.join("a/.skiff/kept"), "x").expect("write");
        std::fs::create_dir_all(root.join("empty")).expect("mkdir");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("z"), root.join("link-to-z")).expect("link");
            std::os::unix::fs::symlink(root.join("a"), root.join("link-to-a")).expect("link");
            std::os::unix::fs::symlink("/etc/hostname", root.join("out")).expect("link");
        }
        let found = keys(&root);
        let mut sorted = found.clone();
        sorted.sort_unstable();
        assert_eq!(found, sorted, "already in byte order");
        let mut expected = vec![
            ".skiff2",
            "a b/x",
            "a-b",
            "a.txt",
            "a/.skiff/kept",
            "a/b",
            "a/c/d",
            "a0",
            "ab",
            "z",
            "é",
        ];
        if cfg!(unix) {
            expected.push("link-to-z");
        }
        expected.sort_unstable();
        assert_eq!(found, expected);
    }

    #[test]
    fn a_visit_can_stop_the_walk() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["a", "b", "c"] {
            std::fs::write(dir.path().join(name), name).expect("write");
        }
        let mut seen = 0;
        let flow = files(dir.path(), |_| {
            seen += 1;
            ControlFlow::Break(())
        });
        assert_eq!((flow, seen), (ControlFlow::Break(()), 1));
    }
}
