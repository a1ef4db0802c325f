//! Which §2 bucket a target lives in (PROTOCOL.md §5): a storage mounted as a
//! top-level folder is its own bucket, named by the storage, with keys relative to
//! it; everything else is the default storage's. The storages list (loaded by
//! `components::storages`) publishes the mounts here, so the upload engine, which
//! runs outside any component, can ask.

use std::cell::RefCell;

use skiff_protocol::{Storage, TreePath, DEFAULT_BUCKET};

thread_local! {
    /// `(mount, storage name)` of every mounted storage; the browser's one thread.
    static MOUNTS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// Remembers the server's storages (the default storage is no mount).
pub fn set_storages(storages: &[Storage]) {
    let mounts = storages
        .iter()
        .filter(|storage| storage.name != DEFAULT_BUCKET)
        .map(|storage| {
            (
                storage.mount.trim_matches('/').to_owned(),
                storage.name.clone(),
            )
        })
        .collect();
    MOUNTS.with(|cell| *cell.borrow_mut() = mounts);
}

/// The bucket and key a file at `target` is uploaded as.
pub fn bucket_and_key(target: &TreePath) -> (String, String) {
    MOUNTS.with(|cell| split(&cell.borrow(), target))
}

/// [`bucket_and_key`] against a given mount table (pure, for tests).
fn split(mounts: &[(String, String)], target: &TreePath) -> (String, String) {
    let segments = target.segments();
    if let Some((top, rest)) = segments.split_first() {
        if let Some((_, name)) = mounts.iter().find(|(mount, _)| mount == top) {
            return (name.clone(), rest.join("/"));
        }
    }
    (DEFAULT_BUCKET.to_owned(), segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mounted_folder_is_its_storages_bucket() {
        let mounts = vec![("archive".to_owned(), "archive-store".to_owned())];
        let path = |raw: &str| TreePath::parse_url_path(raw).expect("path");
        assert_eq!(
            split(&mounts, &path("/archive/notes/a%20b.txt")),
            ("archive-store".to_owned(), "notes/a b.txt".to_owned())
        );
        assert_eq!(
            split(&mounts, &path("/archived/x")),
            (DEFAULT_BUCKET.to_owned(), "archived/x".to_owned())
        );
        assert_eq!(
            split(&[], &path("/archive/x")),
            (DEFAULT_BUCKET.to_owned(), "archive/x".to_owned())
        );
    }
}
