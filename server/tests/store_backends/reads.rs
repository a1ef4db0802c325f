//! Cases that read: stat and paged listings of nested folders, hostile names,
//! ranged reads, the walk's order (with and without its folders).

use futures_util::StreamExt;
use skiff_protocol::TreePath;
use skiff_server::store::{Store, StoreError};

use crate::fixtures::{key, listing, put, read, stat};

pub async fn stat_and_list_nested_folders_page_by_page(store: &dyn Store) {
    store.mkdir(&key("a/b/c")).await.expect("mkdir");
    put(store, "a/x.txt", b"x").await;
    put(store, "a/b/y", b"yy").await;
    put(store, "a/b.txt", b"b").await;
    // S3's order: a folder sorts as its name and `/`, after `b.txt`.
    assert_eq!(listing(store, "a", 100).await, ["b.txt", "b/", "x.txt"]);
    assert_eq!(listing(store, "a/b", 100).await, ["c/", "y"]);
    assert!(
        listing(store, "a/b/c", 100).await.is_empty(),
        "an empty folder lists empty"
    );
    assert_eq!(listing(store, "", 100).await, ["a/"]);

    let folder = stat(store, "a/b").await.expect("stat a folder");
    assert!(folder.is_dir && folder.size == 0);
    let file = stat(store, "a/b/y").await.expect("stat a file");
    assert_eq!((file.is_dir, file.size), (false, 2));
    assert!(
        file.etag.starts_with('"') && file.etag.ends_with('"'),
        "{}",
        file.etag
    );
    assert!(stat(store, "").await.expect("stat the root").is_dir);
    assert!(matches!(
        stat(store, "a/nope").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.list(&key("a/nope"), None, 10).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.list(&key("a/x.txt"), None, 10).await,
        Err(StoreError::WrongKind(_))
    ));

    for name in ["e", "a", "d", "c", "b"] {
        put(store, &format!("p/{name}"), name.as_bytes()).await;
    }
    store.mkdir(&key("p/f")).await.expect("mkdir");
    let all = ["a", "b", "c", "d", "e", "f/"];
    assert_eq!(listing(store, "p", 2).await, all, "pages of 2");
    assert_eq!(listing(store, "p", 1).await, all, "pages of 1");
    let first = store.list(&key("p"), None, 6).await.expect("one page");
    assert_eq!(
        (first.entries.len(), first.next),
        (6, None),
        "the last page says so"
    );
    // A new listing sees what changed since the last one read the folder.
    put(store, "p/0", b"0").await;
    store.delete(&key("p/e"), false).await.expect("delete");
    assert_eq!(
        listing(store, "p", 2).await,
        ["0", "a", "b", "c", "d", "f/"]
    );
}

pub async fn hostile_names_round_trip(store: &dyn Store) {
    let names = [
        "a b",
        "#hash",
        "100% off",
        "what?",
        "é😀",
        "new\nline",
        "a%0Ab",
        "tab\tx",
        "50%25",
    ];
    for name in names {
        put(store, &format!("h/{name}"), name.as_bytes()).await;
    }
    let mut expected: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let mut listed = listing(store, "h", 100).await;
    expected.sort();
    listed.sort();
    assert_eq!(listed, expected);
    for name in names {
        let at = format!("h/{name}");
        assert_eq!(read(store, &at, None).await, name.as_bytes(), "{name:?}");
        assert_eq!(
            stat(store, &at).await.expect("stat").size,
            name.len() as u64
        );
    }
    store
        .mkdir(&key("h/dir\n#%"))
        .await
        .expect("mkdir with a hostile name");
    put(store, "h/dir\n#%/inner file", b"in").await;
    assert_eq!(listing(store, "h/dir\n#%", 10).await, ["inner file"]);
}

pub async fn ranged_reads(store: &dyn Store) {
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    put(store, "r.bin", &bytes).await;
    assert_eq!(read(store, "r.bin", None).await, bytes);
    assert_eq!(read(store, "r.bin", Some(10..20)).await, &bytes[10..20]);
    assert_eq!(read(store, "r.bin", Some(990..1000)).await, &bytes[990..]);
    assert!(read(store, "r.bin", Some(5..5)).await.is_empty());
    assert_eq!(
        read(store, "r.bin", Some(995..2000)).await,
        &bytes[995..],
        "clamped"
    );
    assert!(
        read(store, "r.bin", Some(2000..3000)).await.is_empty(),
        "past the end"
    );
    store.mkdir(&key("d")).await.expect("mkdir");
    assert!(matches!(
        store.read(&key("d"), None).await.err(),
        Some(StoreError::WrongKind(_))
    ));
    assert!(matches!(
        store.read(&key("missing"), None).await.err(),
        Some(StoreError::NotFound)
    ));
}

pub async fn walk_comes_in_key_order(store: &dyn Store) {
    for at in ["w/ab", "w/a/c/d", "w/a-b", "w/a.txt", "w/a/b", "other"] {
        put(store, at, at.as_bytes()).await;
    }
    store.mkdir(&key("w/empty")).await.expect("mkdir");
    let walked: Vec<String> = store
        .walk(&key("w"))
        .map(|entry| entry.expect("walked").key.segments().join("/"))
        .collect()
        .await;
    assert_eq!(walked, ["w/a-b", "w/a.txt", "w/a/b", "w/a/c/d", "w/ab"]);
    let single: Vec<_> = store.walk(&key("other")).collect().await;
    assert_eq!(single.len(), 1, "a file walks as itself");
    let everything: Vec<_> = store.walk(&TreePath::root()).collect().await;
    assert_eq!(everything.len(), 6);
}

/// `walk_tree` is `walk` with every folder too, each just before its children,
/// empty ones included; the prefix itself is not in it.
pub async fn walk_tree_gives_the_folders_too(store: &dyn Store) {
    for at in ["w/ab", "w/a/c/d", "w/a.txt", "w/a/b"] {
        put(store, at, at.as_bytes()).await;
    }
    store.mkdir(&key("w/empty/inner")).await.expect("mkdir");
    let walked: Vec<String> = store
        .walk_tree(&key("w"))
        .map(|entry| {
            let entry = entry.expect("walked");
            let key = entry.key.segments().join("/");
            if entry.is_dir {
                format!("{key}/")
            } else {
                key
            }
        })
        .collect()
        .await;
    assert_eq!(
        walked,
        [
            "w/a.txt",
            "w/a/",
            "w/a/b",
            "w/a/c/",
            "w/a/c/d",
            "w/ab",
            "w/empty/",
            "w/empty/inner/"
        ]
    );
    let single: Vec<_> = store.walk_tree(&key("w/ab")).collect().await;
    assert_eq!(single.len(), 1, "a file walks as itself");
}
