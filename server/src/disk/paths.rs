//! From a raw URL path to a file on disk, without ever leaving the served root.
//!
//! Two gates, as dufs does it: the lexical one (`TreePath::parse_url_path` refuses
//! `..`, `.`, empty segments, NUL, `\` and encoded `/`), then the physical one:
//! canonicalise and require the result to lie under the canonical root, so a
//! symlink may point anywhere inside the root but never out of it.

use std::path::{Path, PathBuf};

use skiff_protocol::{TreePath, RESERVED_NAME};

use crate::error::AppError;

/// Parses the raw (still percent-encoded) request path into a [`TreePath`].
pub fn parse_tree_path(raw: &str) -> Result<TreePath, AppError> {
    Ok(TreePath::parse_url_path(raw)?)
}

/// Whether the path's top-level segment is the reserved `.skiff`.
pub fn is_reserved(path: &TreePath) -> bool {
    path.segments()
        .first()
        .is_some_and(|first| first == RESERVED_NAME)
}

/// Where `path` lives on disk, following symlinks, refused if that is outside
/// `root` (403) or inside the reserved `.skiff` folder (404). Blocking: call from a
/// blocking context.
pub fn resolve_blocking(root: &Path, path: &TreePath) -> Result<PathBuf, AppError> {
    let mut joined = root.to_path_buf();
    joined.extend(path.segments());
    let canonical = match std::fs::canonicalize(&joined) {
        Ok(canonical) => canonical,
        Err(error) => {
            // "Not found" below a symlink that leaves the root would tell the client
            // what exists out there: judge by the deepest ancestor that does resolve.
            let deepest = joined
                .ancestors()
                .skip(1)
                .find_map(|ancestor| std::fs::canonicalize(ancestor).ok());
            if let Some(ancestor) = deepest {
                check_contained(root, &ancestor)?;
            }
            return Err(AppError::from_fs(error));
        }
    };
    check_contained(root, &canonical)?;
    Ok(canonical)
}

/// An entry found in the tree: a regular file or a folder.
#[derive(Debug)]
pub struct Found {
    /// Its tree path, as asked for.
    pub path: TreePath,
    /// What the file system says about it.
    pub metadata: std::fs::Metadata,
}

/// Resolves `path` to a regular file or folder (blocking); anything else is 404.
pub fn find_blocking(root: &Path, path: TreePath) -> Result<Found, AppError> {
    let canonical = resolve_blocking(root, &path)?;
    let metadata = std::fs::metadata(&canonical).map_err(AppError::from_fs)?;
    if !metadata.is_file() && !metadata.is_dir() {
        // FIFOs, sockets and devices stay invisible, as in listings.
        return Err(AppError::NotFound);
    }
    Ok(Found { path, metadata })
}

/// Refuses a canonical path outside `root`, or inside its reserved folder.
pub fn check_contained(root: &Path, canonical: &Path) -> Result<(), AppError> {
    let inside = canonical
        .strip_prefix(root)
        .map_err(|_| AppError::OutsideRoot)?;
    // A symlink elsewhere in the tree must not become a window onto `.skiff`.
    if inside
        .components()
        .next()
        .is_some_and(|first| first.as_os_str() == RESERVED_NAME)
    {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contained_paths_pass_and_escapes_are_refused() {
        let root = Path::new("/srv/root");
        assert!(check_contained(root, Path::new("/srv/root")).is_ok());
        assert!(check_contained(root, Path::new("/srv/root/a/b")).is_ok());
        assert!(matches!(
            check_contained(root, Path::new("/srv/rootless")),
            Err(AppError::OutsideRoot)
        ));
        assert!(matches!(
            check_contained(root, Path::new("/etc")),
            Err(AppError::OutsideRoot)
        ));
        assert!(matches!(
            check_contained(root, Path::new("/srv/root/.skiff/x")),
            Err(AppError::NotFound)
        ));
    }

    #[test]
    fn reserved_is_only_the_top_level_name() {
        let top = TreePath::parse_url_path("/.skiff/app").expect("valid path");
        let nested = TreePath::parse_url_path("/a/.skiff").expect("valid path");
        assert!(is_reserved(&top));
        assert!(!is_reserved(&nested));
    }
}
