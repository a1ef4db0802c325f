//! The local store's walk against the rules of `crate::disk::walk` (what a local
//! folder may show): byte order of whole keys, `.skiff` only hidden at the top,
//! in-root symlinks to files kept, symlinked folders not followed, links out of
//! the root left out.

use std::path::Path;

use futures_util::StreamExt;
use skiff_protocol::TreePath;

use super::LocalStore;
use crate::store::Store;

async fn keys(root: &Path) -> Vec<String> {
    let store = LocalStore::open(root).expect("a local store");
    let mut walk = store.walk(&TreePath::root());
    let mut keys = Vec::new();
    while let Some(entry) = walk.next().await {
        keys.push(entry.expect("an entry").key.segments().join("/"));
    }
    keys
}

#[tokio::test]
async fn a_walk_gives_keys_in_byte_order_and_leaves_hidden_entries_out() {
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
    let found = keys(&root).await;
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
